package query

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// A day's stocks (Store.DayStocks: bars, names, limits, valuations of
// every stock) are what market-stats, sectors, the ladder, the screener and
// the quick analysis all compute from, and reading them is most of what
// each of those answers costs. The day memo keeps the days read last in
// memory, shared by every question, so a day is read once however many
// questions (and screener filters) are asked of it.
//
// It is exact, not a cache with a lifetime: every use first reads the
// store's DataVersion of the tables a day is made of (one small read), and
// a changed version, whoever wrote, drops every day kept.

// dayTables are the tables of a day read: its bars and valuations, the
// exchange's limit prices, stock_basic and the name history, and the
// calendar the listing rules count open days on.
var dayTables = []string{"daily", "daily_basic", "stk_limit", "stock_basic", "namechange", "trade_cal"}

// memoDays is how many days the memo keeps: the latest and the few before
// it that users step back to.
const memoDays = 8

// dayData is one trade date as the analytics read it: its stocks in ts_code
// order and the open days back to MaxFreeDays before it, newest first
// (what the limit rule needs). Both are shared: read, never modify.
type dayData struct {
	date   time.Time
	stocks []market.DayStock
	open   []time.Time
}

type dayMemo struct {
	store Store

	mu      sync.Mutex
	version string
	days    map[time.Time]*dayEntry
	used    []time.Time // least recently used first
	// totals are DailyTotals(date, turnoverDays) by date: the quick
	// analysis' turnover history, a scan of a month of bars otherwise.
	totals map[time.Time][]market.DayTotal
}

// turnoverDays is the day and the 20 before it, what SummarizeTurnover reads.
const turnoverDays = 21

// dayEntry is one day, loaded once: ready closes when d or err is set.
type dayEntry struct {
	ready chan struct{}
	d     dayData
	err   error
}

// get returns the day's stocks, from memory when no write to the day
// tables happened since they were read. No stock bar that day is a
// noData error.
func (m *dayMemo) get(ctx context.Context, date time.Time) (dayData, error) {
	if _, err := m.sync(ctx); err != nil {
		return dayData{}, err
	}
	m.mu.Lock()
	e, ok := m.days[date]
	if !ok {
		e = &dayEntry{ready: make(chan struct{})}
		m.days[date] = e
		if len(m.used) >= memoDays {
			delete(m.days, m.used[0])
			m.used = m.used[1:]
		}
	}
	m.touch(date)
	m.mu.Unlock()
	if !ok {
		// The first asker reads for everyone; the read runs to its end
		// even if that asker leaves, as the others may still wait.
		e.d, e.err = m.read(context.WithoutCancel(ctx), date)
		if e.err != nil {
			m.forget(date, e)
		}
		close(e.ready)
	}
	select {
	case <-e.ready:
		return e.d, e.err
	case <-ctx.Done():
		return dayData{}, ctx.Err()
	}
}

// sync reads the data version and drops everything kept when it changed.
// A day read after it sees at least that version.
func (m *dayMemo) sync(ctx context.Context) (string, error) {
	version, err := m.store.DataVersion(ctx, dayTables...)
	if err != nil {
		return "", fmt.Errorf("data version: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if version != m.version || m.days == nil {
		m.version, m.days, m.used, m.totals = version, map[time.Time]*dayEntry{}, nil, map[time.Time][]market.DayTotal{}
	}
	return version, nil
}

// dailyTotals is DailyTotals(date, turnoverDays), kept per date like the
// days (concurrent first askers may both read; the answers are equal).
func (m *dayMemo) dailyTotals(ctx context.Context, date time.Time) ([]market.DayTotal, error) {
	version, err := m.sync(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	t, ok := m.totals[date]
	m.mu.Unlock()
	if ok {
		return t, nil
	}
	if t, err = m.store.DailyTotals(ctx, date, turnoverDays); err != nil {
		return nil, fmt.Errorf("daily totals to %s: %w", market.FormatDate(date), err)
	}
	m.mu.Lock()
	if m.version == version { // else a newer write dropped what this read may miss
		if len(m.totals) >= memoDays {
			clear(m.totals)
		}
		m.totals[date] = t
	}
	m.mu.Unlock()
	return t, nil
}

// touch makes date the most recently used; m.mu is held.
func (m *dayMemo) touch(date time.Time) {
	if i := slices.IndexFunc(m.used, date.Equal); i >= 0 {
		m.used = slices.Delete(m.used, i, i+1)
	}
	m.used = append(m.used, date)
}

// forget drops a failed entry, so the next asker reads again.
func (m *dayMemo) forget(date time.Time, e *dayEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.days[date] == e {
		delete(m.days, date)
		if i := slices.IndexFunc(m.used, date.Equal); i >= 0 {
			m.used = slices.Delete(m.used, i, i+1)
		}
	}
}

func (m *dayMemo) read(ctx context.Context, date time.Time) (dayData, error) {
	var (
		d   = dayData{date: date}
		err error
		wg  sync.WaitGroup
		oe  error
	)
	// The calendar read is tiny; it goes out beside the day's tables.
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.open, oe = m.store.OpenDays(ctx, date, market.MaxFreeDays)
	}()
	d.stocks, err = m.store.DayStocks(ctx, date)
	wg.Wait()
	switch {
	case err != nil:
		return dayData{}, fmt.Errorf("stocks of %s: %w", market.FormatDate(date), err)
	case oe != nil:
		return dayData{}, fmt.Errorf("open days before %s: %w", market.FormatDate(date), oe)
	case len(d.stocks) == 0:
		return dayData{}, noData(market.KindStock, date)
	}
	return d, nil
}

// synthetic reports whether any stock of the day is demo data.
func (d dayData) synthetic() bool {
	for i := range d.stocks {
		if d.stocks[i].Synthetic {
			return true
		}
	}
	return false
}

// ladderSource is the store with the day's stocks from the memo: what
// market.BuildLadder reads.
type ladderSource struct {
	Store
	d dayData
}

func (s ladderSource) DayStocks(ctx context.Context, date time.Time) ([]market.DayStock, error) {
	if date.Equal(s.d.date) {
		return s.d.stocks, nil
	}
	return s.Store.DayStocks(ctx, date)
}
