package ingest

import (
	"cmp"
	"context"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
)

// TestDemoNameHistory checks the demo's ST episodes: namechange rows the
// way Tushare writes them, today's name the name of the last day, and every
// kind of episode present (ST before the window, ST from a day in it, ST
// lifted in it).
func TestDemoNameHistory(t *testing.T) {
	m, g := generateMarket(t, DemoOptions{Stocks: 600, Days: 120, Seed: 5, End: demoEnd})
	h := market.NewNameHistory(m.NameChanges)
	days := g.days
	first, last := days[0], days[len(days)-1]
	var began, lifted, throughout int
	for _, s := range m.Stocks {
		rows := h[s.TSCode]
		if len(rows) == 0 {
			t.Fatalf("%s has no name history", s.TSCode)
		}
		if name, ok := h.On(s.TSCode, last); !ok || name != s.Name {
			t.Errorf("%s: stock_basic name %q, history on the last day %q", s.TSCode, s.Name, name)
		}
		if oldest := rows[len(rows)-1]; !oldest.StartDate.Equal(s.ListDate) || market.IsST(oldest.Name) {
			t.Errorf("%s: first name %q from %s, want a plain name from the listing %s", s.TSCode, oldest.Name,
				market.FormatDate(oldest.StartDate), market.FormatDate(s.ListDate))
		}
		before, _ := h.On(s.TSCode, first)
		after, _ := h.On(s.TSCode, last)
		switch {
		case market.IsST(before) && market.IsST(after):
			throughout++
		case !market.IsST(before) && market.IsST(after):
			began++
		case market.IsST(before) && !market.IsST(after):
			lifted++
		}
		for _, r := range rows {
			if r.AnnDate.After(r.StartDate) || (!r.EndDate.IsZero() && r.EndDate.Before(r.StartDate)) {
				t.Errorf("%s: row %+v has its dates out of order", s.TSCode, r)
			}
		}
	}
	t.Logf("ST episodes: %d throughout, %d began, %d lifted inside the window", throughout, began, lifted)
	if throughout == 0 || began == 0 || lifted == 0 {
		t.Errorf("want every kind of ST episode: %d throughout, %d began, %d lifted", throughout, began, lifted)
	}
}

// TestDemoIndices recomputes the six indices from the demo's own stock rows:
// each day's move is the constituents' return weighted by total_share ×
// pre_close, constituents as the generator documents them.
func TestDemoIndices(t *testing.T) {
	m, g := generateMarket(t, DemoOptions{Stocks: 800, Days: 60, Seed: 9, End: demoEnd})
	if len(m.Indices) != 6 {
		t.Fatalf("%d indices, want the six main ones", len(m.Indices))
	}
	refs := market.MainIndices()
	for i, x := range m.Indices {
		if x.TSCode != refs[i].TSCode || x.Name != "演示"+refs[i].Name || !x.Synthetic || x.BasePoint != 1000 {
			t.Errorf("index %d = %+v; want %s labelled 演示 and synthetic", i, x, refs[i].TSCode)
		}
	}
	days := g.days
	dayIdx := map[time.Time]int{}
	for i, d := range days {
		dayIdx[d] = i
	}
	stocks := map[string]market.Stock{}
	for _, s := range m.Stocks {
		stocks[s.TSCode] = s
	}
	// Starting market value: the first bar's pre_close × its total_share
	// (no split can fall on a stock's first day).
	type key struct {
		code string
		d    time.Time
	}
	basics := map[key]market.DailyBasic{}
	startMV := map[string]float64{}
	for _, b := range m.DailyBasic {
		basics[key{b.TSCode, b.TradeDate}] = b
	}
	var order []string
	for _, b := range m.Daily {
		if _, ok := startMV[b.TSCode]; !ok {
			startMV[b.TSCode] = b.PreClose * *basics[key{b.TSCode, b.TradeDate}].TotalShare
		}
	}
	for _, s := range m.Stocks {
		order = append(order, s.TSCode)
	}
	members := func(code string) map[string]bool {
		var pick []string
		top := 0
		for _, c := range order {
			in := false
			switch code {
			case "000001.SH":
				in = strings.HasSuffix(c, ".SH")
			case "399001.SZ":
				in = strings.HasSuffix(c, ".SZ")
			case "399006.SZ":
				in = market.BoardOf(c) == market.BoardChiNext
			case "000300.SH":
				in, top = !strings.HasSuffix(c, ".BJ"), 300
			case "000688.SH":
				in, top = market.BoardOf(c) == market.BoardSTAR, 50
			case "899050.BJ":
				in, top = market.BoardOf(c) == market.BoardBSE, 50
			}
			if in {
				pick = append(pick, c)
			}
		}
		if top > 0 && len(pick) > top {
			slices.SortStableFunc(pick, func(a, b string) int { return cmp.Compare(startMV[b], startMV[a]) })
			pick = pick[:top]
		}
		out := map[string]bool{}
		for _, c := range pick {
			out[c] = true
		}
		return out
	}
	byDay := map[time.Time][]market.DailyBar{}
	for _, b := range m.Daily {
		byDay[b.TradeDate] = append(byDay[b.TradeDate], b)
	}
	byIndex := map[string][]market.DailyBar{}
	for _, b := range m.IndexDaily {
		byIndex[b.TSCode] = append(byIndex[b.TSCode], b)
	}
	for _, ref := range refs {
		in := members(ref.TSCode)
		bars := byIndex[ref.TSCode]
		if len(bars) != len(days) {
			t.Errorf("%s: %d bars over %d days", ref.TSCode, len(bars), len(days))
			continue
		}
		level := 1000.0
		for i, ib := range bars {
			var w, wc, vol float64
			for _, b := range byDay[ib.TradeDate] {
				if !in[b.TSCode] {
					continue
				}
				if s := stocks[b.TSCode]; !s.ListDate.Before(days[0]) && i-dayIdx[s.ListDate] < market.MaxFreeDays {
					continue // a listing's first days are left out
				}
				mv := *basics[key{b.TSCode, b.TradeDate}].TotalShare * b.PreClose
				w += mv
				wc += mv * b.Close / b.PreClose
				vol += b.Vol
			}
			want := math.Round(level*wc/w*1e4) / 1e4
			if math.Abs(ib.Close-want) > 1e-6 || math.Abs(ib.PreClose-level) > 1e-9 || math.Abs(ib.Vol-vol) > 0.01 ||
				ib.High < max(ib.Open, ib.Close) || ib.Low > min(ib.Open, ib.Close) ||
				math.Abs(ib.PctChg-(ib.Close-ib.PreClose)/ib.PreClose*100) > 1e-4 {
				t.Fatalf("%s on %s: %+v; want close %v from pre %v, vol %v", ref.TSCode, market.FormatDate(ib.TradeDate), ib, want, level, vol)
			}
			level = ib.Close
		}
	}
}

// TestDemoLadder loads a demo market into a real store and checks that the
// ladder of its last day finds exactly the planted streaks and broken
// boards, and agrees with a brute-force walk over the generated bars.
func TestDemoLadder(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	opt := DemoOptions{Stocks: 300, Days: 30, Seed: 11, End: demoEnd}
	if _, err := Demo(ctx, st, opt); err != nil {
		t.Fatal(err)
	}
	m, g := generateMarket(t, opt)
	plants := g.Plants()
	if len(plants) != len(demoPlants) {
		t.Fatalf("%d plants, want %d: %+v", len(plants), len(demoPlants), plants)
	}
	last := g.days[len(g.days)-1]
	l, err := market.BuildLadder(ctx, st, last)
	if err != nil {
		t.Fatal(err)
	}

	// Brute force: each stock's bars newest first, each judged by the rule
	// with the day's name from the history.
	names := market.NewNameHistory(m.NameChanges)
	dayIdx := map[time.Time]int{}
	for i, d := range g.days {
		dayIdx[d] = i
	}
	stocks := map[string]market.Stock{}
	for _, s := range m.Stocks {
		stocks[s.TSCode] = s
	}
	byCode := map[string][]market.DailyBar{}
	for _, b := range m.Daily {
		byCode[b.TSCode] = append(byCode[b.TSCode], b)
	}
	band := func(b market.DailyBar) market.Band {
		s := stocks[b.TSCode]
		listingDay := 0
		if !s.ListDate.Before(g.days[0]) {
			listingDay = dayIdx[b.TradeDate] - dayIdx[s.ListDate] + 1
		}
		name, _ := names.On(b.TSCode, b.TradeDate)
		return market.LimitBand(market.LimitInput{TSCode: b.TSCode, Date: b.TradeDate, ST: market.IsST(name),
			ListDate: s.ListDate, ListingDay: listingDay, PreClose: b.PreClose})
	}
	wantLevels := map[int][]string{}
	var wantBroken []string
	for code, bars := range byCode {
		n := len(bars) - 1
		if !bars[n].TradeDate.Equal(last) {
			continue
		}
		if b := band(bars[n]); b.Broken(market.ToFen(bars[n].High), market.ToFen(bars[n].Close)) {
			wantBroken = append(wantBroken, code)
		}
		boards := 0
		for i := n; i >= 0 && band(bars[i]).LimitUp(market.ToFen(bars[i].Close)); i-- {
			boards++
		}
		if boards > 0 {
			wantLevels[boards] = append(wantLevels[boards], code)
		}
	}
	gotLevels := map[int][]string{}
	for _, lv := range l.Levels {
		for _, s := range lv.Stocks {
			gotLevels[lv.Boards] = append(gotLevels[lv.Boards], s.TSCode)
		}
		slices.Sort(gotLevels[lv.Boards])
	}
	for _, v := range wantLevels {
		slices.Sort(v)
	}
	if !maps.EqualFunc(gotLevels, wantLevels, slices.Equal) {
		t.Errorf("ladder of %s:\n got %v\nwant %v (brute force)", market.FormatDate(last), gotLevels, wantLevels)
	}
	var gotBroken []string
	for _, s := range l.Broken {
		gotBroken = append(gotBroken, s.TSCode)
	}
	slices.Sort(gotBroken)
	slices.Sort(wantBroken)
	if !slices.Equal(gotBroken, wantBroken) {
		t.Errorf("broken: got %v, want %v", gotBroken, wantBroken)
	}

	// The multi-board levels hold exactly the planted streaks, and every
	// planted broken board is broken.
	planted := map[int][]string{}
	for _, p := range plants {
		if p.Broken {
			if !slices.Contains(gotBroken, p.TSCode) {
				t.Errorf("planted broken board %s not in the broken list %v", p.TSCode, gotBroken)
			}
			continue
		}
		planted[p.Boards] = append(planted[p.Boards], p.TSCode)
		if len(p.Suspended) > 0 {
			for _, b := range byCode[p.TSCode] {
				if slices.ContainsFunc(p.Suspended, b.TradeDate.Equal) {
					t.Errorf("%s has a bar on its planted suspension day %s", p.TSCode, market.FormatDate(b.TradeDate))
				}
			}
		}
	}
	multi := map[int][]string{}
	for n, codes := range gotLevels {
		if n >= 2 {
			multi[n] = codes
		}
	}
	for _, v := range planted {
		slices.Sort(v)
	}
	if !maps.EqualFunc(multi, planted, slices.Equal) {
		t.Errorf("multi-board levels %v, want exactly the plants %v", multi, planted)
	}
	if l.MaxBoards != 5 {
		t.Errorf("ladder height %d, want the planted 5", l.MaxBoards)
	}
	t.Logf("ladder of %s: %d limit-up (%d first boards), %d broken, %d limit-down", market.FormatDate(last),
		l.LimitUpCount, len(gotLevels[1]), l.BrokenCount, l.LimitDownCount)
}
