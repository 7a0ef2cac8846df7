package httpapi

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// snapshot is the real market of 2025-12-18 as read from the CSVs, plus the
// few rows the snapshot lacks (see extraRows). Tests compute every expected
// answer from it.
type snapshot struct {
	stocks []market.Stock
	daily  []market.DailyBar
	basic  []market.DailyBasic
	adj    []market.AdjFactor
	cal    []market.TradeDay
	etfs   []market.ETF
	etfBar []market.DailyBar
	// raw keeps the CSV rows for expectations computed from the text
	// itself (limit counts with exact decimals).
	rawDaily []map[string]string
	rawStock map[string]map[string]string

	// Expectations computed once per date (the tests run one at a time).
	open map[time.Time][]time.Time
	rows map[time.Time][]snapRow
}

var snapDate = mustDate("2025-12-18")

func mustDate(s string) time.Time {
	d, err := market.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func num(t testing.TB, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return v
}

func optNum(t testing.TB, s string) *float64 {
	if s == "" {
		return nil
	}
	v := num(t, s)
	return &v
}

func optDate(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	d, err := market.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func readSnapshot(t testing.TB) *snapshot {
	t.Helper()
	s := &snapshot{rawStock: map[string]map[string]string{}}
	for _, r := range testenv.ReadCSV(t, "stock_basic.csv") {
		s.rawStock[r["ts_code"]] = r
		s.stocks = append(s.stocks, market.Stock{
			TSCode: r["ts_code"], Symbol: r["symbol"], Name: r["name"], Area: r["area"], Industry: r["industry"],
			ListDate: optDate(t, r["list_date"]), DelistDate: optDate(t, r["delist_date"]), ListStatus: r["list_status"],
		})
	}
	s.rawDaily = testenv.ReadCSV(t, "daily.csv")
	for _, r := range s.rawDaily {
		s.daily = append(s.daily, market.DailyBar{
			TSCode: r["ts_code"], TradeDate: optDate(t, r["trade_date"]),
			Open: num(t, r["open"]), High: num(t, r["high"]), Low: num(t, r["low"]), Close: num(t, r["close"]),
			PreClose: num(t, r["pre_close"]), Change: num(t, r["change"]), PctChg: num(t, r["pct_chg"]),
			Vol: num(t, r["vol"]), Amount: num(t, r["amount"]),
		})
	}
	for _, r := range testenv.ReadCSV(t, "daily_basic.csv") {
		s.basic = append(s.basic, market.DailyBasic{
			TSCode: r["ts_code"], TradeDate: optDate(t, r["trade_date"]), Close: optNum(t, r["close"]),
			TurnoverRate: optNum(t, r["turnover_rate"]), VolumeRatio: optNum(t, r["volume_ratio"]),
			PE: optNum(t, r["pe"]), PETTM: optNum(t, r["pe_ttm"]), PB: optNum(t, r["pb"]), PS: optNum(t, r["ps"]),
			DvRatio: optNum(t, r["dv_ratio"]), TotalShare: optNum(t, r["total_share"]), FloatShare: optNum(t, r["float_share"]),
			TotalMV: optNum(t, r["total_mv"]), CircMV: optNum(t, r["circ_mv"]),
		})
	}
	for _, r := range testenv.ReadCSV(t, "adj_factor.csv") {
		s.adj = append(s.adj, market.AdjFactor{TSCode: r["ts_code"], TradeDate: optDate(t, r["trade_date"]), Factor: num(t, r["adj_factor"])})
	}
	for _, r := range testenv.ReadCSV(t, "trade_cal.csv") {
		s.cal = append(s.cal, market.TradeDay{
			Exchange: "SSE", CalDate: optDate(t, r["cal_date"]), IsOpen: r["is_open"] == "1", PretradeDate: optDate(t, r["pretrade_date"]),
		})
	}
	s.extraRows()
	return s
}

// Days before the snapshot date, for the extra rows.
var (
	extraDay1 = mustDate("2025-12-16")
	extraDay2 = mustDate("2025-12-17")
)

// extraRows adds what the one-day snapshot cannot show:
//   - two earlier days of 000001.SZ with a smaller adjustment factor (as after
//     a dividend), so qfq, hfq and none give three different K-lines;
//   - a few funds (the snapshot has none), marked synthetic as the demo
//     generator would, for hot-ETFs and an ETF's basic answer. Their
//     amounts tie on purpose: the tie is broken by ts_code.
func (s *snapshot) extraRows() {
	for _, b := range s.daily {
		if b.TSCode != "000001.SZ" {
			continue
		}
		for i, d := range []time.Time{extraDay1, extraDay2} {
			k := 0.96 + 0.01*float64(i)
			e := b
			e.TradeDate = d
			e.Open, e.High, e.Low, e.Close, e.PreClose = b.Open*k, b.High*k, b.Low*k, b.Close*k, b.PreClose*k
			s.daily = append(s.daily, e)
		}
	}
	s.adj = append(s.adj,
		market.AdjFactor{TSCode: "000001.SZ", TradeDate: extraDay1, Factor: 127.7160},
		market.AdjFactor{TSCode: "000001.SZ", TradeDate: extraDay2, Factor: 127.7160},
	)
	s.etfs = []market.ETF{
		{TSCode: "510300.SH", Name: "沪深300ETF", IndexCode: "000300.SH", IndexName: "沪深300", Exchange: "SSE", MgrName: "华泰柏瑞", ListDate: mustDate("2012-05-28"), ListStatus: "L", Synthetic: true},
		{TSCode: "159915.SZ", Name: "创业板ETF", IndexCode: "399006.SZ", IndexName: "创业板指", Exchange: "SZSE", MgrName: "易方达", ListDate: mustDate("2011-12-09"), ListStatus: "L", Synthetic: true},
		{TSCode: "510050.SH", Name: "上证50ETF", IndexCode: "000016.SH", IndexName: "上证50", Exchange: "SSE", MgrName: "华夏", ListDate: mustDate("2005-02-23"), ListStatus: "L", Synthetic: true},
	}
	etfBar := func(code string, cls, pre, pct, vol, amount float64) market.DailyBar {
		return market.DailyBar{TSCode: code, TradeDate: snapDate, Open: pre, High: max(cls, pre), Low: min(cls, pre),
			Close: cls, PreClose: pre, Change: cls - pre, PctChg: pct, Vol: vol, Amount: amount}
	}
	s.etfBar = []market.DailyBar{
		etfBar("510300.SH", 4.1, 4.05, 1.2346, 6000000, 2500000),
		etfBar("159915.SZ", 2.7, 2.5, 8, 9000000, 2500000),
		etfBar("510050.SH", 2.94, 3.0, -2, 3000000, 900000),
	}
}

// load writes the snapshot into a store.
func (s *snapshot) load(t testing.TB, w market.Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	steps := []struct {
		name string
		put  func() error
	}{
		{"stocks", func() error { return w.PutStocks(ctx, s.stocks) }},
		{"daily", func() error { return w.PutDaily(ctx, s.daily) }},
		{"daily_basic", func() error { return w.PutDailyBasic(ctx, s.basic) }},
		{"adj_factor", func() error { return w.PutAdjFactors(ctx, s.adj) }},
		{"trade_cal", func() error { return w.PutTradeCal(ctx, s.cal) }},
		{"etfs", func() error { return w.PutETFs(ctx, s.etfs) }},
		{"etf_daily", func() error { return w.PutETFDaily(ctx, s.etfBar) }},
	}
	for _, st := range steps {
		if err := st.put(); err != nil {
			t.Fatalf("load %s: %v", st.name, err)
		}
	}
}
