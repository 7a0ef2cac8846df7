package query

import (
	"bytes"
	"context"
	"encoding/json"
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
			var a struct{ Code, Start, End, Adjust string }
			if err := toolArgs(raw, &a); err != nil {
				return Answer{}, err
			}
			start, err := toolDate("start", a.Start)
			if err != nil {
				return Answer{}, err
			}
			end, err := toolDate("end", a.End)
			if err != nil {
				return Answer{}, err
			}
			return q.KLine(ctx, KLineArgs{Code: a.Code, Period: PeriodDay, Start: start, End: end, Adjust: word(a.Adjust, Adjusts[0])})
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
		"get_market_stats": func(ctx context.Context, raw json.RawMessage) (Answer, error) {
			var a struct{ Date string }
			if err := toolArgs(raw, &a); err != nil {
				return Answer{}, err
			}
			date, err := toolDate("date", a.Date)
			if err != nil {
				return Answer{}, err
			}
			return q.MarketStats(ctx, date)
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
	limit := DefaultHotLimit
	if a.Limit != nil {
		limit = *a.Limit
	}
	return HotArgs{Date: date, SortBy: word(a.SortBy, sorts[0]), Order: word(a.Order, OrderDesc), Limit: limit}, nil
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
