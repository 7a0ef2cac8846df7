package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis status values reported by RedisStatus and Stats.
const (
	StatusUp       = "up"
	StatusDown     = "down"
	StatusDisabled = "disabled"
)

// The breaker opens on a run of failed Redis calls with no success in
// between that has lasted at least breakerWindow (or the request timeout,
// if longer) and counts at least breakerFailures calls. A slow reply or a
// burst of timeouts from one stall of a busy machine is not such a run:
// every call in flight times out at about the same moment, and the next
// calls succeed. A Redis that is down, hung or unreachable is.
const (
	breakerFailures = 3
	breakerWindow   = time.Second
)

// Probe backoff while the breaker is open: a PING after 250 ms, then with
// doubling waits up to 1 s, so a returning Redis (or a promoted replica)
// is used again within about a second of answering.
const (
	probeFirst = 250 * time.Millisecond
	probeMax   = 1 * time.Second
)

// breaker counts the current run of failed Redis calls.
type breaker struct {
	failing atomic.Bool // a run is in progress: the fast path of succeeded
	mu      sync.Mutex
	n       int
	since   time.Time
}

// trip records one failure at now and reports whether the run is long
// enough to open the breaker; if so the run starts over.
func (b *breaker) trip(now time.Time, window time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == 0 {
		b.since = now
		b.failing.Store(true)
	}
	b.n++
	if b.n >= breakerFailures && now.Sub(b.since) >= window {
		b.reset()
		return true
	}
	return false
}

func (b *breaker) reset() {
	b.n = 0
	b.failing.Store(false)
}

// RedisStatus says whether the shared tier is in use: "up", "down" (Redis
// configured but not answering; the cache degrades to the loader) or
// "disabled" (no Redis configured).
func (c *Cache) RedisStatus() string {
	switch {
	case c.rdb == nil:
		return StatusDisabled
	case c.up.Load():
		return StatusUp
	default:
		return StatusDown
	}
}

// succeeded ends a run of failures: Redis answered.
func (c *Cache) succeeded() {
	if c.brk.failing.Load() {
		c.brk.mu.Lock()
		c.brk.reset()
		c.brk.mu.Unlock()
	}
}

// fail records a failed Redis call. Errors that say Redis is unusable for
// us count towards opening the breaker (see breakerFailures); once open,
// requests stop calling Redis, one warning is logged, and a background
// probe waits for Redis to answer again. Refused credentials or database
// open it at once: they do not fix themselves between two requests.
func (c *Cache) fail(ctx context.Context, op string, err error) {
	if ctx.Err() != nil && c.ctx.Err() == nil {
		// The caller gave up (or its deadline passed): not Redis's fault.
		return
	}
	c.stats.errors.Add(1)
	switch classify(err) {
	case errCommand:
		c.log.Warn("cache: redis command failed", "op", op, "err", err)
		return
	case errTransient:
		if !c.brk.trip(time.Now(), max(breakerWindow, c.timeout)) {
			return
		}
	}
	c.open(op, err)
}

// open opens the breaker (once) and starts the probe.
func (c *Cache) open(op string, err error) {
	if c.up.CompareAndSwap(true, false) {
		c.log.Warn("cache: redis unavailable, serving without it until it answers", "op", op, "err", err)
		c.startProbe()
	}
}

type errClass int

const (
	errCommand   errClass = iota // this command failed; Redis is fine
	errTransient                 // network, timeouts, failover in progress
	errConfig                    // credentials or database refused
)

// classify tells errors that make Redis unusable for us from errors of one
// command.
func classify(err error) errClass {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return errTransient // network errors, timeouts, closed pool, no sentinel
	}
	msg := rerr.Error()
	for _, p := range []string{"NOAUTH", "WRONGPASS", "ERR AUTH", "ERR invalid password", "ERR DB index", "ERR invalid DB index", "ERR SELECT is not allowed in cluster mode"} {
		if strings.HasPrefix(msg, p) {
			return errConfig
		}
	}
	// A server still loading its data, a master gone or a replica not yet
	// promoted, a slot moving: all pass within seconds.
	for _, p := range []string{"LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "READONLY", "MOVED ", "ASK "} {
		if strings.HasPrefix(msg, p) {
			return errTransient
		}
	}
	return errCommand
}

// startProbe runs one probe goroutine at a time: PING with growing backoff
// until Redis answers within the request timeout, then close the breaker.
func (c *Cache) startProbe() {
	if !c.probing.CompareAndSwap(false, true) {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		wait := probeFirst
		for {
			if !c.sleep(wait) {
				return
			}
			if err := c.probeOnce(); err == nil {
				c.log.Info("cache: redis is back, using it again")
				return
			}
			wait = min(2*wait, probeMax)
		}
	}()
}

// probeOnce closes the breaker if Redis answers a PING as fast as a request
// needs: a Redis that answers only slowly would make every request wait.
// Invalidations still queued keep their keys off Redis (the read gate), so
// closing does not wait for the replayer.
func (c *Cache) probeOnce() error {
	ping := func() error {
		ctx, cancel := context.WithTimeout(c.ctx, c.timeout)
		defer cancel()
		return c.rdb.Ping(ctx).Err()
	}
	// The first PING after an outage may pick a pooled connection that died
	// with the old server; a second one dials afresh.
	err := ping()
	if err != nil {
		err = ping()
	}
	if err != nil {
		return err
	}
	// Clear probing first: a failure right after the switch must be able
	// to start the next probe.
	c.brk.mu.Lock()
	c.brk.reset()
	c.brk.mu.Unlock()
	c.probing.Store(false)
	c.up.Store(true)
	c.kickReplay()
	return nil
}

// errNodeSkipped is what a call to a cluster master gets while that
// master's node breaker is open.
var errNodeSkipped = errors.New("cache: cluster node not answering, skipped")

// nodeRetry is how often a call is let through to a cluster master whose
// node breaker is open, to see whether it answers again.
const nodeRetry = 500 * time.Millisecond

// nodeBreaker is the breaker of one cluster node, a go-redis hook on that
// node's client. When one master stops answering without closing its
// connections (a host gone, a partition), the cluster-wide breaker stays
// closed — the other masters answer — and every request for that master's
// slots would wait the full request timeout until its replica is promoted
// (cluster-node-timeout plus an election). This breaker makes those
// requests go to the store at once after a second of failures.
type nodeBreaker struct {
	window    time.Duration
	brk       breaker
	openUntil atomic.Int64 // UnixNano until which calls are skipped; 0 = closed
	skipped   *atomic.Uint64
}

func (h *nodeBreaker) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *nodeBreaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		ctx, ok := h.allow(ctx)
		if !ok {
			return errNodeSkipped
		}
		err := next(ctx, cmd)
		h.record(ctx, err)
		return err
	}
}

func (h *nodeBreaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		ctx, ok := h.allow(ctx)
		if !ok {
			return errNodeSkipped
		}
		err := next(ctx, cmds)
		h.record(ctx, err)
		return err
	}
}

// trialKey marks the context of the call let through to an open node, so
// that the commands go-redis sends through the same hooks on its behalf
// (AUTH and SELECT of a fresh connection) pass too.
type trialKey struct{ h *nodeBreaker }

// allow reports whether a call may go to the node: always while closed,
// and once per nodeRetry while open.
func (h *nodeBreaker) allow(ctx context.Context) (context.Context, bool) {
	until := h.openUntil.Load()
	if until == 0 || ctx.Value(trialKey{h}) != nil {
		return ctx, true
	}
	now := time.Now().UnixNano()
	if now < until || !h.openUntil.CompareAndSwap(until, now+int64(nodeRetry)) {
		h.skipped.Add(1)
		return ctx, false
	}
	return context.WithValue(ctx, trialKey{h}, true), true
}

func (h *nodeBreaker) record(ctx context.Context, err error) {
	switch {
	case err == nil || errors.Is(err, redis.Nil):
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return // the caller gave up: says nothing about the node
	case classify(err) == errTransient:
		if h.brk.trip(time.Now(), h.window) {
			h.openUntil.Store(time.Now().Add(nodeRetry).UnixNano())
		}
		return
	}
	if h.brk.failing.Load() || h.openUntil.Load() != 0 {
		h.brk.mu.Lock()
		h.brk.reset()
		h.brk.mu.Unlock()
		h.openUntil.Store(0)
	}
}
