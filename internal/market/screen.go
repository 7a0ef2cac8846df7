package market

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Range bounds a screener field; nil ends are open. A stock whose field is
// NULL never passes a range on it.
type Range struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

func (r Range) set() bool { return r.Min != nil || r.Max != nil }

func (r Range) holds(v *float64) bool {
	if v == nil {
		return false
	}
	return (r.Min == nil || *v >= *r.Min) && (r.Max == nil || *v <= *r.Max)
}

// ScreenQuery is a screener request over one day's stocks. Market caps are
// in 10k CNY and turnover in percent, as Tushare gives them.
type ScreenQuery struct {
	PE, PETTM, PB, PS Range
	TotalMV, CircMV   Range
	TurnoverRate      Range
	PctChg            Range
	DvRatio           Range
	Industries        []string // any of them; empty means every industry
	Boards            []Board  // any of them; empty means every board
	IncludeST         bool     // ST stocks (on the day) are left out unless set
	SortBy            string   // one of ScreenSorts; empty means total_mv
	Ascending         bool     // default is descending
	Limit, Offset     int      // Limit 0 means DefaultScreenLimit
}

// Screener limits.
const (
	DefaultScreenLimit = 50
	MaxScreenLimit     = 500
)

// ScreenSorts are the fields a screen can be sorted by.
var ScreenSorts = []string{"total_mv", "circ_mv", "pe", "pe_ttm", "pb", "ps", "dv_ratio", "turnover_rate", "pct_chg", "amount", "close"}

// ErrBadScreen wraps every refusal of a ScreenQuery.
var ErrBadScreen = errors.New("bad screen")

// ScreenRow is one stock of a screener answer.
type ScreenRow struct {
	TSCode       string   `json:"ts_code"`
	Name         string   `json:"name"`
	Industry     string   `json:"industry"`
	Board        Board    `json:"board"`
	ST           bool     `json:"st"`
	Close        float64  `json:"close"`
	PctChg       float64  `json:"pct_chg"`
	Amount       float64  `json:"amount"`
	TurnoverRate *float64 `json:"turnover_rate"`
	PE           *float64 `json:"pe"`
	PETTM        *float64 `json:"pe_ttm"`
	PB           *float64 `json:"pb"`
	PS           *float64 `json:"ps"`
	DvRatio      *float64 `json:"dv_ratio"`
	TotalMV      *float64 `json:"total_mv"`
	CircMV       *float64 `json:"circ_mv"`
	Synthetic    bool     `json:"synthetic"`
}

// ScreenResult is one page of matches and how many there are in all.
type ScreenResult struct {
	Total  int         `json:"total"`
	Limit  int         `json:"limit"`
	Offset int         `json:"offset"`
	SortBy string      `json:"sort_by"`
	Order  string      `json:"order"` // asc or desc
	Data   []ScreenRow `json:"data"`
}

// Validate checks a query and fills its defaults.
func (q *ScreenQuery) Validate() error {
	if q.SortBy == "" {
		q.SortBy = "total_mv"
	}
	if !slices.Contains(ScreenSorts, q.SortBy) {
		return fmt.Errorf("%w: unknown sort_by %q: want one of %s", ErrBadScreen, q.SortBy, strings.Join(ScreenSorts, ", "))
	}
	if q.Limit == 0 {
		q.Limit = DefaultScreenLimit
	}
	if q.Limit < 1 || q.Limit > MaxScreenLimit {
		return fmt.Errorf("%w: limit %d: want 1..%d", ErrBadScreen, q.Limit, MaxScreenLimit)
	}
	if q.Offset < 0 {
		return fmt.Errorf("%w: offset %d must not be negative", ErrBadScreen, q.Offset)
	}
	for name, r := range q.ranges() {
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			return fmt.Errorf("%w: %s: min %v is above max %v", ErrBadScreen, name, *r.Min, *r.Max)
		}
	}
	for _, b := range q.Boards {
		switch b {
		case BoardMain, BoardSTAR, BoardChiNext, BoardBSE:
		default:
			return fmt.Errorf("%w: unknown board %q: want main, star, chinext or bse", ErrBadScreen, b)
		}
	}
	return nil
}

func (q *ScreenQuery) ranges() map[string]Range {
	return map[string]Range{"pe": q.PE, "pe_ttm": q.PETTM, "pb": q.PB, "ps": q.PS, "total_mv": q.TotalMV,
		"circ_mv": q.CircMV, "turnover_rate": q.TurnoverRate, "pct_chg": q.PctChg, "dv_ratio": q.DvRatio}
}

func screenRow(s DayStock) ScreenRow {
	return ScreenRow{
		TSCode: s.TSCode, Name: s.Name, Industry: s.Industry, Board: BoardOf(s.TSCode), ST: s.ST(),
		Close: s.Close, PctChg: s.PctChg, Amount: s.Amount, TurnoverRate: s.TurnoverRate,
		PE: s.PE, PETTM: s.PETTM, PB: s.PB, PS: s.PS, DvRatio: s.DvRatio, TotalMV: s.TotalMV, CircMV: s.CircMV,
		Synthetic: s.Synthetic,
	}
}

// sortValue is the row's value of a ScreenSorts field; nil is NULL.
func (r *ScreenRow) sortValue(field string) *float64 {
	switch field {
	case "total_mv":
		return r.TotalMV
	case "circ_mv":
		return r.CircMV
	case "pe":
		return r.PE
	case "pe_ttm":
		return r.PETTM
	case "pb":
		return r.PB
	case "ps":
		return r.PS
	case "dv_ratio":
		return r.DvRatio
	case "turnover_rate":
		return r.TurnoverRate
	case "pct_chg":
		return &r.PctChg
	case "amount":
		return &r.Amount
	}
	return &r.Close
}

// Screen filters one day's stocks (Reader.DayStocks) with q, sorts them by
// q.SortBy (NULLs last in either direction, ties by ts_code) and returns
// the page at q.Offset with the total number of matches. A query that does
// not validate is an error wrapping ErrBadScreen.
func Screen(stocks []DayStock, q ScreenQuery) (ScreenResult, error) {
	if err := q.Validate(); err != nil {
		return ScreenResult{}, err
	}
	ranges := q.ranges()
	var rows []ScreenRow
	for _, s := range stocks {
		board := BoardOf(s.TSCode)
		if board != BoardMain && board != BoardSTAR && board != BoardChiNext && board != BoardBSE {
			continue
		}
		r := screenRow(s)
		if (!q.IncludeST && r.ST) ||
			(len(q.Industries) > 0 && !slices.Contains(q.Industries, r.Industry)) ||
			(len(q.Boards) > 0 && !slices.Contains(q.Boards, board)) {
			continue
		}
		pass := true
		for field, rg := range ranges {
			if rg.set() && !rg.holds(r.sortValue(field)) {
				pass = false
				break
			}
		}
		if pass {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b ScreenRow) int {
		av, bv := a.sortValue(q.SortBy), b.sortValue(q.SortBy)
		switch {
		case av == nil && bv == nil:
		case av == nil:
			return 1
		case bv == nil:
			return -1
		case *av != *bv:
			if q.Ascending {
				return cmp.Compare(*av, *bv)
			}
			return cmp.Compare(*bv, *av)
		}
		return cmp.Compare(a.TSCode, b.TSCode)
	})
	res := ScreenResult{Total: len(rows), Limit: q.Limit, Offset: q.Offset, SortBy: q.SortBy, Order: "desc", Data: []ScreenRow{}}
	if q.Ascending {
		res.Order = "asc"
	}
	if q.Offset < len(rows) {
		res.Data = rows[q.Offset:min(len(rows), q.Offset+q.Limit)]
	}
	return res, nil
}
