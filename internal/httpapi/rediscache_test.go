package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/cache"
	"github.com/stockdatasource/stockd/internal/query"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// TestWithRealCache runs the API in front of the real two-tier cache and
// Redis: hits come back byte for byte, refused answers stay out of Redis,
// and a TTL of 0 turns caching off.
func TestWithRealCache(t *testing.T) {
	addr, password := testenv.Redis(t)
	var b [6]byte
	rand.Read(b[:])
	prefix := "stockd_httpapi_test_" + hex.EncodeToString(b[:]) + ":"
	c, err := cache.New(cache.Options{Prefix: prefix, RedisAddr: addr, RedisPassword: password, RedisDB: 1, L1Size: 1000, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.DeletePattern(context.Background(), "*")
		c.Close()
	})
	st := openSQLite(t)
	readSnapshot(t).load(t, st)
	cs := &countingStore{Store: st}
	h := newHandler(t, setup{store: cs, cache: c, admin: c, ttl: query.TTLs{Overview: time.Minute, Basic: time.Hour, Daily: 0, Latest: time.Minute, Workflows: time.Minute}})

	_, h1, b1 := get(t, h, "/api/overview/hot-stocks?date=20251218")
	_, h2, b2 := get(t, h, "/api/overview/hot-stocks?date=2025-12-18")
	if h1.Get("X-Cache") != "miss" || h2.Get("X-Cache") != "hit" || !bytes.Equal(b1, b2) || cs.hot.Load() != 1 {
		t.Errorf("X-Cache %q, %q; same body %v; store queried %d times", h1.Get("X-Cache"), h2.Get("X-Cache"), bytes.Equal(b1, b2), cs.hot.Load())
	}
	ctx := context.Background()
	if v, ok := c.Get(ctx, "overview:hot_stocks:2025-12-18:amount:20"); !ok || !bytes.Equal(v, b1) {
		t.Errorf("the answer is not in the cache under its documented key")
	}

	expectError(t, h, "GET", "/api/overview/hot-stocks?date=20251219", 404, CodeNoData)
	if _, ok := c.Get(ctx, "overview:hot_stocks:2025-12-19:amount:20"); ok {
		t.Error("a no_data answer was cached")
	}

	// CACHE_TTL_DAILY=0: K-lines always come from the store, no header.
	_, hd, _ := get(t, h, "/api/stock/000001.SZ/daily")
	if hd.Get("X-Cache") != "" {
		t.Errorf("daily with TTL 0: X-Cache %q, want none", hd.Get("X-Cache"))
	}
	if _, ok := c.Get(ctx, "daily:000001.SZ:2024-12-18:2025-12-18:qfq:2025-12-18"); ok {
		t.Error("daily cached although its TTL is 0")
	}
}
