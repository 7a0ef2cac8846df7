package httpapi

import (
	"cmp"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// The expectations here are computed from the snapshot rows with plain
// loops, independently of the store and of the market package's helpers
// where the rule itself is under test (limit prices, breadth).

type hotRow struct {
	code               string
	name, industry     string
	close, pct, amount float64
	vol                float64
	turnover, circMV   *float64
	synthetic          bool
}

func (s *snapshot) expectHotStocks(date time.Time, sortBy string, limit int) []hotRow {
	sortBy, asc := strings.CutSuffix(sortBy, ":asc")
	names := map[string]market.Stock{}
	for _, st := range s.stocks {
		names[st.TSCode] = st
	}
	basics := map[string]market.DailyBasic{}
	for _, b := range s.basic {
		if b.TradeDate.Equal(date) {
			basics[b.TSCode] = b
		}
	}
	var rows []hotRow
	for _, b := range s.daily {
		if !b.TradeDate.Equal(date) {
			continue
		}
		st := names[b.TSCode]
		db := basics[b.TSCode]
		rows = append(rows, hotRow{code: b.TSCode, name: st.Name, industry: st.Industry, close: b.Close, pct: b.PctChg,
			amount: b.Amount, vol: b.Vol, turnover: db.TurnoverRate, circMV: db.CircMV})
	}
	key := func(r hotRow) *float64 {
		switch sortBy {
		case market.SortPctChg:
			return &r.pct
		case market.SortTurnoverRate:
			return r.turnover
		}
		return &r.amount
	}
	slices.SortFunc(rows, func(a, b hotRow) int { return rankNullsLast(asc, key(a), key(b), a.code, b.code) })
	return rows[:min(limit, len(rows))]
}

func (s *snapshot) expectHotETFs(date time.Time, sortBy string, limit int) []hotRow {
	sortBy, asc := strings.CutSuffix(sortBy, ":asc")
	names := map[string]market.ETF{}
	for _, e := range s.etfs {
		names[e.TSCode] = e
	}
	var rows []hotRow
	for _, b := range s.etfBar {
		if b.TradeDate.Equal(date) {
			e := names[b.TSCode]
			rows = append(rows, hotRow{code: b.TSCode, name: e.Name, close: b.Close, pct: b.PctChg, amount: b.Amount, vol: b.Vol, synthetic: e.Synthetic})
		}
	}
	key := func(r hotRow) *float64 {
		if sortBy == market.SortPctChg {
			return &r.pct
		}
		return &r.amount
	}
	slices.SortFunc(rows, func(a, b hotRow) int { return rankNullsLast(asc, key(a), key(b), a.code, b.code) })
	return rows[:min(limit, len(rows))]
}

// rankNullsLast orders by value (ascending when asc) with NULL last either
// way, then by code.
func rankNullsLast(asc bool, a, b *float64, ac, bc string) int {
	switch {
	case a == nil && b == nil:
	case a == nil:
		return 1
	case b == nil:
		return -1
	case *a != *b && asc:
		return cmp.Compare(*a, *b)
	case *a != *b:
		return cmp.Compare(*b, *a)
	}
	return cmp.Compare(ac, bc)
}

type statsExpect struct {
	up, down, flat, limitUp, limitDown, count int
	totalAmount, totalVol                     float64
}

// rat parses a CSV decimal exactly.
func rat(t testing.TB, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("decimal %q", s)
	}
	return r
}

// limitPctOf is the exchange rule written out from DESIGN.md §6 without the
// market package: main boards 10% (5% for ST names), STAR and ChiNext 20%,
// Beijing 30%.
func limitPctOf(code, name string) int64 {
	d, ex := code[:6], code[7:]
	st := strings.Contains(name, "ST") || strings.HasPrefix(name, "S")
	switch {
	case ex == "SH" && (strings.HasPrefix(d, "600") || strings.HasPrefix(d, "601") || strings.HasPrefix(d, "603") || strings.HasPrefix(d, "605")),
		ex == "SZ" && (strings.HasPrefix(d, "000") || strings.HasPrefix(d, "001") || strings.HasPrefix(d, "002") || strings.HasPrefix(d, "003")):
		if st {
			return 5
		}
		return 10
	case ex == "SH" && (strings.HasPrefix(d, "688") || strings.HasPrefix(d, "689")),
		ex == "SZ" && (strings.HasPrefix(d, "300") || strings.HasPrefix(d, "301") || strings.HasPrefix(d, "302")):
		return 20
	case ex == "BJ":
		return 30
	}
	return 0
}

// limitPrice is pre × (100 ± pct)/100 rounded half-up to the fen, in exact
// rational arithmetic.
func limitPrice(pre *big.Rat, pct int64) *big.Rat {
	v := new(big.Rat).Mul(pre, big.NewRat(100+pct, 100))
	fen := new(big.Rat).Mul(v, big.NewRat(100, 1))
	// floor(fen + 1/2) for a positive value
	fen.Add(fen, big.NewRat(1, 2))
	q := new(big.Int).Quo(fen.Num(), fen.Denom())
	return new(big.Rat).SetFrac(q, big.NewInt(100))
}

func (s *snapshot) expectStats(t testing.TB, date time.Time) statsExpect {
	// The 5th open day back from date: listings on or after it have no limit.
	var open []time.Time
	for _, c := range s.cal {
		if c.IsOpen && !c.CalDate.After(date) {
			open = append(open, c.CalDate)
		}
	}
	slices.SortFunc(open, func(a, b time.Time) int { return b.Compare(a) })
	cutoff := open[4]

	var e statsExpect
	for _, r := range s.rawDaily {
		if !optDate(t, r["trade_date"]).Equal(date) {
			continue
		}
		e.count++
		closePx, pre := rat(t, r["close"]), rat(t, r["pre_close"])
		switch closePx.Cmp(pre) {
		case 1:
			e.up++
		case -1:
			e.down++
		default:
			e.flat++
		}
		e.totalAmount += num(t, r["amount"])
		e.totalVol += num(t, r["vol"])
		sb := s.rawStock[r["ts_code"]]
		if ld := optDate(t, sb["list_date"]); !ld.IsZero() && !ld.Before(cutoff) {
			continue
		}
		pct := limitPctOf(r["ts_code"], sb["name"])
		if pct == 0 {
			continue
		}
		if closePx.Cmp(limitPrice(pre, pct)) >= 0 {
			e.limitUp++
		} else if closePx.Cmp(limitPrice(pre, -pct)) <= 0 {
			e.limitDown++
		}
	}
	e.totalAmount /= 1e5 // thousand CNY → 亿元
	return e
}

type candle struct {
	date                                  string
	open, high, low, close, pre, pct, vol float64
}

// expectDaily adjusts 000001.SZ-like bars the way DESIGN.md §6 says: qfq
// scales by factor/factor(latest day), hfq by factor.
func (s *snapshot) expectDaily(code, adjust string, start, end time.Time) (anchor string, out []candle) {
	factors := map[time.Time]float64{}
	var anchorDay time.Time
	for _, a := range s.adj {
		if a.TSCode == code {
			factors[a.TradeDate] = a.Factor
			if a.TradeDate.After(anchorDay) {
				anchorDay = a.TradeDate
			}
		}
	}
	var bars []market.DailyBar
	for _, b := range append(slices.Clone(s.daily), s.etfBar...) {
		if b.TSCode == code && !b.TradeDate.Before(start) && !b.TradeDate.After(end) {
			bars = append(bars, b)
		}
	}
	slices.SortFunc(bars, func(a, b market.DailyBar) int { return a.TradeDate.Compare(b.TradeDate) })
	for _, b := range bars {
		k := 1.0
		switch adjust {
		case "qfq":
			k = factors[b.TradeDate] / factors[anchorDay]
		case "hfq":
			k = factors[b.TradeDate]
		}
		out = append(out, candle{date: market.FormatDate(b.TradeDate), open: b.Open * k, high: b.High * k, low: b.Low * k,
			close: b.Close * k, pre: b.PreClose * k, pct: b.PctChg, vol: b.Vol})
	}
	if anchorDay.IsZero() {
		return "", out
	}
	return market.FormatDate(anchorDay), out
}

// near compares prices after the 1/10000 rounding of adjusted answers.
func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
