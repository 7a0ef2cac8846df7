package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stockdatasource/stockd/internal/testenv"
)

// modes runs fn against a real Redis in each deployment mode: the single
// server of scripts/test-services.sh and the Sentinel and Cluster
// topologies of scripts/redis-topology.sh.
func modes(t *testing.T, fn func(t *testing.T, rdb redis.UniversalClient)) {
	t.Run("single", func(t *testing.T) {
		addr, password := testenv.Redis(t)
		fn(t, client(t, &redis.UniversalOptions{Addrs: []string{addr}, Password: password, DB: 1}))
	})
	t.Run("sentinel", func(t *testing.T) {
		topo := testenv.RedisReplicated(t)
		fn(t, client(t, &redis.UniversalOptions{Addrs: topo.Sentinels, MasterName: topo.SentinelMaster,
			SentinelPassword: topo.SentinelPassword, Password: topo.Password, DB: 1}))
	})
	t.Run("cluster", func(t *testing.T) {
		topo := testenv.RedisReplicated(t)
		fn(t, client(t, &redis.UniversalOptions{Addrs: topo.Cluster, Password: topo.Password, IsClusterMode: true}))
	})
}

func client(t *testing.T, o *redis.UniversalOptions) redis.UniversalClient {
	t.Helper()
	o.DisableIdentity = true // Redis 7.0 has no CLIENT SETINFO
	// The cache's fault tests kill and restart the topologies' masters, and
	// may do so while these run (packages are tested side by side): the
	// client rides out a failover as a production client would.
	o.MaxRetries, o.MinRetryBackoff, o.MaxRetryBackoff = 30, 50*time.Millisecond, time.Second
	rdb := redis.NewUniversalClient(o)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return rdb
}

// prefix is unique per test, so parallel runs never share a lease, and its
// keys are deleted when the test ends.
func prefix(t *testing.T, rdb redis.UniversalClient) string {
	var b [4]byte
	rand.Read(b[:])
	p := "stock-test-" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		for _, k := range []string{p + "lease:{sync}", p + "lease:{sync}:fence"} {
			rdb.Del(ctx, k)
		}
	})
	return p
}

func newLeaser(t *testing.T, rdb redis.UniversalClient, pfx, owner string, ttl time.Duration) *Leaser {
	t.Helper()
	l, err := New(rdb, pfx, "sync", owner, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestOneHolderAtATime(t *testing.T) {
	modes(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		pfx := prefix(t, rdb)
		a, b := newLeaser(t, rdb, pfx, "a", 10*time.Second), newLeaser(t, rdb, pfx, "b", 10*time.Second)
		la, err := a.Acquire(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if la.Token() != 1 {
			t.Errorf("first token %d, want 1", la.Token())
		}
		_, err = b.Acquire(ctx, 0)
		var held *HeldError
		if !errors.Is(err, ErrHeld) || !errors.As(err, &held) {
			t.Fatalf("second Acquire: %v, want ErrHeld", err)
		}
		if held.Owner != "a" || held.Token != la.Token() || held.TTL <= 0 || held.TTL > 10*time.Second {
			t.Errorf("held by %q token %d ttl %s; want a, %d, (0,10s]", held.Owner, held.Token, held.TTL, la.Token())
		}
		if owner, token, ok, err := b.Holder(ctx); err != nil || !ok || owner != "a" || token != la.Token() {
			t.Errorf("Holder = %q %d %v %v", owner, token, ok, err)
		}
		// A refused acquisition hands out no token: the next is the next.
		if err := la.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, ok, _ := b.Holder(ctx); ok {
			t.Error("lease still held after Release")
		}
		lb, err := b.Acquire(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if lb.Token() != la.Token()+1 {
			t.Errorf("token after release %d, want %d", lb.Token(), la.Token()+1)
		}
		// The old holder can neither renew nor release the new lease.
		if err := la.Renew(ctx); !errors.Is(err, ErrLost) {
			t.Errorf("old holder's Renew: %v, want ErrLost", err)
		}
		if err := la.Release(ctx); !errors.Is(err, ErrLost) {
			t.Errorf("old holder's Release: %v, want ErrLost", err)
		}
		if owner, _, ok, _ := b.Holder(ctx); !ok || owner != "b" {
			t.Errorf("after the old holder's attempts the lease is held by %q (%v), want b", owner, ok)
		}
	})
}

func TestFloorRaisesTheToken(t *testing.T) {
	modes(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		pfx := prefix(t, rdb)
		l := newLeaser(t, rdb, pfx, "a", time.Second)
		// As after a failover that lost the counter: the store has seen 41.
		x, err := l.Acquire(ctx, 41)
		if err != nil {
			t.Fatal(err)
		}
		if x.Token() != 42 {
			t.Errorf("token with floor 41: %d, want 42", x.Token())
		}
		x.Release(ctx)
		// A lower floor never lowers the counter.
		if x, err = l.Acquire(ctx, 3); err != nil || x.Token() != 43 {
			t.Fatalf("token with floor 3 after 42: %v %v, want 43", x, err)
		}
		x.Release(ctx)
		// Nor does a lost counter: the floor takes over.
		rdb.Del(ctx, pfx+"lease:{sync}:fence")
		if x, err = l.Acquire(ctx, 43); err != nil || x.Token() != 44 {
			t.Fatalf("token with floor 43 after the counter was lost: %v %v, want 44", x, err)
		}
	})
}

// TestExpiredLeaseIsTakenOver: a holder that stops renewing loses the lease
// after its TTL; the next owner gets a higher token and the stale holder
// can neither renew nor release it.
func TestExpiredLeaseIsTakenOver(t *testing.T) {
	modes(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		pfx := prefix(t, rdb)
		const ttl = 300 * time.Millisecond
		a, b := newLeaser(t, rdb, pfx, "a", ttl), newLeaser(t, rdb, pfx, "b", ttl)
		la, err := a.Acquire(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var lb *Lease
		for lb == nil {
			if lb, err = b.Acquire(ctx, 0); err != nil && !errors.Is(err, ErrHeld) {
				t.Fatal(err)
			}
			if lb == nil && time.Since(start) > 30*time.Second {
				t.Fatal("lease never expired")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if waited := time.Since(start); waited < ttl-50*time.Millisecond {
			t.Errorf("taken over after %s, before the TTL %s", waited, ttl)
		}
		if lb.Token() <= la.Token() {
			t.Errorf("takeover token %d not above %d", lb.Token(), la.Token())
		}
		if err := la.Renew(ctx); !errors.Is(err, ErrLost) {
			t.Errorf("stale Renew: %v, want ErrLost", err)
		}
		if err := la.Release(ctx); !errors.Is(err, ErrLost) {
			t.Errorf("stale Release: %v, want ErrLost", err)
		}
		if err := lb.Renew(ctx); err != nil {
			t.Errorf("new holder's Renew: %v", err)
		}
	})
}

// TestRacingAcquirers: of many owners asking at once, exactly one wins.
func TestRacingAcquirers(t *testing.T) {
	modes(t, func(t *testing.T, rdb redis.UniversalClient) {
		pfx := prefix(t, rdb)
		const n = 12
		var wg sync.WaitGroup
		won := make(chan uint64, n)
		errs := make(chan error, n)
		for i := range n {
			l := newLeaser(t, rdb, pfx, fmt.Sprintf("owner-%d", i), 10*time.Second)
			wg.Go(func() {
				x, err := l.Acquire(context.Background(), 0)
				switch {
				case err == nil:
					won <- x.Token()
				case !errors.Is(err, ErrHeld):
					errs <- err
				}
			})
		}
		wg.Wait()
		close(won)
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var tokens []uint64
		for tok := range won {
			tokens = append(tokens, tok)
		}
		if len(tokens) != 1 {
			t.Fatalf("%d owners won: tokens %v", len(tokens), tokens)
		}
	})
}

func TestKeep(t *testing.T) {
	modes(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		pfx := prefix(t, rdb)
		const ttl = time.Second
		a, b := newLeaser(t, rdb, pfx, "a", ttl), newLeaser(t, rdb, pfx, "b", ttl)
		la, err := a.Acquire(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		kept, stop := la.Keep(ctx)
		defer stop()
		// Held well past its TTL while kept.
		for end := time.Now().Add(5 * ttl / 2); time.Now().Before(end); time.Sleep(ttl / 5) {
			if _, err := b.Acquire(ctx, 0); !errors.Is(err, ErrHeld) {
				t.Fatalf("Acquire while kept: %v, want ErrHeld", err)
			}
			if kept.Err() != nil {
				t.Fatalf("kept context ended: %v", context.Cause(kept))
			}
		}
		// Taken away (as an operator or a failover might): the context ends
		// with ErrLost at the next renewal.
		rdb.Del(ctx, a.Key())
		select {
		case <-kept.Done():
		case <-time.After(30 * time.Second):
			t.Fatal("kept context did not end after the lease was deleted")
		}
		if cause := context.Cause(kept); !errors.Is(cause, ErrLost) {
			t.Errorf("cause %v, want ErrLost", cause)
		}
	})
}

// TestKeepGivesUpWithoutRedis: when no renewal gets through, the kept
// context ends before the lease can have expired in Redis.
func TestKeepGivesUpWithoutRedis(t *testing.T) {
	addr, password := testenv.Redis(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: password, DB: 1, DisableIdentity: true})
	pfx := prefix(t, client(t, &redis.UniversalOptions{Addrs: []string{addr}, Password: password, DB: 1}))
	const ttl = 600 * time.Millisecond
	l := newLeaser(t, rdb, pfx, "a", ttl)
	x, err := l.Acquire(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	kept, stop := x.Keep(context.Background())
	defer stop()
	rdb.Close() // every renewal fails from now on
	select {
	case <-kept.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("kept context did not end without Redis")
	}
	if cause := context.Cause(kept); !errors.Is(cause, ErrLost) {
		t.Errorf("cause %v, want ErrLost", cause)
	}
}

// twice sends every script twice, as a client does that retries a command
// whose answer was lost.
type twice struct{}

func (twice) DialHook(next redis.DialHook) redis.DialHook { return next }
func (twice) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (twice) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := cmd.Name(); name == "evalsha" || name == "eval" {
			if err := next(ctx, cmd); err != nil {
				return err
			}
		}
		return next(ctx, cmd)
	}
}

// TestAcquireRetriedAfterALostAnswer: the second run of the script finds
// the lease held by the first and Acquire takes it as its own.
func TestAcquireRetriedAfterALostAnswer(t *testing.T) {
	addr, password := testenv.Redis(t)
	rdb := client(t, &redis.UniversalOptions{Addrs: []string{addr}, Password: password, DB: 1})
	pfx := prefix(t, rdb)
	rdb.AddHook(twice{})
	l := newLeaser(t, rdb, pfx, "a", 10*time.Second)
	x, err := l.Acquire(context.Background(), 0)
	if err != nil {
		t.Fatalf("Acquire sent twice: %v", err)
	}
	if x.Token() != 1 {
		t.Errorf("token %d, want 1 (the second run must not take another)", x.Token())
	}
	if err := x.Renew(context.Background()); err != nil {
		t.Errorf("Renew: %v", err)
	}
	// Another owner is still refused.
	other := newLeaser(t, rdb, pfx, "b", 10*time.Second)
	if _, err := other.Acquire(context.Background(), 0); !errors.Is(err, ErrHeld) {
		t.Errorf("other owner: %v, want ErrHeld", err)
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	for _, c := range []struct {
		name, owner string
		ttl         time.Duration
	}{{"", "a", time.Second}, {"a{b}", "a", time.Second}, {"sync", "", time.Second}, {"sync", "a b", time.Second}, {"sync", "a", time.Millisecond}} {
		if _, err := New(nil, "p:", c.name, c.owner, c.ttl); err == nil {
			t.Errorf("New(%q, %q, %s) accepted", c.name, c.owner, c.ttl)
		}
	}
}
