package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/testenv"
)

// TestRedisDiesAndReturns kills a Redis of the test's own while Loads run,
// then restarts it on the same port, and checks that no Load fails, that
// the outage is logged once, and that the same Cache uses Redis again.
func TestRedisDiesAndReturns(t *testing.T) {
	srv := startRedis(t, "s3cret")
	rec := &logRecorder{}
	// L1 off: every Load asks Redis, so L2 hits show when Redis is in use.
	c := newOwnCache(t, srv, slog.New(rec))
	if c.RedisStatus() != StatusUp {
		t.Fatalf("status %q before the kill", c.RedisStatus())
	}
	loads := startLoads(t, c, 8, 20)

	eventually(t, 5*time.Second, "warm-up hits from Redis", func() bool { return c.Stats(context.Background()).L2.Hits > 100 })
	srv.kill()
	took := eventually(t, 5*time.Second, "status down after the kill", func() bool { return c.RedisStatus() == StatusDown })
	t.Logf("breaker opened %s after the kill", took)
	before := loads.loads.Load()
	time.Sleep(1500 * time.Millisecond) // the breaker's probe fails at least once meanwhile
	if n := loads.loads.Load() - before; n < 100 {
		t.Errorf("only %d Loads in 1.5 s of outage: requests are paying timeouts", n)
	}
	if n := rec.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings during the outage, want exactly 1:\n%s", n, rec.dump(slog.LevelWarn))
	}
	if s := c.Stats(context.Background()); s.Available || s.Status != StatusDown {
		t.Errorf("stats during outage: available %v status %q", s.Available, s.Status)
	}

	restarted := time.Now()
	srv.start()
	hitsAt := c.Stats(context.Background()).L2.Hits
	eventually(t, 5*time.Second, "Redis hits resume after the restart", func() bool {
		return c.Stats(context.Background()).L2.Hits > hitsAt
	})
	t.Logf("Redis hits resumed %s after the restart", time.Since(restarted).Round(time.Millisecond))
	loads.finish()
	if n := rec.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings in all, want exactly 1:\n%s", n, rec.dump(slog.LevelWarn))
	}
	if n := countMsg(rec, "cache: redis is back, using it again"); n != 1 {
		t.Errorf("%d 'back' messages, want 1:\n%s", n, rec.dump(slog.LevelInfo))
	}
	t.Logf("%d Loads, none failed", loads.loads.Load())
}

func countMsg(rec *logRecorder, msg string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, r := range rec.records {
		if r.Message == msg {
			n++
		}
	}
	return n
}

func TestWrongPasswordDegrades(t *testing.T) {
	addr, _ := testenv.Redis(t)
	rec := &logRecorder{}
	start := time.Now()
	c, err := New(Options{Prefix: uniquePrefix(t), RedisAddr: addr, RedisPassword: "not-the-password", RedisDB: testDB, L1Size: 100, Logger: slog.New(rec)})
	if err != nil {
		t.Fatalf("New must not fail because Redis refuses us: %v", err)
	}
	defer c.Close()
	t.Logf("New returned in %s", time.Since(start).Round(time.Millisecond))
	if c.RedisStatus() != StatusDown {
		t.Errorf("status %q with a wrong password, want down", c.RedisStatus())
	}
	ctx := context.Background()
	load, calls := countingLoader([]byte("v"))
	for i := range 50 {
		v, err := c.Load(ctx, fmt.Sprintf("k%d", i%5), time.Minute, load)
		if err != nil || string(v) != "v" {
			t.Fatalf("Load = %q, %v", v, err)
		}
	}
	if calls.Load() != 5 {
		t.Errorf("loader ran %d times for 5 keys, want 5 (L1 still serves)", calls.Load())
	}
	if err := c.Set(ctx, "x", []byte("y"), time.Minute); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Set with Redis refusing us: err = %v, want ErrUnavailable", err)
	}
	if s := c.Stats(ctx); s.Available || s.Status != StatusDown {
		t.Errorf("stats: available %v status %q", s.Available, s.Status)
	}
	if n := rec.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, rec.dump(slog.LevelWarn))
	}
}

func TestUnreachableRedisAtStart(t *testing.T) {
	srv := startRedis(t, "")
	addr := srv.addr()
	srv.kill() // nothing listens on addr now
	c, err := New(Options{Prefix: uniquePrefix(t), RedisAddr: addr, RedisDB: 1, L1Size: 10, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.RedisStatus() != StatusDown {
		t.Fatalf("status %q, want down", c.RedisStatus())
	}
	// Redis appears later: the cache starts using it without a restart.
	srv.start()
	took := eventually(t, 5*time.Second, "status up once Redis starts", func() bool { return c.RedisStatus() == StatusUp })
	t.Logf("Redis in use %s after it started", took)
	waitSubscribed(t, c)
}
