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

// The limit rule below is written out from DESIGN.md §6 and
// docs/LIMIT-RULES.md without the market package, for the dates the tests
// use (2025 on; older listing-day bands do not arise there). The snapshot
// loads no name history and no stk_limit rows, so ST status is today's name.

// stSwitch is the first day main-board ST stocks trade within ±10%.
var stSwitch = mustDate("2026-07-06")

// boardOf names a stock's board by its code: main, star, chinext, bse, or
// "" for anything else (funds, B shares).
func boardOf(code string) string {
	d, ex := code[:6], code[7:]
	switch {
	case ex == "SH" && (strings.HasPrefix(d, "600") || strings.HasPrefix(d, "601") || strings.HasPrefix(d, "603") || strings.HasPrefix(d, "605")),
		ex == "SZ" && (strings.HasPrefix(d, "000") || strings.HasPrefix(d, "001") || strings.HasPrefix(d, "002") || strings.HasPrefix(d, "003")):
		return "main"
	case ex == "SH" && (strings.HasPrefix(d, "688") || strings.HasPrefix(d, "689")):
		return "star"
	case ex == "SZ" && (strings.HasPrefix(d, "300") || strings.HasPrefix(d, "301") || strings.HasPrefix(d, "302")):
		return "chinext"
	case ex == "BJ" && (d[0] == '4' || d[0] == '8' || strings.HasPrefix(d, "920")):
		return "bse"
	}
	return ""
}

// isSTName: ST, *ST, SST… anywhere in the name, or the S of shares that
// had not finished the split-share reform (S followed by a Chinese
// character, or by a space).
func isSTName(name string) bool {
	if strings.Contains(strings.ToUpper(name), "ST") {
		return true
	}
	r := []rune(name)
	return len(r) > 1 && (r[0] == 'S' || r[0] == 's') && (r[1] == ' ' || r[1] > 0x7f)
}

// limitPctOf is the daily limit in percent of a stock past its listing
// window on date: main boards 10%, under risk warning 5% until 2026-07-05
// and 10% from 2026-07-06; STAR and ChiNext 20%, ST included; Beijing 30%.
// 0 means no limit rule.
func limitPctOf(code, name string, date time.Time) int64 {
	switch boardOf(code) {
	case "main":
		if isSTName(name) && date.Before(stSwitch) {
			return 5
		}
		return 10
	case "star", "chinext":
		return 20
	case "bse":
		return 30
	}
	return 0
}

// freeDaysOf is how many trading days from its listing day on a stock
// trades without limit: its listing day only on the Beijing exchange, the
// first five elsewhere (registration system).
func freeDaysOf(code string) int {
	if boardOf(code) == "bse" {
		return 1
	}
	return 5
}

// listingDayOf numbers date among the open days (newest first) counted
// from listDate: 1 on the listing day, 0 when the listing lies before the
// days given (then the stock is past any listing window).
func listingDayOf(listDate, date time.Time, open []time.Time) int {
	if listDate.IsZero() || listDate.After(date) || listDate.Before(open[len(open)-1]) {
		return 0
	}
	n := 0
	for _, d := range open {
		if !d.Before(listDate) && !d.After(date) {
			n++
		}
	}
	return n
}

// openDaysTo is the calendar's open days on or before date, newest first,
// at most n.
func (s *snapshot) openDaysTo(date time.Time, n int) []time.Time {
	if open, ok := s.open[date]; ok && len(open) >= n {
		return open[:n]
	}
	var open []time.Time
	for _, c := range s.cal {
		if c.IsOpen && !c.CalDate.After(date) {
			open = append(open, c.CalDate)
		}
	}
	slices.SortFunc(open, func(a, b time.Time) int { return b.Compare(a) })
	open = open[:min(n, len(open))]
	if s.open == nil {
		s.open = map[time.Time][]time.Time{}
	}
	s.open[date] = open
	return open
}

// limitMove judges a raw daily row of date: limit-up or limit-down at the
// close, and whether the high touched the limit-up price (a 炸板 when the
// close did not stay there). ok is false when the stock has no limit that
// day (no rule, or inside its listing window).
func (s *snapshot) limitMove(t testing.TB, r map[string]string, date time.Time) (up, down, touched, ok bool) {
	code := r["ts_code"]
	sb := s.rawStock[code]
	open := s.openDaysTo(date, 6)
	if n := listingDayOf(optDate(t, sb["list_date"]), date, open); n >= 1 && n <= freeDaysOf(code) {
		return false, false, false, false
	}
	pct := limitPctOf(code, sb["name"], date)
	if pct == 0 {
		return false, false, false, false
	}
	closePx, pre, high := rat(t, r["close"]), rat(t, r["pre_close"]), rat(t, r["high"])
	upPx, downPx := limitPrice(code, pre, pct), limitPrice(code, pre, -pct)
	return closePx.Cmp(upPx) >= 0, closePx.Cmp(downPx) <= 0, high.Cmp(upPx) >= 0, true
}

// limitPrice is pre × (100 + pct)/100 (pct negative for the lower limit)
// to the fen, in exact rational arithmetic: rounded half-up on the
// Shanghai and Shenzhen boards, inward on the Beijing exchange (the upper
// limit down, the lower limit up), as each exchange publishes them.
func limitPrice(code string, pre *big.Rat, pct int64) *big.Rat {
	fen := new(big.Rat).Mul(pre, big.NewRat(100+pct, 1)) // pre × (100 + pct) / 100, in fen
	switch {
	case boardOf(code) != "bse":
		fen.Add(fen, big.NewRat(1, 2)) // floor(x + 1/2): half-up, x > 0
	case pct < 0:
		fen.Add(fen, big.NewRat(fen.Denom().Int64()-1, fen.Denom().Int64())) // ceiling
	}
	q := new(big.Int).Quo(fen.Num(), fen.Denom()) // floor, x > 0
	return new(big.Rat).SetFrac(q, big.NewInt(100))
}

func (s *snapshot) expectStats(t testing.TB, date time.Time) statsExpect {
	var e statsExpect
	for _, r := range s.rawDaily {
		if !optDate(t, r["trade_date"]).Equal(date) {
			continue
		}
		e.count++
		switch rat(t, r["close"]).Cmp(rat(t, r["pre_close"])) {
		case 1:
			e.up++
		case -1:
			e.down++
		default:
			e.flat++
		}
		e.totalAmount += num(t, r["amount"])
		e.totalVol += num(t, r["vol"])
		if up, down, _, ok := s.limitMove(t, r, date); ok && up {
			e.limitUp++
		} else if ok && down {
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
