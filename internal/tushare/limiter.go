package tushare

import (
	"context"
	"sync"
	"time"
)

// Limiter paces calls per api_name: Tushare counts requests per minute for
// each interface separately, so daily and adj_factor do not share a budget.
//
// It is a token bucket kept in its "generic cell rate" form: per key, the
// theoretical arrival time of the next call. That is one timestamp per key
// instead of a token count plus a refill time, and it makes the wait an exact
// function of the clock, which the tests drive.
type Limiter struct {
	interval time.Duration // time one token takes to refill: 1min / rpm
	burst    time.Duration // how far ahead of the pace calls may run

	mu  sync.Mutex
	tat map[string]time.Time

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// NewLimiter allows rpm calls per minute per api_name, with bursts of up to
// burst calls (at least 1). In any minute at most rpm+burst calls start; the
// defaults keep burst small so the server's own window is never overrun by
// much even when its limit equals rpm.
func NewLimiter(rpm, burst int) *Limiter {
	if rpm < 1 {
		rpm = 1
	}
	if burst < 1 {
		burst = 1
	}
	interval := time.Minute / time.Duration(rpm)
	return &Limiter{
		interval: interval,
		burst:    time.Duration(burst-1) * interval,
		tat:      map[string]time.Time{},
		now:      time.Now,
		sleep:    sleepCtx,
	}
}

// Wait blocks until a call of api may start, or ctx ends.
func (l *Limiter) Wait(ctx context.Context, api string) error {
	if l == nil {
		return nil
	}
	d := l.reserve(api, l.now())
	if d <= 0 {
		return ctx.Err()
	}
	return l.sleep(ctx, d)
}

// reserve books the next slot of api and returns how long to wait for it.
func (l *Limiter) reserve(api string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	tat := l.tat[api]
	if tat.Before(now) {
		tat = now
	}
	wait := tat.Sub(now) - l.burst
	l.tat[api] = tat.Add(l.interval)
	if wait < 0 {
		return 0
	}
	return wait
}

// PauseUntil holds every call of api until t (and then lets them resume at
// the normal pace, without a burst): after a rate-limit answer the whole
// minute is spent, not only the failed call's slot.
func (l *Limiter) PauseUntil(api string, t time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t = t.Add(l.burst); l.tat[api].Before(t) {
		l.tat[api] = t
	}
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
