package storetest

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// The functions here compute, from the rows a test wrote, what the Store
// contract says the answers must be. They are deliberately naive (maps and
// sorts) so that they are easy to check by eye.

func sameDay(a, b time.Time) bool { return market.FormatDate(a) == market.FormatDate(b) }

// stockIndex maps ts_code to the stock_basic row, last write winning.
func (fx fixture) stockIndex() map[string]market.Stock {
	m := make(map[string]market.Stock, len(fx.stocks))
	for _, s := range fx.stocks {
		m[s.TSCode] = s
	}
	return m
}

func (fx fixture) etfIndex() map[string]market.ETF {
	m := make(map[string]market.ETF, len(fx.etfs))
	for _, e := range fx.etfs {
		m[e.TSCode] = e
	}
	return m
}

func (fx fixture) basicOn(date time.Time) map[string]market.DailyBasic {
	m := make(map[string]market.DailyBasic)
	for _, b := range fx.basic {
		if sameDay(b.TradeDate, date) {
			m[b.TSCode] = b
		}
	}
	return m
}

func barsOn(bars []market.DailyBar, date time.Time) []market.DailyBar {
	var out []market.DailyBar
	for _, b := range bars {
		if sameDay(b.TradeDate, date) {
			out = append(out, b)
		}
	}
	return out
}

// cmpDesc orders by value descending with NULL (nil) last, then ts_code.
func cmpDesc(av, bv *float64, ac, bc string) int { return cmpRank(false, av, bv, ac, bc) }

// cmpRank orders by value, ascending when asc, NULL (nil) last either way,
// then ts_code.
func cmpRank(asc bool, av, bv *float64, ac, bc string) int {
	switch {
	case av == nil && bv == nil:
	case av == nil:
		return 1
	case bv == nil:
		return -1
	case *av != *bv && asc:
		return cmp.Compare(*av, *bv)
	case *av != *bv:
		return cmp.Compare(*bv, *av)
	}
	return cmp.Compare(ac, bc)
}

func expectHotStocks(fx fixture, date time.Time, sortBy string, limit int) []market.HotStock {
	sortBy, asc := strings.CutSuffix(sortBy, ":asc")
	stocks, basics := fx.stockIndex(), fx.basicOn(date)
	var out []market.HotStock
	for _, b := range barsOn(fx.daily, date) {
		s := stocks[b.TSCode]
		h := market.HotStock{
			TSCode: b.TSCode, Name: s.Name, Industry: s.Industry,
			Close: b.Close, PctChg: b.PctChg, Amount: b.Amount, Vol: b.Vol,
			Synthetic: s.Synthetic,
		}
		if db, ok := basics[b.TSCode]; ok {
			h.TurnoverRate, h.CircMV = db.TurnoverRate, db.CircMV
		}
		out = append(out, h)
	}
	key := func(h market.HotStock) *float64 {
		switch sortBy {
		case market.SortPctChg:
			return &h.PctChg
		case market.SortTurnoverRate:
			return h.TurnoverRate
		}
		return &h.Amount
	}
	slices.SortFunc(out, func(a, b market.HotStock) int { return cmpRank(asc, key(a), key(b), a.TSCode, b.TSCode) })
	return out[:min(limit, len(out))]
}

func expectHotETFs(fx fixture, date time.Time, sortBy string, limit int) []market.HotETF {
	sortBy, asc := strings.CutSuffix(sortBy, ":asc")
	etfs := fx.etfIndex()
	var out []market.HotETF
	for _, b := range barsOn(fx.etfDaily, date) {
		e := etfs[b.TSCode]
		out = append(out, market.HotETF{
			TSCode: b.TSCode, Name: e.Name,
			Close: b.Close, PctChg: b.PctChg, Amount: b.Amount, Vol: b.Vol,
			Synthetic: e.Synthetic,
		})
	}
	key := func(h market.HotETF) *float64 {
		if sortBy == market.SortPctChg {
			return &h.PctChg
		}
		return &h.Amount
	}
	slices.SortFunc(out, func(a, b market.HotETF) int { return cmpRank(asc, key(a), key(b), a.TSCode, b.TSCode) })
	return out[:min(limit, len(out))]
}

func expectDayBars(fx fixture, date time.Time) []market.StatBar {
	stocks := fx.stockIndex()
	var out []market.StatBar
	for _, b := range barsOn(fx.daily, date) {
		s := stocks[b.TSCode]
		up, down := fx.limitOn(b.TSCode, date)
		out = append(out, market.StatBar{
			TSCode: b.TSCode, Name: s.Name, DayName: fx.nameOn(b.TSCode, date), ListDate: s.ListDate,
			Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, PreClose: b.PreClose, PctChg: b.PctChg,
			Vol: b.Vol, Amount: b.Amount, Synthetic: s.Synthetic, UpLimit: up, DownLimit: down,
		})
	}
	slices.SortFunc(out, func(a, b market.StatBar) int { return cmp.Compare(a.TSCode, b.TSCode) })
	return out
}

func expectBars(fx fixture, code string, start, end time.Time) []market.AdjBar {
	factors := make(map[string]float64)
	for _, a := range fx.adj {
		if a.TSCode == code {
			factors[market.FormatDate(a.TradeDate)] = a.Factor
		}
	}
	var out []market.AdjBar
	for _, b := range slices.Concat(fx.daily, fx.etfDaily, fx.indexDaily) {
		if b.TSCode != code || (!start.IsZero() && b.TradeDate.Before(start)) || (!end.IsZero() && b.TradeDate.After(end)) {
			continue
		}
		out = append(out, market.AdjBar{DailyBar: b, AdjFactor: factors[market.FormatDate(b.TradeDate)]})
	}
	slices.SortFunc(out, func(a, b market.AdjBar) int { return a.TradeDate.Compare(b.TradeDate) })
	return out
}

func latestBar(bars []market.DailyBar, code string) *market.DailyBar {
	var best *market.DailyBar
	for i := range bars {
		if bars[i].TSCode == code && (best == nil || bars[i].TradeDate.After(best.TradeDate)) {
			best = &bars[i]
		}
	}
	return best
}

func latestBasic(rows []market.DailyBasic, code string) *market.DailyBasic {
	var best *market.DailyBasic
	for i := range rows {
		if rows[i].TSCode == code && (best == nil || rows[i].TradeDate.After(best.TradeDate)) {
			best = &rows[i]
		}
	}
	return best
}

// expectCounts counts distinct keys per table.
func expectCounts(fx fixture) map[string]int64 {
	distinct := func(keys []string) int64 {
		seen := make(map[string]bool)
		for _, k := range keys {
			seen[k] = true
		}
		return int64(len(seen))
	}
	var stock, daily, basic, adj, etf, etfDaily, cal, names, limits, indices, indexDaily []string
	for _, r := range fx.stocks {
		stock = append(stock, r.TSCode)
	}
	for _, r := range fx.daily {
		daily = append(daily, r.TSCode+market.FormatDate(r.TradeDate))
	}
	for _, r := range fx.basic {
		basic = append(basic, r.TSCode+market.FormatDate(r.TradeDate))
	}
	for _, r := range fx.adj {
		adj = append(adj, r.TSCode+market.FormatDate(r.TradeDate))
	}
	for _, r := range fx.etfs {
		etf = append(etf, r.TSCode)
	}
	for _, r := range fx.etfDaily {
		etfDaily = append(etfDaily, r.TSCode+market.FormatDate(r.TradeDate))
	}
	for _, r := range fx.cal {
		cal = append(cal, r.Exchange+market.FormatDate(r.CalDate))
	}
	for _, r := range fx.names {
		names = append(names, r.TSCode+market.FormatDate(r.StartDate)+r.Name)
	}
	for _, r := range fx.limits {
		limits = append(limits, r.TSCode+market.FormatDate(r.TradeDate))
	}
	for _, r := range fx.indices {
		indices = append(indices, r.TSCode)
	}
	for _, r := range fx.indexDaily {
		indexDaily = append(indexDaily, r.TSCode+market.FormatDate(r.TradeDate))
	}
	return map[string]int64{
		"stock_basic": distinct(stock), "daily": distinct(daily), "daily_basic": distinct(basic),
		"adj_factor": distinct(adj), "etf_basic": distinct(etf), "etf_daily": distinct(etfDaily),
		"trade_cal": distinct(cal), "namechange": distinct(names), "stk_limit": distinct(limits),
		"index_basic": distinct(indices), "index_daily": distinct(indexDaily), "workflows": 0,
	}
}

// expectOpenDays lists distinct open calendar dates on or before date,
// newest first.
func expectOpenDays(fx fixture, date time.Time, n int) []string {
	seen := make(map[string]bool)
	for _, c := range fx.cal {
		if c.IsOpen && !c.CalDate.After(date) {
			seen[market.FormatDate(c.CalDate)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out[:min(n, len(out))]
}

// near compares floats with a relative tolerance, so a store that keeps
// prices as decimals is not failed for the last bit of a float64.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func nearPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return near(*a, *b)
}
