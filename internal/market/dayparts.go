package market

import (
	"sync"
	"time"
)

// DayParts are one day's rows as a store reads them table by table, to be
// joined on ts_code by Join: the stores read the tables of a day at once
// rather than through a chain of joins, which both of them would run one
// table after the other.
type DayParts struct {
	// Bars holds the bar fields and TSCode of each stock with a bar, in
	// ts_code order; the answer keeps that order.
	Bars []DayStock
	// Ref is stock_basic and the name history.
	Ref *DayRefs
	// Limits is the day's stk_limit prices by ts_code: up, down.
	Limits map[string][2]*float64
	// Basics is the day's daily_basic (TSCode and the valuation fields of
	// a DayStock) in ts_code order; nil when only StatBars are wanted.
	Basics []DayStock
}

// DayRefs is the reference data of the day reads: stock_basic by ts_code
// and every namechange row.
type DayRefs struct {
	Stocks map[string]DayRef
	Names  NameHistory
}

// DayRef is what stock_basic adds to a day's bar.
type DayRef struct {
	Name, Industry string
	ListDate       time.Time
	Synthetic      bool
}

// Join fills Bars in place from the other parts and returns it; DayName is
// the name in effect on date (NameHistory.On). Bars and Basics are walked
// side by side, both in ts_code order.
func (p DayParts) Join(date time.Time) []DayStock {
	j := 0
	for i := range p.Bars {
		d := &p.Bars[i]
		r := p.Ref.Stocks[d.TSCode]
		d.Name, d.ListDate, d.Synthetic = r.Name, r.ListDate, r.Synthetic
		d.DayName, _ = p.Ref.Names.On(d.TSCode, date)
		l := p.Limits[d.TSCode]
		d.UpLimit, d.DownLimit = l[0], l[1]
		if p.Basics == nil {
			continue
		}
		d.Industry = r.Industry
		for j < len(p.Basics) && p.Basics[j].TSCode < d.TSCode {
			j++
		}
		if j < len(p.Basics) && p.Basics[j].TSCode == d.TSCode {
			v := p.Basics[j]
			d.TurnoverRate, d.PE, d.PETTM, d.PB, d.PS = v.TurnoverRate, v.PE, v.PETTM, v.PB, v.PS
			d.DvRatio, d.TotalMV, d.CircMV = v.DvRatio, v.TotalMV, v.CircMV
		}
	}
	return p.Bars
}

// Floats hands out pointers for optional values from large blocks: one
// allocation per few thousand values instead of one per value, which is
// most of the cost of reading a day's valuations.
type Floats struct{ block []float64 }

// Ptr is nil when !valid, else a pointer to a copy of v.
func (f *Floats) Ptr(valid bool, v float64) *float64 {
	if !valid {
		return nil
	}
	if len(f.block) == cap(f.block) {
		f.block = make([]float64, 0, 4096)
	}
	f.block = append(f.block, v)
	return &f.block[len(f.block)-1]
}

// StatBars are the StatBar parts of stocks.
func StatBars(stocks []DayStock) []StatBar {
	out := make([]StatBar, len(stocks))
	for i, d := range stocks {
		out[i] = d.StatBar
	}
	return out
}

// RefCache keeps a store's DayRefs between day reads. The store names the
// version of its reference tables with a cheap read that sees every write,
// its own or another process's; a new version loads the tables again.
type RefCache struct {
	mu      sync.Mutex
	version string
	refs    *DayRefs
}

// Get returns the cached DayRefs when version is the cached one, else
// loads, caches and returns them. A failed load caches nothing.
func (c *RefCache) Get(version string, load func() (*DayRefs, error)) (*DayRefs, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refs != nil && c.version == version {
		return c.refs, nil
	}
	refs, err := load()
	if err != nil {
		return nil, err
	}
	c.version, c.refs = version, refs
	return refs, nil
}
