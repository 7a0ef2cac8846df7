package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// workload is the traffic of the slow-Redis tests: readers Load a
// workflow list while a writer changes the "store" and invalidates, as
// the workflow service does, plus Loads of other keys. It checks the two
// promises that matter to a caller: no Load fails, and a Load that starts
// after DeletePattern returned never sees a version older than the write.
type workload struct {
	t           testing.TB
	c           *Cache
	version     atomic.Int64 // the store's current version of the list
	invalidated atomic.Int64 // newest version whose DeletePattern returned
	loads       atomic.Int64
	failed      atomic.Int64
	stale       atomic.Int64
	writes      atomic.Int64
	writeErrs   atomic.Int64
	slowestInv  atomic.Int64 // ns
	stop        chan struct{}
	wg          sync.WaitGroup
	errMu       sync.Mutex
	firstErr    error
}

const listKey = "workflow:list:true"

func startWorkload(t testing.TB, c *Cache, readers int) *workload {
	w := &workload{t: t, c: c, stop: make(chan struct{})}
	for r := range readers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for i := 0; w.running(); i++ {
				key := listKey
				if i%2 == 1 {
					key = fmt.Sprintf("basic:%06d.SH", (r*13+i)%50)
				}
				floor := w.invalidated.Load()
				v, err := c.Load(context.Background(), key, time.Minute, func(context.Context) ([]byte, error) {
					if key == listKey {
						return []byte(strconv.FormatInt(w.version.Load(), 10)), nil
					}
					return []byte(key), nil
				})
				w.loads.Add(1)
				switch {
				case err != nil:
					w.failed.Add(1)
					w.note(err)
				case key == listKey:
					if got, _ := strconv.ParseInt(string(v), 10, 64); got < floor {
						w.stale.Add(1)
						w.note(fmt.Errorf("Load(%s) = version %d after version %d was invalidated", key, got, floor))
					}
				case string(v) != key:
					w.failed.Add(1)
					w.note(fmt.Errorf("Load(%s) = %q", key, v))
				}
			}
		}()
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for w.running() {
			v := w.version.Add(1) // the write reaches the store…
			start := time.Now()
			_, err := c.DeletePattern(context.Background(), "workflow:*") // …then the cache
			w.slowestInv.Store(max(w.slowestInv.Load(), int64(time.Since(start))))
			w.writes.Add(1)
			if err != nil {
				w.writeErrs.Add(1)
				w.note(fmt.Errorf("DeletePattern after write %d: %w", v, err))
			}
			w.invalidated.Store(v)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return w
}

func (w *workload) running() bool {
	select {
	case <-w.stop:
		return false
	default:
		return true
	}
}

func (w *workload) note(err error) {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.firstErr == nil {
		w.firstErr = err
	}
}

// finish stops the traffic and checks both promises.
func (w *workload) finish() {
	w.t.Helper()
	close(w.stop)
	w.wg.Wait()
	if w.failed.Load()+w.stale.Load()+w.writeErrs.Load() != 0 {
		w.t.Errorf("%d failed and %d stale of %d Loads, %d failed of %d invalidations; first: %v",
			w.failed.Load(), w.stale.Load(), w.loads.Load(), w.writeErrs.Load(), w.writes.Load(), w.firstErr)
	}
	w.t.Logf("%d Loads and %d writes+invalidations, none failed or stale; slowest invalidation %s",
		w.loads.Load(), w.writes.Load(), time.Duration(w.slowestInv.Load()).Round(time.Millisecond))
}

// debugSleep makes srv unresponsive for d with DEBUG SLEEP, a real stall
// of the server (every client waits), and returns when it is over.
func debugSleep(t testing.TB, ctrl *redis.Client, d time.Duration) {
	t.Helper()
	if err := ctrl.Do(context.Background(), "DEBUG", "SLEEP", d.Seconds()).Err(); err != nil {
		t.Fatalf("DEBUG SLEEP %s: %v", d, err)
	}
}

func controlClient(t testing.TB, srv *redisServer) *redis.Client {
	ctrl := redis.NewClient(&redis.Options{Addr: srv.addr(), Password: srv.password, ReadTimeout: time.Minute})
	t.Cleanup(func() { ctrl.Close() })
	return ctrl
}

// TestSporadicSlownessKeepsBreakerClosed: Redis stalls now and then, some
// stalls longer than the request timeout, as on a loaded machine. The
// breaker must stay closed (those are not an outage), no Load may fail,
// and every invalidation must still take effect.
func TestSporadicSlownessKeepsBreakerClosed(t *testing.T) {
	srv := startRedis(t, "s3cret")
	rec := &logRecorder{}
	// L1 off: every Load goes to Redis, where the stale value would be.
	c := newOwnCache(t, srv, slog.New(rec))
	ctrl := controlClient(t, srv)

	w := startWorkload(t, c, 6)
	for range 3 {
		time.Sleep(600 * time.Millisecond)
		debugSleep(t, ctrl, 1300*time.Millisecond) // past the 1 s request timeout
		time.Sleep(600 * time.Millisecond)
		debugSleep(t, ctrl, 400*time.Millisecond) // past the old 200 ms one
	}
	time.Sleep(500 * time.Millisecond)
	w.finish()

	s := c.Stats(context.Background())
	if s.Errors == 0 {
		t.Error("no Redis call failed: the stalls did not reach the client, the test shows nothing")
	}
	if n := countMsg(rec, "cache: redis unavailable, serving without it until it answers"); n != 0 || s.Status != StatusUp {
		t.Errorf("breaker opened %d times (status %s) on sporadic stalls:\n%s", n, s.Status, rec.dump(slog.LevelWarn))
	}
	eventually(t, 10*time.Second, "no invalidation left queued", func() bool { return c.Pending() == 0 })
	t.Logf("%d Redis calls failed (timeouts during the stalls), %d invalidations were queued and replayed, breaker stayed closed",
		s.Errors, s.QueuedInvalidations)
}

// TestLongStallOpensBreakerAndRecovers: a Redis hung for 5 s is an outage:
// the breaker opens, so requests stop waiting for it, invalidations are
// queued, and everything is back after the stall. No Load fails and no
// Load sees a version older than an invalidation that returned.
func TestLongStallOpensBreakerAndRecovers(t *testing.T) {
	srv := startRedis(t, "s3cret")
	rec := &logRecorder{}
	c := newOwnCache(t, srv, slog.New(rec))
	ctrl := controlClient(t, srv)

	w := startWorkload(t, c, 6)
	time.Sleep(300 * time.Millisecond)
	stalled := make(chan struct{})
	go func() {
		defer close(stalled)
		debugSleep(t, ctrl, 5*time.Second)
	}()
	took := eventually(t, 5*time.Second, "breaker opens during the stall", func() bool { return c.RedisStatus() == StatusDown })
	t.Logf("breaker opened %s into the stall", took.Round(10*time.Millisecond))
	during := w.loads.Load()
	// With the breaker open an invalidation is queued at once; the
	// workload's own writer is still waiting in the one it began before.
	if _, err := c.DeletePattern(context.Background(), "overview:*"); err != nil {
		t.Errorf("DeletePattern with the breaker open: %v", err)
	}
	<-stalled
	during = w.loads.Load() - during
	back := eventually(t, 10*time.Second, "breaker closes after the stall", func() bool { return c.RedisStatus() == StatusUp })
	t.Logf("breaker closed %s after the stall ended; %d Loads while it was open", back.Round(10*time.Millisecond), during)
	eventually(t, 10*time.Second, "queued invalidations applied", func() bool { return c.Pending() == 0 })
	time.Sleep(300 * time.Millisecond)
	w.finish()

	if during < 100 {
		t.Errorf("only %d Loads while the breaker was open: requests are still waiting for Redis", during)
	}
	if q := c.Stats(context.Background()).QueuedInvalidations; q == 0 {
		t.Error("no invalidation was queued during the stall")
	}
	if n := countMsg(rec, "cache: redis unavailable, serving without it until it answers"); n != 1 {
		t.Errorf("breaker opened %d times, want once:\n%s", n, rec.dump(slog.LevelWarn))
	}
}

// TestQueuedInvalidationGatesReads freezes Redis (SIGSTOP: connections
// stay open, nothing answers) so that an invalidation cannot reach it,
// and checks what a caller is promised: DeletePattern returns nil, the
// key is not read from Redis by this process while queued, and Redis
// loses the old copy once it answers again.
func TestQueuedInvalidationGatesReads(t *testing.T) {
	srv := startRedis(t, "")
	c := newOwnCache(t, srv, quiet())
	raw := rawClient(t, srv.addr(), "", 1)
	ctx := context.Background()
	for k, v := range map[string]string{listKey: "old", "basic:600519.SH": "keep"} {
		if err := c.Set(ctx, k, []byte(v), time.Minute); err != nil {
			t.Fatal(err)
		}
	}

	srv.freeze()
	defer srv.thaw() // before the kill in cleanup, harmless if thawed
	// The caller gives the invalidation half a second (a request deadline).
	dctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	n, err := c.DeletePattern(dctx, "workflow:*")
	cancel()
	if err != nil || n != 0 {
		t.Fatalf("DeletePattern with Redis frozen = %d, %v; want 0, nil (queued)", n, err)
	}
	if c.Pending() != 1 {
		t.Fatalf("pending = %d, want 1", c.Pending())
	}
	// The gate: neither Get nor Load asks Redis for the key. (Counters read
	// directly: Stats itself would ask the frozen Redis.)
	l2 := func() [3]uint64 {
		return [3]uint64{c.stats.l2Hits.Load(), c.stats.l2Misses.Load(), c.stats.errors.Load()}
	}
	before := l2()
	if v, ok := c.Get(ctx, listKey); ok {
		t.Fatalf("Get while the invalidation is queued = %q", v)
	}
	v, err := c.Load(ctx, listKey, time.Minute, func(context.Context) ([]byte, error) { return []byte("new"), nil })
	if err != nil || string(v) != "new" {
		t.Fatalf("Load while queued = %q, %v; want new from the loader", v, err)
	}
	if after := l2(); after != before {
		t.Errorf("Redis was asked for a gated key: l2 hits, misses, errors %v → %v", before, after)
	}

	srv.thaw()
	took := eventually(t, 15*time.Second, "queued invalidation applied after Redis answers", func() bool { return c.Pending() == 0 })
	t.Logf("applied %s after Redis answered again", took.Round(10*time.Millisecond))
	if got, err := raw.Get(ctx, c.prefix+listKey).Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("Redis still holds %s = %q, %v", listKey, got, err)
	}
	if got, _ := raw.Get(ctx, c.prefix+"basic:600519.SH").Result(); got != "keep" {
		t.Errorf("basic key = %q, want keep (not matched by workflow:*)", got)
	}

	// Closing with an invalidation still queued says it was dropped.
	srv.freeze()
	dctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	if _, err := c.DeletePattern(dctx, "basic:*"); err != nil {
		t.Fatalf("DeletePattern = %v, want nil (queued)", err)
	}
	cancel()
	if err := c.Close(); !errors.Is(err, ErrDropped) {
		t.Errorf("Close with a queued invalidation = %v, want ErrDropped", err)
	}
	if _, err := c.DeletePattern(ctx, "basic:*"); !errors.Is(err, ErrDropped) {
		t.Errorf("DeletePattern after Close = %v, want ErrDropped", err)
	}
}

// TestNodeBreakerSkipsAFrozenNode: the per-node breaker of cluster mode,
// on a real server that stops answering (SIGSTOP): after a second of
// timeouts calls are skipped at once, one call per nodeRetry still tries,
// and the node is used again as soon as it answers.
func TestNodeBreakerSkipsAFrozenNode(t *testing.T) {
	srv := startRedis(t, "")
	var skipped atomic.Uint64
	h := &nodeBreaker{window: time.Second, skipped: &skipped}
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr(), MaxRetries: -1, ContextTimeoutEnabled: true})
	defer rdb.Close()
	rdb.AddHook(h)
	get := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err := rdb.Get(ctx, "k").Err()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		return err
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}

	srv.freeze()
	defer srv.thaw()
	var timeouts, skips int
	eventually(t, 10*time.Second, "node breaker opens on a frozen node", func() bool {
		switch err := get(); {
		case errors.Is(err, errNodeSkipped):
			skips++
		case err != nil:
			timeouts++
		}
		return skips >= 20
	})
	if timeouts < breakerFailures {
		t.Errorf("opened after %d timeouts, want at least %d", timeouts, breakerFailures)
	}
	t.Logf("%d calls timed out before the node breaker opened; then skipped at once", timeouts)

	srv.thaw()
	eventually(t, 5*time.Second, "node used again once it answers", func() bool { return get() == nil })
	for range 10 {
		if err := get(); err != nil {
			t.Fatalf("call after recovery: %v", err)
		}
	}
	if h.openUntil.Load() != 0 {
		t.Error("node breaker still open after successful calls")
	}
}
