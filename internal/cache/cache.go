// Package cache is the two-tier cache-aside layer in front of the store: an
// in-process tier (otter, a TinyLFU cache bounded in entries and bytes) and
// a shared tier in Redis (DB 1 by default, every key under one prefix so the
// Langfuse data in the same server is never touched). Redis may be one
// server, a Sentinel-watched master with replicas, or a Redis Cluster
// (database 0 only; the prefix alone isolates us there).
//
// Values are opaque bytes — the encoded HTTP response — so a hit is written
// to the socket as is. Load runs one loader per key at a time across all
// callers of a process, writes both tiers, and keeps the in-process copy no
// longer than the Redis copy lives. Invalidation deletes in Redis with
// SCAN+UNLINK inside the prefix, on every master of a cluster, and tells the
// other replicas over pub/sub to drop their in-process copies.
//
// Redis is optional at every moment: when it is unreachable, refuses our
// password or dies mid-request, every call degrades to the loader, a breaker
// stops requests from paying timeouts, and a background probe puts Redis
// back into use when it answers again. The breaker opens only on a run of
// failures with no success in between that lasts a second or more, so a
// few slow replies on a busy machine do not switch Redis off for everyone.
//
// Invalidation guarantee. When Delete or DeletePattern returns nil, the
// invalidation has either been applied in Redis and published, or it is
// queued in this process. A queued invalidation keeps every matching key
// off Redis for this process — it is neither read nor written there —
// until Redis has applied it; a replayer retries it (250 ms, doubling to
// 2 s, at once when Redis returns) with a patient per-command timeout. So
// this process never reads the invalidated copy again. Other processes
// drop their in-process copies when the invalidation is published (at the
// latest L1TTL later, should the message be lost) and could read the old
// Redis copy only while the invalidation is queued here: until Redis takes
// it, or until the copy's own TTL ends if this process exits first (Close
// waits up to 3 s and then returns ErrDropped). ErrDropped from Delete or
// DeletePattern means the Cache was closed and nothing was queued.
package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Defaults applied by New to zero-valued Options.
const (
	DefaultPrefix      = "stock:"
	DefaultL1TTL       = 2 * time.Second
	DefaultL1MaxBytes  = 64 << 20
	DefaultLoadTimeout = 30 * time.Second
)

// DefaultRedisTimeout bounds one Redis call on a request's path, and a
// dial. Redis answers in well under a millisecond on a healthy network
// (p99 ≈ 0.25 ms measured here), but a loaded 2-core machine running test
// builds stalled replies past 200 ms (issue 13): a second is far beyond any
// healthy reply and still short next to the store query a miss costs.
// An invalidation gets twice as long in all before it is queued, and the
// replayer five times as long (at least 5 s) per command.
const DefaultRedisTimeout = time.Second

// scanCount is the COUNT hint of each SCAN step and so the size of each
// UNLINK batch.
const scanCount = 500

// maxPatternLen bounds invalidation patterns; no key template comes close.
const maxPatternLen = 512

// maxPending bounds the invalidations remembered while Redis is down; past
// it the whole prefix is invalidated when Redis returns.
const maxPending = 1024

// ErrUnavailable is returned by Set when the value could not be written to
// Redis (it is still in the in-process tier). Invalidations never return
// it: they are queued and replayed instead (see ErrDropped).
var ErrUnavailable = errors.New("cache: redis unavailable")

// Options configures a Cache.
type Options struct {
	// Prefix is prepended to every key in Redis ("stock:" when empty). It is
	// our whole namespace: nothing outside it is read, written or deleted.
	Prefix string
	// RedisMode is how Redis is deployed: ModeSingle (when empty),
	// ModeSentinel or ModeCluster.
	RedisMode string
	// RedisAddr is host:port of a single Redis: a shorthand for RedisAddrs
	// with one entry.
	RedisAddr string
	// RedisAddrs are where the client starts: the server (single mode), the
	// Sentinels (sentinel mode) or any nodes of the cluster (cluster mode;
	// the others are discovered). No address means no shared tier
	// (embedded mode: the in-process tier alone serves).
	RedisAddrs []string
	// RedisPassword authenticates to the Redis data nodes.
	RedisPassword string
	// RedisDB is the Redis logical database, used as given (the config's
	// REDIS_DB defaults to 1; Langfuse keeps DB 0). Cluster mode has only
	// database 0 and refuses any other.
	RedisDB int
	// SentinelMaster is the master name the Sentinels watch (sentinel mode).
	SentinelMaster string
	// SentinelPassword authenticates to the Sentinels themselves, when they
	// have a requirepass of their own (sentinel mode).
	SentinelPassword string
	// RedisTimeout bounds one Redis call on a request's path and a dial
	// (DefaultRedisTimeout when 0); see DefaultRedisTimeout.
	RedisTimeout time.Duration
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

	l1      *otter.Cache[string, l1Entry] // nil when disabled
	rdb     redis.UniversalClient         // nil in embedded mode
	cluster *redis.ClusterClient          // rdb, in cluster mode; else nil
	timeout time.Duration                 // request-path Redis calls
	mode    string                        // single, sentinel or cluster

	flight singleflight.Group
	// gen counts invalidations. A load or Redis read that began before an
	// invalidation must not write its (possibly stale) value back after it.
	gen atomic.Uint64

	up      atomic.Bool // the breaker is closed: requests use Redis
	probing atomic.Bool // a probe goroutine is running
	brk     breaker

	writeMu    sync.RWMutex  // write-backs (read) against generation bumps (write)
	recent     recentWrites  // keys this process wrote back lately
	pending    pendingSet    // invalidations Redis has not confirmed
	replayKick chan struct{} // wakes the replayer
	replayMu   sync.Mutex    // one replay at a time

	stats counters

	ctx        context.Context // cancelled by Close
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	subMu      sync.Mutex
	sub        *redis.PubSub
	subscribed chan struct{} // closed once the first subscription is live
	subOnce    sync.Once
	subAddr    atomic.Value // string: the node of the subscription (cluster)
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
		timeout:     opts.RedisTimeout,
		mode:        opts.RedisMode,
		replayKick:  make(chan struct{}, 1),
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
	if len(opts.RedisAddrs) == 0 {
		close(c.subscribed)
	} else {
		c.connect(&opts)
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
// only opens the breaker) and starts the subscriber, the replayer and, in a
// cluster, the slot-map reloader.
func (c *Cache) connect(opts *Options) {
	// go-redis logs each failed dial itself; route that to debug so an
	// outage shows as our one warning, not a line per probe.
	redisLoggerOnce.Do(func() { redis.SetLogger(redisLogger{}) })
	c.rdb = newRedisClient(opts)
	if c.cluster, _ = c.rdb.(*redis.ClusterClient); c.cluster != nil {
		// Nodes are created lazily, at the first command: this sees them all.
		c.cluster.OnNewNode(func(node *redis.Client) {
			node.AddHook(&nodeBreaker{window: max(breakerWindow, c.timeout), skipped: &c.stats.nodeSkips})
		})
	}
	where := []any{"mode", opts.RedisMode, "addrs", opts.RedisAddrs, "db", opts.RedisDB, "prefix", opts.Prefix}

	pingCtx, pingCancel := context.WithTimeout(c.ctx, 2*c.timeout)
	err := c.rdb.Ping(pingCtx).Err()
	pingCancel()
	if err == nil {
		c.up.Store(true)
		c.log.Info("cache: redis connected", where...)
	} else {
		c.log.Warn("cache: redis unavailable, serving without it until it answers", append(where, "err", err)...)
		c.startProbe()
	}
	c.wg.Add(2)
	go c.subscribe()
	go c.replayLoop()
	if c.cluster != nil {
		c.wg.Add(1)
		go c.reloadClusterState()
	}
}

func (o *Options) setDefaults() error {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if err := o.checkRedisOptions(); err != nil {
		return err
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
	} else if c.usable(key) {
		rctx, cancel := context.WithTimeout(ctx, c.timeout)
		v, err := c.rdb.Get(rctx, c.prefix+key).Bytes()
		cancel()
		if err == nil {
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
		if c.usable(key) {
			c.writeBack(ctx, key, val, ttl, gen)
		}
	}
	return val, nil
}

// usable reports whether key may be read from or written to Redis now: the
// breaker is closed and no queued invalidation covers the key.
func (c *Cache) usable(key string) bool {
	return c.rdb != nil && c.up.Load() && !c.pending.blocks(key)
}

// writeBack stores a loaded value in Redis, unless an invalidation came
// after the load began. The value was read from the store before any
// later invalidation, so it must not outlive one in Redis:
//
//   - an invalidation by this process waits (writeMu) until SETs that
//     passed the generation check have landed, so its UNLINK comes after
//     them and no later SET passes the check;
//   - an invalidation published by another replica can cross a SET in
//     flight here; then this SET either sees the generation change when it
//     returns, or is found among the recent writes when the message is
//     handled, and the key is invalidated again.
func (c *Cache) writeBack(ctx context.Context, key string, val []byte, ttl time.Duration, gen uint64) {
	c.writeMu.RLock()
	if c.gen.Load() != gen || !c.usable(key) {
		c.writeMu.RUnlock()
		return
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	err := c.rdb.Set(rctx, c.prefix+key, val, redisTTL(ttl)).Err()
	cancel()
	c.writeMu.RUnlock()
	if err != nil {
		c.fail(ctx, "set", err)
		return
	}
	c.succeeded()
	c.recent.add(key)
	if c.gen.Load() != gen && c.recent.take(key) {
		c.dropL1(key)
		_, _ = c.invalidate(ctx, []string{escapeGlob(key)})
	}
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
	if !c.usable(key) {
		return nil, false
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	pipe := c.rdb.Pipeline()
	get := pipe.Get(rctx, c.prefix+key)
	pttl := pipe.PTTL(rctx, c.prefix+key)
	_, err := pipe.Exec(rctx)
	cancel()
	if err != nil && !errors.Is(err, redis.Nil) {
		c.fail(ctx, "get", err)
		return nil, false
	}
	c.succeeded()
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
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.rdb.Set(rctx, c.prefix+key, val, redisTTL(ttl)).Err(); err != nil {
		c.fail(ctx, "set", err)
		return fmt.Errorf("cache: set %q: %w: %w", key, ErrUnavailable, err)
	}
	c.succeeded()
	return nil
}

// Delete removes keys from both tiers here and from the in-process tier of
// every other replica. It returns nil once the deletion is applied in
// Redis or queued for it (see the package doc for what that guarantees),
// and ErrDropped only when the Cache is closed.
func (c *Cache) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	patterns := make([]string, len(keys))
	for i, k := range keys {
		patterns[i] = escapeGlob(k)
	}
	_, err := c.deleteMatching(ctx, patterns)
	return err
}

// DeletePattern deletes every key matching pattern (Redis glob syntax:
// `*`, `?`, `[...]`, `\x`) under our prefix: in Redis with SCAN+UNLINK on
// every master, never KEYS or FLUSHDB; in this process's L1; and, through
// pub/sub, in every other replica's L1. The prefix is always prepended, so
// no pattern reaches keys outside it. It returns how many Redis keys were
// deleted, or in embedded mode how many in-process entries were.
//
// A nil error means the invalidation was applied in Redis or, when Redis
// could not take it, queued (the count is then what Redis deleted before
// it failed, usually 0): this process reads no matching key from Redis
// until Redis has applied it. The caller's write has succeeded either way.
// ErrDropped means the Cache is closed; any other error, a bad pattern.
func (c *Cache) DeletePattern(ctx context.Context, pattern string) (int64, error) {
	if pattern == "" || len(pattern) > maxPatternLen {
		return 0, fmt.Errorf("cache: invalidation pattern must be 1..%d bytes, got %d", maxPatternLen, len(pattern))
	}
	return c.deleteMatching(ctx, []string{pattern})
}

func (c *Cache) deleteMatching(ctx context.Context, patterns []string) (int64, error) {
	if c.rdb != nil {
		return c.invalidate(ctx, patterns)
	}
	return int64(c.forget(patterns)), nil
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

// Close waits up to 3 s for queued invalidations to reach Redis, stops the
// subscriber, the probe and the replayer, and closes the Redis client. An
// error wrapping ErrDropped says some invalidations never reached Redis.
func (c *Cache) Close() error {
	var err error
	c.closeOnce.Do(func() {
		if c.rdb != nil && c.pending.len() > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), closeFlush)
			if ferr := c.Flush(ctx); ferr != nil {
				c.log.Error("cache: closing with invalidations Redis never took; their stale copies live until their TTL",
					"patterns", c.pending.patterns(), "err", ferr)
				err = fmt.Errorf("cache: close: %d invalidations not applied: %w", c.pending.len(), ErrDropped)
			}
			cancel()
		}
		c.cancel()
		c.subMu.Lock()
		if c.sub != nil {
			_ = c.sub.Close() // unblocks the subscriber's read
		}
		c.subMu.Unlock()
		// Closing the client first fails the commands of a replay or probe
		// blocked on a hung Redis, so their goroutines end now.
		if c.rdb != nil {
			if cerr := c.rdb.Close(); err == nil {
				err = cerr
			}
		}
		c.wg.Wait()
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
