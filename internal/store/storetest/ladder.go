package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// The ladder fixture is a month of weekdays ending 2025-12-18 in which each
// stock acts out one rule of the limit-up ladder: a streak longer than the
// first read window, a suspension inside a streak, ST status from the name
// history, the exchange's price beating the rule, a listing's free days,
// a broken board and a limit-down.

const ladderDays = 30

// Moves of a ladder stock on one day.
const (
	mFlat   = 'f' // +1%
	mUp     = 'u' // close at the board's limit
	mUpST   = 'v' // close at +5% (the ST band)
	mSusp   = 's' // no bar
	mBroken = 'b' // high at the limit, close +3%
	mDown   = 'd' // close at the lower limit
	mFree   = 'n' // +25%: only possible without a limit
	mWide   = 'w' // +10% close, exactly the rule's price (see stk_limit below)
)

type ladderStock struct {
	code, name string
	listIdx    int    // listing day index; -1 long before the month
	moves      string // one byte per day, the last day last; shorter strings end on the last day
}

var ladderStocks = []ladderStock{
	{"600600.SH", "长龙", -1, "ffffff" + "f" + repeat(mUp, 23)}, // 23 boards: longer than LadderWindow
	{"600100.SH", "四板", -1, "ffff" + "f" + "uuuu"},            // 4 boards
	{"300100.SZ", "创三板", -1, "ffff" + "f" + "uusu"},           // 3 boards around a suspension
	{"600200.SH", "丙股份", -1, "ffff" + "f" + "vv"},             // 2 boards at the ST band (ST by history only)
	{"000100.SZ", "丁股份", -1, "ffff" + "f" + "wu"},             // 1 board: the exchange's price says day N-2 was no limit-up
	{"002100.SZ", "断板", -1, "ffff" + "ufu"},                   // 1 board: a day between
	{"600300.SH", "炸板", -1, "ffff" + "b"},                     // broken
	{"600400.SH", "跌停", -1, "ffff" + "d"},                     // limit-down
	{"688100.SH", "科新", ladderDays - 6, "nnnnn" + "u"},        // free days 1–5, then a board
	{"920100.BJ", "北新", ladderDays - 2, "n" + "u"},            // free listing day, then a board
	{"600700.SH", "平淡", -1, repeat(mFlat, ladderDays)},        // never limit-up
}

func repeat(b byte, n int) string {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return string(out)
}

// ladderFixture builds the month. Prices start at 10.00; limit closes are
// the rule's prices (the rule is tested in the market package).
func ladderFixture() (fx fixture, days []time.Time) {
	for d := day("2025-12-18"); len(days) < ladderDays; d = d.AddDate(0, 0, -1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days = append(days, d)
		}
	}
	slices.Reverse(days)
	for d := days[0]; !d.After(days[len(days)-1]); d = d.AddDate(0, 0, 1) {
		wd := d.Weekday()
		fx.cal = append(fx.cal, market.TradeDay{Exchange: "SSE", CalDate: d, IsOpen: wd != time.Saturday && wd != time.Sunday})
	}
	last := len(days) - 1
	for si, ls := range ladderStocks {
		list := day("2015-06-01")
		if ls.listIdx >= 0 {
			list = days[ls.listIdx]
		}
		fx.stocks = append(fx.stocks, market.Stock{TSCode: ls.code, Name: ls.name, Industry: fmt.Sprintf("行业%d", si%3),
			ListDate: list, ListStatus: "L"})
		price := 10.0
		first := len(days) - len(ls.moves)
		for i, m := range []byte(ls.moves) {
			d := days[first+i]
			pre := price
			upPct := map[market.Board]int{market.BoardMain: 10, market.BoardChiNext: 20, market.BoardSTAR: 20, market.BoardBSE: 30}[market.BoardOf(ls.code)]
			up, down := market.LimitPrices(pre, upPct)
			cls, high := pre, pre
			switch m {
			case mSusp:
				continue
			case mFlat:
				cls = fen(pre * 1.01)
			case mUp, mWide:
				cls = float64(up) / 100
			case mUpST:
				u, _ := market.LimitPrices(pre, 5)
				cls = float64(u) / 100
			case mBroken:
				cls, high = fen(pre*1.03), float64(up)/100
			case mDown:
				cls = float64(down) / 100
			case mFree:
				cls = fen(pre * 1.25)
			}
			high = max(high, cls)
			fx.daily = append(fx.daily, bar(ls.code, d, pre, high, min(pre, cls), cls, pre,
				(cls-pre)/pre*100, 1000, float64(1000*(si+1))))
			if m == mWide {
				// The exchange's price that day was 5 fen higher: no limit-up.
				fx.limits = append(fx.limits, market.StkLimit{TSCode: ls.code, TradeDate: d,
					UpLimit: f(float64(up+5) / 100), DownLimit: f(float64(down) / 100)})
			}
			price = cls
		}
		if ls.code == "600200.SH" {
			// ST since three days before the end by the history, plain
			// again after the month: today's name (stock_basic) is plain.
			fx.names = append(fx.names,
				market.NameChange{TSCode: ls.code, Name: "丙股份", StartDate: list},
				market.NameChange{TSCode: ls.code, Name: "*ST丙", StartDate: days[last-3], AnnDate: days[last-4]},
				market.NameChange{TSCode: ls.code, Name: "丙股份", StartDate: day("2025-12-24"), AnnDate: day("2025-12-22")})
		}
	}
	return fx, days
}

func fen(v float64) float64 { return float64(market.ToFen(v)) / 100 }

func testLadder(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	fx, days := ladderFixture()
	load(t, st, fx)
	last := len(days) - 1

	levels := func(l market.Ladder) map[int][]string {
		out := map[int][]string{}
		for _, lv := range l.Levels {
			if lv.Label != market.BoardLabel(lv.Boards) {
				t.Errorf("level %d labelled %q", lv.Boards, lv.Label)
			}
			for i, s := range lv.Stocks {
				out[lv.Boards] = append(out[lv.Boards], s.TSCode)
				if s.Boards != lv.Boards {
					t.Errorf("%s on level %d says %d boards", s.TSCode, lv.Boards, s.Boards)
				}
				if i > 0 && lv.Stocks[i-1].Amount < s.Amount {
					t.Errorf("level %d not by amount: %s before %s", lv.Boards, lv.Stocks[i-1].TSCode, s.TSCode)
				}
			}
			slices.Sort(out[lv.Boards])
		}
		return out
	}
	codes := func(ss []market.LadderStock) (out []string) {
		for _, s := range ss {
			out = append(out, s.TSCode)
		}
		return out
	}

	l, err := market.BuildLadder(ctx, st, days[last])
	must(t, err, "BuildLadder")
	want := map[int][]string{
		23: {"600600.SH"},
		4:  {"600100.SH"},
		3:  {"300100.SZ"},
		2:  {"600200.SH"},
		1:  {"000100.SZ", "002100.SZ", "688100.SH", "920100.BJ"},
	}
	if got := levels(l); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("ladder of %s:\n got %v\nwant %v", market.FormatDate(days[last]), got, want)
	}
	if got := codes(l.Broken); !slices.Equal(got, []string{"600300.SH"}) {
		t.Errorf("broken = %v, want [600300.SH]", got)
	}
	if got := codes(l.LimitDown); !slices.Equal(got, []string{"600400.SH"}) {
		t.Errorf("limit-down = %v, want [600400.SH]", got)
	}
	if l.LimitUpCount != 8 || l.BrokenCount != 1 || l.LimitDownCount != 1 || l.MaxBoards != 23 ||
		l.TradeDate != market.FormatDate(days[last]) || !near(l.BrokenRate, 0.1111) {
		t.Errorf("ladder counts = %d up, %d broken, %d down, height %d, rate %v, date %s",
			l.LimitUpCount, l.BrokenCount, l.LimitDownCount, l.MaxBoards, l.BrokenRate, l.TradeDate)
	}
	for _, lv := range l.Levels {
		for _, s := range lv.Stocks {
			if s.TSCode == "600200.SH" && (!s.ST || s.Name != "丙股份") {
				t.Errorf("600200.SH: ST %v, name %q; want ST by history under today's name", s.ST, s.Name)
			}
		}
	}

	// The day before: the suspended stock is not there, the ST stock is on
	// its first board, the wide day is no limit-up, a listing day is free.
	l, err = market.BuildLadder(ctx, st, days[last-1])
	must(t, err, "BuildLadder")
	want = map[int][]string{22: {"600600.SH"}, 3: {"600100.SH"}, 1: {"600200.SH"}}
	if got := levels(l); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("ladder of %s:\n got %v\nwant %v", market.FormatDate(days[last-1]), got, want)
	}

	for _, tc := range []struct {
		date time.Time
		n    int
	}{{days[last], 21}, {days[last], 5}, {days[10], 21}} {
		got, err := st.DailyTotals(ctx, tc.date, tc.n)
		must(t, err, "DailyTotals")
		checkDailyTotals(t, fmt.Sprintf("DailyTotals(%s, %d)", market.FormatDate(tc.date), tc.n), got, expectDailyTotals(fx, tc.date, tc.n))
	}
}
