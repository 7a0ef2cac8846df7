package cache

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis status values reported by RedisStatus and Stats.
const (
	StatusUp       = "up"
	StatusDown     = "down"
	StatusDisabled = "disabled"
)

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

// fail records a failed Redis call. An error that means Redis is unusable
// opens the breaker: requests stop calling Redis, one warning is logged,
// and a background probe waits for Redis to answer again.
func (c *Cache) fail(ctx context.Context, op string, err error) {
	if ctx.Err() != nil && c.ctx.Err() == nil {
		// The caller gave up (or its deadline passed): not Redis's fault.
		return
	}
	c.stats.errors.Add(1)
	if !isOutage(err) {
		c.log.Warn("cache: redis command failed", "op", op, "err", err)
		return
	}
	if c.up.CompareAndSwap(true, false) {
		c.log.Warn("cache: redis unavailable, serving without it until it answers", "op", op, "err", err)
		c.startProbe()
	}
}

// isOutage tells errors that make Redis unusable for us (network, timeouts,
// authentication, a server still loading) from errors of one command.
func isOutage(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // network errors, timeouts, closed pool
	}
	msg := rerr.Error()
	for _, p := range []string{"NOAUTH", "WRONGPASS", "LOADING", "MASTERDOWN", "ERR AUTH", "ERR invalid password", "ERR DB index", "ERR invalid DB index"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// startProbe runs one probe goroutine at a time: PING with growing backoff
// until Redis answers, replay the invalidations it missed, and close the
// breaker.
func (c *Cache) startProbe() {
	if !c.probing.CompareAndSwap(false, true) {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		wait := probeFirst
		for {
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(wait):
			}
			if err := c.probeOnce(); err == nil {
				c.log.Info("cache: redis is back, using it again")
				return
			}
			wait = min(2*wait, probeMax)
		}
	}()
}

func (c *Cache) probeOnce() error {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	// The first PING after an outage may pick a pooled connection that died
	// with the old server; a second one dials afresh.
	err := c.rdb.Ping(ctx).Err()
	if err != nil {
		err = c.rdb.Ping(ctx).Err()
	}
	if err != nil {
		return err
	}
	// Deletions that Redis missed while down must land before anyone reads
	// from it again, or the stale values would come back to life; the lock
	// keeps a deletion from being queued between the replay and the switch.
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	if err := c.replayLocked(ctx); err != nil {
		return err
	}
	// Clear probing first: a failure right after the switch must be able
	// to start the next probe.
	c.probing.Store(false)
	c.up.Store(true)
	return nil
}
