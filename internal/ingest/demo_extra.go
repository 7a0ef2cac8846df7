package ingest

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Risk warnings of the demo: about one main-board stock in 25 has an ST
// episode touching the window — ST since before it, ST from a day inside
// it, or ST lifted inside it — written to namechange the way Tushare
// records them, so the limit rule must take ST status per date.

func (g *DemoMarket) drawST(s *demoStock, prefix string) {
	n := len(g.days)
	s.stPrefix = prefix
	kind := g.aux.IntN(3)
	if n < 2 {
		kind = 0
	}
	switch kind {
	case 0: // since before the window, still ST
		s.stFrom, s.stTo = -1, n
	case 1: // from a day inside the window on
		s.stFrom, s.stTo = 1+g.aux.IntN(n-1), n
	default: // lifted on a day inside the window
		s.stFrom, s.stTo = -1, 1+g.aux.IntN(n-1)
	}
}

// st reports the risk warning on day d (an index of days).
func (s *demoStock) st(d int) bool { return s.stFrom != s.stTo && d >= s.stFrom && d < s.stTo }

// nameOn is the stock's name on day d.
func (s *demoStock) nameOn(d int) string {
	if s.st(d) {
		return s.stPrefix + s.baseName
	}
	return s.baseName
}

// stDate is the calendar day of day index i; an episode that began before
// the window began halfway between the listing and the window.
func (g *DemoMarket) stDate(s *demoStock, i int) time.Time {
	if i < 0 {
		half := g.days[0].Sub(s.info.ListDate) / 2
		return s.info.ListDate.Add(half).Truncate(24 * time.Hour)
	}
	return g.days[i]
}

// nameRows is the stock's namechange history: the listing name, then the
// ST name and, when lifted, the plain name again; announcements a few days
// before each change.
func (g *DemoMarket) nameRows(s *demoStock) []market.NameChange {
	first := market.NameChange{TSCode: s.info.TSCode, Name: s.baseName, StartDate: s.info.ListDate,
		AnnDate: s.info.ListDate.AddDate(0, 0, -7), ChangeReason: "其他"}
	if s.stFrom == s.stTo {
		return []market.NameChange{first}
	}
	start := g.stDate(s, s.stFrom)
	first.EndDate = start.AddDate(0, 0, -1)
	st := market.NameChange{TSCode: s.info.TSCode, Name: s.stPrefix + s.baseName, StartDate: start,
		AnnDate: start.AddDate(0, 0, -2), ChangeReason: s.stPrefix}
	if s.stTo >= len(g.days) {
		return []market.NameChange{first, st}
	}
	end := g.days[s.stTo]
	st.EndDate = end.AddDate(0, 0, -1)
	lifted := market.NameChange{TSCode: s.info.TSCode, Name: s.baseName, StartDate: end,
		AnnDate: end.AddDate(0, 0, -2), ChangeReason: "撤销" + strings.TrimPrefix(s.stPrefix, "*")}
	return []market.NameChange{first, st, lifted}
}

// The demo's six indices follow their real namesakes' constituent rules
// loosely: every Shanghai or Shenzhen stock for the composites, every
// ChiNext stock, and the largest 300 (Shanghai and Shenzhen), 50 (STAR) and
// 50 (BSE) by market value at the start. Each day an index moves by the
// return of its constituents weighted by their market value at the previous
// close (stocks in their first listing days left out), from 1000 points on
// the day before the window; vol and amount are the constituents' sums.

type demoIndex struct {
	info  market.Index
	level float64 // the last close
}

var demoIndexDefs = []struct {
	code, category string
	member         func(code string) bool
	top            int // the largest top members only; 0 = all
}{
	{"000001.SH", "综合指数", func(c string) bool { return strings.HasSuffix(c, ".SH") }, 0},
	{"399001.SZ", "规模指数", func(c string) bool { return strings.HasSuffix(c, ".SZ") }, 0},
	{"399006.SZ", "规模指数", func(c string) bool { return market.BoardOf(c) == market.BoardChiNext }, 0},
	{"000300.SH", "规模指数", func(c string) bool { return !strings.HasSuffix(c, ".BJ") }, 300},
	{"000688.SH", "规模指数", func(c string) bool { return market.BoardOf(c) == market.BoardSTAR }, 50},
	{"899050.BJ", "规模指数", func(c string) bool { return market.BoardOf(c) == market.BoardBSE }, 50},
}

// indexAcc sums one index's constituents over one day: weights, and
// weight × (price ÷ previous close) for open, high, low and close.
type indexAcc struct {
	w, o, h, l, c, vol, amount float64
}

func (a *indexAcc) add(w, o, h, l, c, vol, amount float64) {
	a.w += w
	a.o += w * o
	a.h += w * h
	a.l += w * l
	a.c += w * c
	a.vol += vol
	a.amount += amount
}

func (g *DemoMarket) drawIndices() {
	names := map[string]string{}
	for _, ref := range market.MainIndices() {
		names[ref.TSCode] = ref.Name
	}
	for _, def := range demoIndexDefs {
		var members []int
		for i := range g.stocks {
			if def.member(g.stocks[i].info.TSCode) {
				members = append(members, i)
			}
		}
		if len(members) == 0 {
			continue // too small a market for this board
		}
		if def.top > 0 && len(members) > def.top {
			mv := func(i int) float64 { return float64(g.stocks[i].priceFen) * g.stocks[i].totalShare }
			slices.SortStableFunc(members, func(a, b int) int { return cmp.Compare(mv(b), mv(a)) })
			members = members[:def.top]
		}
		bit := uint8(1) << len(g.indices)
		for _, i := range members {
			g.stocks[i].members |= bit
		}
		g.indices = append(g.indices, demoIndex{
			info: market.Index{
				TSCode: def.code, Name: "演示" + names[def.code], Market: ExchangeOf(def.code),
				Publisher: "演示", Category: def.category, BaseDate: g.baseDay, BasePoint: 1000,
				ListDate: g.baseDay, Synthetic: true,
			},
			level: 1000,
		})
	}
}

// indexDay appends the day's index bars; an index none of whose
// constituents traded has no bar that day.
func (g *DemoMarket) indexDay(acc []indexAcc, b *Batch) {
	for j := range g.indices {
		ix, a := &g.indices[j], acc[j]
		if a.w == 0 {
			continue
		}
		pre := ix.level
		o, h, l, c := round(pre*a.o/a.w, 4), round(pre*a.h/a.w, 4), round(pre*a.l/a.w, 4), round(pre*a.c/a.w, 4)
		h, l = max(h, o, c), min(l, o, c)
		ix.level = c
		b.IndexDaily = append(b.IndexDaily, market.DailyBar{
			TSCode: ix.info.TSCode, TradeDate: g.days[g.day],
			Open: o, High: h, Low: l, Close: c, PreClose: pre,
			Change: round(c-pre, 4), PctChg: round((c-pre)/pre*100, 4),
			Vol: round(a.vol, 2), Amount: round(a.amount, 3),
		})
	}
}

// Planted patterns give the limit-up ladder known answers on the market's
// last day. Over the last plantWindow days no other stock closes at its
// upper limit two days running, so the multi-board levels of the last
// day's ladder hold exactly the planted streaks.
const plantWindow = 12

type plantAction uint8

const (
	plantNone      plantAction = iota
	plantUp                    // close at the upper limit
	plantNotUp                 // stay below the upper limit all day
	plantBroken                // reach the upper limit, close below it
	plantSuspended             // no bar
)

// demoPlant is what a planted stock does on its last days, by k (days
// before the last one).
type demoPlant struct {
	actions   map[int]plantAction
	boards    int
	broken    bool
	suspended []int
}

func (p *demoPlant) on(k int) plantAction {
	if p == nil {
		return plantNone
	}
	return p.actions[k]
}

// DemoPlant is a pattern the generator planted on the market's last day.
type DemoPlant struct {
	TSCode string
	// Boards is the limit-up streak ending on the last day (0 for a broken
	// board). Suspended days inside it have no bar and do not count.
	Boards    int
	Broken    bool // 炸板 on the last day
	ST        bool // under risk warning, so its limit is the ST band
	Suspended []time.Time
}

var demoPlants = []struct {
	board     market.Board
	boards    int
	suspended []int
	broken    bool
	st        bool
}{
	{market.BoardMain, 5, nil, false, false},      // a 5-board streak
	{market.BoardChiNext, 3, nil, false, false},   // a 3-board streak at ±20%
	{market.BoardSTAR, 3, []int{2}, false, false}, // 3 boards around a suspension
	{market.BoardMain, 2, nil, false, true},       // 2 boards at the ST band
	{market.BoardMain, 0, nil, true, false},       // 炸板
	{market.BoardBSE, 0, nil, true, false},        // 炸板 at ±30%
}

func (g *DemoMarket) plantPatterns() {
	if len(g.days) <= plantWindow {
		return
	}
	start := g.aux.IntN(len(g.stocks))
	for _, w := range demoPlants {
		for j := range g.stocks {
			s := &g.stocks[(start+j)%len(g.stocks)]
			if s.plant != nil || s.listIdx >= 0 || s.stFrom != s.stTo || market.BoardOf(s.info.TSCode) != w.board {
				continue
			}
			if w.st {
				s.stPrefix, s.stFrom, s.stTo = "*ST", -1, len(g.days)
			}
			p := &demoPlant{actions: map[int]plantAction{}, boards: w.boards, broken: w.broken, suspended: w.suspended}
			for _, k := range w.suspended {
				p.actions[k] = plantSuspended
			}
			if w.broken {
				p.actions[0] = plantBroken
			} else {
				k := 0
				for n := 0; n < w.boards; k++ {
					if p.actions[k] != plantSuspended {
						p.actions[k] = plantUp
						n++
					}
				}
				for p.actions[k] == plantSuspended {
					k++
				}
				p.actions[k] = plantNotUp
			}
			s.plant = p
			break
		}
	}
}

// steer applies a planted action to the day's close and holds back the
// second limit-up in a row of every other stock inside the plant window.
// touch is true when the high must reach the upper limit.
func (g *DemoMarket) steer(s *demoStock, act plantAction, k int, closeFen, lo, hi int64) (int64, bool) {
	limited := hi != math.MaxInt64
	switch {
	case !limited:
		return closeFen, false
	case act == plantUp:
		return hi, false
	case act == plantBroken:
		return max(lo, hi-max(1, hi*3/100)), true // about 3% under the limit
	case act == plantNotUp:
		return max(lo, min(closeFen, hi-1)), false
	case k < plantWindow && s.lastUp && closeFen >= hi:
		return max(lo, hi-1), false
	}
	return closeFen, false
}

// Plants lists the planted patterns, by ts_code.
func (g *DemoMarket) Plants() []DemoPlant {
	var out []DemoPlant
	last := len(g.days) - 1
	for i := range g.stocks {
		s := &g.stocks[i]
		if s.plant == nil {
			continue
		}
		p := DemoPlant{TSCode: s.info.TSCode, Boards: s.plant.boards, Broken: s.plant.broken, ST: s.st(last)}
		for _, k := range s.plant.suspended {
			p.Suspended = append(p.Suspended, g.days[last-k])
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b DemoPlant) int { return cmp.Compare(a.TSCode, b.TSCode) })
	return out
}
