package query

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/indicator"
	"github.com/stockdatasource/stockd/internal/market"
)

// IndicatorArgs ask for technical indicators of Code (any accepted
// spelling) over the trading days in [Start, End] (a zero end is the
// code's newest bar, a zero start DefaultSpan before the end), computed on
// prices adjusted by Adjust. Names is a comma-separated list of
// indicator.AllNames; empty means all.
type IndicatorArgs struct {
	Code       string
	Names      string
	Start, End time.Time
	Adjust     string
}

type indicatorsAnswer struct {
	TSCode     string           `json:"ts_code"`
	Name       string           `json:"name"`
	Kind       string           `json:"kind"`
	Adjust     string           `json:"adjust"`
	AnchorDate string           `json:"anchor_date"`
	Start      string           `json:"start"`
	End        string           `json:"end"`
	Names      []string         `json:"names"`
	WarmUp     int              `json:"warm_up"` // bars of history the window was computed on, at most
	Params     indicator.Params `json:"params"`
	Synthetic  bool             `json:"synthetic"`
	indicator.Result
}

// Indicators computes MA, EMA, MACD, KDJ, RSI and BOLL (the quote
// software's conventions, see package indicator) on the code's adjusted
// daily K-line. The window is computed on indicator.WarmUp bars before it,
// so every value is the full-history one (within 1e-6). The K-line is the
// one /daily answers, prices rounded alike, so a client can draw both.
func (q *Queries) Indicators(ctx context.Context, a IndicatorArgs) (Answer, error) {
	code, err := parseCode(a.Code)
	if err != nil {
		return Answer{}, err
	}
	set, err := indicator.ParseSet(a.Names)
	if err != nil {
		return Answer{}, badArg("names", a.Names, strings.TrimPrefix(err.Error(), "unknown indicator "))
	}
	if err := checkOneOf("adjust", a.Adjust, Adjusts); err != nil {
		return Answer{}, err
	}
	if !a.Start.IsZero() && !a.End.IsZero() && a.Start.After(a.End) {
		return Answer{}, errorf(CodeBadRequest, "invalid range: start %s is after end %s", market.FormatDate(a.Start), market.FormatDate(a.End))
	}
	a.Code, a.Names = code, set.String()
	return q.load(ctx, IndicatorsRequestKey(code, a.Names, a.Start, a.End, a.Adjust), func(ctx context.Context) ([]byte, error) {
		return q.resolvedIndicators(ctx, a, set)
	})
}

func (q *Queries) resolvedIndicators(ctx context.Context, a IndicatorArgs, set indicator.Set) ([]byte, error) {
	h, err := q.history.entry(ctx, a.Code)
	if err != nil {
		return nil, err
	}
	meta, err := h.metaOf(ctx, q, a.Code)
	if err != nil {
		return nil, err
	}
	start, end, anchor := meta.resolve(a.Start, a.End)
	ans, err := q.load(ctx, IndicatorsKey(a.Code, a.Names, start, end, a.Adjust, anchor), func(ctx context.Context) ([]byte, error) {
		params := indicator.DefaultParams()
		warm := indicator.WarmUp(set, params)
		bars, err := q.barsWithHistory(ctx, h, a.Code, meta, start, end, warm)
		if err != nil {
			return nil, err
		}
		candles := market.Adjust(bars, a.Adjust, meta.AnchorFactor)
		res, err := indicator.Compute(candles, indicator.Index(candles, market.FormatDate(start)), set, params)
		if err != nil {
			return nil, fmt.Errorf("indicators of %s: %w", a.Code, err)
		}
		return Encode(indicatorsAnswer{
			TSCode: a.Code, Name: meta.Name, Kind: meta.Kind, Adjust: a.Adjust, AnchorDate: meta.AnchorDate,
			Start: market.FormatDate(start), End: market.FormatDate(end), Names: strings.Split(a.Names, ","),
			WarmUp: warm, Params: params, Synthetic: meta.Synthetic, Result: res,
		})
	})
	return ans.Body, err
}

// barsWithHistory returns the code's bars up to end with at least warm
// bars before start, or all there are, from the history memo. The first
// read starts warm open days before start, which holds warm bars unless
// the code was suspended in between or listed after; only then is the
// whole history read.
func (q *Queries) barsWithHistory(ctx context.Context, h *codeHistory, code string, meta klineMeta, start, end time.Time, warm int) ([]market.AdjBar, error) {
	var from time.Time // zero: the whole history
	if !start.IsZero() {
		open, err := q.store.OpenDays(ctx, start, warm+1)
		if err != nil {
			return nil, fmt.Errorf("open days before %s: %w", market.FormatDate(start), err)
		}
		if len(open) == warm+1 {
			from = open[warm]
		}
	}
	bars, err := h.barsFrom(ctx, q, code, from)
	if err != nil {
		return nil, err
	}
	upTo := func(bars []market.AdjBar) []market.AdjBar {
		if end.IsZero() {
			return bars
		}
		i, _ := slices.BinarySearchFunc(bars, end.AddDate(0, 0, 1), func(b market.AdjBar, t time.Time) int { return b.TradeDate.Compare(t) })
		return bars[:i]
	}
	if from.IsZero() {
		return upTo(bars), nil
	}
	before, _ := slices.BinarySearchFunc(bars, start, func(b market.AdjBar, t time.Time) int { return b.TradeDate.Compare(t) })
	listed, _ := market.ParseDate(meta.ListDate)
	if before >= warm || (!listed.IsZero() && !listed.Before(from)) {
		return upTo(bars), nil // enough history, or all of it
	}
	if bars, err = h.barsFrom(ctx, q, code, time.Time{}); err != nil {
		return nil, err
	}
	return upTo(bars), nil
}
