package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Expectations and checks of the day-level reads (DayStocks, WindowBars,
// NameChanges, DailyTotals, IndexQuotes), computed naively from the rows a
// test wrote.

// nameOn is the namechange name of code in effect on date: the row with the
// newest start on or before it, ties to the newest announcement (a missing
// one is oldest), then the greatest name; "" without such a row.
func (fx fixture) nameOn(code string, date time.Time) string {
	var best *market.NameChange
	for i := range fx.names {
		n := &fx.names[i]
		if n.TSCode != code || n.StartDate.After(date) {
			continue
		}
		if best == nil || n.StartDate.After(best.StartDate) ||
			(n.StartDate.Equal(best.StartDate) && (n.AnnDate.After(best.AnnDate) ||
				(n.AnnDate.Equal(best.AnnDate) && n.Name > best.Name))) {
			best = n
		}
	}
	if best == nil {
		return ""
	}
	return best.Name
}

// limitOn is the stk_limit row of code on date, last write winning; a row
// with both prices NULL reads as no row.
func (fx fixture) limitOn(code string, date time.Time) (up, down *float64) {
	for _, l := range fx.limits {
		if l.TSCode == code && sameDay(l.TradeDate, date) {
			up, down = l.UpLimit, l.DownLimit
		}
	}
	return up, down
}

func expectDayStocks(fx fixture, date time.Time) []market.DayStock {
	stocks, basics := fx.stockIndex(), fx.basicOn(date)
	var out []market.DayStock
	for _, b := range expectDayBars(fx, date) {
		d := market.DayStock{StatBar: b, Industry: stocks[b.TSCode].Industry}
		if v, ok := basics[b.TSCode]; ok {
			d.TurnoverRate, d.PE, d.PETTM, d.PB, d.PS = v.TurnoverRate, v.PE, v.PETTM, v.PB, v.PS
			d.DvRatio, d.TotalMV, d.CircMV = v.DvRatio, v.TotalMV, v.CircMV
		}
		out = append(out, d)
	}
	return out
}

func expectWindowBars(fx fixture, codes []string, from, to time.Time) []market.WindowBar {
	var out []market.WindowBar
	for _, b := range fx.daily {
		if !slices.Contains(codes, b.TSCode) || b.TradeDate.Before(from) || b.TradeDate.After(to) {
			continue
		}
		up, down := fx.limitOn(b.TSCode, b.TradeDate)
		out = append(out, market.WindowBar{TSCode: b.TSCode, TradeDate: b.TradeDate, High: b.High, Close: b.Close,
			PreClose: b.PreClose, UpLimit: up, DownLimit: down})
	}
	slices.SortFunc(out, func(a, b market.WindowBar) int {
		if c := cmp.Compare(a.TSCode, b.TSCode); c != 0 {
			return c
		}
		return a.TradeDate.Compare(b.TradeDate)
	})
	return out
}

func expectNameChanges(fx fixture, codes []string) []market.NameChange {
	var out []market.NameChange
	for _, n := range fx.names {
		if len(codes) == 0 || slices.Contains(codes, n.TSCode) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b market.NameChange) int {
		return cmp.Or(cmp.Compare(a.TSCode, b.TSCode), a.StartDate.Compare(b.StartDate),
			a.AnnDate.Compare(b.AnnDate), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func expectDailyTotals(fx fixture, date time.Time, n int) []market.DayTotal {
	by := map[string]*market.DayTotal{}
	for _, b := range fx.daily {
		if b.TradeDate.After(date) {
			continue
		}
		k := market.FormatDate(b.TradeDate)
		if by[k] == nil {
			by[k] = &market.DayTotal{TradeDate: b.TradeDate}
		}
		by[k].Amount += b.Amount
		by[k].Vol += b.Vol
		by[k].Stocks++
	}
	var out []market.DayTotal
	for _, t := range by {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b market.DayTotal) int { return b.TradeDate.Compare(a.TradeDate) })
	return out[:min(n, len(out))]
}

func expectIndexQuotes(fx fixture, date time.Time) []market.IndexQuote {
	names := map[string]market.Index{}
	for _, x := range fx.indices {
		names[x.TSCode] = x
	}
	var out []market.IndexQuote
	for _, b := range barsOn(fx.indexDaily, date) {
		x := names[b.TSCode]
		out = append(out, market.IndexQuote{TSCode: b.TSCode, Name: x.Name, TradeDate: market.FormatDate(b.TradeDate),
			Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, PreClose: b.PreClose, Change: b.Change,
			PctChg: b.PctChg, Vol: b.Vol, Amount: b.Amount, Synthetic: x.Synthetic})
	}
	slices.SortFunc(out, func(a, b market.IndexQuote) int { return cmp.Compare(a.TSCode, b.TSCode) })
	return out
}

func sameStatBar(g, w market.StatBar) bool {
	return g.TSCode == w.TSCode && g.Name == w.Name && g.DayName == w.DayName && sameDay(g.ListDate, w.ListDate) &&
		g.Synthetic == w.Synthetic && near(g.Open, w.Open) && near(g.High, w.High) && near(g.Low, w.Low) &&
		near(g.Close, w.Close) && near(g.PreClose, w.PreClose) && near(g.PctChg, w.PctChg) &&
		near(g.Vol, w.Vol) && near(g.Amount, w.Amount) && nearPtr(g.UpLimit, w.UpLimit) && nearPtr(g.DownLimit, w.DownLimit)
}

func statBarString(b market.StatBar) string {
	return fmt.Sprintf("{%s %q day_name=%q list=%s o/h/l/c=%v/%v/%v/%v pre=%v pct=%v vol=%v amount=%v synthetic=%v up=%s down=%s}",
		b.TSCode, b.Name, b.DayName, market.FormatDate(b.ListDate), b.Open, b.High, b.Low, b.Close, b.PreClose,
		b.PctChg, b.Vol, b.Amount, b.Synthetic, pf(b.UpLimit), pf(b.DownLimit))
}

func dayStockString(d market.DayStock) string {
	return fmt.Sprintf("%s industry=%q turnover=%s pe=%s pe_ttm=%s pb=%s ps=%s dv=%s total_mv=%s circ_mv=%s",
		statBarString(d.StatBar), d.Industry, pf(d.TurnoverRate), pf(d.PE), pf(d.PETTM), pf(d.PB), pf(d.PS),
		pf(d.DvRatio), pf(d.TotalMV), pf(d.CircMV))
}

func checkDayStocks(t *testing.T, label string, got, want []market.DayStock) {
	t.Helper()
	checkRanking(t, label, got, want, func(d market.DayStock) string { return d.TSCode },
		func(g, w market.DayStock) bool {
			return sameStatBar(g.StatBar, w.StatBar) && g.Industry == w.Industry &&
				nearPtr(g.TurnoverRate, w.TurnoverRate) && nearPtr(g.PE, w.PE) && nearPtr(g.PETTM, w.PETTM) &&
				nearPtr(g.PB, w.PB) && nearPtr(g.PS, w.PS) && nearPtr(g.DvRatio, w.DvRatio) &&
				nearPtr(g.TotalMV, w.TotalMV) && nearPtr(g.CircMV, w.CircMV)
		}, dayStockString)
}

func checkWindowBars(t *testing.T, label string, got, want []market.WindowBar) {
	t.Helper()
	checkRanking(t, label, got, want, func(b market.WindowBar) string { return b.TSCode + " " + market.FormatDate(b.TradeDate) },
		func(g, w market.WindowBar) bool {
			return near(g.High, w.High) && near(g.Close, w.Close) && near(g.PreClose, w.PreClose) &&
				nearPtr(g.UpLimit, w.UpLimit) && nearPtr(g.DownLimit, w.DownLimit)
		},
		func(b market.WindowBar) string {
			return fmt.Sprintf("%s %s h=%v c=%v pre=%v up=%s down=%s", b.TSCode, market.FormatDate(b.TradeDate),
				b.High, b.Close, b.PreClose, pf(b.UpLimit), pf(b.DownLimit))
		})
}

func nameString(n market.NameChange) string {
	return fmt.Sprintf("%s %q %s..%s ann=%s %q", n.TSCode, n.Name, market.FormatDate(n.StartDate),
		market.FormatDate(n.EndDate), market.FormatDate(n.AnnDate), n.ChangeReason)
}

func checkNameChanges(t *testing.T, label string, got, want []market.NameChange) {
	t.Helper()
	var g, w []string
	for _, n := range got {
		g = append(g, nameString(n))
	}
	for _, n := range want {
		w = append(w, nameString(n))
	}
	if !slices.Equal(g, w) {
		t.Errorf("%s:\n got %q\nwant %q", label, g, w)
	}
}

func checkDailyTotals(t *testing.T, label string, got, want []market.DayTotal) {
	t.Helper()
	checkRanking(t, label, got, want, func(d market.DayTotal) string { return market.FormatDate(d.TradeDate) },
		func(g, w market.DayTotal) bool {
			return g.Stocks == w.Stocks && near(g.Amount, w.Amount) && near(g.Vol, w.Vol)
		},
		func(d market.DayTotal) string { return fmt.Sprintf("%+v", d) })
}

func checkIndexQuotes(t *testing.T, label string, got, want []market.IndexQuote) {
	t.Helper()
	checkRanking(t, label, got, want, func(q market.IndexQuote) string { return q.TSCode },
		func(g, w market.IndexQuote) bool {
			return g.Name == w.Name && g.TradeDate == w.TradeDate && g.Synthetic == w.Synthetic &&
				near(g.Open, w.Open) && near(g.High, w.High) && near(g.Low, w.Low) && near(g.Close, w.Close) &&
				near(g.PreClose, w.PreClose) && near(g.Change, w.Change) && near(g.PctChg, w.PctChg) &&
				near(g.Vol, w.Vol) && near(g.Amount, w.Amount)
		},
		func(q market.IndexQuote) string { return fmt.Sprintf("%+v", q) })
}
