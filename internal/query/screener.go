package query

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stockdatasource/stockd/internal/market"
)

// Screener argument limits.
const (
	MaxScreenIndustries   = 50
	MaxIndustryRunes      = 30
	maxScreenerCanonical  = 160 // longer canonical queries are hashed in the key
	screenerCanonicalHash = "sha256-"
)

// ScreenArgs ask the screener about Date (zero: the latest day with
// data): the filters, order and page of the embedded query (see
// market.ScreenQuery; Limit 0 means DefaultScreenLimit).
type ScreenArgs struct {
	Date time.Time
	market.ScreenQuery
}

type screenAnswer struct {
	TradeDate string `json:"trade_date"`
	Synthetic bool   `json:"synthetic"`
	market.ScreenResult
}

// Screen filters a day's stocks by valuation, size, activity, industry and
// board (ST stocks left out unless asked for), sorted and paged, with the
// number of matches.
func (q *Queries) Screen(ctx context.Context, a ScreenArgs) (Answer, error) {
	if err := a.check(); err != nil {
		return Answer{}, err
	}
	date, err := q.tradeDate(ctx, a.Date, market.KindStock)
	if err != nil {
		return Answer{}, err
	}
	return q.load(ctx, ScreenerKey(date, a.canonical()), func(ctx context.Context) ([]byte, error) {
		d, err := q.days.get(ctx, date)
		if err != nil {
			return nil, err
		}
		res, err := market.Screen(d.stocks, a.ScreenQuery)
		if err != nil {
			return nil, err
		}
		return Encode(screenAnswer{TradeDate: market.FormatDate(date), Synthetic: d.synthetic(), ScreenResult: res})
	})
}

// check validates the query (filling its defaults) and the industry
// list, as an argument error.
func (a *ScreenArgs) check() error {
	// The market package reads a zero limit as its default; asked for, zero
	// rows is a mistake, as on every other paged route.
	if err := checkRange("limit", a.Limit, 1, market.MaxScreenLimit); err != nil {
		return err
	}
	if len(a.Industries) > MaxScreenIndustries {
		return badArg("industry", strconv.Itoa(len(a.Industries))+" industries", "at most "+strconv.Itoa(MaxScreenIndustries))
	}
	for _, ind := range a.Industries {
		if ind == "" || utf8.RuneCountInString(ind) > MaxIndustryRunes {
			return badArg("industry", ind, "want a name of 1 to "+strconv.Itoa(MaxIndustryRunes)+" characters")
		}
	}
	if err := a.Validate(); err != nil {
		if errors.Is(err, market.ErrBadScreen) {
			return errorf(CodeBadRequest, "%s", strings.TrimPrefix(err.Error(), market.ErrBadScreen.Error()+": "))
		}
		return err
	}
	return nil
}

// canonical is the query in one spelling, for the cache key: ranges in a
// fixed order, lists sorted, defaults filled (check has run). Long ones
// (many industries) are hashed.
func (a *ScreenArgs) canonical() string {
	var b []byte
	sep := func() {
		if len(b) > 0 {
			b = append(b, ';')
		}
	}
	num := func(v *float64) {
		if v != nil {
			b = strconv.AppendFloat(b, *v, 'g', -1, 64)
		}
	}
	for _, r := range []struct {
		name string
		r    market.Range
	}{
		{"pe", a.PE}, {"pe_ttm", a.PETTM}, {"pb", a.PB}, {"ps", a.PS}, {"total_mv", a.TotalMV}, {"circ_mv", a.CircMV},
		{"turnover_rate", a.TurnoverRate}, {"pct_chg", a.PctChg}, {"dv_ratio", a.DvRatio},
	} {
		if r.r.Min == nil && r.r.Max == nil {
			continue
		}
		sep()
		b = append(b, r.name...)
		b = append(b, '=')
		num(r.r.Min)
		b = append(b, '~')
		num(r.r.Max)
	}
	if len(a.Industries) > 0 {
		inds := slices.Compact(slices.Sorted(slices.Values(a.Industries)))
		sep()
		b = append(b, "industry="...)
		b = append(b, strings.Join(inds, ",")...)
	}
	if len(a.Boards) > 0 {
		boards := slices.Compact(slices.Sorted(slices.Values(a.Boards)))
		sep()
		b = append(b, "board="...)
		for i, x := range boards {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, x...)
		}
	}
	if a.IncludeST {
		sep()
		b = append(b, "st=1"...)
	}
	sep()
	order := "desc"
	if a.Ascending {
		order = "asc"
	}
	b = append(b, "sort="+a.SortBy+":"+order+";limit="...)
	b = strconv.AppendInt(b, int64(a.Limit), 10)
	b = append(b, ";offset="...)
	b = strconv.AppendInt(b, int64(a.Offset), 10)
	if len(b) > maxScreenerCanonical {
		sum := sha256.Sum256(b)
		return screenerCanonicalHash + hex.EncodeToString(sum[:16])
	}
	return string(b)
}
