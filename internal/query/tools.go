package query

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// ToolFunc answers one call of a workflow tool: args are the JSON arguments
// the model sent (checked against the tool's schema by the caller), the
// answer is the bytes the matching HTTP endpoint serves, from the same cache
// entry. An *Error is the model's to fix (a bad date, an unknown code);
// any other error is a failure of the store.
type ToolFunc func(ctx context.Context, args json.RawMessage) (Answer, error)

// Tools maps the name of each workflow tool (the catalogue of package
// workflow, which names this package's questions by their routes) to the
// question it asks. Arguments are read the way the HTTP handlers read the
// query string: the same defaults, the same checks, the same cache keys.
func (q *Queries) Tools() map[string]ToolFunc {
	return map[string]ToolFunc{
		"get_stock_basic": func(ctx context.Context, raw json.RawMessage) (Answer, error) {
			var a struct{ Code string }
			if err := toolArgs(raw, &a); err != nil {
				return Answer{}, err
			}
			return q.Basic(ctx, a.Code)
		},
		"get_stock_daily": func(ctx context.Context, raw json.RawMessage) (Answer, error) {
			a, err := rangeToolArgs(raw)
			if err != nil {
				return Answer{}, err
			}
			return q.KLine(ctx, KLineArgs{Code: a.Code, Period: PeriodDay, Start: a.start, End: a.end, Adjust: a.adjust})
		},
		"get_hot_stocks": func(ctx context.Context, raw json.RawMessage) (Answer, error) {
			a, err := hotToolArgs(raw, StockSorts)
			if err != nil {
				return Answer{}, err
			}
			return q.HotStocks(ctx, a)
		},
		"get_hot_etfs": func(ctx context.Context, raw json.RawMessage) (Answer, error) {
			a, err := hotToolArgs(raw, ETFSorts)
			if err != nil {
				return Answer{}, err
			}
			return q.HotETFs(ctx, a)
		},
		"get_market_stats": dayTool(q.MarketStats),
		"get_sectors": func(ctx context.Context, raw json.RawMessage) (Answer, error) {
			var a struct {
				Date   string
				SortBy string `json:"sort_by"`
				Limit  *int
			}
			if err := toolArgs(raw, &a); err != nil {
				return Answer{}, err
			}
			date, err := toolDate("date", a.Date)
			if err != nil {
				return Answer{}, err
			}
			return q.Sectors(ctx, SectorArgs{Date: date, SortBy: word(a.SortBy, SectorSorts[0]), Limit: intOr(a.Limit, DefaultSectorLimit)})
		},
		"get_limit_ladder":   dayTool(q.Ladder),
		"get_indices":        dayTool(q.Indices),
		"get_quick_analysis": dayTool(q.QuickAnalysis),
		"screen_stocks": func(ctx context.Context, raw json.RawMessage) (Answer, error) {
			a, err := screenToolArgs(raw)
			if err != nil {
				return Answer{}, err
			}
			return q.Screen(ctx, a)
		},
		"get_indicators": func(ctx context.Context, raw json.RawMessage) (Answer, error) {
			a, err := rangeToolArgs(raw)
			if err != nil {
				return Answer{}, err
			}
			return q.Indicators(ctx, IndicatorArgs{Code: a.Code, Names: a.Names, Start: a.start, End: a.end, Adjust: a.adjust})
		},
		"search_stocks": func(ctx context.Context, raw json.RawMessage) (Answer, error) {
			var a struct{ Q string }
			if err := toolArgs(raw, &a); err != nil {
				return Answer{}, err
			}
			return q.Search(ctx, a.Q, MaxSearchHits)
		},
	}
}

// rangeArgs are the arguments of a question about a code over a range of
// days: the K-line's and the indicators'.
type rangeArgs struct {
	Code, Names, Start, End, Adjust string
	start, end                      time.Time
	adjust                          string
}

func rangeToolArgs(raw json.RawMessage) (rangeArgs, error) {
	var a rangeArgs
	if err := toolArgs(raw, &a); err != nil {
		return a, err
	}
	var err error
	if a.start, err = toolDate("start", a.Start); err != nil {
		return a, err
	}
	if a.end, err = toolDate("end", a.End); err != nil {
		return a, err
	}
	a.adjust = word(a.Adjust, Adjusts[0])
	return a, nil
}

func hotToolArgs(raw json.RawMessage, sorts []string) (HotArgs, error) {
	var a struct {
		Date   string
		SortBy string `json:"sort_by"`
		Order  string
		Limit  *int
	}
	if err := toolArgs(raw, &a); err != nil {
		return HotArgs{}, err
	}
	date, err := toolDate("date", a.Date)
	if err != nil {
		return HotArgs{}, err
	}
	return HotArgs{Date: date, SortBy: word(a.SortBy, sorts[0]), Order: word(a.Order, OrderDesc), Limit: intOr(a.Limit, DefaultHotLimit)}, nil
}

// dayTool binds a question about one day, asked with an optional date.
func dayTool(ask func(context.Context, time.Time) (Answer, error)) ToolFunc {
	return func(ctx context.Context, raw json.RawMessage) (Answer, error) {
		var a struct{ Date string }
		if err := toolArgs(raw, &a); err != nil {
			return Answer{}, err
		}
		date, err := toolDate("date", a.Date)
		if err != nil {
			return Answer{}, err
		}
		return ask(ctx, date)
	}
}

// screenToolArgs reads screen_stocks' arguments as the screener route reads
// its query string: {field}_min/{field}_max numbers, comma-separated
// industry and board, include_st, sort_by, order, limit and offset.
func screenToolArgs(raw json.RawMessage) (ScreenArgs, error) {
	var a struct {
		Date      string
		Industry  string
		Board     string
		IncludeST string `json:"include_st"`
		SortBy    string `json:"sort_by"`
		Order     string
		Limit     *int
		Offset    *int
	}
	if err := toolArgs(raw, &a); err != nil {
		return ScreenArgs{}, err
	}
	var all map[string]json.RawMessage
	if err := toolArgs(raw, &all); err != nil {
		return ScreenArgs{}, err
	}
	date, err := toolDate("date", a.Date)
	if err != nil {
		return ScreenArgs{}, err
	}
	s := ScreenArgs{Date: date}
	for _, f := range []struct {
		name string
		r    *market.Range
	}{
		{"pe", &s.PE}, {"pe_ttm", &s.PETTM}, {"pb", &s.PB}, {"ps", &s.PS},
		{"total_mv", &s.TotalMV}, {"circ_mv", &s.CircMV}, {"turnover_rate", &s.TurnoverRate},
		{"pct_chg", &s.PctChg}, {"dv_ratio", &s.DvRatio},
	} {
		if f.r.Min, err = toolNumber(all, f.name+"_min"); err != nil {
			return ScreenArgs{}, err
		}
		if f.r.Max, err = toolNumber(all, f.name+"_max"); err != nil {
			return ScreenArgs{}, err
		}
	}
	s.Industries = commaList(a.Industry)
	for _, b := range commaList(a.Board) {
		s.Boards = append(s.Boards, market.Board(strings.ToLower(b)))
	}
	switch v := word(a.IncludeST, "false"); v {
	case "false", "0":
	case "true", "1":
		s.IncludeST = true
	default:
		return ScreenArgs{}, badArg("include_st", v, "want true or false")
	}
	s.SortBy = word(a.SortBy, "")
	switch v := word(a.Order, "desc"); v {
	case "asc":
		s.Ascending = true
	case "desc":
	default:
		return ScreenArgs{}, badArg("order", v, "want asc or desc")
	}
	s.Limit, s.Offset = intOr(a.Limit, market.DefaultScreenLimit), intOr(a.Offset, 0)
	return s, nil
}

// toolNumber reads an optional finite number argument, also given as a
// string ("15"), as the route reads it from the query string; nil when absent.
func toolNumber(args map[string]json.RawMessage, name string) (*float64, error) {
	raw, ok := args[name]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	text := strings.TrimSpace(strings.Trim(string(raw), `"`))
	if text == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, badArg(name, text, "not a number")
	}
	return &f, nil
}

// commaList splits a comma-separated argument, dropping empty items.
func commaList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// intOr is an optional integer argument; def when absent.
func intOr(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

// toolArgs decodes the arguments object; empty arguments are {}.
func toolArgs(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return errorf(CodeBadRequest, "arguments do not fit the tool: %v", err)
	}
	return nil
}

// toolDate reads an optional date argument, YYYYMMDD or YYYY-MM-DD.
func toolDate(name, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	d, err := market.ParseDate(v)
	if err != nil {
		return time.Time{}, badArg(name, v, "want YYYYMMDD or YYYY-MM-DD")
	}
	return d, nil
}

// word is an optional enumerated argument, lower-cased; def when absent.
func word(v, def string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		return def
	}
	return v
}

// KnownCode reports whether code (normalised) is a stock or ETF of the
// store, through the cached basic answer: checking a run's variables warms
// the entry the run's first tool call will read.
func (q *Queries) KnownCode(ctx context.Context, code string) (bool, error) {
	_, err := q.Basic(ctx, code)
	if err == nil {
		return true, nil
	}
	if qe, ok := err.(*Error); ok && (qe.Code == CodeNotFound || qe.Code == CodeInvalidCode) {
		return false, nil
	}
	return false, err
}
