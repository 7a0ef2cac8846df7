package storetest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// snapshotDate is the trading day of the real snapshot.
var snapshotDate = day("2025-12-18")

// snapshotFixture converts the real snapshot CSVs to market rows. It is a
// deliberately small converter for tests; the real importer lives in
// internal/ingest.
func snapshotFixture(t *testing.T) fixture {
	t.Helper()
	c := &csvConv{t: t}
	var fx fixture
	for _, r := range testenv.ReadCSV(t, "stock_basic.csv") {
		fx.stocks = append(fx.stocks, market.Stock{
			TSCode: r["ts_code"], Symbol: r["symbol"], Name: r["name"], Area: r["area"], Industry: r["industry"],
			Market: r["market"], Exchange: r["exchange"],
			ListDate: c.date(r["list_date"]), DelistDate: c.date(r["delist_date"]), ListStatus: r["list_status"],
		})
	}
	for _, r := range testenv.ReadCSV(t, "daily.csv") {
		fx.daily = append(fx.daily, market.DailyBar{
			TSCode: r["ts_code"], TradeDate: c.date(r["trade_date"]),
			Open: c.num(r["open"]), High: c.num(r["high"]), Low: c.num(r["low"]), Close: c.num(r["close"]),
			PreClose: c.num(r["pre_close"]), Change: c.num(r["change"]), PctChg: c.num(r["pct_chg"]),
			Vol: c.num(r["vol"]), Amount: c.num(r["amount"]),
		})
	}
	for _, r := range testenv.ReadCSV(t, "daily_basic.csv") {
		fx.basic = append(fx.basic, market.DailyBasic{
			TSCode: r["ts_code"], TradeDate: c.date(r["trade_date"]),
			Close: c.opt(r["close"]), TurnoverRate: c.opt(r["turnover_rate"]), VolumeRatio: c.opt(r["volume_ratio"]),
			PE: c.opt(r["pe"]), PETTM: c.opt(r["pe_ttm"]), PB: c.opt(r["pb"]), PS: c.opt(r["ps"]), DvRatio: c.opt(r["dv_ratio"]),
			TotalShare: c.opt(r["total_share"]), FloatShare: c.opt(r["float_share"]),
			TotalMV: c.opt(r["total_mv"]), CircMV: c.opt(r["circ_mv"]),
		})
	}
	for _, r := range testenv.ReadCSV(t, "adj_factor.csv") {
		fx.adj = append(fx.adj, market.AdjFactor{TSCode: r["ts_code"], TradeDate: c.date(r["trade_date"]), Factor: c.num(r["adj_factor"])})
	}
	for _, r := range testenv.ReadCSV(t, "stk_limit.csv") {
		fx.limits = append(fx.limits, market.StkLimit{TSCode: r["ts_code"], TradeDate: c.date(r["trade_date"]),
			PreClose: c.opt(r["pre_close"]), UpLimit: c.opt(r["up_limit"]), DownLimit: c.opt(r["down_limit"])})
	}
	for _, r := range testenv.ReadCSV(t, "trade_cal.csv") {
		fx.cal = append(fx.cal, market.TradeDay{
			Exchange: "SSE", CalDate: c.date(r["cal_date"]), IsOpen: r["is_open"] == "1", PretradeDate: c.date(r["pretrade_date"]),
		})
	}
	return fx
}

type csvConv struct{ t *testing.T }

func (c *csvConv) date(s string) (d time.Time) {
	if s == "" {
		return d
	}
	d, err := market.ParseDate(s)
	if err != nil {
		c.t.Fatal(err)
	}
	return d
}

func (c *csvConv) num(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		c.t.Fatalf("snapshot number %q: %v", s, err)
	}
	return v
}

func (c *csvConv) opt(s string) *float64 {
	if s == "" {
		return nil
	}
	v := c.num(s)
	return &v
}

// testSnapshot loads the real 2025-12-18 market and checks the hot lists and
// day bars against answers computed from the CSV rows.
func testSnapshot(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	fx := snapshotFixture(t)
	st := open(t)
	load(t, st, fx)

	if d, err := st.LatestTradeDate(ctx, market.KindStock); err != nil || !sameDay(d, snapshotDate) {
		t.Errorf("LatestTradeDate = %s, %v; want %s", market.FormatDate(d), err, market.FormatDate(snapshotDate))
	}
	for _, sortBy := range []string{market.SortPctChg, market.SortAmount, market.SortTurnoverRate} {
		got, err := st.HotStocks(ctx, snapshotDate, sortBy, 20)
		must(t, err, "HotStocks")
		want := expectHotStocks(fx, snapshotDate, sortBy, 20)
		if len(want) != 20 {
			t.Fatalf("expectation has %d rows; the snapshot should have thousands of bars", len(want))
		}
		checkHotStocks(t, fmt.Sprintf("snapshot HotStocks(%s, 20)", sortBy), got, want)
	}
	bars, err := st.DayBars(ctx, snapshotDate)
	must(t, err, "DayBars")
	if len(bars) != len(fx.daily) {
		t.Errorf("DayBars: %d bars, want %d (rows of daily.csv)", len(bars), len(fx.daily))
	}
	checkDayBars(t, "snapshot DayBars", bars, expectDayBars(fx, snapshotDate))

	days, err := st.OpenDays(ctx, snapshotDate, 10)
	if want := expectOpenDays(fx, snapshotDate, 10); err != nil || !equalStrings(dates(days), want) {
		t.Errorf("OpenDays = %v, %v; want %v", dates(days), err, want)
	}
	counts, err := st.Counts(ctx)
	must(t, err, "Counts")
	checkCounts(t, "snapshot", counts, expectCounts(fx))

	for _, a := range fx.adj[:3] {
		d, v, err := st.LatestAdjFactor(ctx, a.TSCode)
		if err != nil || !sameDay(d, a.TradeDate) || !near(v, a.Factor) {
			t.Errorf("LatestAdjFactor(%s) = %s %v %v; want %s %v", a.TSCode, market.FormatDate(d), v, err, market.FormatDate(a.TradeDate), a.Factor)
		}
	}
	// The stk_limit rows are of the next day: none joins the 18th.
	for _, b := range bars {
		if b.UpLimit != nil || b.DownLimit != nil {
			t.Fatalf("%s has limit prices on %s; the snapshot's are for the next day", b.TSCode, market.FormatDate(snapshotDate))
		}
	}
	stocks, err := st.DayStocks(ctx, snapshotDate)
	must(t, err, "DayStocks")
	checkDayStocks(t, "snapshot DayStocks", stocks, expectDayStocks(fx, snapshotDate))
	checkSectors(t, fx, stocks, days)
	checkScreens(t, fx, stocks)

	hits, err := st.Search(ctx, "茅台", 20)
	must(t, err, "Search")
	found := false
	for _, h := range hits {
		found = found || h.TSCode == "600519.SH"
	}
	if !found {
		t.Errorf("Search(茅台) = %v; want 600519.SH among the hits", hits)
	}
}
