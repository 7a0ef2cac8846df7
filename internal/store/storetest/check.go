package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

func pf(p *float64) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprint(*p)
}

func dates(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = market.FormatDate(t)
	}
	return out
}

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }

// checkRanking compares a ranked answer row by row: first the order of the
// codes, then each row with same; show renders a row in the failure.
func checkRanking[T any](t *testing.T, label string, got, want []T, code func(T) string, same func(g, w T) bool, show func(T) string) {
	t.Helper()
	codes := func(rows []T) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = code(r)
		}
		return out
	}
	if !slices.Equal(codes(got), codes(want)) {
		t.Errorf("%s: order\n got %v\nwant %v", label, codes(got), codes(want))
		return
	}
	for i := range want {
		if !same(got[i], want[i]) {
			t.Errorf("%s: row %d\n got %s\nwant %s", label, i, show(got[i]), show(want[i]))
		}
	}
}

func checkHotStocks(t *testing.T, label string, got, want []market.HotStock) {
	t.Helper()
	checkRanking(t, label, got, want, func(h market.HotStock) string { return h.TSCode },
		func(g, w market.HotStock) bool {
			return g.Name == w.Name && g.Industry == w.Industry && g.Synthetic == w.Synthetic &&
				near(g.Close, w.Close) && near(g.PctChg, w.PctChg) && near(g.Amount, w.Amount) && near(g.Vol, w.Vol) &&
				nearPtr(g.TurnoverRate, w.TurnoverRate) && nearPtr(g.CircMV, w.CircMV)
		},
		func(h market.HotStock) string {
			return fmt.Sprintf("%+v turnover=%s circ_mv=%s", h, pf(h.TurnoverRate), pf(h.CircMV))
		})
}

func checkHotETFs(t *testing.T, label string, got, want []market.HotETF) {
	t.Helper()
	checkRanking(t, label, got, want, func(h market.HotETF) string { return h.TSCode },
		func(g, w market.HotETF) bool {
			return g.Name == w.Name && g.Synthetic == w.Synthetic &&
				near(g.Close, w.Close) && near(g.PctChg, w.PctChg) && near(g.Amount, w.Amount) && near(g.Vol, w.Vol)
		},
		func(h market.HotETF) string { return fmt.Sprintf("%+v", h) })
}

func sameBar(g, w market.DailyBar) bool {
	return g.TSCode == w.TSCode && sameDay(g.TradeDate, w.TradeDate) &&
		near(g.Open, w.Open) && near(g.High, w.High) && near(g.Low, w.Low) && near(g.Close, w.Close) &&
		near(g.PreClose, w.PreClose) && near(g.Change, w.Change) && near(g.PctChg, w.PctChg) &&
		near(g.Vol, w.Vol) && near(g.Amount, w.Amount)
}

func sameBasic(g, w market.DailyBasic) bool {
	return g.TSCode == w.TSCode && sameDay(g.TradeDate, w.TradeDate) &&
		nearPtr(g.Close, w.Close) && nearPtr(g.TurnoverRate, w.TurnoverRate) && nearPtr(g.VolumeRatio, w.VolumeRatio) &&
		nearPtr(g.PE, w.PE) && nearPtr(g.PETTM, w.PETTM) && nearPtr(g.PB, w.PB) && nearPtr(g.PS, w.PS) &&
		nearPtr(g.DvRatio, w.DvRatio) && nearPtr(g.TotalShare, w.TotalShare) && nearPtr(g.FloatShare, w.FloatShare) &&
		nearPtr(g.TotalMV, w.TotalMV) && nearPtr(g.CircMV, w.CircMV)
}

func basicString(b market.DailyBasic) string {
	return fmt.Sprintf("{%s %s close=%s turnover=%s vr=%s pe=%s pe_ttm=%s pb=%s ps=%s dv=%s total_share=%s float_share=%s total_mv=%s circ_mv=%s}",
		b.TSCode, market.FormatDate(b.TradeDate), pf(b.Close), pf(b.TurnoverRate), pf(b.VolumeRatio), pf(b.PE), pf(b.PETTM),
		pf(b.PB), pf(b.PS), pf(b.DvRatio), pf(b.TotalShare), pf(b.FloatShare), pf(b.TotalMV), pf(b.CircMV))
}

func checkBars(t *testing.T, label string, got, want []market.AdjBar) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d bars, want %d\n got %+v\nwant %+v", label, len(got), len(want), got, want)
		return
	}
	for i := range want {
		if !sameBar(got[i].DailyBar, want[i].DailyBar) || !near(got[i].AdjFactor, want[i].AdjFactor) {
			t.Errorf("%s: bar %d\n got %+v\nwant %+v", label, i, got[i], want[i])
		}
	}
}

func checkDayBars(t *testing.T, label string, got, want []market.StatBar) {
	t.Helper()
	checkRanking(t, label, got, want, func(b market.StatBar) string { return b.TSCode }, sameStatBar, statBarString)
}

func checkStock(t *testing.T, label string, got, want market.Stock) {
	t.Helper()
	if got.TSCode != want.TSCode || got.Symbol != want.Symbol || got.Name != want.Name || got.Area != want.Area ||
		got.Industry != want.Industry || got.Market != want.Market || got.Exchange != want.Exchange ||
		!sameDay(got.ListDate, want.ListDate) || !sameDay(got.DelistDate, want.DelistDate) ||
		got.ListStatus != want.ListStatus || got.Synthetic != want.Synthetic {
		t.Errorf("%s:\n got %+v\nwant %+v", label, got, want)
	}
}

func checkETF(t *testing.T, label string, got, want market.ETF) {
	t.Helper()
	if got.TSCode != want.TSCode || got.Name != want.Name || got.IndexCode != want.IndexCode ||
		got.IndexName != want.IndexName || got.Exchange != want.Exchange || got.MgrName != want.MgrName ||
		!sameDay(got.ListDate, want.ListDate) || got.ListStatus != want.ListStatus || got.Synthetic != want.Synthetic {
		t.Errorf("%s:\n got %+v\nwant %+v", label, got, want)
	}
}

func checkCounts(t *testing.T, label string, got, want map[string]int64) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: Counts has no key %q (got %v)", label, k, got)
			continue
		}
		if g != w {
			t.Errorf("%s: Counts[%q] = %d, want %d", label, k, g, w)
		}
	}
}
