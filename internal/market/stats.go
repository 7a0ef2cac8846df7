package market

import "time"

// MarketStats is the breadth of one trading day.
type MarketStats struct {
	TradeDate      string  `json:"trade_date"`
	UpCount        int     `json:"up_count"`
	DownCount      int     `json:"down_count"`
	FlatCount      int     `json:"flat_count"`
	LimitUpCount   int     `json:"limit_up_count"`
	LimitDownCount int     `json:"limit_down_count"`
	TotalAmount    float64 `json:"total_amount"` // 亿元 (100 million CNY)
	TotalVol       float64 `json:"total_vol"`    // lots
	StockCount     int     `json:"stock_count"`
	Synthetic      bool    `json:"synthetic"`
}

// ComputeStats counts breadth over one day's bars. Limit moves follow the
// rule of the date (LimitBand): the exchange's stk_limit prices where
// loaded, else the board rule with the day's ST status; stocks inside a
// listing's no-limit days are not limit-counted. openDays are the open days
// back to at least MaxFreeDays before date, newest first, as
// Reader.OpenDays(date, NewListingDays) returns them.
func ComputeStats(date time.Time, bars []StatBar, openDays []time.Time) MarketStats {
	s := MarketStats{TradeDate: FormatDate(date), StockCount: len(bars)}
	var amount float64
	for _, b := range bars {
		closeFen := ToFen(b.Close)
		count(b, &s.UpCount, &s.DownCount, &s.FlatCount)
		amount += b.Amount
		s.TotalVol += b.Vol
		s.Synthetic = s.Synthetic || b.Synthetic
		band := b.Band(date, openDays)
		if band.LimitUp(closeFen) {
			s.LimitUpCount++
		} else if band.LimitDown(closeFen) {
			s.LimitDownCount++
		}
	}
	// amount is in thousand CNY; 1 亿 = 1e5 thousand.
	s.TotalAmount = round2(amount / 1e5)
	return s
}

// count adds the bar to up, down or flat as its close is above, below or at
// the previous close, compared in fen.
func count(b StatBar, up, down, flat *int) {
	c, p := ToFen(b.Close), ToFen(b.PreClose)
	switch {
	case c > p:
		*up++
	case c < p:
		*down++
	default:
		*flat++
	}
}

func round2(v float64) float64 {
	if v < 0 {
		return -round2(-v)
	}
	return float64(int64(v*100+0.5)) / 100
}
