package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/testenv"
)

// stack is a running scripts/cluster-stack.sh.
type stack struct {
	dir   string
	redis string            // sentinel or cluster
	env   map[string]string // what `cluster-stack.sh env` exports
}

// current is the stack the tests share; TestMain takes it down.
var current *stack

func TestMain(m *testing.M) {
	code := m.Run()
	if current != nil {
		current.down()
	}
	os.Exit(code)
}

func script() string { return filepath.Join(testenv.RepoRoot(), "scripts", "cluster-stack.sh") }

// needTools fails the test under CI and skips it elsewhere when the
// servers are not installed (scripts/test-services.sh install).
func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"clickhouse-server", "java", "redis-server", "redis-sentinel", "redis-cli", "nginx", "envsubst", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (CI must provide it: scripts/test-services.sh install)", tool)
			}
			t.Skipf("%s not on PATH", tool)
		}
	}
}

// upStack returns the shared stack with Redis in the given mode, starting
// it (or restarting it in the other mode) when needed. Every replica runs
// with its in-process cache tier off, so every request goes to Redis and a
// Redis fault is felt at once.
func upStack(t *testing.T, redisMode string) *stack {
	t.Helper()
	needTools(t)
	if current != nil && current.redis == redisMode {
		return current
	}
	if current != nil {
		current.down()
		current = nil
	}
	dir, err := os.MkdirTemp("", "stockd-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{dir: dir, redis: redisMode}
	start := time.Now()
	if out, err := s.run("up"); err != nil {
		s.down()
		t.Fatalf("cluster-stack.sh up: %v\n%s", err, out)
	}
	out, err := s.run("env")
	if err != nil {
		s.down()
		t.Fatalf("cluster-stack.sh env: %v\n%s", err, out)
	}
	s.env = map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "="); ok {
			s.env[k] = strings.Trim(v, `"`)
		}
	}
	t.Logf("cluster stack up (Redis %s) in %s", redisMode, time.Since(start).Round(100*time.Millisecond))
	current = s
	return s
}

func (s *stack) run(args ...string) (string, error) {
	cmd := exec.Command(script(), args...)
	cmd.Env = append(os.Environ(), "CLUSTER_DIR="+s.dir, "CLUSTER_REDIS="+s.redis,
		"CLUSTER_STOCKD_ENV=CACHE_L1_SIZE=0", "LOG_LEVEL=warn")
	if bin := os.Getenv("STOCKD_BIN"); bin != "" && !filepath.IsAbs(bin) {
		cmd.Env = append(cmd.Env, "STOCKD_BIN="+filepath.Join(testenv.RepoRoot(), bin))
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *stack) down() {
	if out, err := s.run("down"); err != nil {
		fmt.Fprintf(os.Stderr, "cluster-stack.sh down: %v\n%s", err, out)
	}
	os.RemoveAll(s.dir)
}

func (s *stack) url() string { return s.env["CLUSTER_URL"] }

func (s *stack) backendURLs() []string { return strings.Split(s.env["CLUSTER_BACKEND_URLS"], ",") }

// health is the part of a backend's /health the tests read.
type health struct {
	Status   string `json:"status"`
	Services map[string]struct {
		Status string `json:"status"`
	} `json:"services"`
	Cache struct {
		Status string `json:"status"`
		L2     struct {
			Hits int64 `json:"hits"`
		} `json:"l2"`
	} `json:"cache"`
}

func getHealth(url string) (health, error) {
	var h health
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url + "/health")
	if err != nil {
		return h, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&h)
	return h, err
}

// served sums a backend's request counters (/metrics): how many requests
// it has answered.
func served(t *testing.T, url string) int64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatalf("metrics of %s: %v", url, err)
	}
	defer resp.Body.Close()
	var n int64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "stockd_http_request_duration_seconds_count{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int64(v)
		}
	}
	return n
}

// load is a steady stream of idempotent GETs through nginx from several
// workers, each failure (a transport error or a status other than 200)
// recorded.
type load struct {
	ok, failed atomic.Int64
	misses     atomic.Int64 // answers with X-Cache: miss (loaded from the store)
	stop       chan struct{}
	wg         sync.WaitGroup

	mu       sync.Mutex
	failures []string
}

// loadURLs are the answers the load asks for, round and round: the
// overview, and per-stock reads of the first codes of the hot list.
func loadURLs(t *testing.T, base string, codes []string) []string {
	t.Helper()
	urls := []string{"/api/overview/hot-stocks?limit=20", "/api/overview/hot-stocks?sort_by=pct_chg&limit=10",
		"/api/overview/market-stats", "/api/overview/hot-etfs?limit=10", "/health"}
	for _, c := range codes {
		urls = append(urls, "/api/stock/"+c+"/basic", "/api/stock/"+c+"/daily")
	}
	for i := range urls {
		urls[i] = base + urls[i]
	}
	return urls
}

func startLoad(urls []string, workers int) *load {
	l := &load{stop: make(chan struct{})}
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	for w := range workers {
		l.wg.Go(func() {
			for i := w; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				u := urls[i%len(urls)]
				resp, err := client.Get(u)
				if err == nil {
					if resp.Header.Get("X-Cache") == "miss" {
						l.misses.Add(1)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					l.failed.Add(1)
					l.mu.Lock()
					if len(l.failures) < 20 {
						l.failures = append(l.failures, fmt.Sprintf("%s %s: %v", time.Now().Format("15:04:05.000"), u, err))
					}
					l.mu.Unlock()
					continue
				}
				l.ok.Add(1)
			}
		})
	}
	return l
}

// finish stops the load and fails the test on any failed request, or when
// too few went through to mean anything.
func (l *load) finish(t *testing.T, what string) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	ok, failed := l.ok.Load(), l.failed.Load()
	t.Logf("%s: %d requests through nginx, %d failed", what, ok+failed, failed)
	if failed > 0 {
		t.Errorf("%s: %d of %d requests failed:\n%s", what, failed, ok+failed, strings.Join(l.failures, "\n"))
	}
	if ok < 100 {
		t.Errorf("%s: only %d requests succeeded: the load did not run", what, ok)
	}
}

// hotCodes returns the codes of the hot list through nginx.
func hotCodes(t *testing.T, base string, n int) []string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/overview/hot-stocks?limit=%d", base, n))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		Data []struct {
			TSCode string `json:"ts_code"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || len(a.Data) < n {
		t.Fatalf("hot stocks: %d (%v)", len(a.Data), err)
	}
	var out []string
	for _, d := range a.Data {
		out = append(out, d.TSCode)
	}
	return out
}

// pidOf reads a pid file.
func pidOf(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", path, err)
	}
	return pid
}

// sigkill kills pid as a crash would and waits until addr (where it
// listened) refuses connections. (The pid itself may linger as a zombie:
// the script that started it has exited.)
func sigkill(t *testing.T, pid int, addr string) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	eventually(t, 10*time.Second, fmt.Sprintf("%s (pid %d) stops listening", addr, pid), func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

func ctxTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
