// Package query answers the market questions of the service — hot stocks
// and ETFs, market breadth, trade dates, sectors, the limit-up ladder,
// indices, the quick analysis, the screener, a code's basic info, K-line
// and indicators, search — as encoded JSON, through the cache. The HTTP handlers and the
// workflow tools call the same functions with the same typed arguments, so
// a question asked either way is one cache entry (keys.go names them all).
//
// Arguments are typed and checked here: a value out of range is an *Error
// naming the argument, which the caller shows as it sees fit (a 400, a
// message to the model). Parsing text (query strings, tool JSON) into the
// argument types is the caller's job.
package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Store is what the queries read: a subset of market.Reader.
type Store interface {
	LatestTradeDate(ctx context.Context, kind market.Kind) (time.Time, error)
	TradeDates(ctx context.Context, limit int) ([]time.Time, error)
	OpenDays(ctx context.Context, date time.Time, n int) ([]time.Time, error)
	HotStocks(ctx context.Context, date time.Time, sortBy string, limit int) ([]market.HotStock, error)
	HotETFs(ctx context.Context, date time.Time, sortBy string, limit int) ([]market.HotETF, error)
	DayBars(ctx context.Context, date time.Time) ([]market.StatBar, error)
	Stock(ctx context.Context, tsCode string) (market.StockInfo, error)
	ETF(ctx context.Context, tsCode string) (market.ETFInfo, error)
	Bars(ctx context.Context, tsCode string, start, end time.Time) ([]market.AdjBar, error)
	LatestAdjFactor(ctx context.Context, tsCode string) (time.Time, float64, error)
	Search(ctx context.Context, q string, limit int) ([]market.SearchHit, error)

	// The analytics' reads (see market.Reader).
	DayStocks(ctx context.Context, date time.Time) ([]market.DayStock, error)
	WindowBars(ctx context.Context, codes []string, from, to time.Time) ([]market.WindowBar, error)
	NameChanges(ctx context.Context, codes []string) ([]market.NameChange, error)
	DailyTotals(ctx context.Context, date time.Time, n int) ([]market.DayTotal, error)
	IndexQuotes(ctx context.Context, date time.Time) ([]market.IndexQuote, error)
	Index(ctx context.Context, tsCode string) (market.IndexInfo, error)
	Securities(ctx context.Context) ([]market.SearchHit, error)
	DataVersion(ctx context.Context, tables ...string) (string, error)
}

// Cache is the cache-aside the queries go through: the cached bytes of
// key, or load's answer stored for ttl. Errors of load are never cached.
// *cache.Cache satisfies it.
type Cache interface {
	Load(ctx context.Context, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error)
}

// Queries answers the market questions; it is safe for concurrent use.
type Queries struct {
	store   Store
	cache   Cache // nil: every answer is loaded
	ttl     TTLs
	latest  latestMemo
	days    dayMemo
	history historyMemo
	names   nameIndex
}

// New returns the queries over store through cache (nil for none), with
// the entries' lifetimes ttl.
func New(store Store, cache Cache, ttl TTLs) *Queries {
	q := &Queries{
		store: store, cache: cache, ttl: ttl,
		latest: latestMemo{store: store, ttl: time.Second, now: time.Now},
		days:   dayMemo{store: store},
		names:  nameIndex{store: store, ttl: time.Second, now: time.Now},
	}
	q.history.q = q
	return q
}

// Outcome says where an answer came from.
type Outcome uint8

// Outcomes of a cached question.
const (
	// Uncached: no cache, or the TTL class turns caching off.
	Uncached Outcome = iota
	// Hit: the answer came from the cache.
	Hit
	// Miss: this call loaded the answer (and cached it).
	Miss
)

// Answer is an encoded JSON answer. Body is shared with the cache: do not
// modify it.
type Answer struct {
	Body  []byte
	Cache Outcome
}

// Error codes, shared with the HTTP API's error body.
const (
	CodeBadRequest  = "bad_request"
	CodeInvalidCode = "invalid_code"
	CodeNotFound    = "not_found"
	CodeNoData      = "no_data"
)

// Error is an answer the asker caused or must know about: an argument out
// of range, an unknown code, no data for a day. Anything else a query
// returns is a failure of the store.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// badArg names the argument and its value, so a user (or a model) can fix
// the call without reading docs.
func badArg(name, value, why string) *Error {
	return errorf(CodeBadRequest, "invalid %s %q: %s", name, value, why)
}

func checkRange(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return badArg(name, strconv.Itoa(v), fmt.Sprintf("must be between %d and %d", lo, hi))
	}
	return nil
}

func checkOneOf(name, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return badArg(name, v, "want one of "+strings.Join(allowed, ", "))
}

func kindNoun(k market.Kind) string {
	if k == market.KindETF {
		return "ETF"
	}
	return "stock"
}

// noData is the answer for a day the store has no rows of the kind for.
func noData(kind market.Kind, d time.Time) *Error {
	return errorf(CodeNoData, "no %s data for %s", kindNoun(kind), market.FormatDate(d))
}

// load answers key from the cache, building it with fn on a miss. A TTL of
// 0 turns caching off for the key's class (CACHE_TTL_BASIC=0, say).
func (q *Queries) load(ctx context.Context, key Key, fn func(context.Context) ([]byte, error)) (Answer, error) {
	ttl := q.ttl.Of(key.Class)
	if q.cache == nil || ttl <= 0 {
		b, err := fn(ctx)
		return Answer{Body: b}, err
	}
	// Atomic because the cache may run the loader on its own goroutine.
	var loaded atomic.Bool
	b, err := q.cache.Load(ctx, key.Name, ttl, func(ctx context.Context) ([]byte, error) {
		loaded.Store(true)
		return fn(ctx)
	})
	if err != nil {
		return Answer{}, err
	}
	if loaded.Load() {
		return Answer{Body: b, Cache: Miss}, nil
	}
	return Answer{Body: b, Cache: Hit}, nil
}

// encoded is Encode for a builder's result: q.load(ctx, key, func(ctx) {
// return encoded(build(ctx)) }) keeps the hit path to one closure.
func encoded[T any](v T, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return Encode(v)
}

// Encode encodes an answer as the API sends it: one line of JSON without
// HTML escaping (names like "A&B" stay readable), ending in a newline.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode answer: %w", err)
	}
	return buf.Bytes(), nil
}

// tradeDate resolves an optional date: the given day, or the latest day
// with data of the kind.
func (q *Queries) tradeDate(ctx context.Context, date time.Time, kind market.Kind) (time.Time, error) {
	if !date.IsZero() {
		return date, nil
	}
	d, err := q.latest.get(ctx, kind)
	if errors.Is(err, market.ErrNoData) {
		return time.Time{}, errorf(CodeNoData, "no %s data in the store yet", kindNoun(kind))
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("latest %s trade date: %w", kind, err)
	}
	return d, nil
}

// latestMemo keeps LatestTradeDate for a second. Every question without a
// date resolves it before it can even name its cache key, so without the
// memo a fully cached answer would still query the store each time; a
// second of staleness after a load is invisible next to the overview TTL.
type latestMemo struct {
	store interface {
		LatestTradeDate(ctx context.Context, kind market.Kind) (time.Time, error)
	}
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	memo [2]latestEntry // by kind: stock, ETF
}

type latestEntry struct {
	date time.Time
	at   time.Time
}

func (m *latestMemo) get(ctx context.Context, kind market.Kind) (time.Time, error) {
	i := 0
	if kind == market.KindETF {
		i = 1
	}
	now := m.now()
	m.mu.Lock()
	e := m.memo[i]
	m.mu.Unlock()
	if !e.at.IsZero() && now.Sub(e.at) < m.ttl {
		return e.date, nil
	}
	d, err := m.store.LatestTradeDate(ctx, kind)
	if err != nil {
		return time.Time{}, err
	}
	m.mu.Lock()
	m.memo[i] = latestEntry{date: d, at: now}
	m.mu.Unlock()
	return d, nil
}
