package market

import "time"

// NewListingDays is how many trading days after listing a stock trades
// without a price limit (every board since the 2023 registration reform).
const NewListingDays = 5

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

// ComputeStats counts breadth over one day's bars. Stocks listed on or after
// firstUnlimited (the NewListingDays-th open day back from date) trade
// without a limit and are left out of the limit counts.
func ComputeStats(date time.Time, bars []StatBar, firstUnlimited time.Time) MarketStats {
	s := MarketStats{TradeDate: FormatDate(date), StockCount: len(bars)}
	var amount float64
	for _, b := range bars {
		closeFen, preFen := ToFen(b.Close), ToFen(b.PreClose)
		switch {
		case closeFen > preFen:
			s.UpCount++
		case closeFen < preFen:
			s.DownCount++
		default:
			s.FlatCount++
		}
		amount += b.Amount
		s.TotalVol += b.Vol
		s.Synthetic = s.Synthetic || b.Synthetic
		if !firstUnlimited.IsZero() && !b.ListDate.IsZero() && !b.ListDate.Before(firstUnlimited) {
			continue
		}
		pct := LimitPct(b.TSCode, b.Name)
		if pct == 0 || preFen <= 0 {
			continue
		}
		up, down := LimitPrices(b.PreClose, pct)
		if closeFen >= up {
			s.LimitUpCount++
		} else if closeFen <= down {
			s.LimitDownCount++
		}
	}
	// amount is in thousand CNY; 1 亿 = 1e5 thousand.
	s.TotalAmount = round2(amount / 1e5)
	return s
}

func round2(v float64) float64 {
	if v < 0 {
		return -round2(-v)
	}
	return float64(int64(v*100+0.5)) / 100
}
