package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stockdatasource/stockd/internal/testenv"
)

func TestLoadWritesPrefixedKeyWithTTLInConfiguredDB(t *testing.T) {
	c, raw := newTestCache(t, Options{L1Size: 100})
	ctx := context.Background()

	const ttl = 90 * time.Second
	val := []byte(`{"trade_date":"2025-12-18"}`)
	load, calls := countingLoader(val)
	got, err := c.Load(ctx, "overview:market_stats:2025-12-18", ttl, load)
	if err != nil || !bytes.Equal(got, val) {
		t.Fatalf("Load = %q, %v; want %q", got, err, val)
	}
	key := c.prefix + "overview:market_stats:2025-12-18"
	stored, err := raw.Get(ctx, key).Bytes()
	if err != nil || !bytes.Equal(stored, val) {
		t.Fatalf("redis db %d %s = %q, %v; want the loaded value", testDB, key, stored, err)
	}
	pttl := raw.PTTL(ctx, key).Val()
	if pttl <= ttl-5*time.Second || pttl > ttl {
		t.Errorf("PTTL of %s = %s, want within (%s, %s]", key, pttl, ttl-5*time.Second, ttl)
	}
	// The same logical key must not exist without the prefix, nor in DB 1.
	if n := raw.Exists(ctx, "overview:market_stats:2025-12-18").Val(); n != 0 {
		t.Errorf("unprefixed key exists in db %d", testDB)
	}

	// Set takes the same path.
	if err := c.Set(ctx, "basic:600519.SH", []byte("x"), 45*time.Second); err != nil {
		t.Fatal(err)
	}
	if p := raw.PTTL(ctx, c.prefix+"basic:600519.SH").Val(); p <= 40*time.Second || p > 45*time.Second {
		t.Errorf("PTTL after Set = %s, want ≈45s", p)
	}

	// Second Load: served from L1, the loader is not called again.
	if _, err := c.Load(ctx, "overview:market_stats:2025-12-18", ttl, load); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("loader ran %d times, want 1", n)
	}
	if s := c.Stats(ctx); s.L1.Hits != 1 || s.Misses != 1 || s.Loads != 1 {
		t.Errorf("stats after miss+hit: l1 hits %d, misses %d, loads %d; want 1, 1, 1", s.L1.Hits, s.Misses, s.Loads)
	}
}

func TestDeletePatternNeverLeavesThePrefix(t *testing.T) {
	addr, password := testenv.Redis(t)
	ctx := context.Background()
	db0 := rawClient(t, addr, password, 0)
	mark := uniquePrefix(t)[len("stocktest:"):]

	// A prefix with glob metacharacters: unescaped, "stocktest:…*:" + "*"
	// would also match the foreign key "stocktest:…zzz:k".
	prefix := "stocktest:" + mark + "*:"
	c, raw := newTestCache(t, Options{Prefix: prefix, L1Size: 100})

	foreign0 := []string{"langfuse:x:" + mark, "other:" + mark, prefix + "in-db0"}
	foreignDB := []string{"langfuse:x:" + mark, "other:" + mark, "stocktest:" + mark + "zzz:k", "stocktest:" + mark + ":k"}
	for _, k := range foreign0 {
		db0.Set(ctx, k, "keep", time.Minute)
		t.Cleanup(func() { db0.Del(context.Background(), k) })
	}
	for _, k := range foreignDB {
		raw.Set(ctx, k, "keep", time.Minute)
		t.Cleanup(func() { raw.Del(context.Background(), k) })
	}

	ours := []string{"overview:hot_stocks:2025-12-18:amount:20", "overview:market_stats:2025-12-18", "basic:600519.SH", "daily:000001.SZ:a:b:qfq:c"}
	for _, k := range ours {
		if err := c.Set(ctx, k, []byte(k), time.Minute); err != nil {
			t.Fatal(err)
		}
	}

	n, err := c.DeletePattern(ctx, "overview:*")
	if err != nil || n != 2 {
		t.Fatalf(`DeletePattern("overview:*") = %d, %v; want 2`, n, err)
	}
	if got := raw.Exists(ctx, prefix+"basic:600519.SH").Val(); got != 1 {
		t.Error("basic key deleted by overview:*")
	}
	if _, ok := c.l1.GetIfPresent("overview:market_stats:2025-12-18"); ok {
		t.Error("L1 still holds an overview key after DeletePattern")
	}
	if _, ok := c.l1.GetIfPresent("basic:600519.SH"); !ok {
		t.Error("L1 lost basic:600519.SH to overview:*")
	}

	n, err = c.DeletePattern(ctx, "*")
	if err != nil || n != 2 {
		t.Fatalf(`DeletePattern("*") = %d, %v; want 2`, n, err)
	}
	for _, k := range foreign0 {
		if v, err := db0.Get(ctx, k).Result(); v != "keep" {
			t.Errorf("db 0 key %q = %q, %v after DeletePattern(*)", k, v, err)
		}
	}
	for _, k := range foreignDB {
		if v, err := raw.Get(ctx, k).Result(); v != "keep" {
			t.Errorf("db %d key %q = %q, %v after DeletePattern(*)", testDB, k, v, err)
		}
		if p := raw.PTTL(ctx, k).Val(); p <= 0 {
			t.Errorf("foreign key %q lost its TTL: %s", k, p)
		}
	}
	if got := c.l1.EstimatedSize(); got != 0 {
		t.Errorf("L1 holds %d entries after DeletePattern(*)", got)
	}
}

func TestDeletePatternBadInput(t *testing.T) {
	c, err := New(Options{L1Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range []string{"", strings.Repeat("a", maxPatternLen+1)} {
		if _, err := c.DeletePattern(context.Background(), p); err == nil {
			t.Errorf("DeletePattern(len %d) succeeded", len(p))
		}
	}
}

func TestConcurrentColdLoadsRunLoaderOnce(t *testing.T) {
	for _, l1 := range []int{1000, 0} {
		t.Run(fmt.Sprintf("l1=%d", l1), func(t *testing.T) {
			c, _ := newTestCache(t, Options{L1Size: l1})
			var calls atomic.Int64
			load := func(ctx context.Context) ([]byte, error) {
				calls.Add(1)
				time.Sleep(100 * time.Millisecond) // a store query, long enough for all to pile up
				return []byte("bars"), nil
			}
			const n = 500
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					v, err := c.Load(context.Background(), "daily:600519.SH:x", time.Minute, load)
					if err == nil && string(v) != "bars" {
						err = fmt.Errorf("got %q", v)
					}
					if err != nil {
						errs <- err
					}
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if got := calls.Load(); got != 1 {
				t.Errorf("loader ran %d times for %d concurrent cold Loads, want 1", got, n)
			}
		})
	}
}

func TestCancelledFirstCallerDoesNotFailOthers(t *testing.T) {
	c, _ := newTestCache(t, Options{L1Size: 100})
	release := make(chan struct{})
	started := make(chan struct{})
	var loaderCtxErr atomic.Value
	load := func(ctx context.Context) ([]byte, error) {
		close(started)
		<-release
		loaderCtxErr.Store(fmt.Sprint(ctx.Err()))
		return []byte("v"), nil
	}

	firstCtx, cancelFirst := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.Load(firstCtx, "basic:000001.SZ", time.Minute, load)
		firstErr <- err
	}()
	<-started

	const others = 20
	results := make(chan error, others)
	for range others {
		go func() {
			v, err := c.Load(context.Background(), "basic:000001.SZ", time.Minute, load)
			if err == nil && string(v) != "v" {
				err = fmt.Errorf("got %q", v)
			}
			results <- err
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the others join the flight
	cancelFirst()
	select {
	case err := <-firstErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled first caller got %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("cancelled caller did not return on its own ctx.Done()")
	}
	close(release)
	for range others {
		if err := <-results; err != nil {
			t.Errorf("waiter failed after the first caller was cancelled: %v", err)
		}
	}
	if got := loaderCtxErr.Load(); got != "<nil>" {
		t.Errorf("loader's context was %s after the first caller left, want not cancelled", got)
	}
}

func TestLoaderErrorIsNotCached(t *testing.T) {
	c, raw := newTestCache(t, Options{L1Size: 100})
	ctx := context.Background()
	boom := errors.New("store down")
	var calls atomic.Int64
	load := func(context.Context) ([]byte, error) {
		if calls.Add(1) == 1 {
			return nil, boom
		}
		return []byte("ok"), nil
	}
	if _, err := c.Load(ctx, "basic:1", time.Minute, load); !errors.Is(err, boom) {
		t.Fatalf("first Load err = %v, want %v", err, boom)
	}
	if n := raw.Exists(ctx, c.prefix+"basic:1").Val(); n != 0 {
		t.Error("a failed load left a key in Redis")
	}
	v, err := c.Load(ctx, "basic:1", time.Minute, load)
	if err != nil || string(v) != "ok" {
		t.Fatalf("second Load = %q, %v; want ok (the error must not be cached)", v, err)
	}
	if calls.Load() != 2 {
		t.Errorf("loader ran %d times, want 2", calls.Load())
	}

	// A panicking loader fails its flight, not the process.
	_, err = c.Load(ctx, "basic:2", time.Minute, func(context.Context) ([]byte, error) { panic("bug") })
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("panicking loader: err = %v", err)
	}
	if s := c.Stats(ctx); s.LoadErrors != 2 {
		t.Errorf("load_errors = %d, want 2", s.LoadErrors)
	}

	if _, err := c.Load(ctx, "basic:3", 0, load); err == nil {
		t.Error("Load with ttl 0 succeeded; a key without expiry must never be written")
	}
}

func TestL1NeverOutlivesRedisEntry(t *testing.T) {
	// L1TTL is long, so only the Redis entry's own expiry can bound L1.
	c, raw := newTestCache(t, Options{L1Size: 100, L1TTL: time.Minute})
	ctx := context.Background()
	key := "overview:hot_etfs:2025-12-18:amount:20"
	if err := raw.Set(ctx, c.prefix+key, "from-redis", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	load, calls := countingLoader([]byte("from-loader"))
	v, err := c.Load(ctx, key, time.Minute, load)
	if err != nil || string(v) != "from-redis" {
		t.Fatalf("Load = %q, %v; want the Redis value", v, err)
	}
	e, ok := c.l1.GetEntryQuietly(key)
	if !ok {
		t.Fatal("Redis hit was not copied into L1")
	}
	if left := e.ExpiresAfter(); left > 300*time.Millisecond {
		t.Errorf("L1 entry expires in %s, after the Redis entry (≤300ms)", left)
	}
	time.Sleep(400 * time.Millisecond)
	v, err = c.Load(ctx, key, time.Minute, load)
	if err != nil || string(v) != "from-loader" {
		t.Fatalf("after Redis expiry Load = %q, %v; want a fresh load", v, err)
	}
	if calls.Load() != 1 {
		t.Errorf("loader ran %d times, want 1", calls.Load())
	}

	// A loaded value stays in L1 no longer than L1TTL or its own ttl.
	c2, _ := newTestCache(t, Options{L1Size: 100, L1TTL: 500 * time.Millisecond})
	if _, err := c2.Load(ctx, "k", time.Minute, load); err != nil {
		t.Fatal(err)
	}
	if e, ok := c2.l1.GetEntryQuietly("k"); !ok || e.ExpiresAfter() > 500*time.Millisecond {
		t.Errorf("L1 entry of a loaded value: present %v, expires in %s; want ≤ L1TTL 500ms", ok, e.ExpiresAfter())
	}
	if _, err := c2.Load(ctx, "short", 100*time.Millisecond, load); err != nil {
		t.Fatal(err)
	}
	if e, ok := c2.l1.GetEntryQuietly("short"); !ok || e.ExpiresAfter() > 100*time.Millisecond {
		t.Errorf("L1 entry with ttl 100ms: present %v, expires in %s", ok, e.ExpiresAfter())
	}
}

func TestTwoReplicasInvalidateEachOthersL1(t *testing.T) {
	prefix := uniquePrefix(t)
	// L1TTL long: only the pub/sub message can empty B's L1 in time.
	a, raw := newTestCache(t, Options{Prefix: prefix, L1Size: 100, L1TTL: time.Minute})
	b, _ := newTestCache(t, Options{Prefix: prefix, L1Size: 100, L1TTL: time.Minute})
	ctx := context.Background()

	keys := []string{"overview:market_stats:2025-12-18", "daily:[weird]*key"}
	for _, key := range keys {
		loadA, _ := countingLoader([]byte("v1"))
		if _, err := a.Load(ctx, key, time.Minute, loadA); err != nil {
			t.Fatal(err)
		}
		// B finds it in Redis and keeps a copy in its L1.
		loadB, callsB := countingLoader([]byte("unused"))
		if v, err := b.Load(ctx, key, time.Minute, loadB); err != nil || string(v) != "v1" || callsB.Load() != 0 {
			t.Fatalf("replica B Load = %q, %v, loader calls %d; want v1 from Redis", v, err, callsB.Load())
		}
		if _, ok := b.l1.GetIfPresent(key); !ok {
			t.Fatal("replica B did not keep an L1 copy")
		}
	}

	// Pattern invalidation through A.
	if _, err := a.DeletePattern(ctx, "overview:*"); err != nil {
		t.Fatal(err)
	}
	took := eventually(t, 2*time.Second, "B drops its L1 copy after A's DeletePattern", func() bool {
		_, ok := b.l1.GetIfPresent(keys[0])
		return !ok
	})
	t.Logf("invalidation reached the other replica in %s", took)
	missesBefore := b.Stats(ctx).L1.Misses
	loadB, callsB := countingLoader([]byte("v2"))
	if v, err := b.Load(ctx, keys[0], time.Minute, loadB); err != nil || string(v) != "v2" || callsB.Load() != 1 {
		t.Errorf("B after invalidation: Load = %q, %v, loader calls %d; want v2 from a fresh load", v, err, callsB.Load())
	}
	if b.Stats(ctx).L1.Misses != missesBefore+1 {
		t.Error("B's next Load did not miss L1")
	}
	if _, ok := b.l1.GetIfPresent(keys[1]); !ok {
		t.Error("B dropped a key the pattern did not match")
	}

	// Key deletion through A, with a key full of glob metacharacters: it
	// must be escaped on the wire and drop only itself.
	if err := a.Delete(ctx, keys[1]); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "B drops its copy after A's Delete", func() bool {
		_, ok := b.l1.GetIfPresent(keys[1])
		return !ok
	})
	if _, ok := b.l1.GetIfPresent(keys[0]); !ok {
		t.Error("Delete of one key dropped another key in B")
	}

	// A bare pattern published by an operator (redis-cli PUBLISH) works too.
	if err := raw.Publish(ctx, prefix+"invalidate", "overview:*").Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "B drops its copy after a bare PUBLISH", func() bool {
		_, ok := b.l1.GetIfPresent(keys[0])
		return !ok
	})
}

// TestInvalidationWhileBreakerOpenIsQueued: with the breaker open, Delete
// and DeletePattern succeed at once (the caller's write is saved), the
// invalidations are queued, and they reach Redis when it is used again.
func TestInvalidationWhileBreakerOpenIsQueued(t *testing.T) {
	c, raw := newTestCache(t, Options{L1Size: 100})
	ctx := context.Background()
	for _, k := range []string{"overview:a", "overview:b", "basic:x", "basic:y"} {
		if err := c.Set(ctx, k, []byte(k), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// Open the breaker as a run of failures would, with Redis itself still
	// holding the keys (as after a network cut rather than a crash).
	c.open("test", errors.New("connection reset by peer"))
	if c.RedisStatus() != StatusDown {
		t.Fatal("breaker did not open")
	}
	if n, err := c.DeletePattern(ctx, "overview:*"); err != nil || n != 0 {
		t.Fatalf("DeletePattern while down = %d, %v; want 0, nil (queued)", n, err)
	}
	if err := c.Delete(ctx, "basic:x"); err != nil {
		t.Fatalf("Delete while down: %v; want nil (queued)", err)
	}
	if q := c.Stats(ctx).QueuedInvalidations; q != 2 {
		t.Errorf("queued_invalidations = %d, want 2", q)
	}
	if _, ok := c.l1.GetIfPresent("overview:a"); ok {
		t.Error("L1 kept overview:a while Redis was down")
	}
	eventually(t, 10*time.Second, "probe closes the breaker and the queue drains", func() bool {
		return c.RedisStatus() == StatusUp && c.Pending() == 0
	})
	for _, k := range []string{"overview:a", "overview:b", "basic:x"} {
		if raw.Exists(ctx, c.prefix+k).Val() != 0 {
			t.Errorf("%s still in Redis after the replay", k)
		}
	}
	if raw.Exists(ctx, c.prefix+"basic:y").Val() != 1 {
		t.Error("basic:y deleted; no invalidation named it")
	}
}

func TestEmbeddedModeWithoutRedis(t *testing.T) {
	rec := &logRecorder{}
	c, err := New(Options{L1Size: 100, Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if c.RedisStatus() != StatusDisabled {
		t.Errorf("status %q, want disabled", c.RedisStatus())
	}
	load, calls := countingLoader([]byte("v"))
	for range 3 {
		if v, err := c.Load(ctx, "overview:x", time.Hour, load); err != nil || string(v) != "v" {
			t.Fatalf("Load = %q, %v", v, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("loader ran %d times, want 1", calls.Load())
	}
	// No shared tier to agree with: the entry lives for the TTL given.
	if e, ok := c.l1.GetEntryQuietly("overview:x"); !ok || e.ExpiresAfter() < 59*time.Minute {
		t.Errorf("embedded L1 entry expires in %s, want ≈1h", e.ExpiresAfter())
	}
	if n, err := c.DeletePattern(ctx, "overview:*"); err != nil || n != 1 {
		t.Errorf("DeletePattern = %d, %v; want 1 in-process entry", n, err)
	}
	if s := c.Stats(ctx); s.Available || s.Status != StatusDisabled || s.Hits != 2 || s.Misses != 1 {
		t.Errorf("stats = %+v", s)
	}
	if n := rec.count(slog.LevelWarn); n != 0 {
		t.Errorf("%d warnings in embedded mode:\n%s", n, rec.dump(slog.LevelWarn))
	}

	// L1 off too: every Load runs the loader.
	none, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	for range 2 {
		if _, err := none.Load(ctx, "k", time.Minute, load); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 3 {
		t.Errorf("with no tier the loader ran %d times in total, want 3", calls.Load())
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"address without port", Options{RedisAddr: "localhost"}},
		{"negative db", Options{RedisAddr: "127.0.0.1:6379", RedisDB: -1}},
		{"negative L1 size", Options{L1Size: -1}},
		{"negative L1 bytes", Options{L1Size: 10, L1MaxBytes: -5}},
		{"negative L1 TTL", Options{L1TTL: -time.Second}},
		{"negative load timeout", Options{LoadTimeout: -time.Second}},
		{"negative redis timeout", Options{RedisAddr: "127.0.0.1:6379", RedisTimeout: -time.Second}},
		{"unknown mode", Options{RedisMode: "ring", RedisAddrs: []string{"127.0.0.1:6379"}}},
		{"two addresses in single mode", Options{RedisAddrs: []string{"127.0.0.1:6379", "127.0.0.1:6380"}}},
		{"both address fields", Options{RedisAddr: "127.0.0.1:6379", RedisAddrs: []string{"127.0.0.1:6380"}}},
		{"sentinel without master name", Options{RedisMode: ModeSentinel, RedisAddrs: []string{"127.0.0.1:26379"}}},
		{"sentinel without addresses", Options{RedisMode: ModeSentinel, SentinelMaster: "m"}},
		{"sentinel address without port", Options{RedisMode: ModeSentinel, SentinelMaster: "m", RedisAddrs: []string{"sentinel-1"}}},
		{"cluster without addresses", Options{RedisMode: ModeCluster}},
		{"cluster with db 1", Options{RedisMode: ModeCluster, RedisAddrs: []string{"127.0.0.1:7000"}, RedisDB: 1}},
		{"sentinel master name outside sentinel mode", Options{RedisAddr: "127.0.0.1:6379", SentinelMaster: "m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := New(tc.opts); err == nil {
				c.Close()
				t.Errorf("New(%+v) succeeded", tc.opts)
			}
		})
	}
}

func TestL1BoundedByEntriesAndBytes(t *testing.T) {
	ctx := context.Background()
	// 100 entries, 10 KiB: small values are bounded by the count...
	c, err := New(Options{L1Size: 100, L1MaxBytes: 10 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 1000 {
		c.Set(ctx, fmt.Sprintf("k%d", i), []byte("v"), time.Hour)
	}
	c.l1.CleanUp()
	if s := c.Stats(ctx); s.L1.Entries > 100 || s.L1.Entries == 0 {
		t.Errorf("L1 holds %d small entries, want 1..100", s.L1.Entries)
	}
	// ...and large ones by the bytes.
	big := make([]byte, 1000)
	for i := range 1000 {
		c.Set(ctx, fmt.Sprintf("big%d", i), big, time.Hour)
	}
	c.l1.CleanUp()
	if s := c.Stats(ctx); s.L1.Bytes > 10<<10 || s.L1.Entries == 0 {
		t.Errorf("L1 holds %d bytes in %d entries, want ≤ 10 KiB", s.L1.Bytes, s.L1.Entries)
	}
	// A value larger than an eighth of the tier is not kept in process.
	c.Set(ctx, "huge", make([]byte, 2<<10), time.Hour)
	if _, ok := c.l1.GetIfPresent("huge"); ok {
		t.Error("L1 kept a value larger than an eighth of its byte budget")
	}
}

func TestStatsAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, raw := newTestCache(t, Options{L1Size: 100, Registerer: reg})
	ctx := context.Background()
	load, _ := countingLoader([]byte("0123456789"))
	for i := range 5 {
		for range 3 { // 1 miss, then 2 L1 hits per key
			if _, err := c.Load(ctx, fmt.Sprintf("k%d", i), time.Minute, load); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One more replica-less L2 hit: drop L1 only.
	c.l1.Invalidate("k0")
	if _, ok := c.Get(ctx, "k0"); !ok {
		t.Fatal("Get missed a key that is in Redis")
	}
	if _, ok := c.Get(ctx, "absent"); ok {
		t.Fatal("Get found an absent key")
	}

	s := c.Stats(ctx)
	want := Stats{Hits: 11, Misses: 6, Loads: 5}
	if s.Hits != want.Hits || s.Misses != want.Misses || s.Loads != want.Loads {
		t.Errorf("hits/misses/loads = %d/%d/%d, want %d/%d/%d", s.Hits, s.Misses, s.Loads, want.Hits, want.Misses, want.Loads)
	}
	if s.L1.Hits != 10 || s.L1.Misses != 7 || s.L2.Hits != 1 || s.L2.Misses != 6 {
		t.Errorf("tiers: l1 %d/%d l2 %d/%d, want l1 10/7 l2 1/6", s.L1.Hits, s.L1.Misses, s.L2.Hits, s.L2.Misses)
	}
	if want := float64(11) / 17; s.HitRate != want {
		t.Errorf("hit_rate = %v, want %v", s.HitRate, want)
	}
	if s.L1.Entries != 5 || s.L1.Bytes != 5*(2+10) {
		t.Errorf("l1 entries/bytes = %d/%d, want 5/60", s.L1.Entries, s.L1.Bytes)
	}
	dbsize := raw.DBSize(ctx).Val()
	if !s.Available || s.Status != StatusUp || s.Keys != dbsize || s.Keys < 5 {
		t.Errorf("available %v status %q keys %d; want true, up, DBSIZE %d", s.Available, s.Status, s.Keys, dbsize)
	}
	if s.UsedMemory <= 0 {
		t.Errorf("used_memory = %d", s.UsedMemory)
	}
	js, _ := json.Marshal(s)
	for _, field := range []string{`"available":true`, `"status":"up"`, `"hit_rate":`, `"keys":`, `"used_memory":`, `"max_memory":`, `"l1":{"enabled":true`, `"l2":{"hits":1`, `"loads":5`, `"errors":0`} {
		if !strings.Contains(string(js), field) {
			t.Errorf("stats JSON lacks %s: %s", field, js)
		}
	}

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			got[f.GetName()+labels(m)] = value(m)
		}
	}
	for name, want := range map[string]float64{
		`stockd_cache_hits_total{tier="l1"}`:   10,
		`stockd_cache_hits_total{tier="l2"}`:   1,
		`stockd_cache_misses_total{tier="l1"}`: 7,
		`stockd_cache_misses_total{tier="l2"}`: 6,
		`stockd_cache_loads_total`:             5,
		`stockd_cache_errors_total`:            0,
		`stockd_cache_redis_up`:                1,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}

	// A second cache on the same registry is a wiring mistake New reports.
	if _, err := New(Options{Registerer: reg}); err == nil {
		t.Error("registering the metrics twice succeeded")
	}
}

func labels(m *dto.Metric) string {
	if len(m.GetLabel()) == 0 {
		return ""
	}
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func value(m *dto.Metric) float64 {
	if m.Counter != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

func TestParseMemory(t *testing.T) {
	info := "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmaxmemory:1073741824\r\nmaxmemory_policy:volatile-lru\r\n"
	used, maxMem := parseMemory(info)
	if used != 1048576 || maxMem != 1073741824 {
		t.Errorf("parseMemory = %d, %d", used, maxMem)
	}
	if u, m := parseMemory("garbage\nused_memory:x\n"); u != 0 || m != 0 {
		t.Errorf("parseMemory(garbage) = %d, %d", u, m)
	}
}

// TestInvalidationDuringLoadDiscardsTheLoad: a load that read the store
// before an invalidation must not write its value back after it, and
// callers arriving after the invalidation must not join that load.
func TestInvalidationDuringLoadDiscardsTheLoad(t *testing.T) {
	c, raw := newTestCache(t, Options{L1Size: 100})
	ctx := context.Background()
	release := make(chan struct{})
	started := make(chan struct{})
	oldDone := make(chan []byte, 1)
	go func() {
		v, _ := c.Load(ctx, "workflow:list:true", time.Minute, func(context.Context) ([]byte, error) {
			close(started)
			<-release
			return []byte("old"), nil
		})
		oldDone <- v
	}()
	<-started
	if _, err := c.DeletePattern(ctx, "workflow:*"); err != nil {
		t.Fatal(err)
	}
	// A caller after the invalidation gets a flight of its own (were it to
	// join the old one, it would wait for release and time out).
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	fresh, err := c.Load(waitCtx, "workflow:list:true", time.Minute, func(context.Context) ([]byte, error) {
		return []byte("new"), nil
	})
	if err != nil || string(fresh) != "new" {
		t.Fatalf("Load after invalidation = %q, %v; want new (not the in-flight old load)", fresh, err)
	}
	close(release)
	if v := <-oldDone; string(v) != "old" {
		t.Errorf("the in-flight caller got %q, want its own load's old", v)
	}
	if v, _ := raw.Get(ctx, c.prefix+"workflow:list:true").Result(); v != "new" {
		t.Errorf("Redis holds %q after the stale load finished, want new", v)
	}
	if e, ok := c.l1.GetIfPresent("workflow:list:true"); !ok || string(e.val) != "new" {
		t.Errorf("L1 holds %q (present %v), want new", e.val, ok)
	}
}
