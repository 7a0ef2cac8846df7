package httpapi

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
)

// mapCache is the simplest cache that honours the Cache contract; it
// records keys and TTLs so the tests can check what the handlers ask for.
type mapCache struct {
	mu    sync.Mutex
	vals  map[string][]byte
	ttls  map[string]time.Duration
	loads int
	// lookups counts every Load, hit or miss.
	lookups int
}

func newMapCache() *mapCache {
	return &mapCache{vals: map[string][]byte{}, ttls: map[string]time.Duration{}}
}

func (c *mapCache) Load(ctx context.Context, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	c.lookups++
	v, ok := c.vals[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := load(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.vals[key], c.ttls[key] = v, ttl
	c.loads++
	c.mu.Unlock()
	return v, nil
}

func (c *mapCache) keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.vals))
}

// countingStore counts the reads that matter for caching; it forwards
// everything to the real store.
type countingStore struct {
	market.Store
	latest, hot atomic.Int64
}

func (s *countingStore) LatestTradeDate(ctx context.Context, kind market.Kind) (time.Time, error) {
	s.latest.Add(1)
	return s.Store.LatestTradeDate(ctx, kind)
}

func (s *countingStore) HotStocks(ctx context.Context, date time.Time, sortBy string, limit int) ([]market.HotStock, error) {
	s.hot.Add(1)
	return s.Store.HotStocks(ctx, date, sortBy, limit)
}

func testCaching(t *testing.T, st market.Store) {
	cache := newMapCache()
	cs := &countingStore{Store: st}
	ttl := query.TTLs{Overview: 61 * time.Second, Basic: 62 * time.Minute, Daily: 25 * time.Hour, Latest: 63 * time.Second, Workflows: time.Minute}
	h := newHandler(t, setup{store: cs, cache: cache, ttl: ttl})

	begin := time.Now()
	_, hdr1, body1 := get(t, h, "/api/overview/hot-stocks")
	_, hdr2, body2 := get(t, h, "/api/overview/hot-stocks?date=20251218&sort_by=amount&limit=20")
	if hdr1.Get("X-Cache") != "miss" || hdr2.Get("X-Cache") != "hit" || !bytes.Equal(body1, body2) {
		t.Errorf("X-Cache %q then %q; bodies equal %v", hdr1.Get("X-Cache"), hdr2.Get("X-Cache"), bytes.Equal(body1, body2))
	}
	if n := cs.hot.Load(); n != 1 {
		t.Errorf("HotStocks queried %d times for one key, want 1", n)
	}
	for range 10 {
		get(t, h, "/api/overview/hot-stocks")
	}
	// The memo lives a second; a slow (-race) run may span a few.
	if n, most := cs.latest.Load(), int64(time.Since(begin)/time.Second)+1; n > most {
		t.Errorf("LatestTradeDate queried %d times in %s for 12 requests, want at most %d (memo)", n, time.Since(begin), most)
	}

	// Failed loads answer their status and are not cached.
	expectError(t, h, "GET", "/api/overview/hot-stocks?date=2025-12-19", 404, CodeNoData)
	expectError(t, h, "GET", "/api/stock/999999.SH/basic", 404, CodeNotFound)

	get(t, h, "/api/overview/hot-etfs?sort_by=pct_chg&limit=5")
	get(t, h, "/api/overview/market-stats")
	get(t, h, "/api/stock/sh600519/basic")
	get(t, h, "/api/stock/000001/daily")
	get(t, h, "/api/stock/000001.SZ/daily?adjust=none&start=20251201&end=20251218")
	get(t, h, "/api/stock/000001.SZ/kline?period=week&adjust=hfq")

	want := map[string]time.Duration{
		"overview:hot_stocks:2025-12-18:amount:20":                  ttl.Overview,
		"overview:hot_etfs:2025-12-18:pct_chg:5":                    ttl.Overview,
		"overview:market_stats:2025-12-18":                          ttl.Overview,
		"basic:600519.SH":                                           ttl.Basic,
		"daily:000001.SZ:meta":                                      ttl.Latest,
		"daily:000001.SZ:req:::qfq":                                 ttl.Latest,
		"daily:000001.SZ:req:2025-12-01:2025-12-18:none":            ttl.Latest,
		"daily:000001.SZ:2024-12-18:2025-12-18:qfq:2025-12-18":      ttl.Daily,
		"daily:000001.SZ:2025-12-01:2025-12-18:none:2025-12-18":     ttl.Daily,
		"kline:000001.SZ:week:req:::hfq":                            ttl.Latest,
		"kline:000001.SZ:week:2024-12-18:2025-12-18:hfq:2025-12-18": ttl.Daily,
	}
	got := cache.keys()
	if !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
		t.Errorf("cache keys:\n got %q\nwant %q", got, slices.Sorted(maps.Keys(want)))
	}
	for k, ttl := range want {
		if cache.ttls[k] != ttl {
			t.Errorf("%s: TTL %s, want %s", k, cache.ttls[k], ttl)
		}
	}

	// A repeated K-line request costs one lookup (its alias entry), and
	// another spelling of the same range gets the resolved entry's bytes.
	cache.mu.Lock()
	before := cache.lookups
	cache.mu.Unlock()
	_, hdrA, bodyA := get(t, h, "/api/stock/000001/daily")
	cache.mu.Lock()
	n := cache.lookups - before
	cache.mu.Unlock()
	if n != 1 || hdrA.Get("X-Cache") != "hit" {
		t.Errorf("repeated K-line request: %d cache lookups, X-Cache %q; want 1 and hit", n, hdrA.Get("X-Cache"))
	}
	_, _, bodyB := get(t, h, "/api/stock/000001.SZ/daily?start=2024-12-18&end=2025-12-18&adjust=qfq")
	if !bytes.Equal(bodyA, bodyB) {
		t.Error("the same range spelled out answers other bytes than the open range")
	}
}
