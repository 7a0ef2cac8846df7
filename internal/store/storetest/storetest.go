// Package storetest is the conformance suite every market.Store must pass.
// A store's own test calls Run with a function that opens a fresh, migrated,
// empty store (and registers its Close with t.Cleanup); the suite then checks
// only what the doc comments of market.Store promise.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Run checks a Store implementation against the contract of market.Store.
func Run(t *testing.T, open func(t *testing.T) market.Store) {
	t.Run("Basics", func(t *testing.T) { testBasics(t, open) })
	t.Run("Empty", func(t *testing.T) { testEmpty(t, open) })
	t.Run("Reads", func(t *testing.T) { testReads(t, open) })
	t.Run("UpsertTwice", func(t *testing.T) { testUpsertTwice(t, open) })
	t.Run("LatestWriteWins", func(t *testing.T) { testLatestWriteWins(t, open) })
	t.Run("BadRows", func(t *testing.T) { testBadRows(t, open) })
	t.Run("OpenDaysFallback", func(t *testing.T) { testOpenDaysFallback(t, open) })
	t.Run("Workflows", func(t *testing.T) { testWorkflows(t, open) })
	t.Run("Runs", func(t *testing.T) { testRuns(t, open) })
	t.Run("SyncLog", func(t *testing.T) { testSyncLog(t, open) })
	t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentPuts(t, open) })
	t.Run("DayReads", func(t *testing.T) { testDayReads(t, open) })
	t.Run("Ladder", func(t *testing.T) { testLadder(t, open) })
	t.Run("Snapshot", func(t *testing.T) { testSnapshot(t, open) })
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// load writes every table of the fixture, one Put per table.
func load(t *testing.T, st market.Store, fx fixture) {
	t.Helper()
	ctx := context.Background()
	must(t, st.PutStocks(ctx, fx.stocks), "PutStocks")
	must(t, st.PutDaily(ctx, fx.daily), "PutDaily")
	must(t, st.PutDailyBasic(ctx, fx.basic), "PutDailyBasic")
	must(t, st.PutAdjFactors(ctx, fx.adj), "PutAdjFactors")
	must(t, st.PutETFs(ctx, fx.etfs), "PutETFs")
	must(t, st.PutETFDaily(ctx, fx.etfDaily), "PutETFDaily")
	must(t, st.PutTradeCal(ctx, fx.cal), "PutTradeCal")
	must(t, st.PutNameChanges(ctx, fx.names), "PutNameChanges")
	must(t, st.PutStkLimits(ctx, fx.limits), "PutStkLimits")
	must(t, st.PutIndices(ctx, fx.indices), "PutIndices")
	must(t, st.PutIndexDaily(ctx, fx.indexDaily), "PutIndexDaily")
}

func testBasics(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	if k := st.Kind(); k != "sqlite" && k != "clickhouse" {
		t.Errorf("Kind() = %q, want sqlite or clickhouse", k)
	}
	must(t, st.Ping(ctx), "Ping")
	load(t, st, newFixture())
	// Migrate is idempotent: a second run neither fails nor loses data.
	must(t, st.Migrate(ctx), "second Migrate")
	must(t, st.Migrate(ctx), "third Migrate")
	counts, err := st.Counts(ctx)
	must(t, err, "Counts")
	checkCounts(t, "after re-Migrate", counts, expectCounts(newFixture()))
}

func testEmpty(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)

	// Empty writes are no-ops, not errors.
	must(t, st.PutStocks(ctx, nil), "PutStocks(nil)")
	must(t, st.PutDaily(ctx, []market.DailyBar{}), "PutDaily(empty)")
	must(t, st.PutDailyBasic(ctx, nil), "PutDailyBasic(nil)")
	must(t, st.PutAdjFactors(ctx, nil), "PutAdjFactors(nil)")
	must(t, st.PutETFs(ctx, nil), "PutETFs(nil)")
	must(t, st.PutETFDaily(ctx, nil), "PutETFDaily(nil)")
	must(t, st.PutTradeCal(ctx, nil), "PutTradeCal(nil)")
	must(t, st.PutNameChanges(ctx, nil), "PutNameChanges(nil)")
	must(t, st.PutStkLimits(ctx, []market.StkLimit{}), "PutStkLimits(empty)")
	must(t, st.PutIndices(ctx, nil), "PutIndices(nil)")
	must(t, st.PutIndexDaily(ctx, nil), "PutIndexDaily(nil)")

	if rows, err := st.DayStocks(ctx, d3); err != nil || len(rows) != 0 {
		t.Errorf("DayStocks on empty store = %d rows, %v; want none", len(rows), err)
	}
	if rows, err := st.WindowBars(ctx, []string{"600519.SH"}, d1, d3); err != nil || len(rows) != 0 {
		t.Errorf("WindowBars on empty store = %v, %v; want none", rows, err)
	}
	if rows, err := st.NameChanges(ctx, nil); err != nil || len(rows) != 0 {
		t.Errorf("NameChanges on empty store = %v, %v; want none", rows, err)
	}
	if rows, err := st.DailyTotals(ctx, d3, 20); err != nil || len(rows) != 0 {
		t.Errorf("DailyTotals on empty store = %v, %v; want none", rows, err)
	}
	if rows, err := st.IndexQuotes(ctx, d3); err != nil || len(rows) != 0 {
		t.Errorf("IndexQuotes on empty store = %v, %v; want none", rows, err)
	}
	if _, err := st.Index(ctx, "000001.SH"); !errors.Is(err, market.ErrNotFound) {
		t.Errorf("Index on empty store: err = %v, want ErrNotFound", err)
	}
	if _, err := market.BuildLadder(ctx, st, d3); !errors.Is(err, market.ErrNoData) {
		t.Errorf("BuildLadder on empty store: err = %v, want ErrNoData", err)
	}

	for _, k := range []market.Kind{market.KindStock, market.KindETF, market.KindIndex} {
		if _, err := st.LatestTradeDate(ctx, k); !errors.Is(err, market.ErrNoData) {
			t.Errorf("LatestTradeDate(%s) on empty store: err = %v, want ErrNoData", k, err)
		}
	}
	if ds, err := st.TradeDates(ctx, 10); err != nil || len(ds) != 0 {
		t.Errorf("TradeDates on empty store = %v, %v; want none", dates(ds), err)
	}
	if ds, err := st.OpenDays(ctx, d3, 10); err != nil || len(ds) != 0 {
		t.Errorf("OpenDays on empty store = %v, %v; want none", dates(ds), err)
	}
	if hs, err := st.HotStocks(ctx, d3, market.SortAmount, 20); err != nil || len(hs) != 0 {
		t.Errorf("HotStocks on empty store = %v, %v; want none", hs, err)
	}
	if hs, err := st.HotETFs(ctx, d3, market.SortAmount, 20); err != nil || len(hs) != 0 {
		t.Errorf("HotETFs on empty store = %v, %v; want none", hs, err)
	}
	if bs, err := st.DayBars(ctx, d3); err != nil || len(bs) != 0 {
		t.Errorf("DayBars on empty store = %v, %v; want none", bs, err)
	}
	if _, err := st.Stock(ctx, "600519.SH"); !errors.Is(err, market.ErrNotFound) {
		t.Errorf("Stock on empty store: err = %v, want ErrNotFound", err)
	}
	if _, err := st.ETF(ctx, "510300.SH"); !errors.Is(err, market.ErrNotFound) {
		t.Errorf("ETF on empty store: err = %v, want ErrNotFound", err)
	}
	if bs, err := st.Bars(ctx, "600519.SH", time.Time{}, time.Time{}); err != nil || len(bs) != 0 {
		t.Errorf("Bars on empty store = %v, %v; want none", bs, err)
	}
	if _, _, err := st.LatestAdjFactor(ctx, "600519.SH"); !errors.Is(err, market.ErrNoData) {
		t.Errorf("LatestAdjFactor on empty store: err = %v, want ErrNoData", err)
	}
	if hs, err := st.Search(ctx, "6005", 20); err != nil || len(hs) != 0 {
		t.Errorf("Search on empty store = %v, %v; want none", hs, err)
	}
	if ws, err := st.ListWorkflows(ctx); err != nil || len(ws) != 0 {
		t.Errorf("ListWorkflows on empty store = %v, %v; want none", ws, err)
	}
	if ds, err := st.SyncedDates(ctx, "daily"); err != nil || len(ds) != 0 {
		t.Errorf("SyncedDates on empty store = %v, %v; want none", dates(ds), err)
	}
	counts, err := st.Counts(ctx)
	must(t, err, "Counts")
	checkCounts(t, "empty store", counts, expectCounts(fixture{}))
}

// testReads loads the fixture once and checks every read against it.
func testReads(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	fx := newFixture()
	load(t, st, fx)

	t.Run("LatestTradeDate", func(t *testing.T) {
		for k, want := range map[market.Kind]time.Time{market.KindStock: d3, market.KindETF: d2} {
			got, err := st.LatestTradeDate(ctx, k)
			if err != nil || !sameDay(got, want) {
				t.Errorf("LatestTradeDate(%s) = %s, %v; want %s", k, market.FormatDate(got), err, market.FormatDate(want))
			}
		}
	})

	t.Run("TradeDates", func(t *testing.T) {
		// d0 has only an ETF bar: not a stock trade date.
		for _, tc := range []struct {
			limit int
			want  []string
		}{
			{10, dates([]time.Time{d3, d2, d1})},
			{2, dates([]time.Time{d3, d2})},
			{1, dates([]time.Time{d3})},
		} {
			got, err := st.TradeDates(ctx, tc.limit)
			if err != nil || !equalStrings(dates(got), tc.want) {
				t.Errorf("TradeDates(%d) = %v, %v; want %v", tc.limit, dates(got), err, tc.want)
			}
		}
	})

	t.Run("OpenDays", func(t *testing.T) {
		for _, tc := range []struct {
			date time.Time
			n    int
		}{
			{d3, 3}, {d3, 100}, {day("2025-12-14"), 5}, {day("2025-12-19"), 2}, {day("2025-12-01"), 5}, {day("2030-01-01"), 4},
		} {
			want := expectOpenDays(fx, tc.date, tc.n)
			got, err := st.OpenDays(ctx, tc.date, tc.n)
			if err != nil || !equalStrings(dates(got), want) {
				t.Errorf("OpenDays(%s, %d) = %v, %v; want %v", market.FormatDate(tc.date), tc.n, dates(got), err, want)
			}
		}
		// The hand-computed answer guards the reference itself: weekend
		// skipped, the later 12-19 excluded, SZSE duplicates listed once.
		got, err := st.OpenDays(ctx, d3, 100)
		want := []string{"2025-12-18", "2025-12-17", "2025-12-16", "2025-12-15", "2025-12-12"}
		if err != nil || !equalStrings(dates(got), want) {
			t.Errorf("OpenDays(2025-12-18, 100) = %v, %v; want %v", dates(got), err, want)
		}
	})

	t.Run("HotStocks", func(t *testing.T) {
		for _, sortBy := range []string{market.SortAmount, market.SortPctChg, market.SortTurnoverRate,
			market.Ascending(market.SortAmount), market.Ascending(market.SortPctChg), market.Ascending(market.SortTurnoverRate)} {
			for _, limit := range []int{1, 3, 20} {
				got, err := st.HotStocks(ctx, d3, sortBy, limit)
				must(t, err, "HotStocks")
				checkHotStocks(t, fmt.Sprintf("HotStocks(%s, %d)", sortBy, limit), got, expectHotStocks(fx, d3, sortBy, limit))
			}
		}
		// Hand-checked orders: ties by ts_code, NULL turnover last (and the
		// older 9.9 turnover of 600500 not used on d3).
		for sortBy, want := range map[string][]string{
			market.SortPctChg:       {"300750.SZ", "000001.SZ", "600500.SH", "600519.SH", "002594.SZ", "688981.SH"},
			market.SortAmount:       {"300750.SZ", "688981.SH", "600519.SH", "002594.SZ", "000001.SZ", "600500.SH"},
			market.SortTurnoverRate: {"300750.SZ", "002594.SZ", "000001.SZ", "600519.SH", "600500.SH", "688981.SH"},
			// Ascending: the smallest first; ties still by ts_code
			// (000001 and 600500 change alike), NULL turnover still last.
			market.Ascending(market.SortPctChg):       {"688981.SH", "002594.SZ", "600519.SH", "000001.SZ", "600500.SH", "300750.SZ"},
			market.Ascending(market.SortTurnoverRate): {"600519.SH", "000001.SZ", "002594.SZ", "300750.SZ", "600500.SH", "688981.SH"},
		} {
			got, err := st.HotStocks(ctx, d3, sortBy, 50)
			must(t, err, "HotStocks")
			var codes []string
			for _, h := range got {
				codes = append(codes, h.TSCode)
			}
			if !equalStrings(codes, want) {
				t.Errorf("HotStocks(%s) order = %v, want %v", sortBy, codes, want)
			}
		}
		// An older date ranks that day's bars only.
		got, err := st.HotStocks(ctx, d2, market.SortTurnoverRate, 20)
		must(t, err, "HotStocks d2")
		checkHotStocks(t, "HotStocks(d2)", got, expectHotStocks(fx, d2, market.SortTurnoverRate, 20))
		// A day without bars is an empty answer, not an error.
		for _, d := range []time.Time{d0, day("2025-12-19")} {
			got, err := st.HotStocks(ctx, d, market.SortAmount, 20)
			if err != nil || len(got) != 0 {
				t.Errorf("HotStocks(%s) = %v, %v; want empty", market.FormatDate(d), got, err)
			}
		}
		for _, bad := range []string{"", "close", "amount; DROP TABLE daily", "AMOUNT", "amount:desc", "close:asc"} {
			if _, err := st.HotStocks(ctx, d3, bad, 20); err == nil {
				t.Errorf("HotStocks(sortBy=%q): want an error", bad)
			}
		}
	})

	t.Run("HotETFs", func(t *testing.T) {
		for _, sortBy := range []string{market.SortAmount, market.SortPctChg, market.Ascending(market.SortAmount), market.Ascending(market.SortPctChg)} {
			for _, limit := range []int{1, 2, 20} {
				got, err := st.HotETFs(ctx, d2, sortBy, limit)
				must(t, err, "HotETFs")
				checkHotETFs(t, fmt.Sprintf("HotETFs(%s, %d)", sortBy, limit), got, expectHotETFs(fx, d2, sortBy, limit))
			}
		}
		got, err := st.HotETFs(ctx, d2, market.SortAmount, 20)
		must(t, err, "HotETFs")
		var codes []string
		for _, h := range got {
			codes = append(codes, h.TSCode)
		}
		if want := []string{"510300.SH", "159915.SZ", "510050.SH", "588000.SH"}; !equalStrings(codes, want) {
			t.Errorf("HotETFs(amount) order = %v, want %v", codes, want)
		}
		// d3 has stock bars only.
		if got, err := st.HotETFs(ctx, d3, market.SortAmount, 20); err != nil || len(got) != 0 {
			t.Errorf("HotETFs(d3) = %v, %v; want empty", got, err)
		}
		for _, bad := range []string{"", market.SortTurnoverRate, "vol", market.Ascending(market.SortTurnoverRate)} {
			if _, err := st.HotETFs(ctx, d2, bad, 20); err == nil {
				t.Errorf("HotETFs(sortBy=%q): want an error", bad)
			}
		}
	})

	t.Run("DayBars", func(t *testing.T) {
		for _, d := range []time.Time{d0, d1, d2, d3} {
			got, err := st.DayBars(ctx, d)
			must(t, err, "DayBars")
			checkDayBars(t, "DayBars("+market.FormatDate(d)+")", got, expectDayBars(fx, d))
		}
	})

	t.Run("Stock", func(t *testing.T) {
		for _, s := range fx.stocks {
			got, err := st.Stock(ctx, s.TSCode)
			if err != nil {
				t.Errorf("Stock(%s): %v", s.TSCode, err)
				continue
			}
			checkStock(t, "Stock("+s.TSCode+")", got.Stock, s)
			wantBar, wantBasic := latestBar(fx.daily, s.TSCode), latestBasic(fx.basic, s.TSCode)
			switch {
			case (got.Latest == nil) != (wantBar == nil):
				t.Errorf("Stock(%s).Latest = %v, want %v", s.TSCode, got.Latest, wantBar)
			case wantBar != nil && !sameBar(*got.Latest, *wantBar):
				t.Errorf("Stock(%s).Latest =\n %+v, want\n %+v", s.TSCode, *got.Latest, *wantBar)
			}
			switch {
			case (got.LatestBasic == nil) != (wantBasic == nil):
				t.Errorf("Stock(%s).LatestBasic = %v, want %v", s.TSCode, got.LatestBasic, wantBasic)
			case wantBasic != nil && !sameBasic(*got.LatestBasic, *wantBasic):
				t.Errorf("Stock(%s).LatestBasic =\n %s, want\n %s", s.TSCode, basicString(*got.LatestBasic), basicString(*wantBasic))
			}
		}
		// Bars alone do not make a stock known; funds are not stocks.
		for _, code := range []string{"999999.SH", "002594.SZ", "510300.SH", ""} {
			if _, err := st.Stock(ctx, code); !errors.Is(err, market.ErrNotFound) {
				t.Errorf("Stock(%q): err = %v, want ErrNotFound", code, err)
			}
		}
	})

	t.Run("ETF", func(t *testing.T) {
		for _, e := range fx.etfs {
			got, err := st.ETF(ctx, e.TSCode)
			if err != nil {
				t.Errorf("ETF(%s): %v", e.TSCode, err)
				continue
			}
			checkETF(t, "ETF("+e.TSCode+")", got.ETF, e)
			want := latestBar(fx.etfDaily, e.TSCode)
			switch {
			case (got.Latest == nil) != (want == nil):
				t.Errorf("ETF(%s).Latest = %v, want %v", e.TSCode, got.Latest, want)
			case want != nil && !sameBar(*got.Latest, *want):
				t.Errorf("ETF(%s).Latest =\n %+v, want\n %+v", e.TSCode, *got.Latest, *want)
			}
		}
		for _, code := range []string{"588000.SH", "600519.SH", "159999.SZ"} {
			if _, err := st.ETF(ctx, code); !errors.Is(err, market.ErrNotFound) {
				t.Errorf("ETF(%q): err = %v, want ErrNotFound", code, err)
			}
		}
	})

	t.Run("Bars", func(t *testing.T) {
		var zero time.Time
		for _, tc := range []struct {
			code       string
			start, end time.Time
		}{
			{"600519.SH", zero, zero},
			{"600519.SH", d2, zero},
			{"600519.SH", zero, d2},
			{"600519.SH", d2, d2},
			{"600519.SH", d1, d3},
			{"600519.SH", day("2025-12-19"), zero},
			{"600519.SH", d3, d1}, // inverted range: nothing
			{"000001.SZ", zero, zero},
			{"002594.SZ", zero, zero},
			{"510300.SH", zero, zero}, // a fund: etf_daily with its factor
			{"510300.SH", d1, d2},
			{"999999.SH", zero, zero},
		} {
			got, err := st.Bars(ctx, tc.code, tc.start, tc.end)
			label := fmt.Sprintf("Bars(%s, %s, %s)", tc.code, market.FormatDate(tc.start), market.FormatDate(tc.end))
			if err != nil {
				t.Errorf("%s: %v", label, err)
				continue
			}
			checkBars(t, label, got, expectBars(fx, tc.code, tc.start, tc.end))
		}
		// Hand-checked: 600519's factor changes on d3.
		got, err := st.Bars(ctx, "600519.SH", time.Time{}, time.Time{})
		must(t, err, "Bars")
		var fs []float64
		for _, b := range got {
			fs = append(fs, b.AdjFactor)
		}
		if !slices.Equal(fs, []float64{1, 1, 1.5}) {
			t.Errorf("Bars(600519.SH) factors = %v, want [1 1 1.5]", fs)
		}
	})

	t.Run("LatestAdjFactor", func(t *testing.T) {
		for _, tc := range []struct {
			code string
			date time.Time
			f    float64
		}{
			{"600519.SH", d3, 1.5},
			{"000001.SZ", d3, 134.5794},
			{"510300.SH", d2, 1.2},
		} {
			d, f, err := st.LatestAdjFactor(ctx, tc.code)
			if err != nil || !sameDay(d, tc.date) || !near(f, tc.f) {
				t.Errorf("LatestAdjFactor(%s) = %s, %v, %v; want %s, %v", tc.code, market.FormatDate(d), f, err, market.FormatDate(tc.date), tc.f)
			}
		}
		for _, code := range []string{"300750.SZ", "999999.SH"} {
			if _, _, err := st.LatestAdjFactor(ctx, code); !errors.Is(err, market.ErrNoData) {
				t.Errorf("LatestAdjFactor(%s): err = %v, want ErrNoData", code, err)
			}
		}
	})

	t.Run("Search", func(t *testing.T) {
		for _, tc := range []struct {
			q     string
			limit int
			want  []string
		}{
			{"6005", 20, []string{"600500.SH", "600519.SH"}},
			{"6005", 1, []string{"600500.SH"}},
			{"600519", 20, []string{"600519.SH"}},
			{"600519.SH", 20, []string{"600519.SH"}},
			{"茅台", 20, []string{"600519.SH"}},
			{"国际", 20, []string{"600500.SH", "688981.SH"}},
			// Code matches first (501050), then name matches by ts_code.
			{"50", 20, []string{"501050.SH", "159949.SZ", "510050.SH"}},
			{"50", 2, []string{"501050.SH", "159949.SZ"}},
			{"ETF", 20, []string{"159915.SZ", "159949.SZ", "510050.SH", "510300.SH"}},
			{"5", 20, []string{"501050.SH", "510050.SH", "510300.SH", "159949.SZ"}},
			// Bars without a basic row are not searchable.
			{"002594", 20, nil},
			{"不存在", 20, nil},
			// q is a literal, not a LIKE pattern.
			{"%", 20, nil},
			{"_", 20, nil},
		} {
			got, err := st.Search(ctx, tc.q, tc.limit)
			if err != nil {
				t.Errorf("Search(%q): %v", tc.q, err)
				continue
			}
			var codes []string
			for _, h := range got {
				codes = append(codes, h.TSCode)
			}
			if !equalStrings(codes, tc.want) {
				t.Errorf("Search(%q, %d) = %v, want %v", tc.q, tc.limit, codes, tc.want)
			}
		}
		stocks, etfs := fx.stockIndex(), fx.etfIndex()
		for _, q := range []string{"6", "1", "国际", "ETF"} {
			hits, err := st.Search(ctx, q, 50)
			must(t, err, "Search")
			for _, h := range hits {
				if s, ok := stocks[h.TSCode]; ok {
					if h.Kind != market.KindStock || h.Name != s.Name || h.Industry != s.Industry {
						t.Errorf("Search(%q) hit %+v, want kind stock, name %q, industry %q", q, h, s.Name, s.Industry)
					}
				} else if e, ok := etfs[h.TSCode]; ok {
					if h.Kind != market.KindETF || h.Name != e.Name {
						t.Errorf("Search(%q) hit %+v, want kind etf, name %q", q, h, e.Name)
					}
				} else {
					t.Errorf("Search(%q) hit %+v is neither a stock nor a fund", q, h)
				}
			}
		}
	})

	t.Run("Securities", func(t *testing.T) {
		got, err := st.Securities(ctx)
		must(t, err, "Securities")
		var want []market.SearchHit
		for _, s := range fx.stocks {
			want = append(want, market.SearchHit{TSCode: s.TSCode, Name: s.Name, Industry: s.Industry, Kind: market.KindStock})
		}
		for _, e := range fx.etfs {
			want = append(want, market.SearchHit{TSCode: e.TSCode, Name: e.Name, Kind: market.KindETF})
		}
		for _, x := range fx.indices {
			want = append(want, market.SearchHit{TSCode: x.TSCode, Name: x.Name, Kind: market.KindIndex})
		}
		slices.SortFunc(want, func(a, b market.SearchHit) int { return strings.Compare(a.TSCode, b.TSCode) })
		if !slices.Equal(got, want) {
			t.Errorf("Securities:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("Counts", func(t *testing.T) {
		counts, err := st.Counts(ctx)
		must(t, err, "Counts")
		checkCounts(t, "fixture", counts, expectCounts(fx))
	})
}

// answers renders every read of the fixture store, so two states can be
// compared in one go.
func answers(t *testing.T, st market.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	p := func(label string, v any, err error) {
		if err != nil {
			fmt.Fprintf(&b, "%s: error %v\n", label, err)
			return
		}
		fmt.Fprintf(&b, "%s: %s\n", label, render(v))
	}
	for _, k := range []market.Kind{market.KindStock, market.KindETF, market.KindIndex} {
		d, err := st.LatestTradeDate(ctx, k)
		p("latest "+string(k), market.FormatDate(d), err)
	}
	ds, err := st.TradeDates(ctx, 10)
	p("trade dates", dates(ds), err)
	ds, err = st.OpenDays(ctx, d3, 10)
	p("open days", dates(ds), err)
	for _, s := range []string{market.SortAmount, market.SortPctChg, market.SortTurnoverRate} {
		hs, err := st.HotStocks(ctx, d3, s, 20)
		p("hot stocks "+s, hs, err)
	}
	for _, s := range []string{market.SortAmount, market.SortPctChg} {
		hs, err := st.HotETFs(ctx, d2, s, 20)
		p("hot etfs "+s, hs, err)
	}
	for _, d := range []time.Time{d1, d2, d3} {
		bs, err := st.DayBars(ctx, d)
		p("day bars "+market.FormatDate(d), bs, err)
		ds, err := st.DayStocks(ctx, d)
		p("day stocks "+market.FormatDate(d), ds, err)
		qs, err := st.IndexQuotes(ctx, d)
		p("index quotes "+market.FormatDate(d), qs, err)
	}
	wb, err := st.WindowBars(ctx, []string{"600519.SH", "000001.SZ", "300750.SZ"}, d1, d3)
	p("window bars", wb, err)
	nc, err := st.NameChanges(ctx, nil)
	p("name changes", nc, err)
	tot, err := st.DailyTotals(ctx, d3, 5)
	p("daily totals", tot, err)
	for _, code := range []string{"000001.SH", "399001.SZ"} {
		x, err := st.Index(ctx, code)
		p("index "+code, x, err)
		bs, err := st.Bars(ctx, code, time.Time{}, time.Time{})
		p("bars "+code, bs, err)
	}
	for _, code := range []string{"600519.SH", "000001.SZ", "600500.SH", "688981.SH"} {
		s, err := st.Stock(ctx, code)
		p("stock "+code, s, err)
		bs, err := st.Bars(ctx, code, time.Time{}, time.Time{})
		p("bars "+code, bs, err)
		d, f, err := st.LatestAdjFactor(ctx, code)
		p("adj "+code, fmt.Sprint(market.FormatDate(d), f), err)
	}
	for _, code := range []string{"510300.SH", "159915.SZ"} {
		e, err := st.ETF(ctx, code)
		p("etf "+code, e, err)
		bs, err := st.Bars(ctx, code, time.Time{}, time.Time{})
		p("bars "+code, bs, err)
	}
	hits, err := st.Search(ctx, "50", 20)
	p("search", hits, err)
	counts, err := st.Counts(ctx)
	p("counts", counts, err)
	return b.String()
}

// render prints a value with pointers followed, so equal answers render
// equally.
func render(v any) string {
	switch x := v.(type) {
	case []market.HotStock:
		var parts []string
		for _, h := range x {
			parts = append(parts, fmt.Sprintf("%s|%s|%s|%v|%v|%v|%v|%s|%s|%v", h.TSCode, h.Name, h.Industry, h.Close, h.PctChg, h.Amount, h.Vol, pf(h.TurnoverRate), pf(h.CircMV), h.Synthetic))
		}
		return strings.Join(parts, "; ")
	case market.StockInfo:
		s := fmt.Sprintf("%+v dates=%s/%s", x.Stock, market.FormatDate(x.ListDate), market.FormatDate(x.DelistDate))
		if x.Latest != nil {
			s += fmt.Sprintf(" latest=%+v@%s", *x.Latest, market.FormatDate(x.Latest.TradeDate))
		}
		if x.LatestBasic != nil {
			s += " basic=" + basicString(*x.LatestBasic)
		}
		return s
	case market.ETFInfo:
		s := fmt.Sprintf("%+v", x.ETF)
		if x.Latest != nil {
			s += fmt.Sprintf(" latest=%+v", *x.Latest)
		}
		return s
	case market.IndexInfo:
		s := fmt.Sprintf("%+v", x.Index)
		if x.Latest != nil {
			s += fmt.Sprintf(" latest=%+v", *x.Latest)
		}
		return s
	case []market.StatBar:
		var parts []string
		for _, b := range x {
			parts = append(parts, statBarString(b))
		}
		return strings.Join(parts, "; ")
	case []market.DayStock:
		var parts []string
		for _, d := range x {
			parts = append(parts, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", statBarString(d.StatBar), d.Industry,
				pf(d.TurnoverRate), pf(d.PE), pf(d.PETTM), pf(d.PB), pf(d.PS), pf(d.DvRatio), pf(d.TotalMV), pf(d.CircMV)))
		}
		return strings.Join(parts, "; ")
	case []market.WindowBar:
		var parts []string
		for _, b := range x {
			parts = append(parts, fmt.Sprintf("%s|%s|%v|%v|%v|%s|%s", b.TSCode, market.FormatDate(b.TradeDate), b.High, b.Close,
				b.PreClose, pf(b.UpLimit), pf(b.DownLimit)))
		}
		return strings.Join(parts, "; ")
	case []market.NameChange:
		var parts []string
		for _, n := range x {
			parts = append(parts, nameString(n))
		}
		return strings.Join(parts, "; ")
	}
	return fmt.Sprintf("%+v", v)
}

func testUpsertTwice(t *testing.T, open func(t *testing.T) market.Store) {
	st := open(t)
	fx := newFixture()
	load(t, st, fx)
	before := answers(t, st)
	load(t, st, fx)
	// A third write split in halves must not double-count either.
	half := fixture{stocks: fx.stocks[:3], daily: fx.daily[:5], basic: fx.basic[:3], adj: fx.adj[:2], etfs: fx.etfs[:2],
		etfDaily: fx.etfDaily[:3], cal: fx.cal[:5], names: fx.names[:4], limits: fx.limits[:3], indices: fx.indices[:1],
		indexDaily: fx.indexDaily[:2]}
	load(t, st, half)
	after := answers(t, st)
	if before != after {
		t.Errorf("writing the same rows again changed the answers:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	counts, err := st.Counts(context.Background())
	must(t, err, "Counts")
	checkCounts(t, "after rewrites", counts, expectCounts(fx))
}

func testLatestWriteWins(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	fx := newFixture()
	load(t, st, fx)

	// Change one row of every table; the model fixture gets the same change.
	s := fx.stocks[1] // 600519.SH
	s.Name, s.Industry, s.Synthetic, s.ListStatus = "贵州茅台(改)", "饮料", true, "P"
	fx.stocks[1] = s
	must(t, st.PutStocks(ctx, []market.Stock{s}), "PutStocks")

	b := fx.daily[5] // 600519.SH d3
	b.Close, b.PctChg, b.Amount, b.Vol = 1600, 5.9603, 9900000, 60000
	fx.daily[5] = b
	must(t, st.PutDaily(ctx, []market.DailyBar{b}), "PutDaily")

	// A value replaced by NULL becomes NULL: the newest row wins whole.
	db := fx.basic[2] // 600519.SH d3
	db.TurnoverRate, db.PE, db.CircMV = nil, nil, f(200000000)
	fx.basic[2] = db
	must(t, st.PutDailyBasic(ctx, []market.DailyBasic{db}), "PutDailyBasic")

	a := fx.adj[2] // 600519.SH d3
	a.Factor = 1.75
	fx.adj[2] = a
	must(t, st.PutAdjFactors(ctx, []market.AdjFactor{a}), "PutAdjFactors")

	e := fx.etfs[0] // 510300.SH
	e.Name, e.MgrName = "沪深300ETF华泰", "华泰柏瑞基金"
	fx.etfs[0] = e
	must(t, st.PutETFs(ctx, []market.ETF{e}), "PutETFs")

	eb := fx.etfDaily[2] // 510300.SH d2
	eb.Amount, eb.PctChg = 100, -9
	fx.etfDaily[2] = eb
	must(t, st.PutETFDaily(ctx, []market.DailyBar{eb}), "PutETFDaily")

	c := fx.cal[5] // SSE d2 becomes closed; SZSE still says open
	c.IsOpen = false
	fx.cal[5] = c
	c2 := fx.cal[6] // SSE d3 becomes closed
	c2.IsOpen = false
	fx.cal[6] = c2
	fx.cal = slices.Delete(fx.cal, 9, 10) // and the SZSE d3 row is rewritten closed
	sz := market.TradeDay{Exchange: "SZSE", CalDate: d3, IsOpen: false, PretradeDate: d2}
	fx.cal = append(fx.cal, sz)
	must(t, st.PutTradeCal(ctx, []market.TradeDay{c, c2, sz}), "PutTradeCal")

	// A later announcement now makes 茅台酒 the name in effect; the ST row
	// of 600500 gets another reason (not part of the key).
	n := fx.names[5]
	n.AnnDate = day("2001-08-25")
	fx.names[5] = n
	n2 := fx.names[1]
	n2.ChangeReason, n2.AnnDate = "*ST", day("2025-12-13")
	fx.names[1] = n2
	must(t, st.PutNameChanges(ctx, []market.NameChange{n, n2}), "PutNameChanges")

	l := fx.limits[1] // 300750.SZ d3: the exchange now says 300
	l.UpLimit, l.DownLimit = f(300), f(200)
	fx.limits[1] = l
	l2 := fx.limits[2] // 002594.SZ d3: a price replaced by NULL and the other set
	l2.UpLimit, l2.DownLimit = f(330), nil
	fx.limits[2] = l2
	must(t, st.PutStkLimits(ctx, []market.StkLimit{l, l2}), "PutStkLimits")

	x := fx.indices[0]
	x.Name, x.Synthetic = "上证综指", true
	fx.indices[0] = x
	must(t, st.PutIndices(ctx, []market.Index{x}), "PutIndices")
	ib := fx.indexDaily[1] // 000001.SH d3
	ib.Close, ib.PctChg = 3901.2, 0.5386
	fx.indexDaily[1] = ib
	must(t, st.PutIndexDaily(ctx, []market.DailyBar{ib}), "PutIndexDaily")

	ds, err := st.DayStocks(ctx, d3)
	must(t, err, "DayStocks")
	checkDayStocks(t, "DayStocks after changes", ds, expectDayStocks(fx, d3))
	for _, b := range ds {
		if b.TSCode == "600519.SH" && b.DayName != "茅台酒" {
			t.Errorf("600519.SH day name after the later announcement = %q, want 茅台酒", b.DayName)
		}
	}
	nc, err := st.NameChanges(ctx, nil)
	must(t, err, "NameChanges")
	checkNameChanges(t, "NameChanges after changes", nc, expectNameChanges(fx, nil))
	qs, err := st.IndexQuotes(ctx, d3)
	must(t, err, "IndexQuotes")
	checkIndexQuotes(t, "IndexQuotes after changes", qs, expectIndexQuotes(fx, d3))
	wb, err := st.WindowBars(ctx, []string{"300750.SZ", "002594.SZ"}, d1, d3)
	must(t, err, "WindowBars")
	checkWindowBars(t, "WindowBars after changes", wb, expectWindowBars(fx, []string{"300750.SZ", "002594.SZ"}, d1, d3))
	if xi, err := st.Index(ctx, "000001.SH"); err != nil || xi.Name != "上证综指" || !xi.Synthetic || xi.Latest == nil || xi.Latest.Close != 3901.2 {
		t.Errorf("Index after change = %+v, %v", xi, err)
	}

	for _, sortBy := range []string{market.SortAmount, market.SortPctChg, market.SortTurnoverRate} {
		got, err := st.HotStocks(ctx, d3, sortBy, 20)
		must(t, err, "HotStocks")
		checkHotStocks(t, "HotStocks("+sortBy+") after changes", got, expectHotStocks(fx, d3, sortBy, 20))
	}
	got, err := st.HotETFs(ctx, d2, market.SortAmount, 20)
	must(t, err, "HotETFs")
	checkHotETFs(t, "HotETFs after changes", got, expectHotETFs(fx, d2, market.SortAmount, 20))
	bars, err := st.DayBars(ctx, d3)
	must(t, err, "DayBars")
	checkDayBars(t, "DayBars after changes", bars, expectDayBars(fx, d3))
	info, err := st.Stock(ctx, "600519.SH")
	must(t, err, "Stock")
	checkStock(t, "Stock after change", info.Stock, s)
	if info.Latest == nil || !sameBar(*info.Latest, b) {
		t.Errorf("Stock.Latest after change = %+v, want %+v", info.Latest, b)
	}
	if info.LatestBasic == nil || !sameBasic(*info.LatestBasic, db) {
		t.Errorf("Stock.LatestBasic after change = %v, want %s", info.LatestBasic, basicString(db))
	}
	if d, v, err := st.LatestAdjFactor(ctx, "600519.SH"); err != nil || !sameDay(d, d3) || v != 1.75 {
		t.Errorf("LatestAdjFactor after change = %s %v %v, want 2025-12-18 1.75", market.FormatDate(d), v, err)
	}
	ab, err := st.Bars(ctx, "600519.SH", time.Time{}, time.Time{})
	must(t, err, "Bars")
	checkBars(t, "Bars after change", ab, expectBars(fx, "600519.SH", time.Time{}, time.Time{}))
	ei, err := st.ETF(ctx, "510300.SH")
	must(t, err, "ETF")
	checkETF(t, "ETF after change", ei.ETF, e)
	hits, err := st.Search(ctx, "茅台(改)", 5)
	if err != nil || len(hits) != 1 || hits[0].Industry != "饮料" {
		t.Errorf("Search after rename = %v, %v; want the renamed stock", hits, err)
	}
	days, err := st.OpenDays(ctx, d3, 10)
	if want := expectOpenDays(fx, d3, 10); err != nil || !equalStrings(dates(days), want) {
		t.Errorf("OpenDays after calendar change = %v, %v; want %v", dates(days), err, want)
	}
	counts, err := st.Counts(ctx)
	must(t, err, "Counts")
	checkCounts(t, "after changes", counts, expectCounts(fx))
}

// testBadRows checks that a row without its key is refused and that the
// refusal leaves nothing of the call behind.
func testBadRows(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	fx := newFixture()
	load(t, st, fx)
	good := bar("601318.SH", d3, 50, 51, 49, 50.5, 50, 1, 1000, 5000)
	for _, tc := range []struct {
		name string
		put  func() error
	}{
		{"stock without code", func() error {
			return st.PutStocks(ctx, []market.Stock{{TSCode: "601318.SH", Name: "中国平安"}, {Name: "无代码"}})
		}},
		{"bar without code", func() error {
			return st.PutDaily(ctx, []market.DailyBar{good, bar("", d3, 1, 1, 1, 1, 1, 0, 1, 1)})
		}},
		{"bar without date", func() error {
			return st.PutDaily(ctx, []market.DailyBar{good, bar("601318.SH", time.Time{}, 1, 1, 1, 1, 1, 0, 1, 1)})
		}},
		{"basic without date", func() error {
			return st.PutDailyBasic(ctx, []market.DailyBasic{{TSCode: "601318.SH", TradeDate: d3, TurnoverRate: f(1)}, {TSCode: "601318.SH"}})
		}},
		{"factor without code", func() error {
			return st.PutAdjFactors(ctx, []market.AdjFactor{{TSCode: "601318.SH", TradeDate: d3, Factor: 2}, {TradeDate: d3, Factor: 1}})
		}},
		{"fund without code", func() error {
			return st.PutETFs(ctx, []market.ETF{{TSCode: "512880.SH", Name: "证券ETF"}, {Name: "无代码"}})
		}},
		{"fund bar without date", func() error {
			return st.PutETFDaily(ctx, []market.DailyBar{bar("512880.SH", d2, 1, 1, 1, 1, 1, 0, 1, 1), bar("512880.SH", time.Time{}, 1, 1, 1, 1, 1, 0, 1, 1)})
		}},
		{"calendar day without date", func() error {
			return st.PutTradeCal(ctx, []market.TradeDay{{Exchange: "SSE", CalDate: day("2025-12-22"), IsOpen: true}, {Exchange: "SSE", IsOpen: true}})
		}},
		{"name change without start date", func() error {
			return st.PutNameChanges(ctx, []market.NameChange{{TSCode: "601318.SH", Name: "中国平安", StartDate: d1}, {TSCode: "601318.SH", Name: "无日期"}})
		}},
		{"name change without name", func() error {
			return st.PutNameChanges(ctx, []market.NameChange{{TSCode: "601318.SH", Name: "中国平安", StartDate: d1}, {TSCode: "601318.SH", StartDate: d2}})
		}},
		{"limit without date", func() error {
			return st.PutStkLimits(ctx, []market.StkLimit{{TSCode: "601318.SH", TradeDate: d1, UpLimit: f(55)}, {TSCode: "601318.SH", UpLimit: f(55)}})
		}},
		{"index without code", func() error {
			return st.PutIndices(ctx, []market.Index{{TSCode: "000016.SH", Name: "上证50"}, {Name: "无代码"}})
		}},
		{"index bar without date", func() error {
			return st.PutIndexDaily(ctx, []market.DailyBar{bar("000016.SH", d3, 1, 1, 1, 1, 1, 0, 1, 1), bar("000016.SH", time.Time{}, 1, 1, 1, 1, 1, 0, 1, 1)})
		}},
	} {
		if err := tc.put(); err == nil {
			t.Errorf("%s: want an error", tc.name)
		}
	}
	counts, err := st.Counts(ctx)
	must(t, err, "Counts")
	checkCounts(t, "after refused writes", counts, expectCounts(fx))
	if _, err := st.Stock(ctx, "601318.SH"); !errors.Is(err, market.ErrNotFound) {
		t.Errorf("a refused PutStocks left its good row visible (err = %v)", err)
	}
}

func testOpenDaysFallback(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	fx := newFixture()
	fx.cal = nil
	load(t, st, fx)
	for _, tc := range []struct {
		date time.Time
		n    int
		want []time.Time
	}{
		{d3, 10, []time.Time{d3, d2, d1}}, // d0 has only a fund bar
		{d3, 2, []time.Time{d3, d2}},
		{d2, 10, []time.Time{d2, d1}},
		{day("2030-01-01"), 1, []time.Time{d3}},
		{d0, 10, nil},
	} {
		got, err := st.OpenDays(ctx, tc.date, tc.n)
		if err != nil || !equalStrings(dates(got), dates(tc.want)) {
			t.Errorf("OpenDays(%s, %d) without calendar = %v, %v; want %v", market.FormatDate(tc.date), tc.n, dates(got), err, dates(tc.want))
		}
	}
}

func testWorkflows(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	at := func(s string) time.Time {
		tm, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	big := bytes.Repeat([]byte(`{"k":"值\n\"quoted\"\\ \u0000"},`), 4000)
	w1 := market.WorkflowRecord{ID: "wf-1", Name: "个股深度分析", Category: "analysis", Doc: []byte(`{"id":"wf-1","name":"个股深度分析","tags":["a","b"]}`), CreatedAt: at("2025-12-01 08:00:00"), UpdatedAt: at("2025-12-02 09:30:15")}
	w2 := market.WorkflowRecord{ID: "wf-2", Name: "Compare", Category: "comparison", Doc: big, CreatedAt: at("2025-12-01 08:00:00"), UpdatedAt: at("2025-12-03 10:00:00")}
	w3 := market.WorkflowRecord{ID: "tpl-1", Name: "Template", Category: "screen", IsTemplate: true, Doc: []byte(`{}`), CreatedAt: at("2025-11-01 00:00:00"), UpdatedAt: at("2025-11-01 00:00:00")}

	check := func(label string, got, want market.WorkflowRecord) {
		t.Helper()
		if got.ID != want.ID || got.Name != want.Name || got.Category != want.Category || got.IsTemplate != want.IsTemplate ||
			!bytes.Equal(got.Doc, want.Doc) || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("%s:\n got %s %q %q tpl=%v created=%s updated=%s doc=%d bytes\nwant %s %q %q tpl=%v created=%s updated=%s doc=%d bytes",
				label, got.ID, got.Name, got.Category, got.IsTemplate, got.CreatedAt, got.UpdatedAt, len(got.Doc),
				want.ID, want.Name, want.Category, want.IsTemplate, want.CreatedAt, want.UpdatedAt, len(want.Doc))
		}
	}
	list := func(want ...string) {
		t.Helper()
		ws, err := st.ListWorkflows(ctx)
		must(t, err, "ListWorkflows")
		var ids []string
		for _, w := range ws {
			ids = append(ids, w.ID)
		}
		if !equalStrings(ids, want) {
			t.Errorf("ListWorkflows = %v, want %v", ids, want)
		}
		// Pages of any size walk the same order; total is the count.
		for _, size := range []int{1, 2, 50} {
			var paged []string
			for off := 0; off <= len(want); off += size {
				page, total, err := st.WorkflowPage(ctx, "", size, off)
				must(t, err, "WorkflowPage")
				if total != len(want) || len(page) > size {
					t.Errorf("WorkflowPage(%d, %d): %d rows, total %d; want at most %d rows, total %d", size, off, len(page), total, size, len(want))
				}
				for _, w := range page {
					paged = append(paged, w.ID)
				}
			}
			if !equalStrings(paged, want) {
				t.Errorf("WorkflowPage by %d = %v, want %v", size, paged, want)
			}
		}
		if page, total, err := st.WorkflowPage(ctx, "", 0, 0); err != nil || len(page) != 0 || total != len(want) {
			t.Errorf("WorkflowPage(limit 0) = %d rows, total %d, %v; want 0 rows, total %d", len(page), total, err, len(want))
		}
		// A category keeps only its own, in the same order.
		for _, cat := range []string{"analysis", "screen", "nope"} {
			var wantCat []string
			for _, w := range ws {
				if w.Category == cat {
					wantCat = append(wantCat, w.ID)
				}
			}
			page, total, err := st.WorkflowPage(ctx, cat, 10, 0)
			must(t, err, "WorkflowPage of "+cat)
			var got []string
			for _, w := range page {
				got = append(got, w.ID)
			}
			if total != len(wantCat) || !equalStrings(got, wantCat) {
				t.Errorf("WorkflowPage(%q) = %v total %d, want %v", cat, got, total, wantCat)
			}
		}
	}
	count := func(want int64) {
		t.Helper()
		c, err := st.Counts(ctx)
		must(t, err, "Counts")
		if c["workflows"] != want {
			t.Errorf("Counts[workflows] = %d, want %d", c["workflows"], want)
		}
	}

	for _, w := range []market.WorkflowRecord{w1, w2, w3} {
		must(t, st.PutWorkflow(ctx, w), "PutWorkflow "+w.ID)
	}
	for _, w := range []market.WorkflowRecord{w1, w2, w3} {
		got, err := st.GetWorkflow(ctx, w.ID)
		must(t, err, "GetWorkflow "+w.ID)
		check("GetWorkflow "+w.ID, got, w)
	}
	list("wf-2", "wf-1", "tpl-1")
	ws, err := st.ListWorkflows(ctx)
	must(t, err, "ListWorkflows")
	for _, w := range ws {
		if w.ID == "wf-2" {
			check("listed wf-2", w, w2)
		}
	}
	count(3)

	// Replace: the newest write wins and moves to the top of the list.
	w1.Name, w1.Doc, w1.UpdatedAt = "个股深度分析 v2", []byte(`{"v":2}`), at("2025-12-04 00:00:01")
	must(t, st.PutWorkflow(ctx, w1), "PutWorkflow replace")
	got, err := st.GetWorkflow(ctx, "wf-1")
	must(t, err, "GetWorkflow after replace")
	check("GetWorkflow after replace", got, w1)
	list("wf-1", "wf-2", "tpl-1")
	count(3)

	must(t, st.DeleteWorkflow(ctx, "wf-2"), "DeleteWorkflow")
	if _, err := st.GetWorkflow(ctx, "wf-2"); !errors.Is(err, market.ErrNotFound) {
		t.Errorf("GetWorkflow of a deleted id: err = %v, want ErrNotFound", err)
	}
	list("wf-1", "tpl-1")
	count(2)
	for _, id := range []string{"wf-2", "nope", ""} {
		if err := st.DeleteWorkflow(ctx, id); !errors.Is(err, market.ErrNotFound) {
			t.Errorf("DeleteWorkflow(%q): err = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := st.GetWorkflow(ctx, "nope"); !errors.Is(err, market.ErrNotFound) {
		t.Errorf("GetWorkflow(unknown): err = %v, want ErrNotFound", err)
	}

	// A deleted id can be created again.
	w2.UpdatedAt = at("2025-12-05 00:00:00")
	must(t, st.PutWorkflow(ctx, w2), "PutWorkflow after delete")
	got, err = st.GetWorkflow(ctx, "wf-2")
	must(t, err, "GetWorkflow after re-put")
	check("GetWorkflow after re-put", got, w2)
	list("wf-2", "wf-1", "tpl-1")
	count(3)
}

func testSyncLog(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	fence := func(want uint64) {
		t.Helper()
		if got, err := st.SyncFence(ctx); err != nil || got != want {
			t.Errorf("SyncFence = %d, %v; want %d", got, err, want)
		}
	}
	fence(0)
	for _, m := range []struct {
		ds   string
		date time.Time
		rows int
	}{
		{"daily", d2, 10}, {"daily", d3, 11}, {"daily", d1, 5}, {"daily", d2, 12}, {"daily", d2, 10},
		{"adj_factor", d3, 1},
	} {
		must(t, st.MarkSynced(ctx, m.ds, m.date, m.rows, 0), "MarkSynced")
	}
	synced := func(want map[string][]time.Time) {
		t.Helper()
		for ds, want := range want {
			got, err := st.SyncedDates(ctx, ds)
			if err != nil || !equalStrings(dates(got), dates(want)) {
				t.Errorf("SyncedDates(%s) = %v, %v; want %v", ds, dates(got), err, dates(want))
			}
		}
	}
	synced(map[string][]time.Time{
		"daily":       {d1, d2, d3},
		"adj_factor":  {d3},
		"daily_basic": nil,
	})
	fence(0)

	// Fencing: a record under a token lower than one recorded is refused
	// and leaves nothing behind; the same token, a higher one and none (0)
	// are taken.
	must(t, st.MarkSynced(ctx, "daily_basic", d1, 7, 3), "MarkSynced under token 3")
	fence(3)
	if err := st.MarkSynced(ctx, "daily_basic", d2, 7, 2); !errors.Is(err, market.ErrStaleFence) {
		t.Errorf("MarkSynced under token 2 after 3: %v, want ErrStaleFence", err)
	}
	must(t, st.MarkSynced(ctx, "daily_basic", d3, 7, 3), "MarkSynced under token 3 again")
	must(t, st.MarkSynced(ctx, "adj_factor", d1, 1, 0), "MarkSynced without a token")
	must(t, st.MarkSynced(ctx, "adj_factor", d2, 1, 9), "MarkSynced under token 9")
	fence(9)
	if err := st.MarkSynced(ctx, "adj_factor", d2, 1, 3); !errors.Is(err, market.ErrStaleFence) {
		t.Errorf("MarkSynced under token 3 after 9: %v, want ErrStaleFence", err)
	}
	synced(map[string][]time.Time{
		"daily_basic": {d1, d3},
		"adj_factor":  {d1, d2, d3},
	})
	fence(9)
}

func testConcurrentPuts(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	const workers, perWorker = 6, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*3)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var bars []market.DailyBar
			var basics []market.DailyBasic
			for i := range perWorker {
				code := fmt.Sprintf("%06d.SZ", w*1000+i)
				bars = append(bars, bar(code, d3, 10, 11, 9, 10.5, 10, 5, float64(i), float64(w*perWorker+i)))
				basics = append(basics, market.DailyBasic{TSCode: code, TradeDate: d3, TurnoverRate: f(float64(i))})
			}
			errs <- st.PutDaily(ctx, bars)
			errs <- st.PutDailyBasic(ctx, basics)
			errs <- st.PutWorkflow(ctx, market.WorkflowRecord{ID: fmt.Sprintf("w%d", w), Name: "n", Doc: []byte("{}"), CreatedAt: d3, UpdatedAt: d3})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent put: %v", err)
		}
	}
	counts, err := st.Counts(ctx)
	must(t, err, "Counts")
	checkCounts(t, "after concurrent puts", counts, map[string]int64{"daily": workers * perWorker, "daily_basic": workers * perWorker, "workflows": workers})
	bars, err := st.DayBars(ctx, d3)
	if err != nil || len(bars) != workers*perWorker {
		t.Errorf("DayBars after concurrent puts: %d bars, %v; want %d", len(bars), err, workers*perWorker)
	}
	hot, err := st.HotStocks(ctx, d3, market.SortAmount, 1)
	if err != nil || len(hot) != 1 || hot[0].Amount != workers*perWorker-1 {
		t.Errorf("HotStocks after concurrent puts = %v, %v; want the row with amount %d", hot, err, workers*perWorker-1)
	}
}
