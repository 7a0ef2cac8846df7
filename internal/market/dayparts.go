package market

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
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

// Rows is what ReadDay needs of a query's answer; *sql.Rows and the
// ClickHouse driver's rows both are.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// DayQueries are a store's SQL for the tables of one day, each taking the
// date as its only parameter. Bars selects ts_code, open, high, low, close,
// pre_close, pct_chg, vol, amount; Limits ts_code, up_limit, down_limit;
// Basics ts_code, turnover_rate, pe, pe_ttm, pb, ps, dv_ratio, total_mv,
// circ_mv. Bars and Basics are in ts_code order.
type DayQueries struct {
	Bars, Limits, Basics string
}

// ReadDay reads one day's stocks the way both stores do: the day's tables
// as separate queries at once (query runs one, with the date), the
// reference data from refs, joined on ts_code (DayParts). withBasic adds
// the industry and the valuation. Errors are the driver's, unwrapped.
func ReadDay(ctx context.Context, date time.Time, withBasic bool, q DayQueries,
	query func(ctx context.Context, sql string) (Rows, error), refs func(ctx context.Context) (*DayRefs, error)) ([]DayStock, error) {
	p := DayParts{Bars: []DayStock{}, Limits: map[string][2]*float64{}}
	g, gctx := errgroup.WithContext(ctx)
	read := func(sql string, scan func(rows Rows) error) {
		g.Go(func() error {
			rows, err := query(gctx, sql)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := scan(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	}
	g.Go(func() (err error) {
		p.Ref, err = refs(gctx)
		return err
	})
	read(q.Bars, func(rows Rows) error {
		var d DayStock
		b := &d.StatBar
		err := rows.Scan(&b.TSCode, &b.Open, &b.High, &b.Low, &b.Close, &b.PreClose, &b.PctChg, &b.Vol, &b.Amount)
		p.Bars = append(p.Bars, d)
		return err
	})
	read(q.Limits, func(rows Rows) error {
		var (
			code     string
			up, down *float64
		)
		err := rows.Scan(&code, &up, &down)
		p.Limits[code] = [2]*float64{up, down}
		return err
	})
	if withBasic {
		p.Basics = []DayStock{}
		var floats Floats
		read(q.Basics, func(rows Rows) error {
			var (
				d DayStock
				v [8]sql.NullFloat64
			)
			if err := rows.Scan(&d.TSCode, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]); err != nil {
				return err
			}
			for i, dst := range []**float64{&d.TurnoverRate, &d.PE, &d.PETTM, &d.PB, &d.PS, &d.DvRatio, &d.TotalMV, &d.CircMV} {
				*dst = floats.Ptr(v[i].Valid, v[i].Float64)
			}
			p.Basics = append(p.Basics, d)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return p.Join(date), nil
}
