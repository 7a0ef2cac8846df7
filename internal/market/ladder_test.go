package market

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// upBar is a bar closing at the ±10% limit-up of pre (main board).
func upBar(code, date string, pre float64) WindowBar {
	up, _ := LimitPrices(pre, 10)
	return WindowBar{TSCode: code, TradeDate: day(date), PreClose: pre, Close: float64(up) / 100, High: float64(up) / 100}
}

func TestStreak(t *testing.T) {
	old := day("2015-01-05")
	open := []time.Time{day("2025-12-18"), day("2025-12-17"), day("2025-12-16"), day("2025-12-15"), day("2025-12-12"),
		day("2025-12-11"), day("2025-12-10")}
	none := NewNameHistory(nil)
	// Newest first or not, the count is from the newest bar back; the
	// 16th is missing (suspended) and neither breaks nor counts.
	bars := []WindowBar{upBar("600001.SH", "2025-12-17", 11), upBar("600001.SH", "2025-12-15", 10), upBar("600001.SH", "2025-12-12", 9)}
	if n, whole := Streak(bars, old, none, open); n != 3 || !whole {
		t.Errorf("three boards around a suspension: %d, whole %v", n, whole)
	}
	flat := WindowBar{TSCode: "600001.SH", TradeDate: day("2025-12-11"), PreClose: 9, Close: 9.1, High: 9.2}
	if n, whole := Streak(append(bars, flat), old, none, open); n != 3 || whole {
		t.Errorf("a day below the limit ends it: %d, whole %v", n, whole)
	}
	if n, whole := Streak(nil, old, none, open); n != 0 || !whole {
		t.Errorf("no bars: %d, %v", n, whole)
	}
	// +5% is a board only under risk warning, taken from the name history.
	st := WindowBar{TSCode: "600002.SH", TradeDate: day("2025-12-17"), PreClose: 10, Close: 10.5, High: 10.5}
	hist := NewNameHistory([]NameChange{{TSCode: "600002.SH", Name: "*ST乙", StartDate: day("2025-12-01")}})
	if n, _ := Streak([]WindowBar{st}, old, hist, open); n != 1 {
		t.Errorf("ST by history: %d boards, want 1", n)
	}
	if n, _ := Streak([]WindowBar{st}, old, none, open); n != 0 {
		t.Errorf("no history, plain name: %d boards, want 0", n)
	}
	// The exchange's price decides: a +10% close under a higher limit is none.
	wide := upBar("600003.SH", "2025-12-17", 10)
	wide.UpLimit, wide.DownLimit = pf64(11.05), pf64(9)
	if n, _ := Streak([]WindowBar{wide}, old, none, open); n != 0 {
		t.Errorf("under the exchange's higher limit: %d boards, want 0", n)
	}
	// A registration listing's free days are no boards.
	free := upBar("603001.SH", "2025-12-17", 10)
	if n, whole := Streak([]WindowBar{free}, day("2025-12-15"), none, open); n != 0 || whole {
		t.Errorf("day 3 of a listing: %d boards, whole %v", n, whole)
	}
}

func TestClassifyAndLadder(t *testing.T) {
	d := day("2025-12-18")
	open := []time.Time{d, day("2025-12-17"), day("2025-12-16"), day("2025-12-15"), day("2025-12-12")}
	old := day("2015-01-05")
	stock := func(code string, pre, high, cls, amount float64) DayStock {
		return DayStock{StatBar: StatBar{TSCode: code, Name: code, ListDate: old, PreClose: pre, High: high, Close: cls,
			PctChg: (cls - pre) / pre * 100, Amount: amount}}
	}
	stocks := []DayStock{
		stock("600001.SH", 10, 11, 11, 100),  // limit-up
		stock("600002.SH", 10, 11, 11, 300),  // limit-up, more amount
		stock("600003.SH", 10, 11, 10.5, 50), // broken
		stock("600004.SH", 10, 11, 9, 50),    // from the upper limit to the lower: broken and limit-down
		stock("600005.SH", 10, 9.5, 9, 50),   // limit-down
		stock("600006.SH", 10, 10.2, 10.1, 50),
	}
	l := classifyDay(d, stocks, open).ladder(map[string]int{"600001.SH": 2})
	if len(l.Levels) != 2 || l.Levels[0].Boards != 3 || l.Levels[0].Label != "3连板" || l.Levels[1].Label != "首板" ||
		l.Levels[0].Stocks[0].TSCode != "600001.SH" || l.MaxBoards != 3 {
		t.Errorf("levels %+v", l.Levels)
	}
	codes := func(ss []LadderStock) (out []string) {
		for _, s := range ss {
			out = append(out, s.TSCode)
		}
		return out
	}
	if got := codes(l.Broken); !slices.Equal(got, []string{"600003.SH", "600004.SH"}) {
		t.Errorf("broken %v", got)
	}
	if got := codes(l.LimitDown); !slices.Equal(got, []string{"600004.SH", "600005.SH"}) {
		t.Errorf("limit-down %v", got)
	}
	if l.LimitUpCount != 2 || l.BrokenCount != 2 || l.LimitDownCount != 2 || l.BrokenRate != 0.5 || l.Levels[0].Stocks[0].UpLimit != 11 {
		t.Errorf("counts %+v", l)
	}
	if _, err := BuildLadder(context.Background(), emptySource{}, d); !errors.Is(err, ErrNoData) {
		t.Errorf("BuildLadder without bars: %v, want ErrNoData", err)
	}
}

type emptySource struct{}

func (emptySource) OpenDays(context.Context, time.Time, int) ([]time.Time, error) { return nil, nil }
func (emptySource) DayStocks(context.Context, time.Time) ([]DayStock, error)      { return nil, nil }
func (emptySource) WindowBars(context.Context, []string, time.Time, time.Time) ([]WindowBar, error) {
	return nil, nil
}
func (emptySource) NameChanges(context.Context, []string) ([]NameChange, error) { return nil, nil }

func TestSummarizeTurnover(t *testing.T) {
	var totals []DayTotal
	for i := range 21 {
		totals = append(totals, DayTotal{TradeDate: day("2025-12-18").AddDate(0, 0, -i), Amount: float64(1e8 + i*1e6)})
	}
	tr := SummarizeTurnover(totals)
	// 1e8 thousand CNY = 1000 亿; the 5 days before average 1030 亿.
	if tr.Amount != 1000 || tr.Days != 20 || *tr.Avg5 != 1030 || *tr.Avg20 != 1105 || *tr.Ratio5 != 0.9709 {
		t.Errorf("turnover %+v avg5 %v avg20 %v ratio5 %v", tr, *tr.Avg5, *tr.Avg20, *tr.Ratio5)
	}
	if one := SummarizeTurnover(totals[:1]); one.Avg5 != nil || one.Ratio20 != nil || one.Days != 0 {
		t.Errorf("one day: %+v", one)
	}
	if SummarizeTurnover(nil) != (Turnover{}) {
		t.Error("no days")
	}
}
