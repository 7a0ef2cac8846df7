package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Brute-force answers for the sector and screener computations on the real
// snapshot, straight from the CSV rows: loops and maps, no SQL, no code
// shared with market.ComputeSectors or market.Screen except the limit rule
// itself (market.LimitBand, tested on its own in the market package).

// snapshotRow is one stock of the snapshot day as the CSV files give it.
type snapshotRow struct {
	bar   market.DailyBar
	stock market.Stock
	basic market.DailyBasic
	st    bool
	board market.Board
}

func snapshotRows(fx fixture) []snapshotRow {
	stocks, basics := fx.stockIndex(), fx.basicOn(snapshotDate)
	var out []snapshotRow
	for _, b := range barsOn(fx.daily, snapshotDate) {
		s := stocks[b.TSCode]
		name := s.Name
		if n := fx.nameOn(b.TSCode, snapshotDate); n != "" {
			name = n
		}
		out = append(out, snapshotRow{bar: b, stock: s, basic: basics[b.TSCode], st: market.IsST(name), board: market.BoardOf(b.TSCode)})
	}
	return out
}

// limitUp judges a snapshot row with the rule; the listing day is counted
// on openDays (newest first) by hand.
func (r snapshotRow) limitUp(fx fixture, openDays []time.Time) bool {
	listingDay := 0
	if l := r.stock.ListDate; !l.IsZero() && !l.After(snapshotDate) && !l.Before(openDays[len(openDays)-1]) {
		for _, d := range openDays {
			if !d.Before(l) && !d.After(snapshotDate) {
				listingDay++
			}
		}
	}
	up, down := fx.limitOn(r.bar.TSCode, snapshotDate)
	band := market.LimitBand(market.LimitInput{TSCode: r.bar.TSCode, Date: snapshotDate, ST: r.st, ListDate: r.stock.ListDate,
		ListingDay: listingDay, PreClose: r.bar.PreClose, UpLimit: up, DownLimit: down})
	return band.UpFen > 0 && market.ToFen(r.bar.Close) >= band.UpFen
}

func checkSectors(t *testing.T, fx fixture, stocks []market.DayStock, openDays []time.Time) {
	t.Helper()
	type agg struct {
		n, up, down, flat, limitUp int
		sum, wsum, wmv, amount     float64
		leader                     snapshotRow
	}
	want := map[string]*agg{}
	for _, r := range snapshotRows(fx) {
		ind := r.stock.Industry
		if ind == "" {
			continue
		}
		a := want[ind]
		if a == nil {
			a = &agg{leader: r}
			want[ind] = a
		}
		a.n++
		switch c, p := market.ToFen(r.bar.Close), market.ToFen(r.bar.PreClose); {
		case c > p:
			a.up++
		case c < p:
			a.down++
		default:
			a.flat++
		}
		if r.limitUp(fx, openDays) {
			a.limitUp++
		}
		a.sum += r.bar.PctChg
		a.amount += r.bar.Amount
		if mv := r.basic.CircMV; mv != nil && *mv > 0 {
			a.wsum += *mv * r.bar.PctChg
			a.wmv += *mv
		}
		if l := a.leader.bar; r.bar.PctChg > l.PctChg || (r.bar.PctChg == l.PctChg && r.bar.TSCode < l.TSCode) {
			a.leader = r
		}
	}
	got := market.ComputeSectors(snapshotDate, stocks, openDays)
	if len(got) != len(want) || len(got) < 100 {
		t.Fatalf("%d sectors, want %d (the snapshot has over 100 industries)", len(got), len(want))
	}
	close4 := func(a, b float64) bool { return math.Abs(a-b) <= 6e-5 }
	limitUps := 0
	for _, s := range got {
		w := want[s.Industry]
		if w == nil {
			t.Errorf("sector %q is not an industry of the snapshot", s.Industry)
			continue
		}
		limitUps += s.LimitUpCount
		wantW := w.wsum / w.wmv
		if s.Stocks != w.n || s.UpCount != w.up || s.DownCount != w.down || s.FlatCount != w.flat || s.LimitUpCount != w.limitUp ||
			!close4(s.PctChg, w.sum/float64(w.n)) || s.WeightedPctChg == nil || !close4(*s.WeightedPctChg, wantW) ||
			!close4(s.UpRatio, float64(w.up)/float64(w.n)) || math.Abs(s.Amount-w.amount) > 1e-3 ||
			s.Leader.TSCode != w.leader.bar.TSCode || s.Leader.PctChg != w.leader.bar.PctChg || s.Leader.Name != w.leader.stock.Name {
			t.Errorf("sector %s:\n got %+v weighted=%s\nwant n=%d up=%d down=%d flat=%d limit_up=%d mean=%v weighted=%v amount=%v leader=%s %v",
				s.Industry, s, pf(s.WeightedPctChg), w.n, w.up, w.down, w.flat, w.limitUp, w.sum/float64(w.n), wantW, w.amount,
				w.leader.bar.TSCode, w.leader.bar.PctChg)
		}
	}
	if limitUps < 50 {
		t.Errorf("%d limit-ups over all sectors; the snapshot day had about 70", limitUps)
	}
	for _, by := range []string{market.SortPctChg, market.SortAmount, market.SortUpRatio} {
		sorted := slices.Clone(got)
		if err := market.SortSectors(sorted, by); err != nil {
			t.Fatal(err)
		}
		key := func(s market.Sector) float64 {
			switch by {
			case market.SortPctChg:
				return s.PctChg
			case market.SortAmount:
				return s.Amount
			}
			return s.UpRatio
		}
		for i := 1; i < len(sorted); i++ {
			a, b := sorted[i-1], sorted[i]
			if key(a) < key(b) || (key(a) == key(b) && a.Industry > b.Industry) {
				t.Fatalf("SortSectors(%s): %s (%v) before %s (%v)", by, a.Industry, key(a), b.Industry, key(b))
			}
		}
	}
	if err := market.SortSectors(got, "volume"); err == nil {
		t.Error("SortSectors(volume): want an error")
	}
}

func fp(v float64) *float64 { return &v }

func checkScreens(t *testing.T, fx fixture, stocks []market.DayStock) {
	t.Helper()
	rows := snapshotRows(fx)
	value := func(r snapshotRow, field string) *float64 {
		b := r.basic
		switch field {
		case "pe":
			return b.PE
		case "pe_ttm":
			return b.PETTM
		case "pb":
			return b.PB
		case "ps":
			return b.PS
		case "dv_ratio":
			return b.DvRatio
		case "total_mv":
			return b.TotalMV
		case "circ_mv":
			return b.CircMV
		case "turnover_rate":
			return b.TurnoverRate
		case "pct_chg":
			return &r.bar.PctChg
		case "amount":
			return &r.bar.Amount
		}
		return &r.bar.Close
	}
	type bound struct {
		field    string
		min, max *float64
	}
	for i, tc := range []struct {
		q      market.ScreenQuery
		bounds []bound
	}{
		{q: market.ScreenQuery{}},
		{q: market.ScreenQuery{PE: market.Range{Min: fp(0), Max: fp(20)}, PB: market.Range{Max: fp(2)}, DvRatio: market.Range{Min: fp(3)},
			SortBy: "dv_ratio", Limit: 30, Offset: 10},
			bounds: []bound{{"pe", fp(0), fp(20)}, {"pb", nil, fp(2)}, {"dv_ratio", fp(3), nil}}},
		{q: market.ScreenQuery{Industries: []string{"银行"}, Boards: []market.Board{market.BoardMain}, SortBy: "pe", Ascending: true, Limit: 100}},
		{q: market.ScreenQuery{IncludeST: true, TurnoverRate: market.Range{Min: fp(5), Max: fp(20)}, PctChg: market.Range{Min: fp(5)},
			SortBy: "pct_chg", Limit: 500},
			bounds: []bound{{"turnover_rate", fp(5), fp(20)}, {"pct_chg", fp(5), nil}}},
		{q: market.ScreenQuery{TotalMV: market.Range{Min: fp(1e7)}, CircMV: market.Range{Max: fp(5e7)},
			Boards: []market.Board{market.BoardSTAR, market.BoardChiNext}, SortBy: "pe_ttm", Ascending: true, Limit: 20, Offset: 5},
			bounds: []bound{{"total_mv", fp(1e7), nil}, {"circ_mv", nil, fp(5e7)}}},
		{q: market.ScreenQuery{PS: market.Range{Max: fp(1)}, SortBy: "ps", Ascending: true, Offset: 100000}, bounds: []bound{{"ps", nil, fp(1)}}},
		{q: market.ScreenQuery{Industries: []string{"白酒", "银行"}, IncludeST: true, SortBy: "amount", Limit: 7}},
	} {
		label := fmt.Sprintf("screen %d %+v", i, tc.q)
		got, err := market.Screen(stocks, tc.q)
		if err != nil {
			t.Errorf("%s: %v", label, err)
			continue
		}
		q := tc.q
		if q.SortBy == "" {
			q.SortBy = "total_mv"
		}
		if q.Limit == 0 {
			q.Limit = market.DefaultScreenLimit
		}
		var match []snapshotRow
		for _, r := range rows {
			if (r.st && !q.IncludeST) || (len(q.Industries) > 0 && !slices.Contains(q.Industries, r.stock.Industry)) ||
				(len(q.Boards) > 0 && !slices.Contains(q.Boards, r.board)) {
				continue
			}
			ok := true
			for _, b := range tc.bounds {
				v := value(r, b.field)
				if v == nil || (b.min != nil && *v < *b.min) || (b.max != nil && *v > *b.max) {
					ok = false
				}
			}
			if ok {
				match = append(match, r)
			}
		}
		slices.SortFunc(match, func(a, b snapshotRow) int {
			av, bv := value(a, q.SortBy), value(b, q.SortBy)
			if av == nil || bv == nil {
				if av == nil && bv == nil {
					return cmp.Compare(a.bar.TSCode, b.bar.TSCode)
				}
				if av == nil {
					return 1
				}
				return -1
			}
			c := cmp.Compare(*bv, *av)
			if q.Ascending {
				c = -c
			}
			if c == 0 {
				c = cmp.Compare(a.bar.TSCode, b.bar.TSCode)
			}
			return c
		})
		var wantCodes, gotCodes []string
		for _, r := range match[min(q.Offset, len(match)):min(q.Offset+q.Limit, len(match))] {
			wantCodes = append(wantCodes, r.bar.TSCode)
		}
		for _, r := range got.Data {
			gotCodes = append(gotCodes, r.TSCode)
		}
		if got.Total != len(match) || !slices.Equal(gotCodes, wantCodes) {
			t.Errorf("%s: total %d, page %v\nwant total %d, page %v", label, got.Total, gotCodes, len(match), wantCodes)
		}
		if i < 5 && len(wantCodes) == 0 {
			t.Errorf("%s: the brute force found nothing; the query tests nothing", label)
		}
	}
	for _, bad := range []market.ScreenQuery{
		{PE: market.Range{Min: fp(20), Max: fp(10)}},
		{SortBy: "volume"},
		{Limit: market.MaxScreenLimit + 1},
		{Offset: -1},
		{Boards: []market.Board{"nasdaq"}},
	} {
		if _, err := market.Screen(stocks, bad); !errors.Is(err, market.ErrBadScreen) {
			t.Errorf("Screen(%+v): err = %v, want ErrBadScreen", bad, err)
		}
	}
}
