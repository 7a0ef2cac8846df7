// Package cache is the two-tier cache-aside layer in front of the store: an
// in-process tier (otter, a TinyLFU cache bounded in entries and bytes) and
// a shared tier in Redis (DB 1 by default, every key under one prefix so the
// Langfuse data in the same server is never touched).
//
// Values are opaque bytes — the encoded HTTP response — so a hit is written
// to the socket as is. Load runs one loader per key at a time across all
// callers of a process, writes both tiers, and keeps the in-process copy no
// longer than the Redis copy lives. Invalidation deletes in Redis with
// SCAN+UNLINK inside the prefix and tells the other replicas over pub/sub to
// drop their in-process copies.
//
// Redis is optional at every moment: when it is unreachable, refuses our
// password or dies mid-request, every call degrades to the loader, a breaker
// stops requests from paying connect timeouts, and a background probe puts
// Redis back into use when it answers again.
package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"golang.org/x/sync/singleflight"
)

// Defaults applied by New to zero-valued Options.
const (
	DefaultPrefix      = "stock:"
	DefaultL1TTL       = 2 * time.Second
	DefaultL1MaxBytes  = 64 << 20
	DefaultLoadTimeout = 30 * time.Second
)

// Redis client timeouts. Redis answers in well under a millisecond on a
// healthy network (p99 ≈ 0.25 ms measured here), so 200 ms is already a sick
// server: past it we would rather answer from the store than hold the
// request. The breaker makes only the first failing request pay this.
const (
	redisDialTimeout = 200 * time.Millisecond
	redisIOTimeout   = 200 * time.Millisecond
	redisPoolTimeout = 300 * time.Millisecond
)

// Breaker backoff: after Redis fails, requests skip it while a background
// probe PINGs it after 1 s, 2 s, then every 4 s, so a returning Redis is in
// use again within about 4 s.
const (
	probeFirst = 1 * time.Second
	probeMax   = 4 * time.Second
)

// scanCount is the COUNT hint of each SCAN step and so the size of each
// UNLINK batch.
const scanCount = 500

// maxPatternLen bounds invalidation patterns; no key template comes close.
const maxPatternLen = 512

// maxPending bounds the invalidations remembered while Redis is down; past
// it the whole prefix is invalidated when Redis returns.
const maxPending = 1024

// ErrUnavailable is returned by writes and invalidations that could not
// reach Redis. Invalidations are remembered and replayed when Redis returns,
// so a stale value does not outlive an outage.
var ErrUnavailable = errors.New("cache: redis unavailable")

// Options configures a Cache.
type Options struct {
	// Prefix is prepended to every key in Redis ("stock:" when empty). It is
	// our whole namespace: nothing outside it is read, written or deleted.
	Prefix string
	// RedisAddr is host:port of Redis; empty means no shared tier (embedded
	// mode: the in-process tier alone serves).
	RedisAddr     string
	RedisPassword string
	// RedisDB is the Redis logical database, used as given (the config's
	// REDIS_DB defaults to 1; Langfuse keeps DB 0).
	RedisDB int
	// L1Size bounds the in-process tier in entries; 0 disables it.
	L1Size int
	// L1MaxBytes bounds the in-process tier in bytes of keys and values
	// (64 MiB when 0).
	L1MaxBytes int64
	// L1TTL caps how long a value stays in process when Redis is configured
	// (2 s when 0): it bounds how stale a replica can be when an invalidation
	// message is lost. Without Redis there is no other tier or replica to
	// agree with, and values live for the TTL given to Load or Set.
	L1TTL time.Duration
	// LoadTimeout bounds a loader run, which is detached from the first
	// caller's context (30 s when 0).
	LoadTimeout time.Duration
	// Logger receives state changes (warn/info) and hits and misses (debug).
	Logger *slog.Logger
	// Registerer, when not nil, gets the cache's Prometheus metrics.
	Registerer prometheus.Registerer
}

// Cache is a two-tier cache-aside. It is safe for concurrent use.
type Cache struct {
	id          string // names this Cache in its invalidation messages
	prefix      string
	matchPrefix string // prefix with glob metacharacters escaped, for SCAN MATCH
	channel     string // pub/sub channel of invalidation patterns
	l1TTL       time.Duration
	l1MaxEntry  int
	loadTimeout time.Duration
	log         *slog.Logger

	l1  *otter.Cache[string, l1Entry] // nil when disabled
	rdb *redis.Client                 // nil in embedded mode

	flight singleflight.Group
	// gen counts invalidations. A load or Redis read that began before an
	// invalidation must not write its (possibly stale) value back after it.
	gen atomic.Uint64

	up      atomic.Bool // Redis answered last time we asked
	probing atomic.Bool // a probe goroutine is running

	pendingMu  sync.Mutex
	pending    map[string]struct{} // invalidations to replay when Redis returns
	pendingAll bool

	stats counters

	ctx        context.Context // cancelled by Close
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	subMu      sync.Mutex
	sub        *redis.PubSub
	subscribed chan struct{} // closed once the first subscription is live
	subOnce    sync.Once
	closeOnce  sync.Once
}

type l1Entry struct {
	val []byte
	ttl time.Duration
}

var redisLoggerOnce sync.Once

// New builds a Cache. It fails only on bad options, never because Redis is
// down: the service must start without it, and the cache starts using Redis
// as soon as it answers.
func New(opts Options) (*Cache, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cache{
		id:          newID(),
		prefix:      opts.Prefix,
		matchPrefix: escapeGlob(opts.Prefix),
		channel:     opts.Prefix + "invalidate",
		l1TTL:       opts.L1TTL,
		loadTimeout: opts.LoadTimeout,
		log:         opts.Logger,
		pending:     make(map[string]struct{}),
		ctx:         ctx,
		cancel:      cancel,
		subscribed:  make(chan struct{}),
	}
	if opts.L1Size > 0 {
		l1, err := newL1(opts.L1Size, opts.L1MaxBytes)
		if err != nil {
			cancel()
			return nil, err
		}
		c.l1 = l1
		// One entry may not take more than an eighth of the tier, so a
		// single huge answer cannot flush everything else.
		c.l1MaxEntry = int(min(opts.L1MaxBytes/8, int64(^uint32(0))))
	}
	if opts.RedisAddr == "" {
		close(c.subscribed)
	} else {
		c.connect(opts)
	}
	// Last, so that a scrape never sees a half-built Cache.
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(collector{c}); err != nil {
			c.Close()
			return nil, fmt.Errorf("cache: register metrics: %w", err)
		}
	}
	return c, nil
}

// connect sets up the Redis client, checks Redis once (briefly: a down Redis
// only opens the breaker) and starts the subscriber.
func (c *Cache) connect(opts Options) {

	// go-redis logs each failed dial itself; route that to debug so an
	// outage shows as our one warning, not a line per probe.
	redisLoggerOnce.Do(func() { redis.SetLogger(redisLogger{}) })
	c.rdb = redis.NewClient(&redis.Options{
		Addr:     opts.RedisAddr,
		Password: opts.RedisPassword,
		DB:       opts.RedisDB,
		// One attempt each: the breaker, not the client, decides when to
		// try again, so a dead Redis costs one dial timeout, not five.
		DialTimeout:           redisDialTimeout,
		DialerRetries:         1,
		MaxRetries:            -1,
		ReadTimeout:           redisIOTimeout,
		WriteTimeout:          redisIOTimeout,
		PoolTimeout:           redisPoolTimeout,
		ContextTimeoutEnabled: true,
		// Redis 7.0 knows neither CLIENT SETINFO nor maintenance
		// notifications: skip the round trips they would waste per dial.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})

	pingCtx, pingCancel := context.WithTimeout(c.ctx, 2*redisIOTimeout+redisDialTimeout)
	err := c.rdb.Ping(pingCtx).Err()
	pingCancel()
	if err == nil {
		c.up.Store(true)
		c.log.Info("cache: redis connected", "addr", opts.RedisAddr, "db", opts.RedisDB, "prefix", opts.Prefix)
	} else {
		c.log.Warn("cache: redis unavailable, serving without it until it answers",
			"addr", opts.RedisAddr, "db", opts.RedisDB, "err", err)
		c.startProbe()
	}
	c.wg.Add(1)
	go c.subscribe()
}

func (o *Options) setDefaults() error {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.RedisAddr != "" {
		if _, _, err := net.SplitHostPort(o.RedisAddr); err != nil {
			return fmt.Errorf("cache: redis address %q: %w", o.RedisAddr, err)
		}
	}
	switch {
	case o.RedisDB < 0:
		return fmt.Errorf("cache: redis db %d: must not be negative", o.RedisDB)
	case o.L1Size < 0:
		return fmt.Errorf("cache: L1 size %d: must not be negative", o.L1Size)
	case o.L1MaxBytes < 0:
		return fmt.Errorf("cache: L1 max bytes %d: must not be negative", o.L1MaxBytes)
	case o.L1TTL < 0:
		return fmt.Errorf("cache: L1 TTL %s: must not be negative", o.L1TTL)
	case o.LoadTimeout < 0:
		return fmt.Errorf("cache: load timeout %s: must not be negative", o.LoadTimeout)
	}
	if o.L1MaxBytes == 0 {
		o.L1MaxBytes = DefaultL1MaxBytes
	}
	if o.L1TTL == 0 {
		o.L1TTL = DefaultL1TTL
	}
	if o.LoadTimeout == 0 {
		o.LoadTimeout = DefaultLoadTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// newL1 builds the in-process tier. otter bounds either entries or weight,
// not both, so each entry weighs at least maxBytes/size: the weight limit
// then also caps the count at size, and the bytes at maxBytes.
func newL1(size int, maxBytes int64) (*otter.Cache[string, l1Entry], error) {
	minWeight := (maxBytes + int64(size) - 1) / int64(size)
	l1, err := otter.New(&otter.Options[string, l1Entry]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(key string, e l1Entry) uint32 {
			w := max(int64(len(key)+len(e.val)), minWeight)
			return uint32(min(w, int64(^uint32(0))))
		},
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, l1Entry]) time.Duration {
			return e.Value.ttl
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("cache: L1: %w", err)
	}
	return l1, nil
}

// Load returns the value of key: from the in-process tier, else from Redis,
// else from load, run once per key however many callers wait for it. The
// loader runs detached from the first caller's context (with LoadTimeout),
// so one caller giving up does not fail the others; each caller still
// returns as soon as its own ctx is done. A loaded value is written to both
// tiers with ttl; loader errors are returned and never cached.
//
// The returned bytes are shared with the cache and other callers: do not
// modify them.
func (c *Cache) Load(ctx context.Context, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("cache: load %q: ttl %s must be positive", key, ttl)
	}
	gen := c.gen.Load()
	if v, ok := c.lookup(ctx, key, gen); ok {
		return v, nil
	}
	c.stats.misses.Add(1)
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.DebugContext(ctx, "cache miss", "key", key)
	}

	// Callers that arrive after an invalidation must not join a load that
	// began before it: they get a flight of their own.
	flightKey := key
	if gen != 0 {
		flightKey = key + "\x00" + strconv.FormatUint(gen, 10)
	}
	detached := context.WithoutCancel(ctx)
	ch := c.flight.DoChan(flightKey, func() (any, error) {
		return c.fill(detached, key, ttl, gen, load)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]byte), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fill runs the loader for the flight of key and writes both tiers.
func (c *Cache) fill(ctx context.Context, key string, ttl time.Duration, gen uint64, load func(context.Context) ([]byte, error)) (val []byte, err error) {
	// A caller that missed both tiers just before the previous flight of
	// this key landed would start a second load; the value is in L1 now.
	// Without L1, look in Redis again: a miss costs a store query, so one
	// more round trip here is cheap insurance against a second load.
	if c.l1 != nil {
		if e, ok := c.l1.GetIfPresent(key); ok {
			return e.val, nil
		}
	} else if c.rdb != nil && c.up.Load() {
		if v, err := c.rdb.Get(ctx, c.prefix+key).Bytes(); err == nil {
			return v, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.loadTimeout)
	defer cancel()
	defer func() {
		// singleflight re-raises a DoChan panic on a fresh goroutine, which
		// no one can recover: turn it into this flight's error instead.
		if p := recover(); p != nil {
			err = fmt.Errorf("cache: loader for %q panicked: %v", key, p)
			c.stats.loadErrors.Add(1)
		}
	}()
	c.stats.loads.Add(1)
	val, err = load(ctx)
	if err != nil {
		c.stats.loadErrors.Add(1)
		return nil, err
	}
	if c.gen.Load() == gen {
		c.setL1(key, val, c.l1TTLFor(ttl))
		if c.rdb != nil && c.up.Load() {
			if err := c.rdb.Set(ctx, c.prefix+key, val, redisTTL(ttl)).Err(); err != nil {
				c.fail(ctx, "set", err)
			}
		}
	}
	return val, nil
}

// Get returns the cached value of key from either tier.
// The returned bytes are shared: do not modify them.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool) {
	if v, ok := c.lookup(ctx, key, c.gen.Load()); ok {
		return v, true
	}
	c.stats.misses.Add(1)
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.DebugContext(ctx, "cache miss", "key", key)
	}
	return nil, false
}

// lookup reads L1, then Redis, counting per-tier hits and misses. A Redis hit
// is copied into L1 for no longer than Redis will keep it, unless an
// invalidation happened since gen was read.
func (c *Cache) lookup(ctx context.Context, key string, gen uint64) ([]byte, bool) {
	if c.l1 != nil {
		if e, ok := c.l1.GetIfPresent(key); ok {
			c.stats.l1Hits.Add(1)
			c.stats.hits.Add(1)
			c.debugHit(ctx, key, "l1")
			return e.val, true
		}
		c.stats.l1Misses.Add(1)
	}
	if c.rdb == nil || !c.up.Load() {
		return nil, false
	}
	pipe := c.rdb.Pipeline()
	get := pipe.Get(ctx, c.prefix+key)
	pttl := pipe.PTTL(ctx, c.prefix+key)
	_, err := pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		c.fail(ctx, "get", err)
		return nil, false
	}
	val, err := get.Bytes()
	if err != nil { // redis.Nil: not there
		c.stats.l2Misses.Add(1)
		return nil, false
	}
	c.stats.l2Hits.Add(1)
	c.stats.hits.Add(1)
	c.debugHit(ctx, key, "l2")
	// PTTL is -1 for a key without expiry (not one of ours) and -2 when the
	// key expired between the two commands.
	if remaining := pttl.Val(); remaining != -2 && c.gen.Load() == gen {
		l1ttl := c.l1TTL
		if remaining > 0 {
			l1ttl = min(l1ttl, remaining)
		}
		c.setL1(key, val, l1ttl)
	}
	return val, true
}

func (c *Cache) debugHit(ctx context.Context, key, tier string) {
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.DebugContext(ctx, "cache hit", "key", key, "tier", tier)
	}
}

// Set writes val under key in both tiers with ttl. Other replicas may serve
// their in-process copy for up to L1TTL; use Delete to make them drop it.
// It returns ErrUnavailable (wrapped) when Redis could not be written.
func (c *Cache) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("cache: set %q: ttl %s must be positive", key, ttl)
	}
	c.setL1(key, val, c.l1TTLFor(ttl))
	if c.rdb == nil {
		return nil
	}
	if !c.up.Load() {
		return fmt.Errorf("cache: set %q: %w", key, ErrUnavailable)
	}
	if err := c.rdb.Set(ctx, c.prefix+key, val, redisTTL(ttl)).Err(); err != nil {
		c.fail(ctx, "set", err)
		return fmt.Errorf("cache: set %q: %w: %w", key, ErrUnavailable, err)
	}
	return nil
}

// Delete removes keys from both tiers here and from the in-process tier of
// every other replica. While Redis is down the deletion is remembered and
// replayed when it returns, and ErrUnavailable is returned.
func (c *Cache) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	c.gen.Add(1)
	patterns := make([]string, len(keys))
	for i, k := range keys {
		patterns[i] = escapeGlob(k)
	}
	if c.rdb != nil {
		if !c.up.Load() {
			c.remember(patterns...)
			c.dropL1(keys...)
			return fmt.Errorf("cache: delete: %w", ErrUnavailable)
		}
		full := make([]string, len(keys))
		for i, k := range keys {
			full[i] = c.prefix + k
		}
		if err := c.rdb.Unlink(ctx, full...).Err(); err != nil {
			c.fail(ctx, "unlink", err)
			c.remember(patterns...)
			c.dropL1(keys...)
			return fmt.Errorf("cache: delete: %w: %w", ErrUnavailable, err)
		}
	}
	// After Redis: a reader between the two steps refills L1 from Redis only
	// with a value that is about to be dropped here.
	c.dropL1(keys...)
	c.publish(ctx, patterns...)
	return nil
}

// DeletePattern deletes every key matching pattern (Redis glob syntax:
// `*`, `?`, `[...]`, `\x`) under our prefix: in Redis with SCAN+UNLINK,
// never KEYS or FLUSHDB; in this process's L1; and, through pub/sub, in
// every other replica's L1. The prefix is always prepended, so no pattern
// reaches keys outside it. It returns how many Redis keys were deleted, or
// in embedded mode how many in-process entries were. While Redis is down
// the invalidation is remembered and replayed when it returns, and
// ErrUnavailable is returned.
func (c *Cache) DeletePattern(ctx context.Context, pattern string) (int64, error) {
	if pattern == "" || len(pattern) > maxPatternLen {
		return 0, fmt.Errorf("cache: invalidation pattern must be 1..%d bytes, got %d", maxPatternLen, len(pattern))
	}
	c.gen.Add(1)
	if c.rdb == nil {
		return int64(c.dropL1Matching(pattern)), nil
	}
	if !c.up.Load() {
		c.remember(pattern)
		c.dropL1Matching(pattern)
		return 0, fmt.Errorf("cache: delete %q: %w", pattern, ErrUnavailable)
	}
	n, err := c.unlinkMatching(ctx, pattern)
	if err != nil {
		c.fail(ctx, "scan", err)
		c.remember(pattern)
		c.dropL1Matching(pattern)
		return n, fmt.Errorf("cache: delete %q: %w: %w", pattern, ErrUnavailable, err)
	}
	c.dropL1Matching(pattern)
	c.publish(ctx, pattern)
	return n, nil
}

// unlinkMatching deletes the Redis keys matching prefix+pattern, one UNLINK
// per SCAN step so memory stays flat however many keys match.
func (c *Cache) unlinkMatching(ctx context.Context, pattern string) (int64, error) {
	match := c.matchPrefix + pattern
	var cursor uint64
	var deleted int64
	for {
		keys, next, err := c.rdb.Scan(ctx, cursor, match, scanCount).Result()
		if err != nil {
			return deleted, err
		}
		if len(keys) > 0 {
			n, err := c.rdb.Unlink(ctx, keys...).Result()
			if err != nil {
				return deleted, err
			}
			deleted += n
		}
		if next == 0 {
			return deleted, nil
		}
		cursor = next
	}
}

// publish tells the other replicas to drop L1 entries matching patterns. A
// lost message costs at most L1TTL of staleness there. Each message is
// "<sender id>\n<pattern>" so we can skip our own: dropping again would be
// harmless for L1, but it would also bump gen and make loads that began
// after the invalidation discard their fresh values.
func (c *Cache) publish(ctx context.Context, patterns ...string) {
	pipe := c.rdb.Pipeline()
	for _, p := range patterns {
		pipe.Publish(ctx, c.channel, c.id+"\n"+p)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		c.fail(ctx, "publish", err)
	}
}

// remember queues invalidations for replay when Redis returns.
func (c *Cache) remember(patterns ...string) {
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	for _, p := range patterns {
		if c.pendingAll {
			break
		}
		if len(c.pending) >= maxPending {
			c.pendingAll = true
			clear(c.pending)
			break
		}
		c.pending[p] = struct{}{}
	}
	// Redis came back between our check and the lock: replay now, since
	// the probe that would have done it has finished.
	if c.up.Load() {
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		defer cancel()
		if err := c.replayLocked(ctx); err != nil {
			c.fail(ctx, "replay", err)
		}
	}
}

// replayLocked runs the invalidations that Redis missed while it was down.
// The caller holds pendingMu.
func (c *Cache) replayLocked(ctx context.Context) error {
	if c.pendingAll {
		if _, err := c.unlinkMatching(ctx, "*"); err != nil {
			return err
		}
		c.pendingAll = false
		clear(c.pending)
		c.publish(ctx, "*")
		return nil
	}
	for p := range c.pending {
		if _, err := c.unlinkMatching(ctx, p); err != nil {
			return err
		}
		delete(c.pending, p)
		c.publish(ctx, p)
	}
	return nil
}

// l1TTLFor is how long a value loaded or set with ttl stays in process.
func (c *Cache) l1TTLFor(ttl time.Duration) time.Duration {
	if c.rdb == nil {
		return ttl
	}
	return min(ttl, c.l1TTL)
}

func (c *Cache) setL1(key string, val []byte, ttl time.Duration) {
	if c.l1 == nil || ttl <= 0 || len(key)+len(val) > c.l1MaxEntry {
		return
	}
	c.l1.Set(key, l1Entry{val: val, ttl: ttl})
}

func (c *Cache) dropL1(keys ...string) {
	if c.l1 == nil {
		return
	}
	for _, k := range keys {
		c.l1.Invalidate(k)
	}
}

// dropL1Matching drops the in-process entries whose key matches pattern and
// returns how many it dropped.
func (c *Cache) dropL1Matching(pattern string) int {
	if c.l1 == nil {
		return 0
	}
	var doomed []string
	for k := range c.l1.Keys() {
		if globMatch(pattern, k) {
			doomed = append(doomed, k)
		}
	}
	n := 0
	for _, k := range doomed {
		if _, ok := c.l1.Invalidate(k); ok {
			n++
		}
	}
	return n
}

// redisTTL rounds ttl up to Redis's millisecond resolution: a zero PX would
// be refused, and a key without expiry must never be ours (Redis evicts
// with volatile-lru, which only considers keys that have a TTL).
func redisTTL(ttl time.Duration) time.Duration {
	return max(ttl, time.Millisecond)
}

// Close stops the subscriber and the probe and closes the Redis client.
func (c *Cache) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.cancel()
		c.subMu.Lock()
		if c.sub != nil {
			_ = c.sub.Close() // unblocks the subscriber's read
		}
		c.subMu.Unlock()
		c.wg.Wait()
		if c.rdb != nil {
			err = c.rdb.Close()
		}
		if c.l1 != nil {
			c.l1.StopAllGoroutines()
		}
	})
	return err
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails on Linux (crypto/rand docs)
	return hex.EncodeToString(b[:])
}

// redisLogger sends go-redis's own log lines to slog at debug level.
type redisLogger struct{}

func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l := slog.Default()
	if l.Enabled(ctx, slog.LevelDebug) {
		l.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
	}
}
