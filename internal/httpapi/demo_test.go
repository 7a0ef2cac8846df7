package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/indicator"
	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// The analytics on generated markets, through the API of a store they
// were written to: a short one of many stocks, on whose last day the
// generator plants limit-up streaks (one around a suspension, one at the
// ST band) and broken boards and from whose stocks it computes six indices;
// and a long one of a few stocks, with enough days for the indicators'
// warm-up (691 bars) before a window.

var (
	ladderMarket  = ingest.DemoOptions{Stocks: 120, ETFs: 2, Days: 30, Seed: 5, End: mustDate("2025-12-18")}
	historyMarket = ingest.DemoOptions{Stocks: 6, ETFs: 1, Days: 760, Seed: 5, End: mustDate("2025-12-18")}
)

// demoData is the generated market, every row kept for the expectations.
type demoData struct {
	all    ingest.Batch
	plants []ingest.DemoPlant
	days   []time.Time // open days, oldest first
}

// loadDemo generates a market and writes it to w.
func loadDemo(t testing.TB, w market.Writer, opt ingest.DemoOptions) demoData {
	t.Helper()
	ctx := context.Background()
	g, err := ingest.NewDemoMarket(opt)
	if err != nil {
		t.Fatal(err)
	}
	all := g.Reference()
	if err := all.Write(ctx, w); err != nil {
		t.Fatal(err)
	}
	for {
		b, ok := g.Next()
		if !ok {
			break
		}
		if err := b.Write(ctx, w); err != nil {
			t.Fatal(err)
		}
		all.Daily = append(all.Daily, b.Daily...)
		all.DailyBasic = append(all.DailyBasic, b.DailyBasic...)
		all.AdjFactors = append(all.AdjFactors, b.AdjFactors...)
		all.ETFDaily = append(all.ETFDaily, b.ETFDaily...)
		all.IndexDaily = append(all.IndexDaily, b.IndexDaily...)
	}
	d := demoData{all: all, plants: g.Plants()}
	for _, c := range all.TradeCal {
		if c.IsOpen {
			d.days = append(d.days, c.CalDate)
		}
	}
	slices.SortFunc(d.days, func(a, b time.Time) int { return a.Compare(b) })
	d.days = slices.CompactFunc(d.days, func(a, b time.Time) bool { return a.Equal(b) })
	return d
}

// storePair opens a fresh migrated store and a second handle on the same
// data, as another process holds it.
type storePair func(t *testing.T) (market.Store, market.Store)

func TestSQLiteDemo(t *testing.T) {
	testDemo(t, func(t *testing.T) (market.Store, market.Store) {
		path := filepath.Join(t.TempDir(), "demo.db")
		open := func() market.Store {
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		st := open()
		if err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return st, open()
	})
}

func TestClickHouseDemo(t *testing.T) {
	testDemo(t, func(t *testing.T) (market.Store, market.Store) {
		addr, db := testenv.ClickHouseDatabase(t, "stockd_httpapi_demo_")
		open := func() market.Store {
			st, err := clickhouse.Open(context.Background(), clickhouse.Options{Addr: addr, Database: db})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		st := open()
		if err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return st, open()
	})
}

func testDemo(t *testing.T, open storePair) {
	t.Run("market", func(t *testing.T) {
		st, other := open(t)
		d := loadDemo(t, st, ladderMarket)
		h := newHandler(t, setup{store: st})
		last := d.days[len(d.days)-1]
		t.Run("ladder", func(t *testing.T) { testDemoLadder(t, h, d, last) })
		t.Run("indices", func(t *testing.T) { testDemoIndices(t, h, d, last) })
		t.Run("search", func(t *testing.T) { testDemoSearch(t, h, other) })
		// Last: it changes the data.
		t.Run("day-memo-sees-writes", func(t *testing.T) { testDemoDayMemo(t, h, other, d, last) })
	})
	t.Run("history", func(t *testing.T) {
		st, other := open(t)
		d := loadDemo(t, st, historyMarket)
		h := newHandler(t, setup{store: st})
		t.Run("indicators", func(t *testing.T) { testDemoIndicators(t, h, d) })
		t.Run("history-memo-sees-writes", func(t *testing.T) { testDemoHistoryMemo(t, h, other, d) })
	})
}

// testDemoDayMemo: the day memo of the queries (no cache in front here)
// answers from memory only while nothing changed; another handle's write
// shows in the next answer.
func testDemoDayMemo(t *testing.T, h http.Handler, other market.Writer, d demoData, last time.Time) {
	var before sectorsJSON
	getJSON(t, h, "/api/overview/sectors", &before)
	top := before.Data[0]
	var bar market.DailyBar
	for _, b := range d.all.Daily {
		if b.TSCode == top.Leader.TSCode && b.TradeDate.Equal(last) {
			bar = b
		}
	}
	bar.PctChg += 50
	bar.Close = math.Round(bar.Close*150) / 100
	if err := other.PutDaily(context.Background(), []market.DailyBar{bar}); err != nil {
		t.Fatal(err)
	}
	var after sectorsJSON
	getJSON(t, h, "/api/overview/sectors", &after)
	i := slices.IndexFunc(after.Data, func(s sectorJSON) bool { return s.Industry == top.Industry })
	if i < 0 || !near(after.Data[i].PctChg-top.PctChg, 50/float64(top.Stocks), 2e-4) || after.Data[i].Leader.PctChg != bar.PctChg {
		t.Errorf("after another handle raised %s by 50%%: sector %s %+v, was %+v", bar.TSCode, top.Industry, after.Data[max(i, 0)], top)
	}
}

// testDemoHistoryMemo: the same for the history memo of the indicators.
func testDemoHistoryMemo(t *testing.T, h http.Handler, other market.Writer, d demoData) {
	code := d.all.Stocks[0].TSCode
	last := d.days[len(d.days)-1]
	var ind indicatorsJSON
	getJSON(t, h, "/api/stock/"+code+"/indicators?names=ma", &ind)
	next := last.AddDate(0, 0, 1)
	for next.Weekday() == time.Saturday || next.Weekday() == time.Sunday {
		next = next.AddDate(0, 0, 1)
	}
	nb := market.DailyBar{TSCode: code, TradeDate: next, Open: 10, High: 10, Low: 10, Close: 10, PreClose: 10, Vol: 1, Amount: 1}
	if err := other.PutDaily(context.Background(), []market.DailyBar{nb}); err != nil {
		t.Fatal(err)
	}
	getJSON(t, h, "/api/stock/"+code+"/indicators?names=ma", &ind)
	if ind.End != market.FormatDate(next) || ind.Dates[len(ind.Dates)-1] != ind.End {
		t.Errorf("after another handle wrote %s of %s: indicators end %s (last date %s)", market.FormatDate(next), code, ind.End, ind.Dates[len(ind.Dates)-1])
	}
}

// demoBand is the limit rule written out for the demo (expect_test.go's
// rule with the demo's name history for ST): the up and down prices in
// fen of a bar, ok false when the stock has no limit that day.
func (d demoData) band(b market.DailyBar, names map[string][]market.NameChange, stocks map[string]market.Stock) (up, down int64, ok bool) {
	s := stocks[b.TSCode]
	// Listing day number on the calendar.
	if !s.ListDate.IsZero() && !s.ListDate.Before(d.days[0]) {
		n := 0
		for _, day := range d.days {
			if !day.Before(s.ListDate) && !day.After(b.TradeDate) {
				n++
			}
		}
		if n <= freeDaysOf(b.TSCode) {
			return 0, 0, false
		}
	}
	// The name in effect: the newest start on or before the day.
	name := s.Name
	var best *market.NameChange
	for i, r := range names[b.TSCode] {
		if r.StartDate.After(b.TradeDate) {
			continue
		}
		if best == nil || r.StartDate.After(best.StartDate) || (r.StartDate.Equal(best.StartDate) && r.AnnDate.After(best.AnnDate)) {
			best = &names[b.TSCode][i]
		}
	}
	if best != nil {
		name = best.Name
	}
	pct := limitPctOf(b.TSCode, name, b.TradeDate)
	if pct == 0 {
		return 0, 0, false
	}
	pre := big.NewRat(int64(math.Round(b.PreClose*100)), 100)
	fen := func(r *big.Rat) int64 { f, _ := r.Float64(); return int64(math.Round(f * 100)) }
	return fen(limitPrice(b.TSCode, pre, pct)), fen(limitPrice(b.TSCode, pre, -pct)), true
}

func testDemoLadder(t *testing.T, h http.Handler, d demoData, last time.Time) {
	if len(d.plants) != 6 {
		t.Fatalf("%d planted patterns, want 6: %+v", len(d.plants), d.plants)
	}
	names := map[string][]market.NameChange{}
	for _, n := range d.all.NameChanges {
		names[n.TSCode] = append(names[n.TSCode], n)
	}
	stocks := map[string]market.Stock{}
	for _, s := range d.all.Stocks {
		stocks[s.TSCode] = s
	}
	byCode := map[string][]market.DailyBar{}
	for _, b := range d.all.Daily {
		byCode[b.TSCode] = append(byCode[b.TSCode], b)
	}
	// Brute force: each stock's bars newest first (a suspension is simply
	// no bar), counted while each closes at its limit-up price.
	wantLevels, wantBroken := map[int][]string{}, []string{}
	for code, bars := range byCode {
		slices.SortFunc(bars, func(a, b market.DailyBar) int { return b.TradeDate.Compare(a.TradeDate) })
		if !bars[0].TradeDate.Equal(last) {
			continue
		}
		boards := 0
		for _, b := range bars {
			up, _, ok := d.band(b, names, stocks)
			if !ok || int64(math.Round(b.Close*100)) < up {
				break
			}
			boards++
		}
		if boards > 0 {
			wantLevels[boards] = append(wantLevels[boards], code)
		} else if up, _, ok := d.band(bars[0], names, stocks); ok && int64(math.Round(bars[0].High*100)) >= up {
			wantBroken = append(wantBroken, code)
		}
	}
	for _, v := range wantLevels {
		slices.Sort(v)
	}
	slices.Sort(wantBroken)

	var got ladderJSON
	getJSON(t, h, "/api/overview/limit-ladder", &got)
	if got.TradeDate != market.FormatDate(last) || !got.Synthetic {
		t.Errorf("ladder of %s (synthetic %v), want %s", got.TradeDate, got.Synthetic, market.FormatDate(last))
	}
	if lv := got.levels(); !maps.EqualFunc(lv, wantLevels, slices.Equal) {
		t.Errorf("levels:\n got %v\nwant %v (brute force)", lv, wantLevels)
	}
	if b := codesOf(got.Broken); !slices.Equal(b, wantBroken) {
		t.Errorf("broken %v, want %v (brute force)", b, wantBroken)
	}
	// The boards of two or more are exactly the planted streaks, and every
	// planted broken board is in the broken list.
	planted, multi := map[int][]string{}, map[int][]string{}
	for _, p := range d.plants {
		if p.Broken {
			if !slices.Contains(codesOf(got.Broken), p.TSCode) {
				t.Errorf("planted 炸板 %s missing from %v", p.TSCode, codesOf(got.Broken))
			}
			continue
		}
		planted[p.Boards] = append(planted[p.Boards], p.TSCode)
	}
	for n, codes := range got.levels() {
		if n >= 2 {
			multi[n] = codes
		}
	}
	for _, v := range planted {
		slices.Sort(v)
	}
	if !maps.EqualFunc(multi, planted, slices.Equal) || got.MaxBoards != 5 {
		t.Errorf("multi-board levels %v (height %d), want exactly the planted streaks %v", multi, got.MaxBoards, planted)
	}
	for _, lv := range got.Levels {
		for _, s := range lv.Stocks {
			for _, p := range d.plants {
				if p.TSCode == s.TSCode && p.ST != s.ST {
					t.Errorf("%s: st %v, planted ST %v", s.TSCode, s.ST, p.ST)
				}
			}
		}
	}
}

// indicatorsJSON is an indicators answer with every line kept by name.
type indicatorsJSON struct {
	Start  string                `json:"start"`
	End    string                `json:"end"`
	WarmUp int                   `json:"warm_up"`
	Dates  []string              `json:"dates"`
	MA     map[string][]*float64 `json:"ma"`
	EMA    map[string][]*float64 `json:"ema"`
	RSI    map[string][]*float64 `json:"rsi"`
	MACD   map[string][]*float64 `json:"macd"`
	KDJ    map[string][]*float64 `json:"kdj"`
	BOLL   map[string][]*float64 `json:"boll"`
}

// lines flattens the answer to "macd.dif" → series.
func (a indicatorsJSON) lines() map[string][]*float64 {
	out := map[string][]*float64{}
	for group, m := range map[string]map[string][]*float64{"ma": a.MA, "ema": a.EMA, "rsi": a.RSI, "macd": a.MACD, "kdj": a.KDJ, "boll": a.BOLL} {
		for k, v := range m {
			out[group+"."+k] = v
		}
	}
	return out
}

// resultLines flattens a Result computed in the test the same way.
func resultLines(r indicator.Result) map[string][]*float64 {
	raw, _ := json.Marshal(r)
	var a indicatorsJSON
	if err := json.Unmarshal(raw, &a); err != nil {
		panic(err)
	}
	return a.lines()
}

// compareLines checks that every value of got equals want at the same date
// within tol; want is keyed by date index of wantDates.
func compareLines(t *testing.T, label string, gotDates []string, got map[string][]*float64, wantDates []string, want map[string][]*float64, tol float64) (worst float64) {
	t.Helper()
	at := map[string]int{}
	for i, d := range wantDates {
		at[d] = i
	}
	if len(got) != len(want) || len(got) < 17 {
		t.Errorf("%s: lines %d, want %d", label, len(got), len(want))
	}
	for name, series := range got {
		ws, ok := want[name]
		if !ok || len(series) != len(gotDates) {
			t.Errorf("%s: line %s: %d values for %d dates (in want: %v)", label, name, len(series), len(gotDates), ok)
			continue
		}
		for i, v := range series {
			j, ok := at[gotDates[i]]
			if !ok {
				t.Fatalf("%s: date %s is not a trading day of the full history", label, gotDates[i])
			}
			w := ws[j]
			if (v == nil) != (w == nil) {
				t.Errorf("%s: %s on %s is %s, full history %s", label, name, gotDates[i], fmtPtr(v), fmtPtr(w))
				continue
			}
			if v != nil {
				diff := math.Abs(*v - *w)
				worst = max(worst, diff)
				if diff > tol {
					t.Errorf("%s: %s on %s is %v, full history %v (off by %.3g)", label, name, gotDates[i], *v, *w, diff)
				}
			}
		}
	}
	return worst
}

func testDemoIndicators(t *testing.T, h http.Handler, d demoData) {
	days := d.days
	first, last := market.FormatDate(days[0]), market.FormatDate(days[len(days)-1])
	// A stock listed before the market's first day with days off (the
	// generator suspends a stock now and then): gaps inside the warm-up.
	count := map[string]int{}
	for _, b := range d.all.Daily {
		count[b.TSCode]++
	}
	var plain, suspended string
	for _, s := range d.all.Stocks {
		if !s.ListDate.Before(days[0]) {
			continue
		}
		switch n := count[s.TSCode]; {
		case n == len(days) && plain == "":
			plain = s.TSCode
		case n < len(days) && n > len(days)-40 && suspended == "":
			suspended = s.TSCode
		}
	}
	if plain == "" || suspended == "" || len(d.all.ETFs) == 0 || len(d.all.Indices) == 0 {
		t.Fatalf("the market lacks a stock without gaps (%q), one with a few (%q), an ETF or an index", plain, suspended)
	}
	codes := []string{plain, suspended, d.all.ETFs[0].TSCode, d.all.Indices[0].TSCode}
	naiveDiffers := false
	for _, code := range codes {
		for _, adjust := range []string{"qfq", "hfq", "none"} {
			if adjust != "qfq" && code != codes[0] {
				continue
			}
			label := code + " " + adjust
			// The full history through the API, and computed here from the
			// /daily candles of the same range: the same numbers.
			var full indicatorsJSON
			getJSON(t, h, fmt.Sprintf("/api/stock/%s/indicators?start=%s&end=%s&adjust=%s", code, first, last, adjust), &full)
			var k struct {
				Data []market.Candle `json:"data"`
			}
			getJSON(t, h, fmt.Sprintf("/api/stock/%s/daily?start=%s&end=%s&adjust=%s", code, first, last, adjust), &k)
			if len(k.Data) < 700 || len(full.Dates) != len(k.Data) {
				t.Fatalf("%s: %d candles, %d indicator dates; want the whole history of over 700 days", label, len(k.Data), len(full.Dates))
			}
			res, err := indicator.Compute(k.Data, 0, indicator.All(), indicator.DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			compareLines(t, label+" full vs computed here", full.Dates, full.lines(), res.Dates, resultLines(res), 0)

			for _, w := range [][2]int{{30, 120}, {400, 520}, {700, len(days) - 1}, {730, 745}, {len(days) - 1, len(days) - 1}} {
				start, end := market.FormatDate(days[w[0]]), market.FormatDate(days[w[1]])
				var win indicatorsJSON
				getJSON(t, h, fmt.Sprintf("/api/stock/%s/indicators?start=%s&end=%s&adjust=%s", code, start, end, adjust), &win)
				if win.Start != start || win.End != end || len(win.Dates) == 0 || win.Dates[0] < start || win.Dates[len(win.Dates)-1] > end {
					t.Errorf("%s window %s..%s: answered %s..%s, dates %v…", label, start, end, win.Start, win.End, win.Dates[:min(1, len(win.Dates))])
				}
				compareLines(t, fmt.Sprintf("%s window %s..%s", label, start, end), win.Dates, win.lines(), full.Dates, full.lines(), 1e-6)
				// Without the warm-up the recursive lines would be off at
				// the window's start: the comparison above could fail.
				if w[0] >= 691 {
					from := slices.Index(res.Dates, win.Dates[0])
					naive, _ := indicator.Compute(k.Data[from:min(len(k.Data), from+len(win.Dates))], 0, indicator.All(), indicator.DefaultParams())
					if v, f := naive.EMA["50"][0], full.EMA["50"][from]; f != nil && math.Abs(v-*f) > 1e-6 {
						naiveDiffers = true
					}
				}
			}
		}
	}
	if !naiveDiffers {
		t.Error("the windows computed without history agree with the full one: the warm-up is untested")
	}
	// Names select lines; the default window is the year before the last bar.
	var some indicatorsJSON
	getJSON(t, h, "/api/stock/"+codes[0]+"/indicators?names=macd,KDJ", &some)
	if some.MACD == nil || some.KDJ == nil || some.MA != nil || some.RSI != nil || some.BOLL != nil || some.End != last ||
		some.Start != market.FormatDate(days[len(days)-1].AddDate(-1, 0, 0)) {
		t.Errorf("names=macd,KDJ: start %s end %s, lines %v", some.Start, some.End, slices.Collect(maps.Keys(some.lines())))
	}
}

func testDemoIndices(t *testing.T, h http.Handler, d demoData, last time.Time) {
	bars := map[string]market.DailyBar{}
	for _, b := range d.all.IndexDaily {
		if b.TradeDate.Equal(last) {
			bars[b.TSCode] = b
		}
	}
	var got struct {
		TradeDate string              `json:"trade_date"`
		Synthetic bool                `json:"synthetic"`
		Data      []market.IndexQuote `json:"data"`
	}
	getJSON(t, h, "/api/overview/indices", &got)
	main := market.MainIndices()
	if got.TradeDate != market.FormatDate(last) || !got.Synthetic || len(got.Data) != len(main) {
		t.Fatalf("indices of %s (synthetic %v): %d, want %d", got.TradeDate, got.Synthetic, len(got.Data), len(main))
	}
	for i, q := range got.Data {
		b := bars[q.TSCode]
		if q.TSCode != main[i].TSCode || q.Name != "演示"+main[i].Name || q.Close != b.Close || q.PctChg != b.PctChg || q.PreClose != b.PreClose {
			t.Errorf("index %d: %+v, want %s 演示%s close %v pct %v", i, q, main[i].TSCode, main[i].Name, b.Close, b.PctChg)
		}
	}
	// An index's basic info and K-line, by its code.
	var basic struct {
		TSCode string  `json:"ts_code"`
		Kind   string  `json:"kind"`
		Name   string  `json:"name"`
		Close  float64 `json:"close"`
	}
	getJSON(t, h, "/api/stock/000001.SH/basic", &basic)
	if basic.Kind != "index" || basic.Name != "演示上证指数" || basic.Close != bars["000001.SH"].Close {
		t.Errorf("basic of 000001.SH: %+v", basic)
	}
	var k struct {
		Kind string          `json:"kind"`
		Data []market.Candle `json:"data"`
	}
	getJSON(t, h, "/api/stock/000001.SH/daily?start=2000-01-01", &k)
	var want []market.DailyBar
	for _, b := range d.all.IndexDaily {
		if b.TSCode == "000001.SH" {
			want = append(want, b)
		}
	}
	slices.SortFunc(want, func(a, b market.DailyBar) int { return a.TradeDate.Compare(b.TradeDate) })
	if k.Kind != "index" || len(k.Data) != len(want) {
		t.Fatalf("K-line of 000001.SH: kind %q, %d candles, want %d", k.Kind, len(k.Data), len(want))
	}
	for i, w := range want {
		if c := k.Data[i]; c.Date != market.FormatDate(w.TradeDate) || c.Close != w.Close || c.Open != w.Open || c.High != w.High || c.Low != w.Low {
			t.Errorf("K-line %d: %+v, want %+v", i, c, w)
			break
		}
	}
	getJSON(t, h, "/api/stock/000001.SH/kline?period=week", &k)
	if k.Kind != "index" || len(k.Data) < 5 {
		t.Errorf("weekly K-line of 000001.SH: kind %q, %d weeks", k.Kind, len(k.Data))
	}
	// The quick analysis names every index that moved 1% or more.
	var quick quickJSON
	getJSON(t, h, "/api/overview/quick-analysis", &quick)
	var wantMoves, gotMoves []string
	for _, q := range got.Data {
		if math.Abs(q.PctChg) >= 1 {
			wantMoves = append(wantMoves, q.Name)
		}
	}
	for _, s := range quick.Signals {
		if s.Kind == "index_move" {
			gotMoves = append(gotMoves, s.Message)
		}
	}
	if len(quick.Indices) != len(main) || quick.Ladder.MaxBoards != 5 {
		t.Errorf("quick analysis: %d indices, ladder height %d", len(quick.Indices), quick.Ladder.MaxBoards)
	}
	moved := 0
	for _, s := range quick.Signals {
		if s.Kind != "index_move" {
			continue
		}
		moved++
		if !slices.ContainsFunc(wantMoves, func(n string) bool { return strings.HasPrefix(s.Message, n) }) {
			t.Errorf("signal %q names no index that moved 1%%: %v", s.Message, wantMoves)
		}
	}
	if moved != len(wantMoves) {
		t.Errorf("%d index signals %v, want %d for %v", moved, gotMoves, len(wantMoves), wantMoves)
	}
}

func testDemoSearch(t *testing.T, h http.Handler, other market.Writer) {
	type hits struct {
		Data []market.SearchHit `json:"data"`
	}
	var got hits
	// 演示上证指数 spells yan shi shang zheng zhi shu: szzs inside its
	// initials, shangzheng from a syllable start.
	for _, q := range []string{"szzs", "shangzheng", "yssz"} {
		getJSON(t, h, "/api/stock/search?q="+q, &got)
		if !slices.ContainsFunc(got.Data, func(h market.SearchHit) bool { return h.TSCode == "000001.SH" && h.Kind == market.KindIndex }) {
			t.Errorf("q=%s: %+v lacks the index 000001.SH", q, got.Data)
		}
	}
	// A stock written by another handle (another process) is found by its
	// pinyin once the name index has looked again (at most a second later).
	getJSON(t, h, "/api/stock/search?q=qlcs", &got)
	if len(got.Data) != 0 {
		t.Fatalf("q=qlcs before the load: %+v", got.Data)
	}
	if err := other.PutStocks(context.Background(), []market.Stock{{TSCode: "603999.SH", Symbol: "603999", Name: "演示麒麟测试",
		Industry: "软件服务", ListDate: mustDate("2020-01-02"), ListStatus: "L", Synthetic: true}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		getJSON(t, h, "/api/stock/search?q="+url.QueryEscape("qlcs"), &got)
		if len(got.Data) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(got.Data) != 1 || got.Data[0].TSCode != "603999.SH" {
		t.Errorf("q=qlcs after another handle's load: %+v, want 603999.SH", got.Data)
	}
}
