package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// testDB is the Redis database the tests use: neither Langfuse's 0 nor the
// service's 1, so a test run never touches either.
const testDB = 9

// uniquePrefix returns a key prefix no other test (or test package running
// at the same time against the same server) uses.
func uniquePrefix(t testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "stocktest:" + hex.EncodeToString(b[:]) + ":"
}

// rawClient is a plain go-redis client on the test server, for checking
// what the cache wrote and for seeding foreign keys.
func rawClient(t testing.TB, addr, password string, db int) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: password, DB: db})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("raw redis client %s db %d: %v", addr, db, err)
	}
	return rdb
}

// cleanupPrefix deletes whatever a test left under its prefix.
func cleanupPrefix(t testing.TB, rdb *redis.Client, prefix string) {
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, escapeGlob(prefix)+"*", 500).Iterator()
		for iter.Next(ctx) {
			rdb.Unlink(ctx, iter.Val())
		}
	})
}

// newTestCache builds a Cache on the shared test Redis, in testDB under a
// unique prefix, and closes it when the test ends.
func newTestCache(t testing.TB, opts Options) (*Cache, *redis.Client) {
	t.Helper()
	addr, password := testenv.Redis(t)
	if opts.Prefix == "" {
		opts.Prefix = uniquePrefix(t)
	}
	opts.RedisAddr, opts.RedisPassword, opts.RedisDB = addr, password, testDB
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	raw := rawClient(t, addr, password, testDB)
	cleanupPrefix(t, raw, opts.Prefix)
	waitSubscribed(t, c)
	return c, raw
}

// newOwnCache builds a Cache (L1 off, so every Load asks Redis) on a
// redis-server of the test's own, in DB 1 under a unique prefix, and
// closes it when the test ends.
func newOwnCache(t testing.TB, srv *redisServer, logger *slog.Logger) *Cache {
	t.Helper()
	c, err := New(Options{Prefix: uniquePrefix(t), RedisAddr: srv.addr(), RedisPassword: srv.password, RedisDB: 1, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	waitSubscribed(t, c)
	return c
}

func waitSubscribed(t testing.TB, c *Cache) {
	t.Helper()
	select {
	case <-c.subscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("cache did not subscribe to its invalidation channel within 5 s")
	}
}

// logRecorder is a slog.Handler that keeps every record for assertions.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

// count returns how many records of level were logged.
func (h *logRecorder) count(level slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Level == level {
			n++
		}
	}
	return n
}

func (h *logRecorder) dump(level slog.Level) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b bytes.Buffer
	for _, r := range h.records {
		if r.Level >= level {
			fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
			r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s", a); return true })
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// redisServer is a redis-server process of a test's own, for killing and
// restarting it.
type redisServer struct {
	t        testing.TB
	port     int
	password string
	cmd      *exec.Cmd
}

func (s *redisServer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// startRedis starts redis-server on a free loopback port.
func startRedis(t testing.TB, password string) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not installed: %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &redisServer{t: t, port: port, password: password}
	s.start()
	t.Cleanup(s.kill)
	return s
}

func (s *redisServer) start() {
	s.t.Helper()
	// DEBUG SLEEP makes this Redis slow for the slow-Redis tests.
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes"}
	if s.password != "" {
		args = append(args, "--requirepass", s.password)
	}
	s.cmd = exec.Command("redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: s.addr(), Password: s.password, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := rdb.Ping(context.Background()).Err()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s did not answer: %v", s.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freeze stops the server without closing its connections (SIGSTOP): the
// kernel still accepts connections and takes requests, nothing answers.
func (s *redisServer) freeze() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatal(err)
	}
}

// thaw lets a frozen server go on (SIGCONT).
func (s *redisServer) thaw() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		s.t.Fatal(err)
	}
}

// kill stops the server the hard way, as a crash would.
func (s *redisServer) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// eventually polls cond until it holds or timeout passes, and returns how
// long it took.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// countingLoader returns val and counts its calls.
func countingLoader(val []byte) (func(context.Context) ([]byte, error), *atomic.Int64) {
	calls := new(atomic.Int64)
	return func(context.Context) ([]byte, error) {
		calls.Add(1)
		return val, nil
	}, calls
}
