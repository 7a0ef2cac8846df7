package market

// Turnover compares a day's total turnover with the days before it, for the
// quick analysis.
type Turnover struct {
	TradeDate string  `json:"trade_date"`
	Amount    float64 `json:"amount"` // 亿元
	// Avg5 and Avg20 are the mean turnover (亿元) of up to 5 and 20 trade
	// dates before the day, the day itself excluded; Ratio5 and Ratio20 the
	// day's turnover over them. nil when no earlier day is loaded.
	Avg5    *float64 `json:"avg5"`
	Avg20   *float64 `json:"avg20"`
	Ratio5  *float64 `json:"ratio5"`
	Ratio20 *float64 `json:"ratio20"`
	// Days is how many earlier trade dates the averages had (at most 20).
	Days int `json:"days"`
}

// SummarizeTurnover reads Reader.DailyTotals(date, 21): totals newest
// first, the first being the day. It returns the zero Turnover when totals
// is empty.
func SummarizeTurnover(totals []DayTotal) Turnover {
	if len(totals) == 0 {
		return Turnover{}
	}
	yi := func(t DayTotal) float64 { return t.Amount / 1e5 } // thousand CNY → 亿元
	t := Turnover{TradeDate: FormatDate(totals[0].TradeDate), Amount: round2(yi(totals[0]))}
	prev := totals[1:min(len(totals), 21)]
	t.Days = len(prev)
	avg := func(n int) (*float64, *float64) {
		if len(prev) == 0 {
			return nil, nil
		}
		days := prev[:min(n, len(prev))]
		var sum float64
		for _, d := range days {
			sum += yi(d)
		}
		a := sum / float64(len(days))
		ar := round2(a)
		if a <= 0 {
			return &ar, nil
		}
		r := round4(yi(totals[0]) / a)
		return &ar, &r
	}
	t.Avg5, t.Ratio5 = avg(5)
	t.Avg20, t.Ratio20 = avg(20)
	return t
}
