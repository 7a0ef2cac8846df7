package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// testDayReads checks the reads behind the limit rule, the sectors, the
// screener, the ladder and the index strip on the hand-made fixture.
func testDayReads(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	fx := newFixture()
	load(t, st, fx)

	t.Run("DayStocks", func(t *testing.T) {
		for _, d := range []time.Time{d0, d1, d2, d3, day("2025-12-19")} {
			got, err := st.DayStocks(ctx, d)
			must(t, err, "DayStocks")
			checkDayStocks(t, "DayStocks("+market.FormatDate(d)+")", got, expectDayStocks(fx, d))
		}
		// Hand-checked: the name history and the exchange's prices of d3.
		got, err := st.DayStocks(ctx, d3)
		must(t, err, "DayStocks")
		want := map[string]struct {
			dayName  string
			up, down string
			st       bool
		}{
			"600500.SH": {"ST中化", "NULL", "NULL", true}, // plain today, ST by history
			"600519.SH": {"贵州茅台", "1661", "1359", false},
			"300750.SZ": {"宁德时代A", "275", "225", false},
			"000001.SZ": {"平安银行", "NULL", "NULL", false}, // its limit row is of d2
			"688981.SH": {"", "NULL", "NULL", false},
			"002594.SZ": {"", "NULL", "270", false},
		}
		for _, r := range got {
			w, ok := want[r.TSCode]
			if !ok {
				continue
			}
			if r.DayName != w.dayName || pf(r.UpLimit) != w.up || pf(r.DownLimit) != w.down || r.ST() != w.st {
				t.Errorf("%s on d3: day name %q, limits %s/%s, ST %v; want %q, %s/%s, %v", r.TSCode, r.DayName,
					pf(r.UpLimit), pf(r.DownLimit), r.ST(), w.dayName, w.up, w.down, w.st)
			}
		}
		// The breadth of d3 follows the exchange (300750 at 275 is a
		// limit-up the ±20% rule would not see) and the history (600500 is
		// ST, so +2.5% is no limit-up either way).
		bars, err := st.DayBars(ctx, d3)
		must(t, err, "DayBars")
		days, err := st.OpenDays(ctx, d3, market.NewListingDays)
		must(t, err, "OpenDays")
		if s := market.ComputeStats(d3, bars, days); s.LimitUpCount != 1 || s.LimitDownCount != 0 {
			t.Errorf("stats of d3: %d limit-up, %d limit-down; want 1 (300750 by stk_limit) and 0", s.LimitUpCount, s.LimitDownCount)
		}
	})

	t.Run("WindowBars", func(t *testing.T) {
		for _, tc := range []struct {
			codes    []string
			from, to time.Time
		}{
			{[]string{"600519.SH", "000001.SZ"}, d1, d3},
			{[]string{"300750.SZ"}, d3, d3},
			{[]string{"600519.SH", "002594.SZ", "300750.SZ", "688981.SH"}, d2, d3},
			{[]string{"600519.SH"}, d3, d1},              // inverted: nothing
			{[]string{"510300.SH", "999999.SH"}, d0, d3}, // a fund and an unknown code: stock bars only
			{nil, d0, d3},
		} {
			got, err := st.WindowBars(ctx, tc.codes, tc.from, tc.to)
			label := fmt.Sprintf("WindowBars(%v, %s, %s)", tc.codes, market.FormatDate(tc.from), market.FormatDate(tc.to))
			if err != nil {
				t.Errorf("%s: %v", label, err)
				continue
			}
			checkWindowBars(t, label, got, expectWindowBars(fx, tc.codes, tc.from, tc.to))
		}
		got, err := st.WindowBars(ctx, []string{"000001.SZ"}, d1, d3)
		if err != nil || len(got) != 2 || pf(got[0].UpLimit) != "12.43" || got[1].UpLimit != nil {
			t.Errorf("WindowBars(000001.SZ) = %+v, %v; want d2 with the 12.43 limit, then d3 without", got, err)
		}
	})

	t.Run("NameChanges", func(t *testing.T) {
		for _, codes := range [][]string{nil, {"600519.SH"}, {"600519.SH", "688981.SH", "600500.SH"}, {"999999.SH"}} {
			got, err := st.NameChanges(ctx, codes)
			must(t, err, "NameChanges")
			checkNameChanges(t, fmt.Sprintf("NameChanges(%v)", codes), got, expectNameChanges(fx, codes))
		}
	})

	t.Run("DailyTotals", func(t *testing.T) {
		for _, tc := range []struct {
			date time.Time
			n    int
		}{{d3, 1}, {d3, 2}, {d3, 21}, {d2, 21}, {day("2030-01-01"), 5}, {d0, 5}} {
			got, err := st.DailyTotals(ctx, tc.date, tc.n)
			must(t, err, "DailyTotals")
			checkDailyTotals(t, fmt.Sprintf("DailyTotals(%s, %d)", market.FormatDate(tc.date), tc.n), got, expectDailyTotals(fx, tc.date, tc.n))
		}
		// Hand-checked: d3 has six stock bars; d0 only a fund bar.
		got, err := st.DailyTotals(ctx, d3, 21)
		if err != nil || len(got) != 3 || got[0].Stocks != 6 || !near(got[0].Amount, 916000+3800000+61000+7500000+7500000+2700000) {
			t.Errorf("DailyTotals(d3, 21) = %+v, %v", got, err)
		}
		if tr := market.SummarizeTurnover(got); tr.Days != 2 || tr.Avg5 == nil || tr.Ratio5 == nil {
			t.Errorf("SummarizeTurnover = %+v", tr)
		}
	})

	t.Run("Indices", func(t *testing.T) {
		for _, d := range []time.Time{d1, d2, d3} {
			got, err := st.IndexQuotes(ctx, d)
			must(t, err, "IndexQuotes")
			checkIndexQuotes(t, "IndexQuotes("+market.FormatDate(d)+")", got, expectIndexQuotes(fx, d))
		}
		if d, err := st.LatestTradeDate(ctx, market.KindIndex); err != nil || !sameDay(d, d3) {
			t.Errorf("LatestTradeDate(index) = %s, %v; want %s", market.FormatDate(d), err, market.FormatDate(d3))
		}
		for _, x := range fx.indices {
			got, err := st.Index(ctx, x.TSCode)
			if err != nil {
				t.Errorf("Index(%s): %v", x.TSCode, err)
				continue
			}
			if got.TSCode != x.TSCode || got.Name != x.Name || got.Market != x.Market || got.Publisher != x.Publisher ||
				got.Category != x.Category || !sameDay(got.BaseDate, x.BaseDate) || !near(got.BasePoint, x.BasePoint) ||
				!sameDay(got.ListDate, x.ListDate) || got.Synthetic != x.Synthetic {
				t.Errorf("Index(%s) =\n %+v\nwant\n %+v", x.TSCode, got.Index, x)
			}
			if want := latestBar(fx.indexDaily, x.TSCode); got.Latest == nil || !sameBar(*got.Latest, *want) {
				t.Errorf("Index(%s).Latest = %+v, want %+v", x.TSCode, got.Latest, want)
			}
		}
		// 000300.SH has bars but no index_basic row; 000001.SZ is a stock.
		for _, code := range []string{"000300.SH", "000001.SZ", "510300.SH"} {
			if _, err := st.Index(ctx, code); !errors.Is(err, market.ErrNotFound) {
				t.Errorf("Index(%s): err = %v, want ErrNotFound", code, err)
			}
		}
		// Bars serve index codes; 000001.SH (the index) and 000001.SZ (the
		// stock) stay apart.
		for _, code := range []string{"000001.SH", "000001.SZ", "000300.SH"} {
			got, err := st.Bars(ctx, code, time.Time{}, time.Time{})
			must(t, err, "Bars")
			checkBars(t, "Bars("+code+")", got, expectBars(fx, code, time.Time{}, time.Time{}))
		}
		hits, err := st.Search(ctx, "000001", 10)
		must(t, err, "Search")
		var got []string
		for _, h := range hits {
			got = append(got, h.TSCode+":"+string(h.Kind))
		}
		if want := []string{"000001.SH:index", "000001.SZ:stock"}; !slices.Equal(got, want) {
			t.Errorf("Search(000001) = %v, want %v", got, want)
		}
		if hits, err := st.Search(ctx, "上证指数", 10); err != nil || len(hits) != 1 || hits[0].Kind != market.KindIndex || hits[0].TSCode != "000001.SH" {
			t.Errorf("Search(上证) = %+v, %v; want the index", hits, err)
		}
	})
}

// CheckOtherWriter checks, with two handles a and b on the same database
// (as two processes would hold), that b's day reads see what a writes to
// stock_basic and namechange after b has read them once: b keeps those
// tables in memory only while they stand still.
func CheckOtherWriter(t *testing.T, a, b market.Store) {
	ctx := context.Background()
	fx := newFixture()
	load(t, a, fx)
	name := func(code string) (today, onDay string) {
		t.Helper()
		bars, err := b.DayBars(ctx, d3)
		must(t, err, "DayBars")
		for _, s := range bars {
			if s.TSCode == code {
				return s.Name, s.DayName
			}
		}
		t.Fatalf("no bar of %s on d3", code)
		return "", ""
	}
	if today, onDay := name("688981.SH"); today != "中芯国际" || onDay != "" {
		t.Fatalf("before: %q, %q", today, onDay)
	}
	version := func(tables ...string) string {
		t.Helper()
		v, err := b.DataVersion(ctx, tables...)
		must(t, err, "DataVersion")
		return v
	}
	refsBefore, dailyBefore := version("stock_basic", "namechange"), version("daily", "index_daily")
	if again := version("stock_basic", "namechange"); again != refsBefore {
		t.Errorf("DataVersion changed without a write: %q, then %q", refsBefore, again)
	}
	must(t, a.PutStocks(ctx, []market.Stock{{TSCode: "688981.SH", Name: "中芯国际改", ListDate: day("2020-07-16")}}), "PutStocks")
	must(t, a.PutNameChanges(ctx, []market.NameChange{{TSCode: "688981.SH", Name: "*ST中芯", StartDate: d1}}), "PutNameChanges")
	if today, onDay := name("688981.SH"); today != "中芯国际改" || onDay != "*ST中芯" {
		t.Errorf("after another handle's writes: %q, %q; want 中芯国际改, *ST中芯", today, onDay)
	}
	// The other handle's writes to stock_basic and namechange change
	// their version, not that of tables it did not write.
	if v := version("stock_basic", "namechange"); v == refsBefore {
		t.Errorf("DataVersion(stock_basic, namechange) = %q before and after another handle's writes", v)
	}
	if v := version("daily", "index_daily"); v != dailyBefore {
		t.Errorf("DataVersion(daily, index_daily) = %q, was %q: no write touched them", v, dailyBefore)
	}
	refs := version("stock_basic", "namechange")
	must(t, a.PutNameChanges(ctx, []market.NameChange{{TSCode: "688981.SH", Name: "*ST中芯", StartDate: d1}}), "PutNameChanges")
	if v := version("stock_basic", "namechange"); v == refs {
		t.Errorf("DataVersion = %q after re-writing the same namechange row: a write is a write", v)
	}
}
