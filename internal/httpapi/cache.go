package httpapi

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Cache is the cache-aside the handlers go through. The value is the encoded
// JSON body, so a hit is written to the socket without decoding. Load
// returns the cached bytes for key, or calls load, stores its answer for ttl
// and returns it; an error of load is returned and never cached.
type Cache interface {
	Load(ctx context.Context, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error)
}

// PassThrough is the Cache used when none is configured: every call loads.
type PassThrough struct{}

// Load calls load.
func (PassThrough) Load(ctx context.Context, _ string, _ time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error) {
	return load(ctx)
}

// TTLs are the lifetimes of the cached answers (CACHE_TTL_*).
type TTLs struct {
	Overview time.Duration
	Basic    time.Duration
	Daily    time.Duration
}

// cached answers a GET from the cache under key, building the body with
// build on a miss.
func (s *server) cached(w http.ResponseWriter, r *http.Request, key string, ttl time.Duration, build func(context.Context) (any, error)) {
	s.cachedBytes(w, r, key, ttl, func(ctx context.Context) ([]byte, error) {
		v, err := build(ctx)
		if err != nil {
			return nil, err
		}
		return encodeJSON(v)
	})
}

// cachedBytes is cached for a loader that returns the encoded body itself.
// X-Cache says whether this request's loader ran; with a pass-through cache
// there is nothing to tell and no header is set.
func (s *server) cachedBytes(w http.ResponseWriter, r *http.Request, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) {
	// Atomic because a cache may run the loader on its own goroutine.
	var loaded atomic.Bool
	body, err := s.load(r.Context(), key, ttl, func(ctx context.Context) ([]byte, error) {
		loaded.Store(true)
		return load(ctx)
	})
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if _, pass := s.cache.(PassThrough); !pass && ttl > 0 {
		if loaded.Load() {
			w.Header()["X-Cache"] = xCacheMiss
		} else {
			w.Header()["X-Cache"] = xCacheHit
		}
	}
	writeRaw(w, http.StatusOK, body)
}

var xCacheHit, xCacheMiss = []string{"hit"}, []string{"miss"}

// load goes through the cache, except with a TTL of 0, which turns caching
// off for that kind of answer (CACHE_TTL_BASIC=0, say).
func (s *server) load(ctx context.Context, key string, ttl time.Duration, fn func(context.Context) ([]byte, error)) ([]byte, error) {
	if ttl <= 0 {
		return fn(ctx)
	}
	return s.cache.Load(ctx, key, ttl, fn)
}

// latestMemo keeps LatestTradeDate for a second. Every request without a
// date resolves it before it can even build a cache key, so without the memo
// a fully cached endpoint would still query the store each time; a second
// of staleness after a sync is invisible next to the overview TTL.
type latestMemo struct {
	reader interface {
		LatestTradeDate(ctx context.Context, kind market.Kind) (time.Time, error)
	}
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	memo map[market.Kind]latestEntry
}

type latestEntry struct {
	date time.Time
	at   time.Time
}

func (m *latestMemo) get(ctx context.Context, kind market.Kind) (time.Time, error) {
	now := m.now()
	m.mu.Lock()
	e, ok := m.memo[kind]
	m.mu.Unlock()
	if ok && now.Sub(e.at) < m.ttl {
		return e.date, nil
	}
	d, err := m.reader.LatestTradeDate(ctx, kind)
	if err != nil {
		return time.Time{}, err
	}
	m.mu.Lock()
	m.memo[kind] = latestEntry{date: d, at: now}
	m.mu.Unlock()
	return d, nil
}
