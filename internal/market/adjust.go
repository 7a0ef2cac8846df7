package market

import (
	"fmt"
	"math"
)

// Adjustments of K-line prices.
const (
	AdjustNone = "none"
	AdjustQFQ  = "qfq" // forward: prices scaled to the anchor day's factor
	AdjustHFQ  = "hfq" // backward: prices × factor
)

// ParseAdjust validates an adjust parameter; empty means qfq.
func ParseAdjust(s string) (string, error) {
	switch s {
	case "":
		return AdjustQFQ, nil
	case AdjustNone, AdjustQFQ, AdjustHFQ:
		return s, nil
	}
	return "", fmt.Errorf("unknown adjust %q: want qfq, hfq or none", s)
}

// Candle is one K-line point of the daily answer.
type Candle struct {
	Date     string  `json:"date"`
	Open     float64 `json:"open"`
	High     float64 `json:"high"`
	Low      float64 `json:"low"`
	Close    float64 `json:"close"`
	PreClose float64 `json:"pre_close"`
	PctChg   float64 `json:"pct_chg"`
	Vol      float64 `json:"vol"`
	Amount   float64 `json:"amount"`
}

// Adjust turns raw bars into candles. qfq divides by anchorFactor (the
// factor of the stock's latest day in the store, the quote-software
// convention), hfq multiplies by the day's factor. A bar without a factor
// takes the previous bar's; bars before any factor use 1. pct_chg, vol and
// amount are never adjusted.
func Adjust(bars []AdjBar, mode string, anchorFactor float64) []Candle {
	out := make([]Candle, len(bars))
	f := 1.0
	for i, b := range bars {
		if b.AdjFactor > 0 {
			f = b.AdjFactor
		}
		k := 1.0
		switch mode {
		case AdjustHFQ:
			k = f
		case AdjustQFQ:
			if anchorFactor > 0 {
				k = f / anchorFactor
			}
		}
		out[i] = Candle{
			Date:     FormatDate(b.TradeDate),
			Open:     price(b.Open * k),
			High:     price(b.High * k),
			Low:      price(b.Low * k),
			Close:    price(b.Close * k),
			PreClose: price(b.PreClose * k),
			PctChg:   b.PctChg,
			Vol:      b.Vol,
			Amount:   b.Amount,
		}
	}
	return out
}

// price rounds an adjusted price to 1/10000 yuan, enough for charts and
// stable in JSON.
func price(v float64) float64 { return math.Round(v*1e4) / 1e4 }
