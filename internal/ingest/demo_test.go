package ingest

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

var demoEnd = time.Date(2025, 12, 19, 0, 0, 0, 0, time.UTC)

// generate runs the generator to the end and gathers every row.
func generate(t testing.TB, opt DemoOptions) Batch {
	t.Helper()
	all, _ := generateMarket(t, opt)
	return all
}

// generateMarket is generate that also hands back the generator, for its
// plants.
func generateMarket(t testing.TB, opt DemoOptions) (Batch, *DemoMarket) {
	t.Helper()
	g, err := NewDemoMarket(opt)
	if err != nil {
		t.Fatal(err)
	}
	all := g.Reference()
	for {
		b, ok := g.Next()
		if !ok {
			break
		}
		all.Daily = append(all.Daily, b.Daily...)
		all.DailyBasic = append(all.DailyBasic, b.DailyBasic...)
		all.AdjFactors = append(all.AdjFactors, b.AdjFactors...)
		all.ETFDaily = append(all.ETFDaily, b.ETFDaily...)
		all.IndexDaily = append(all.IndexDaily, b.IndexDaily...)
	}
	return all, g
}

func TestDemoDeterministic(t *testing.T) {
	opt := DemoOptions{Stocks: 60, ETFs: 5, Days: 40, Seed: 7, End: demoEnd}
	a := generate(t, opt)
	// Chunking is a memory knob and must not change the market.
	opt.ChunkRows = 100
	b := generate(t, opt)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different chunk size: different markets")
	}
	opt.Seed = 8
	c := generate(t, opt)
	if reflect.DeepEqual(a.Daily, c.Daily) || reflect.DeepEqual(a.Stocks, c.Stocks) {
		t.Fatal("different seeds gave the same market")
	}
	if a.Len() == 0 || len(a.Daily) == 0 || len(a.ETFDaily) != 5*40 {
		t.Fatalf("market too small: %v", a.Counts())
	}
}

func TestDemoOptionsValidate(t *testing.T) {
	ok := DemoOptions{Stocks: 1, ETFs: 0, Days: 1}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		opt  DemoOptions
		want string
	}{
		{DemoOptions{Stocks: -1, Days: 10}, "stocks must be"},
		{DemoOptions{Stocks: 0, Days: 10}, "stocks must be"},
		{DemoOptions{Stocks: MaxDemoStocks + 1, Days: 10}, "stocks must be"},
		{DemoOptions{Stocks: 10, ETFs: -1, Days: 10}, "etfs must be"},
		{DemoOptions{Stocks: 10, Days: 0}, "days must be"},
		{DemoOptions{Stocks: 10, Days: MaxDemoDays + 1}, "days must be"},
	} {
		if err := tt.opt.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.opt, err, tt.want)
		}
		if _, err := NewDemoMarket(tt.opt); err == nil {
			t.Errorf("%+v: NewDemoMarket accepted it", tt.opt)
		}
	}
}

// TestDemoMarketRules checks the rules a real market obeys and the demo
// must too, over a market big enough for rare events to happen.
func TestDemoMarketRules(t *testing.T) {
	m, g := generateMarket(t, DemoOptions{Stocks: 300, ETFs: 30, Days: 120, Seed: 1, End: demoEnd})
	names := market.NewNameHistory(m.NameChanges)
	suspended := map[string]bool{} // code + date of a planted suspension
	for _, p := range g.Plants() {
		for _, d := range p.Suspended {
			suspended[p.TSCode+market.FormatDate(d)] = true
		}
	}

	// Every board and every code prefix, names that cannot be real.
	stocks := make(map[string]market.Stock)
	prefixSeen := make(map[string]bool)
	boards := make(map[market.Board]int)
	st := 0
	for _, s := range m.Stocks {
		if _, dup := stocks[s.TSCode]; dup {
			t.Fatalf("duplicate code %s", s.TSCode)
		}
		stocks[s.TSCode] = s
		if c, err := market.ParseCode(s.TSCode); err != nil || c != s.TSCode {
			t.Fatalf("code %q does not parse: %v", s.TSCode, err)
		}
		boards[market.BoardOf(s.TSCode)]++
		for _, p := range prefixes {
			if strings.HasPrefix(s.TSCode, p.prefix) && strings.HasSuffix(s.TSCode, p.suffix) {
				prefixSeen[p.prefix] = true
			}
		}
		if !s.Synthetic || !strings.Contains(s.Name, "演示") {
			t.Fatalf("%s %q is not marked synthetic", s.TSCode, s.Name)
		}
		if market.IsST(s.Name) {
			st++
			if market.BoardOf(s.TSCode) != market.BoardMain {
				t.Fatalf("ST stock %s %q is not on a main board", s.TSCode, s.Name)
			}
		}
		if s.Industry == "" || s.Area == "" || s.Exchange != ExchangeOf(s.TSCode) || s.Market != MarketOf(s.TSCode) {
			t.Fatalf("incomplete stock %+v", s)
		}
	}
	for _, p := range prefixes {
		if !prefixSeen[p.prefix] {
			t.Errorf("no stock with prefix %s", p.prefix)
		}
	}
	for _, b := range []market.Board{market.BoardMain, market.BoardSTAR, market.BoardChiNext, market.BoardBSE} {
		if boards[b] == 0 {
			t.Errorf("no stock on board %s", b)
		}
	}
	if boards[market.BoardOther] > 0 || boards[market.BoardFund] > 0 {
		t.Errorf("stocks off the stock boards: %v", boards)
	}
	if st == 0 {
		t.Error("no ST stock")
	}
	fundNames := make(map[string]bool)
	for _, e := range m.ETFs {
		if market.BoardOf(e.TSCode) != market.BoardFund || !e.Synthetic || !strings.HasPrefix(e.Name, "演示") || !strings.HasSuffix(strings.TrimRight(e.Name, "0123456789"), "ETF") {
			t.Errorf("bad fund %+v", e)
		}
		if fundNames[e.Name] {
			t.Errorf("duplicate fund name %q", e.Name)
		}
		fundNames[e.Name] = true
	}

	// Calendar: bars exactly on the open days; pretrade is the previous open day.
	open := make(map[time.Time]bool)
	var openDays []time.Time
	for i, c := range m.TradeCal {
		if wd := c.CalDate.Weekday(); c.IsOpen && (wd == time.Saturday || wd == time.Sunday) {
			t.Fatalf("open on a %s: %v", wd, c.CalDate)
		}
		if i > 0 && !c.CalDate.Equal(m.TradeCal[i-1].CalDate.AddDate(0, 0, 1)) {
			t.Fatalf("calendar gap before %v", c.CalDate)
		}
		if len(openDays) > 0 && !c.PretradeDate.Equal(openDays[len(openDays)-1]) {
			t.Fatalf("%v: pretrade %v, want %v", c.CalDate, c.PretradeDate, openDays[len(openDays)-1])
		}
		if c.IsOpen {
			open[c.CalDate] = true
			openDays = append(openDays, c.CalDate)
		}
	}
	if len(openDays) != 120 || !openDays[len(openDays)-1].Equal(demoEnd) {
		t.Fatalf("%d open days ending %v, want 120 ending %v", len(openDays), openDays[len(openDays)-1], demoEnd)
	}
	barDays := make(map[time.Time]bool)
	for _, b := range m.Daily {
		if !open[b.TradeDate] {
			t.Fatalf("bar on a closed day: %+v", b)
		}
		barDays[b.TradeDate] = true
	}
	if len(barDays) != len(open) {
		t.Fatalf("bars on %d days, calendar has %d open", len(barDays), len(open))
	}

	// Bars: limits, consistency, listings, factors.
	dayIdx := make(map[time.Time]int)
	for i, d := range openDays {
		dayIdx[d] = i
	}
	factors := make(map[string]float64)
	for _, a := range m.AdjFactors {
		factors[a.TSCode+market.FormatDate(a.TradeDate)] = a.Factor
	}
	type last struct {
		bar    market.DailyBar
		factor float64
	}
	prev := make(map[string]last)
	listedIn := 0
	var limitUp, limitDown, exRights int
	for i, b := range m.Daily {
		s := stocks[b.TSCode]
		preFen, closeFen := market.ToFen(b.PreClose), market.ToFen(b.Close)
		if market.ToFen(b.Change) != closeFen-preFen || math.Abs(b.PctChg-float64(closeFen-preFen)/float64(preFen)*100) > 1e-4 {
			t.Fatalf("change/pct_chg inconsistent: %+v", b)
		}
		if b.High < max(b.Open, b.Close) || b.Low > min(b.Open, b.Close) || b.Low <= 0 {
			t.Fatalf("high/low inconsistent: %+v", b)
		}
		// amount ≈ vol × price × 100 / 1000, the price within the day's range.
		if b.Vol <= 0 || b.Amount < b.Vol*b.Low/10*0.999 || b.Amount > b.Vol*b.High/10*1.001 {
			t.Fatalf("amount %v outside vol×[low,high]: %+v", b.Amount, b)
		}
		f := factors[b.TSCode+market.FormatDate(b.TradeDate)]
		if f <= 0 {
			t.Fatalf("no adj_factor for %s %v", b.TSCode, b.TradeDate)
		}
		p, seen := prev[b.TSCode]
		if !seen {
			if b.TradeDate.After(openDays[0]) {
				// Listed inside the window: the first bar is on the list date.
				listedIn++
				if !b.TradeDate.Equal(s.ListDate) {
					t.Fatalf("%s: first bar %v, list date %v", b.TSCode, b.TradeDate, s.ListDate)
				}
			}
		} else {
			for i := dayIdx[p.bar.TradeDate] + 1; i < dayIdx[b.TradeDate]; i++ {
				if !suspended[b.TSCode+market.FormatDate(openDays[i])] {
					t.Fatalf("%s: gap between %v and %v", b.TSCode, p.bar.TradeDate, b.TradeDate)
				}
			}
			if preFen != market.ToFen(p.bar.Close) {
				exRights++
				// Adjusted prices stay continuous over an ex-rights day.
				if math.Abs(p.bar.Close*p.factor-b.PreClose*f)/(p.bar.Close*p.factor) > 0.002 || f <= p.factor {
					t.Fatalf("%s %v: ex-rights pre %v×%v vs close %v×%v", b.TSCode, b.TradeDate, b.PreClose, f, p.bar.Close, p.factor)
				}
			} else if f != p.factor {
				t.Fatalf("%s %v: factor moved %v→%v without an ex-rights pre_close", b.TSCode, b.TradeDate, p.factor, f)
			}
		}
		prev[b.TSCode] = last{b, f}

		listingDay := 0
		if !s.ListDate.Before(openDays[0]) {
			listingDay = dayIdx[b.TradeDate] - dayIdx[s.ListDate] + 1
		}
		name, _ := names.On(b.TSCode, b.TradeDate)
		band := market.LimitBand(market.LimitInput{TSCode: b.TSCode, Date: b.TradeDate, ST: market.IsST(name),
			ListDate: s.ListDate, ListingDay: listingDay, PreClose: b.PreClose})
		if band.UpFen == 0 {
			continue // a listing's free days
		}
		up, down := band.UpFen, band.DownFen
		if closeFen > up || closeFen < down || market.ToFen(b.High) > up || market.ToFen(b.Low) < down {
			t.Fatalf("bar %d outside the limits [%d, %d] fen: %+v", i, down, up, b)
		}
		if closeFen == up {
			limitUp++
		}
		if closeFen == down {
			limitDown++
		}
	}
	t.Logf("%d bars: %d listed in the window, %d limit-up, %d limit-down, %d ex-rights", len(m.Daily), listedIn, limitUp, limitDown, exRights)
	if listedIn == 0 {
		t.Error("no stock listed inside the window")
	}
	if limitUp == 0 || limitDown == 0 || exRights == 0 {
		t.Errorf("rare events missing: %d limit-up, %d limit-down, %d ex-rights", limitUp, limitDown, exRights)
	}

	// Valuations follow the bars: close, turnover = vol / float_share, mv = close × shares.
	var nilPE int
	for i, db := range m.DailyBasic {
		b := m.Daily[i]
		if db.TSCode != b.TSCode || !db.TradeDate.Equal(b.TradeDate) || *db.Close != b.Close {
			t.Fatalf("daily_basic %d does not match its bar", i)
		}
		if math.Abs(*db.TurnoverRate - b.Vol / *db.FloatShare) > 1e-4 || math.Abs(*db.CircMV-b.Close**db.FloatShare) > 0.01 ||
			*db.TotalShare < *db.FloatShare {
			t.Fatalf("daily_basic inconsistent: %+v vs %+v", db, b)
		}
		if db.PE == nil {
			nilPE++
		}
	}
	t.Logf("%d of %d daily_basic rows without pe", nilPE, len(m.DailyBasic))
	if nilPE == 0 || nilPE == len(m.DailyBasic) {
		t.Errorf("%d of %d rows without pe: want some loss-makers, not all", nilPE, len(m.DailyBasic))
	}

	// Funds move at most 10% a day, on the same days.
	for _, b := range m.ETFDaily {
		if !open[b.TradeDate] || math.Abs(b.Close/b.PreClose-1) > 0.1001 || b.High < b.Close || b.Low > b.Close {
			t.Fatalf("bad fund bar %+v", b)
		}
	}
}

// TestDemoStatsBreadth checks the market the overview shows is plausible:
// both rises and falls every day, and limit moves counted by the real rule.
func TestDemoStatsBreadth(t *testing.T) {
	g, err := NewDemoMarket(DemoOptions{Stocks: 500, Days: 60, Seed: 3, End: demoEnd})
	if err != nil {
		t.Fatal(err)
	}
	ref := g.Reference()
	names := make(map[string]market.Stock)
	for _, s := range ref.Stocks {
		names[s.TSCode] = s
	}
	limits := 0
	for {
		b, ok := g.Next()
		if !ok {
			break
		}
		byDay := make(map[time.Time][]market.StatBar)
		for _, d := range b.Daily {
			s := names[d.TSCode]
			byDay[d.TradeDate] = append(byDay[d.TradeDate], market.StatBar{TSCode: d.TSCode, Name: s.Name, ListDate: s.ListDate,
				Close: d.Close, PreClose: d.PreClose, PctChg: d.PctChg, Vol: d.Vol, Amount: d.Amount})
		}
		for day, bars := range byDay {
			// No calendar lookup here: leaving new listings in can only add limit counts.
			st := market.ComputeStats(day, bars, nil)
			if st.UpCount == 0 || st.DownCount == 0 || st.TotalAmount <= 0 {
				t.Fatalf("%v: implausible breadth %+v", day, st)
			}
			limits += st.LimitUpCount + st.LimitDownCount
		}
	}
	if limits == 0 {
		t.Fatal("no limit moves in 60 days of 500 stocks")
	}
}

func TestDemoLargeCodeSpace(t *testing.T) {
	// Enough stocks to fill some prefixes: codes must stay distinct and valid.
	g, err := NewDemoMarket(DemoOptions{Stocks: MaxDemoStocks, ETFs: MaxDemoETFs, Days: 1, End: demoEnd})
	if err != nil {
		t.Fatal(err)
	}
	ref := g.Reference()
	seen := make(map[string]bool)
	for _, s := range ref.Stocks {
		if seen[s.TSCode] || market.BoardOf(s.TSCode) == market.BoardOther {
			t.Fatalf("duplicate or off-board code %s", s.TSCode)
		}
		seen[s.TSCode] = true
	}
	for _, e := range ref.ETFs {
		if seen[e.TSCode] || market.BoardOf(e.TSCode) != market.BoardFund {
			t.Fatalf("duplicate or non-fund code %s", e.TSCode)
		}
		seen[e.TSCode] = true
	}
}
