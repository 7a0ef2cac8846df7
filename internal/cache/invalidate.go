package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ErrDropped is returned by Delete and DeletePattern when an invalidation
// could neither be applied in Redis nor queued, because the Cache is
// closed, and by Close when queued invalidations could not be applied
// before it gave up. Stale copies may then stay in Redis until their TTL.
var ErrDropped = errors.New("cache: invalidation dropped")

// Replayer backoff: a queued invalidation is retried after 250 ms, then
// with doubling waits up to 2 s, and at once when Redis comes back.
const (
	replayFirst = 250 * time.Millisecond
	replayMax   = 2 * time.Second
)

// syncBudget bounds the attempt Delete and DeletePattern make before they
// queue an invalidation: twice the request timeout (2 s by default), the
// time after which a Redis that answers nothing opens the breaker anyway.
// It rides out the stalls of a busy machine, so other replicas see the
// invalidation at once, and keeps a write request from waiting longer.
func syncBudget(request time.Duration) time.Duration { return 2 * request }

// closeFlush bounds how long Close waits for queued invalidations.
const closeFlush = 3 * time.Second

// pendingSet holds the invalidations Redis has not confirmed yet. While a
// pattern is in it, this process reads no key matching it from Redis (the
// read gate), so a queued invalidation takes effect here at once.
//
// Each entry carries the sequence number of its latest queueing: a replay
// that started before a pattern was queued again must not clear it, since
// the newer invalidation may have to delete values written after the
// replay's SCAN passed them.
type pendingSet struct {
	mu   sync.Mutex
	seq  uint64
	pats map[string]uint64
	all  uint64       // non-zero: everything is pending (the set overflowed)
	n    atomic.Int64 // len(pats), plus 1 when all is set: the gate's fast path
}

// snapshot is what one replay works on.
type snapshot struct {
	all  uint64
	pats map[string]uint64
}

// add queues patterns and returns their sequence numbers.
func (p *pendingSet) add(patterns ...string) []uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pats == nil {
		p.pats = make(map[string]uint64)
	}
	seqs := make([]uint64, len(patterns))
	for i, pat := range patterns {
		p.seq++
		seqs[i] = p.seq
		if p.all != 0 {
			p.all = p.seq // the next replay of everything covers this one too
			continue
		}
		if _, ok := p.pats[pat]; !ok && len(p.pats) >= maxPending {
			// Too many distinct patterns to remember: invalidate the whole
			// prefix instead, which covers them all.
			p.all = p.seq
			clear(p.pats)
			continue
		}
		p.pats[pat] = p.seq
	}
	p.count()
	return seqs
}

// done clears pattern if it was not queued again after seq.
func (p *pendingSet) done(pattern string, seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pats[pattern] == seq {
		delete(p.pats, pattern)
	}
	p.count()
}

// take returns what is pending now.
func (p *pendingSet) take() snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := snapshot{all: p.all, pats: make(map[string]uint64, len(p.pats))}
	for k, v := range p.pats {
		s.pats[k] = v
	}
	return s
}

// finish clears what a successful replay of s applied.
func (p *pendingSet) finish(s snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.all != 0 {
		if p.all == s.all {
			p.all = 0
		}
		// Everything was deleted: patterns queued before the replay began
		// are covered by it.
		for k, v := range p.pats {
			if v <= s.all {
				delete(p.pats, k)
			}
		}
	} else {
		for k, v := range s.pats {
			if p.pats[k] == v {
				delete(p.pats, k)
			}
		}
	}
	p.count()
}

func (p *pendingSet) count() {
	n := int64(len(p.pats))
	if p.all != 0 {
		n++
	}
	p.n.Store(n)
}

func (p *pendingSet) len() int { return int(p.n.Load()) }

// blocks reports whether key matches a pending invalidation, so that its
// Redis copy may be stale and must not be read (or written) by this process.
func (p *pendingSet) blocks(key string) bool {
	if p.n.Load() == 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.all != 0 {
		return true
	}
	for pat := range p.pats {
		if globMatch(pat, key) {
			return true
		}
	}
	return false
}

// patterns lists what is pending, for the log line of a dropped queue.
func (p *pendingSet) patterns() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.all != 0 {
		return []string{"*"}
	}
	out := make([]string, 0, len(p.pats))
	for k := range p.pats {
		out = append(out, k)
	}
	return out
}

// invalidate is the Redis side of Delete and DeletePattern. The patterns
// are queued first, so from this moment on this process reads no matching
// key from Redis; then, if the breaker is closed, they are applied in Redis
// and announced to the other replicas within syncBudget. What could not be
// applied stays queued for the replayer, and the call still succeeds: the
// invalidation is certain to happen here, and happens in Redis as soon as
// Redis takes it.
func (c *Cache) invalidate(ctx context.Context, patterns []string) (int64, error) {
	if c.ctx.Err() != nil {
		c.forget(patterns)
		return 0, fmt.Errorf("cache: the cache is closed: %w", ErrDropped)
	}
	wasEmpty := c.pending.len() == 0
	seqs := c.pending.add(patterns...)
	// After the queueing: a reader that passed the gate before it took its
	// generation before this bump, so it cannot copy what it read from
	// Redis into L1; readers after it do not read Redis at all.
	c.forget(patterns)
	if !c.up.Load() {
		c.queued(wasEmpty, "redis unavailable")
		return 0, nil
	}
	actx, cancel := context.WithTimeout(ctx, syncBudget(c.timeout))
	defer cancel()
	n, err := c.apply(actx, patterns...)
	if err != nil {
		c.fail(ctx, "invalidate", err)
		c.queued(wasEmpty, err.Error())
		return n, nil
	}
	c.succeeded()
	for i, p := range patterns {
		c.pending.done(p, seqs[i])
	}
	if c.pending.len() > 0 {
		c.kickReplay() // Redis takes writes again: older ones can go too
	}
	return n, nil
}

// forget drops the in-process copies matching patterns and makes loads
// and Redis reads that began before now discard what they got; write-backs
// already past that check finish first (see writeBack). It returns how
// many in-process entries went.
func (c *Cache) forget(patterns []string) int {
	c.writeMu.Lock()
	c.gen.Add(1)
	c.writeMu.Unlock()
	n := 0
	for _, p := range patterns {
		n += c.dropL1Matching(p)
		c.recent.takeMatching(p) // this invalidation covers them already
	}
	return n
}

// queued wakes the replayer and, when the queue was empty, says so once.
func (c *Cache) queued(first bool, why string) {
	c.stats.queued.Add(1)
	if first {
		c.log.Warn("cache: invalidation queued; this server reads no matching key from Redis until Redis has applied it", "reason", why)
	}
	c.kickReplay()
}

func (c *Cache) kickReplay() {
	select {
	case c.replayKick <- struct{}{}:
	default:
	}
}

// replayLoop applies queued invalidations until the Cache is closed:
// at once when kicked, then with backoff while Redis refuses them.
func (c *Cache) replayLoop() {
	defer c.wg.Done()
	wait := replayFirst
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-c.ctx.Done():
			timer.Stop()
			return
		case <-c.replayKick:
		case <-timer.C:
		}
		if c.pending.len() == 0 {
			wait = replayFirst
			continue
		}
		if err := c.replay(c.ctx); err != nil {
			c.stats.errors.Add(1)
			timer.Reset(wait)
			wait = min(2*wait, replayMax)
			continue
		}
		wait = replayFirst
		if c.pending.len() == 0 {
			c.log.Info("cache: queued invalidations applied in Redis")
		} else {
			timer.Reset(0) // more were queued meanwhile
		}
	}
}

// replay applies what is pending. Its Redis commands run with the
// client's patient timeout, whatever the state of the breaker: a Redis too
// slow for requests may still take an invalidation.
func (c *Cache) replay(ctx context.Context) error {
	c.replayMu.Lock()
	defer c.replayMu.Unlock()
	s := c.pending.take()
	patterns := []string{"*"}
	if s.all == 0 {
		patterns = patterns[:0]
		for p := range s.pats {
			patterns = append(patterns, p)
		}
	}
	if len(patterns) == 0 {
		return nil
	}
	if _, err := c.apply(ctx, patterns...); err != nil {
		return err
	}
	c.pending.finish(s)
	return nil
}

// Flush waits until every queued invalidation has been applied in Redis,
// or ctx is done. A command that invalidates and exits (stockd import,
// sync) calls it before Close; the server need not.
func (c *Cache) Flush(ctx context.Context) error {
	if c.rdb == nil {
		return nil
	}
	for c.pending.len() > 0 {
		c.kickReplay()
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("cache: %d invalidations not applied in Redis: %w", c.pending.len(), ctx.Err())
		case <-c.ctx.Done():
			t.Stop()
			return ErrDropped
		case <-t.C:
		}
	}
	return nil
}

// Pending returns how many invalidations wait for Redis (a queue that
// overflowed into "everything" counts as one).
func (c *Cache) Pending() int { return c.pending.len() }

// recentWindow is how long a write-back is remembered: far longer than an
// invalidation message takes to arrive from another replica.
const recentWindow = 10 * time.Second

// recentWrites remembers the keys this process wrote to Redis lately, for
// the race where another replica's invalidation crosses one of our SETs:
// its UNLINK ran first, our older value landed after it, and only we can
// tell. Each entry triggers at most one second invalidation (take removes
// it), so replicas cannot ping-pong.
type recentWrites struct {
	mu        sync.Mutex
	at        map[string]time.Time
	lastPrune time.Time
}

func (r *recentWrites) add(key string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at == nil {
		r.at = make(map[string]time.Time)
	}
	r.at[key] = now
	if now.Sub(r.lastPrune) > time.Second {
		r.lastPrune = now
		for k, t := range r.at {
			if now.Sub(t) > recentWindow {
				delete(r.at, k)
			}
		}
	}
}

// take removes key and reports whether it was there.
func (r *recentWrites) take(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.at[key]
	delete(r.at, key)
	return ok
}

// takeMatching removes and returns the recent keys matching pattern.
func (r *recentWrites) takeMatching(pattern string) []string {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var keys []string
	for k, t := range r.at {
		if globMatch(pattern, k) {
			delete(r.at, k)
			if now.Sub(t) <= recentWindow {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// rewriteStale handles an invalidation from another replica: keys we wrote
// back lately that match it may hold a value its UNLINK missed, so they are
// invalidated again, through the queue (the subscriber must not block).
func (c *Cache) rewriteStale(pattern string) {
	keys := c.recent.takeMatching(pattern)
	if len(keys) == 0 {
		return
	}
	patterns := make([]string, len(keys))
	for i, k := range keys {
		patterns[i] = escapeGlob(k)
	}
	c.pending.add(patterns...)
	c.kickReplay()
}
