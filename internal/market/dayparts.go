package market

import "time"

// DayParts are one day's rows as a store reads them table by table, to be
// joined on ts_code by Join: the stores read the five tables of a day at
// once rather than through a chain of joins, which both of them would run
// one table after the other.
type DayParts struct {
	// Bars holds the bar fields and TSCode of each stock with a bar, in
	// ts_code order; the answer keeps that order.
	Bars []DayStock
	// Refs is stock_basic by ts_code.
	Refs map[string]DayRef
	// Names is the name in effect on the day by ts_code (namechange).
	Names map[string]string
	// Limits is the day's stk_limit prices by ts_code: up, down.
	Limits map[string][2]*float64
	// Basics is the day's daily_basic by ts_code (the valuation fields of
	// a DayStock); nil when only StatBars are wanted.
	Basics map[string]DayStock
}

// DayRef is what stock_basic adds to a day's bar.
type DayRef struct {
	Name, Industry string
	ListDate       time.Time
	Synthetic      bool
}

// Join fills Bars in place from the other parts and returns it.
func (p DayParts) Join() []DayStock {
	for i := range p.Bars {
		d := &p.Bars[i]
		r := p.Refs[d.TSCode]
		d.Name, d.ListDate, d.Synthetic, d.DayName = r.Name, r.ListDate, r.Synthetic, p.Names[d.TSCode]
		l := p.Limits[d.TSCode]
		d.UpLimit, d.DownLimit = l[0], l[1]
		if p.Basics == nil {
			continue
		}
		v := p.Basics[d.TSCode]
		d.Industry = r.Industry
		d.TurnoverRate, d.PE, d.PETTM, d.PB, d.PS = v.TurnoverRate, v.PE, v.PETTM, v.PB, v.PS
		d.DvRatio, d.TotalMV, d.CircMV = v.DvRatio, v.TotalMV, v.CircMV
	}
	return p.Bars
}

// StatBars are the StatBar parts of stocks.
func StatBars(stocks []DayStock) []StatBar {
	out := make([]StatBar, len(stocks))
	for i, d := range stocks {
		out[i] = d.StatBar
	}
	return out
}
