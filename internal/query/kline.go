package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// K-line periods: one candle per trading day, per ISO week (Monday to
// Sunday) or per calendar month.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
)

// Periods lists the K-line periods; the first is the default.
var Periods = []string{PeriodDay, PeriodWeek, PeriodMonth}

// Adjusts lists the price adjustments; the first is the default.
var Adjusts = []string{market.AdjustQFQ, market.AdjustHFQ, market.AdjustNone}

// DefaultSpan is the K-line range when start is omitted: about a year of
// trading before the end date, whatever the period.
const DefaultSpan = 365 * 24 * time.Hour

// KLineArgs ask for the K-line of Code (any accepted spelling) in Period,
// over [Start, End] (a zero end is the code's newest bar, a zero start
// DefaultSpan before the end), with prices adjusted by Adjust.
type KLineArgs struct {
	Code       string
	Period     string
	Start, End time.Time
	Adjust     string
}

type klineAnswer struct {
	TSCode     string          `json:"ts_code"`
	Name       string          `json:"name"`
	Kind       string          `json:"kind"`
	Period     string          `json:"period"`
	Adjust     string          `json:"adjust"`
	AnchorDate string          `json:"anchor_date"`
	Start      string          `json:"start"`
	End        string          `json:"end"`
	Synthetic  bool            `json:"synthetic"`
	Data       []market.Candle `json:"data"`
}

// klineMeta is what resolving a K-line request needs to know about a code
// before it can name the resolved entry: cached (KLineMetaKey) so that a
// request whose own entry missed costs no store query for it.
type klineMeta struct {
	Name         string  `json:"name"`
	Kind         string  `json:"kind"`
	Synthetic    bool    `json:"synthetic"`
	LatestDate   string  `json:"latest_date"`
	AnchorDate   string  `json:"anchor_date"`
	AnchorFactor float64 `json:"anchor_factor"`
	// ListDate tells the indicators when the code's history begins ("" in
	// entries of older versions: then they read it all).
	ListDate string `json:"list_date,omitempty"`
}

// KLine answers a K-line. The request as asked names an entry holding the
// same bytes as the resolved one (open ends resolved against the code's
// newest bar, the qfq anchor in the key), so a repeated request costs one
// cache lookup; loads of market data drop both.
func (q *Queries) KLine(ctx context.Context, a KLineArgs) (Answer, error) {
	code, err := parseCode(a.Code)
	if err != nil {
		return Answer{}, err
	}
	if err := checkOneOf("period", a.Period, Periods); err != nil {
		return Answer{}, err
	}
	if err := checkOneOf("adjust", a.Adjust, Adjusts); err != nil {
		return Answer{}, err
	}
	if !a.Start.IsZero() && !a.End.IsZero() && a.Start.After(a.End) {
		return Answer{}, errorf(CodeBadRequest, "invalid range: start %s is after end %s", market.FormatDate(a.Start), market.FormatDate(a.End))
	}
	a.Code = code
	return q.load(ctx, KLineRequestKey(code, a.Period, a.Start, a.End, a.Adjust), func(ctx context.Context) ([]byte, error) {
		return q.resolvedKLine(ctx, a)
	})
}

// resolvedKLine resolves an open range against the code's newest bar and
// answers from the resolved entry.
func (q *Queries) resolvedKLine(ctx context.Context, a KLineArgs) ([]byte, error) {
	meta, err := q.klineMeta(ctx, a.Code)
	if err != nil {
		return nil, err
	}
	start, end, anchor := meta.resolve(a.Start, a.End)
	ans, err := q.load(ctx, KLineKey(a.Code, a.Period, start, end, a.Adjust, anchor), func(ctx context.Context) ([]byte, error) {
		bars, err := q.store.Bars(ctx, a.Code, start, end)
		if err != nil {
			return nil, fmt.Errorf("bars of %s: %w", a.Code, err)
		}
		candles := market.Adjust(bars, a.Adjust, meta.AnchorFactor)
		if a.Period != PeriodDay {
			candles = Aggregate(bars, candles, a.Period)
		}
		return Encode(klineAnswer{
			TSCode: a.Code, Name: meta.Name, Kind: meta.Kind, Period: a.Period, Adjust: a.Adjust,
			AnchorDate: meta.AnchorDate, Start: market.FormatDate(start), End: market.FormatDate(end),
			Synthetic: meta.Synthetic, Data: candles,
		})
	})
	return ans.Body, err
}

// resolve turns a requested range into an explicit one against the code's
// newest bar — a zero end is that bar, a zero start DefaultSpan before the
// end — and names the qfq anchor for the key ("none" without factors).
func (m klineMeta) resolve(start, end time.Time) (time.Time, time.Time, string) {
	if end.IsZero() && m.LatestDate != "" {
		end, _ = market.ParseDate(m.LatestDate)
	}
	if start.IsZero() && !end.IsZero() {
		start = end.Add(-DefaultSpan)
	}
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		// Only an explicit start beyond the code's last bar gets here.
		end = start
	}
	anchor := m.AnchorDate
	if anchor == "" {
		anchor = "none"
	}
	return start, end, anchor
}

// klineMeta resolves the name, the newest bar and the qfq anchor of a code
// through the cache.
func (q *Queries) klineMeta(ctx context.Context, code string) (klineMeta, error) {
	ans, err := q.load(ctx, KLineMetaKey(code), func(ctx context.Context) ([]byte, error) {
		return encoded(q.loadKLineMeta(ctx, code))
	})
	if err != nil {
		return klineMeta{}, err
	}
	var m klineMeta
	if err := json.Unmarshal(ans.Body, &m); err != nil {
		// Not ours (an entry of another version, a hand-made key): ask the
		// store rather than fail until it expires.
		return q.loadKLineMeta(ctx, code)
	}
	return m, nil
}

// The factor is asked for beside the basic answer, not after it: on
// ClickHouse each is a round trip of a few milliseconds.
func (q *Queries) loadKLineMeta(ctx context.Context, code string) (klineMeta, error) {
	var (
		d      time.Time
		f      float64
		factor = make(chan error, 1)
	)
	go func() {
		var err error
		d, f, err = q.store.LatestAdjFactor(ctx, code)
		factor <- err
	}()
	b, err := q.basic(ctx, code)
	ferr := <-factor
	if err != nil {
		return klineMeta{}, err
	}
	m := klineMeta{Name: b.Name, Kind: b.Kind, Synthetic: b.Synthetic, LatestDate: b.TradeDate, ListDate: b.ListDate}
	switch {
	case ferr == nil:
		m.AnchorDate, m.AnchorFactor = market.FormatDate(d), f
	case !errors.Is(ferr, market.ErrNoData):
		return klineMeta{}, fmt.Errorf("latest adj factor of %s: %w", code, ferr)
	}
	return m, nil
}

// Aggregate folds daily candles (already adjusted, oldest first, candles[i]
// made from bars[i]) into one candle per ISO week or calendar month. Each
// is dated by its last trading day: open is the first day's open, close the
// last day's close, high and low the extremes, vol and amount the sums;
// pre_close is the previous period's close (the first period's own first
// pre_close), and pct_chg follows from those two.
func Aggregate(bars []market.AdjBar, candles []market.Candle, period string) []market.Candle {
	var out []market.Candle
	prevKey := -1
	for i, c := range candles {
		key := periodKey(bars[i].TradeDate, period)
		if key != prevKey {
			pre := c.PreClose
			if n := len(out); n > 0 {
				pre = out[n-1].Close
			}
			out = append(out, market.Candle{Open: c.Open, High: c.High, Low: c.Low, PreClose: pre})
			prevKey = key
		}
		p := &out[len(out)-1]
		p.Date, p.Close = c.Date, c.Close
		p.High, p.Low = max(p.High, c.High), min(p.Low, c.Low)
		p.Vol += c.Vol
		p.Amount += c.Amount
	}
	for i := range out {
		p := &out[i]
		p.Vol, p.Amount = round4(p.Vol), round4(p.Amount)
		if p.PreClose != 0 {
			p.PctChg = round4((p.Close - p.PreClose) / p.PreClose * 100)
		}
	}
	return out
}

// periodKey numbers the period a day falls in: ISO year and week, or year
// and month.
func periodKey(d time.Time, period string) int {
	if period == PeriodWeek {
		y, w := d.ISOWeek()
		return y*100 + w
	}
	return d.Year()*100 + int(d.Month())
}

// round4 drops the float noise of sums at 1/10000, the precision of the
// adjusted prices.
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
