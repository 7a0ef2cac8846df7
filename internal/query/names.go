package query

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/pinyin"
)

// nameTables are what the pinyin index is built from.
var nameTables = []string{"stock_basic", "etf_basic", "index_basic"}

// nameIndex is the pinyin index of every stock, fund and index name. It is
// built on first use and rebuilt when the store's DataVersion of the three
// name tables changes — a load by this process or any other — which is
// checked at most once per ttl, so a search typed a keystroke at a time
// costs no store read for it.
type nameIndex struct {
	store interface {
		Securities(ctx context.Context) ([]market.SearchHit, error)
		DataVersion(ctx context.Context, tables ...string) (string, error)
	}
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex // one check or rebuild at a time
	version string
	checked time.Time
	built   bool
	ix      pinyin.Index
}

func (n *nameIndex) get(ctx context.Context) (*pinyin.Index, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	if n.built && now.Sub(n.checked) < n.ttl {
		return &n.ix, nil
	}
	v, err := n.store.DataVersion(ctx, nameTables...)
	if err != nil {
		return nil, fmt.Errorf("name tables' version: %w", err)
	}
	if !n.built || v != n.version {
		rows, err := n.store.Securities(ctx)
		if err != nil {
			return nil, fmt.Errorf("securities: %w", err)
		}
		n.ix.Reset(rows)
		n.version, n.built = v, true
	}
	n.checked = now
	return &n.ix, nil
}
