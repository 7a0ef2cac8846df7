package tushare

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stockdatasource/stockd/internal/lease"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// replicas builds n Turns as n replicas of one deployment would: each its
// own Redis client and owner name, one lease name and one store.
type replicaSet struct {
	prefix string
	addr   string
	pass   string
	store  market.Store
}

func newReplicaSet(t *testing.T, st market.Store) *replicaSet {
	addr, pass := testenv.Redis(t)
	var b [4]byte
	rand.Read(b[:])
	rs := &replicaSet{prefix: "stock-test-" + hex.EncodeToString(b[:]) + ":", addr: addr, pass: pass, store: st}
	t.Cleanup(func() {
		rdb := rs.client(t)
		rdb.Del(context.Background(), rs.prefix+"lease:{sync}", rs.prefix+"lease:{sync}:fence")
	})
	return rs
}

func (rs *replicaSet) client(t *testing.T) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr, Password: rs.pass, DB: 1, DisableIdentity: true})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func (rs *replicaSet) turns(t *testing.T, rdb *redis.Client, owner string, ttl, poll time.Duration) *Turns {
	l, err := lease.New(rdb, rs.prefix, "sync", owner, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return &Turns{Lease: l, Log: rs.store, Poll: poll}
}

func realSleep(ctx context.Context, d time.Duration) error { return sleepCtx(ctx, d) }

func recorded(t *testing.T, st market.Store, record string) []time.Time {
	t.Helper()
	days, err := st.SyncedDates(context.Background(), record)
	if err != nil {
		t.Fatal(err)
	}
	return days
}

// TestTurnsOneReplicaRuns: three replicas wake at the same scheduled time;
// exactly one syncs, under its token, and the others stop once it has
// recorded the run. The next day's run gets a higher token.
func TestTurnsOneReplicaRuns(t *testing.T) {
	eachStore(t, func(t *testing.T, open openStore) {
		st := open(t)
		rs := newReplicaSet(t, st)
		var mu sync.Mutex
		var ran []string
		var fences []uint64
		for i, day := range []time.Time{mustDate("20251217"), mustDate("20251218")} {
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for r := range 3 {
				owner := fmt.Sprintf("replica-%d", r)
				turns := rs.turns(t, rs.client(t), owner, 5*time.Second, 20*time.Millisecond)
				wg.Go(func() {
					errs[r] = turns.take(context.Background(), day, func(ctx context.Context, fence uint64) error {
						mu.Lock()
						ran, fences = append(ran, owner), append(fences, fence)
						mu.Unlock()
						// Long enough for the others to find the lease held.
						time.Sleep(300 * time.Millisecond)
						return st.MarkSynced(ctx, Daily, day, 10, fence)
					}, quietLogger, time.Now, realSleep)
				})
			}
			wg.Wait()
			for r, err := range errs {
				if err != nil {
					t.Errorf("day %d, replica %d: %v", i+1, r, err)
				}
			}
			if len(ran) != i+1 {
				t.Fatalf("after day %d: syncs by %v, want one a day", i+1, ran)
			}
			if f, err := st.SyncFence(context.Background()); err != nil || f != fences[i] {
				t.Errorf("day %d: store fence %d (%v), want the holder's token %d", i+1, f, err, fences[i])
			}
		}
		if fences[0] == 0 || fences[1] <= fences[0] {
			t.Errorf("tokens %v: want non-zero and increasing", fences)
		}
		days := []time.Time{mustDate("20251217"), mustDate("20251218")}
		for _, rec := range []string{LeaseRecord, ScheduledRecord, Daily} {
			if got := recorded(t, st, rec); !slices.Equal(got, days) {
				t.Errorf("%s records %v, want %v", rec, got, days)
			}
		}
	})
}

// TestTurnsStaleHolder: the holder stalls past its lease (its renewals stop
// reaching Redis); another replica takes the lease over after the TTL and
// finishes the day; the stalled one, waking up, cannot record anything.
func TestTurnsStaleHolder(t *testing.T) {
	st := openSQLite(t)
	rs := newReplicaSet(t, st)
	day := snapshotDay
	const ttl = 600 * time.Millisecond
	aClient := rs.client(t)
	a := rs.turns(t, aClient, "a", ttl, 50*time.Millisecond)
	b := rs.turns(t, rs.client(t), "b", ttl, 50*time.Millisecond)

	aStarted, bStarted := make(chan uint64, 1), make(chan uint64, 1)
	var staleErr error
	aDone := make(chan error, 1)
	go func() {
		aDone <- a.take(context.Background(), day, func(ctx context.Context, fence uint64) error {
			aStarted <- fence
			<-ctx.Done() // the lease is gone: Keep gave up on Redis
			// ...but this replica, like a process that was paused, goes on
			// writing once the other has taken over.
			<-bStarted
			staleErr = st.MarkSynced(context.WithoutCancel(ctx), Daily, day, 10, fence)
			return staleErr
		}, quietLogger, time.Now, realSleep)
	}()
	aToken := <-aStarted
	aClient.Close() // A's renewals fail from now on; its lease runs out

	var bToken uint64
	bErr := b.take(context.Background(), day, func(ctx context.Context, fence uint64) error {
		bToken = fence
		bStarted <- fence
		close(bStarted)
		return st.MarkSynced(ctx, Daily, day, 11, fence)
	}, quietLogger, time.Now, realSleep)
	if bErr != nil {
		t.Fatalf("B: %v", bErr)
	}
	aErr := <-aDone
	if bToken <= aToken {
		t.Errorf("B's token %d not above A's %d", bToken, aToken)
	}
	if !errors.Is(staleErr, market.ErrStaleFence) {
		t.Errorf("A's record after losing the lease: %v, want ErrStaleFence", staleErr)
	}
	if aErr == nil {
		t.Error("A's take returned nil after losing its lease")
	}
	if f, _ := st.SyncFence(context.Background()); f != bToken {
		t.Errorf("store fence %d, want B's %d", f, bToken)
	}
	if got := recorded(t, st, ScheduledRecord); !slices.Equal(got, []time.Time{day}) {
		t.Errorf("scheduled records %v, want the day", got)
	}
}

// TestTurnsShutdownHandsOver: a holder that shuts down mid-run releases the
// lease, and a waiting replica goes on at once, not a TTL later.
func TestTurnsShutdownHandsOver(t *testing.T) {
	st := openSQLite(t)
	rs := newReplicaSet(t, st)
	day := snapshotDay
	const ttl = time.Hour // a takeover by expiry would time the test out
	a := rs.turns(t, rs.client(t), "a", ttl, 20*time.Millisecond)
	b := rs.turns(t, rs.client(t), "b", ttl, 20*time.Millisecond)
	ctx, shutdown := context.WithCancel(context.Background())
	started := make(chan struct{})
	aDone := make(chan error, 1)
	go func() {
		aDone <- a.take(ctx, day, func(ctx context.Context, fence uint64) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}, quietLogger, time.Now, realSleep)
	}()
	<-started
	var bRan atomic.Bool
	bDone := make(chan error, 1)
	go func() {
		bDone <- b.take(context.Background(), day, func(ctx context.Context, fence uint64) error {
			bRan.Store(true)
			return nil
		}, quietLogger, time.Now, realSleep)
	}()
	time.Sleep(100 * time.Millisecond) // B finds the lease held
	if bRan.Load() {
		t.Fatal("B ran while A held the lease")
	}
	shutdown()
	if err := <-aDone; !errors.Is(err, context.Canceled) {
		t.Errorf("A: %v, want context.Canceled", err)
	}
	select {
	case err := <-bDone:
		if err != nil || !bRan.Load() {
			t.Errorf("B: %v, ran %v", err, bRan.Load())
		}
	case <-time.After(time.Minute):
		t.Fatal("B did not take over after A released the lease")
	}
}

// TestTurnsGiveUp: a replica that never gets its turn stops waiting after
// patience, and does not sync.
func TestTurnsGiveUp(t *testing.T) {
	st := openSQLite(t)
	rs := newReplicaSet(t, st)
	holder := rs.turns(t, rs.client(t), "holder", time.Hour, 0)
	if _, err := holder.Lease.Acquire(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2025, 12, 18, 17, 30, 0, 0, Shanghai)}
	waiter := rs.turns(t, rs.client(t), "waiter", time.Hour, 30*time.Minute)
	err := waiter.take(context.Background(), snapshotDay, func(context.Context, uint64) error {
		t.Error("synced without the lease")
		return nil
	}, quietLogger, clock.now, clock.sleep)
	if err == nil {
		t.Fatal("take returned nil without a turn")
	}
	if waited := clock.now().Sub(time.Date(2025, 12, 18, 17, 30, 0, 0, Shanghai)); waited < patience || waited > patience+time.Hour {
		t.Errorf("gave up after %s, want %s", waited, patience)
	}
}

// TestSchedulerWithTurns: the scheduler hands the day to Turns and goes on
// to the next day.
func TestSchedulerWithTurns(t *testing.T) {
	st := openSQLite(t)
	rs := newReplicaSet(t, st)
	clock := &fakeClock{t: time.Date(2025, 12, 17, 18, 0, 0, 0, Shanghai)} // Wednesday
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var fences []uint64
	err := Scheduler{
		At: "17:30", Turns: rs.turns(t, rs.client(t), "solo", 5*time.Second, 0), Logger: quietLogger,
		Now: clock.now, sleep: clock.sleep,
		Sync: func(ctx context.Context, fence uint64) error {
			fences = append(fences, fence)
			if len(fences) == 2 {
				cancel()
			}
			return nil
		},
	}.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if len(fences) != 2 || fences[0] == 0 || fences[1] <= fences[0] {
		t.Errorf("fences %v: want two runs with increasing tokens", fences)
	}
	if got := recorded(t, st, ScheduledRecord); !slices.Equal(got, []time.Time{mustDate("20251218")}) {
		// The second run was cancelled from inside: not recorded as ended.
		t.Errorf("scheduled records %v, want 2025-12-18 only", got)
	}
}
