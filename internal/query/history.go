package query

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// The indicators of a code are asked for many windows and selections (a
// chart's panes, a range picker, a model's tool calls), and each needs the
// same long history for its warm-up: reading it is nearly all an answer
// costs, most of all on ClickHouse, where one code's bars lie in every
// monthly partition. The history memo keeps the codes read last — their
// K-line meta and raw bars from some day on to the newest — so another
// window of a code costs a version check and the computation.
//
// Like the day memo it is exact: every use reads the store's DataVersion
// of the tables a history is made of, and a change drops every code.

// historyTables are what a code's history and meta are read from.
var historyTables = []string{"daily", "etf_daily", "index_daily", "adj_factor", "stock_basic", "etf_basic", "index_basic"}

// memoCodes is how many codes the history memo keeps.
const memoCodes = 64

type historyMemo struct {
	q *Queries

	mu      sync.Mutex
	version string
	codes   map[string]*codeHistory
	used    []string // least recently used first
}

// codeHistory is one code's meta and bars; mu serialises its loads.
type codeHistory struct {
	mu     sync.Mutex
	meta   *klineMeta
	bars   []market.AdjBar // raw, oldest first, from `from` to the newest
	from   time.Time       // zero: the whole history
	loaded bool
}

// entry returns the code's memo entry, after dropping every entry when the
// tables changed.
func (m *historyMemo) entry(ctx context.Context, code string) (*codeHistory, error) {
	version, err := m.q.store.DataVersion(ctx, historyTables...)
	if err != nil {
		return nil, fmt.Errorf("data version: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if version != m.version || m.codes == nil {
		m.version, m.codes, m.used = version, map[string]*codeHistory{}, nil
	}
	h, ok := m.codes[code]
	if !ok {
		h = &codeHistory{}
		m.codes[code] = h
		if len(m.used) >= memoCodes {
			delete(m.codes, m.used[0])
			m.used = m.used[1:]
		}
	}
	if i := slices.Index(m.used, code); i >= 0 {
		m.used = slices.Delete(m.used, i, i+1)
	}
	m.used = append(m.used, code)
	return h, nil
}

// meta is the code's K-line meta, read once per entry.
func (h *codeHistory) metaOf(ctx context.Context, q *Queries, code string) (klineMeta, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.meta == nil {
		m, err := q.klineMeta(ctx, code)
		if err != nil {
			return klineMeta{}, err
		}
		h.meta = &m
	}
	return *h.meta, nil
}

// barsFrom returns the code's raw bars from `from` (zero: the whole
// history) to its newest, reading them when the entry does not reach back
// that far. The slice is shared: read only.
func (h *codeHistory) barsFrom(ctx context.Context, q *Queries, code string, from time.Time) ([]market.AdjBar, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	covered := h.loaded && (h.from.IsZero() || (!from.IsZero() && !from.Before(h.from)))
	if !covered {
		bars, err := q.store.Bars(ctx, code, from, time.Time{})
		if err != nil {
			return nil, fmt.Errorf("bars of %s: %w", code, err)
		}
		h.bars, h.from, h.loaded = bars, from, true
	}
	i, _ := slices.BinarySearchFunc(h.bars, from, func(b market.AdjBar, t time.Time) int { return b.TradeDate.Compare(t) })
	return h.bars[i:], nil
}
