package market

import (
	"slices"
	"testing"
	"time"
)

var timeZero time.Time

func day(s string) time.Time {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestComputeStats(t *testing.T) {
	old := day("2010-01-04")
	bars := []StatBar{
		{TSCode: "600000.SH", Name: "浦发银行", ListDate: old, PreClose: 10, Close: 11, Amount: 100000, Vol: 10},     // main limit up
		{TSCode: "600001.SH", Name: "ST样例", ListDate: old, PreClose: 4.05, Close: 4.25, Amount: 50000, Vol: 5},   // ST limit up at 5%
		{TSCode: "600002.SH", Name: "ST样例二", ListDate: old, PreClose: 4.05, Close: 4.24, Amount: 0, Vol: 1},      // just below
		{TSCode: "300001.SZ", Name: "创业样例", ListDate: old, PreClose: 20.05, Close: 16.04, Amount: 25000, Vol: 2}, // ChiNext limit down
		{TSCode: "300002.SZ", Name: "创业样例二", ListDate: old, PreClose: 20, Close: 22, Amount: 0, Vol: 0},          // +10% is not a ChiNext limit
		{TSCode: "830001.BJ", Name: "北交样例", ListDate: old, PreClose: 13.35, Close: 17.36, Amount: 0, Vol: 0},     // BSE limit up
		{TSCode: "688001.SH", Name: "新股样例", ListDate: day("2025-12-16"), PreClose: 10, Close: 30},                // new listing: no limit
		{TSCode: "000001.SZ", Name: "平盘样例", ListDate: old, PreClose: 8.8, Close: 8.8},
		{TSCode: "000002.SZ", Name: "下跌样例", ListDate: old, PreClose: 8.8, Close: 8.7, Synthetic: true},
	}
	open := []time.Time{day("2025-12-18"), day("2025-12-17"), day("2025-12-16"), day("2025-12-15"), day("2025-12-12")}
	s := ComputeStats(day("2025-12-18"), bars, open)
	want := MarketStats{
		TradeDate: "2025-12-18", UpCount: 6, DownCount: 2, FlatCount: 1,
		LimitUpCount: 3, LimitDownCount: 1, TotalAmount: 1.75, TotalVol: 18, StockCount: 9, Synthetic: true,
	}
	if s != want {
		t.Errorf("ComputeStats =\n %+v\nwant\n %+v", s, want)
	}
}

// TestComputeStatsDated is the small hand-made market of issue 14: the
// counts follow the rule of the date, the name history and stk_limit.
func TestComputeStatsDated(t *testing.T) {
	old := day("2010-01-04")
	open := []time.Time{day("2026-07-09"), day("2026-07-08"), day("2026-07-07"), day("2026-07-06"), day("2026-07-03")}
	bars := []StatBar{
		// Main-board ST up 5%: a limit-up until 2026-07-05, not after.
		{TSCode: "600001.SH", Name: "ST甲", ListDate: old, PreClose: 10, Close: 10.5},
		// ST up 10% after the change: limit-up at the new band.
		{TSCode: "600002.SH", Name: "*ST乙", ListDate: old, PreClose: 10, Close: 11},
		// BSE up 30% on its third day: limit-up; up 200% on its listing day: no limit.
		{TSCode: "920001.BJ", Name: "北交丙", ListDate: day("2026-07-07"), PreClose: 10, Close: 13},
		{TSCode: "920002.BJ", Name: "北交丁", ListDate: day("2026-07-09"), PreClose: 10, Close: 30},
		// Main board on its third day: free, whatever it does.
		{TSCode: "603001.SH", Name: "新股戊", ListDate: day("2026-07-07"), PreClose: 10, Close: 11},
		// Today's name is plain, the name history says ST on the day: the
		// ST band (now ±10%) applies; and the reverse: ST today, plain then.
		{TSCode: "000003.SZ", Name: "己股份", DayName: "*ST己", ListDate: old, PreClose: 10, Close: 9},
		{TSCode: "000005.SZ", Name: "ST庚", DayName: "庚股份", ListDate: old, PreClose: 10, Close: 9.5},
		// stk_limit says 10.78 (an ex-dividend reference): it decides.
		{TSCode: "600003.SH", Name: "辛", ListDate: old, PreClose: 9.8, Close: 10.78, UpLimit: pf64(10.78), DownLimit: pf64(8.82)},
	}
	s := ComputeStats(day("2026-07-09"), bars, open)
	if s.LimitUpCount != 3 || s.LimitDownCount != 1 {
		t.Errorf("2026-07-09: %d limit-up, %d limit-down; want 3 (ST at 10%%, BSE day 3, stk_limit) and 1 (ST by history)", s.LimitUpCount, s.LimitDownCount)
	}
	// The same bars a week earlier, under the ±5% ST band: both ST
	// stocks up are limit-up, the history-ST stock down 10% is limit-down
	// (at 9.50), the plain-then stock down 5% is not.
	openBefore := []time.Time{day("2026-07-03"), day("2026-07-02"), day("2026-07-01"), day("2026-06-30"), day("2026-06-29")}
	early := slices.Clone(bars[:2])
	early = append(early, bars[5], bars[6])
	s = ComputeStats(day("2026-07-03"), early, openBefore)
	if s.LimitUpCount != 2 || s.LimitDownCount != 1 {
		t.Errorf("2026-07-03: %d limit-up, %d limit-down; want 2 and 1", s.LimitUpCount, s.LimitDownCount)
	}
}

func TestAdjust(t *testing.T) {
	bars := []AdjBar{
		{DailyBar: DailyBar{TradeDate: day("20250101"), Open: 10, High: 11, Low: 9, Close: 10, PreClose: 10}, AdjFactor: 1},
		{DailyBar: DailyBar{TradeDate: day("20250102"), Open: 5, High: 6, Low: 5, Close: 5, PreClose: 5}, AdjFactor: 2},
		{DailyBar: DailyBar{TradeDate: day("20250103"), Open: 5, High: 5, Low: 5, Close: 5, PreClose: 5}}, // no factor: carries 2
	}
	none := Adjust(bars, AdjustNone, 2)
	qfq := Adjust(bars, AdjustQFQ, 2)
	hfq := Adjust(bars, AdjustHFQ, 2)
	if none[0].Close != 10 || qfq[0].Close != 5 || hfq[0].Close != 10 {
		t.Errorf("day 1: none %v qfq %v hfq %v", none[0].Close, qfq[0].Close, hfq[0].Close)
	}
	if qfq[1].Close != 5 || hfq[1].Close != 10 || qfq[2].Close != 5 || hfq[2].Close != 10 {
		t.Errorf("days 2-3: qfq %v %v hfq %v %v", qfq[1].Close, qfq[2].Close, hfq[1].Close, hfq[2].Close)
	}
	if qfq[0].Date != "2025-01-01" {
		t.Errorf("date %q", qfq[0].Date)
	}
	for _, s := range []string{"x", "QFQ", "forward"} {
		if _, err := ParseAdjust(s); err == nil {
			t.Errorf("ParseAdjust(%q) accepted", s)
		}
	}
	if m, _ := ParseAdjust(""); m != AdjustQFQ {
		t.Errorf("default adjust %q", m)
	}
}
