package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// chQuery runs one statement on one ClickHouse replica alone, over its HTTP
// interface, and returns the lines of the answer.
func chQuery(httpAddr, sql string) ([]string, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Post("http://"+httpAddr+"/", "text/plain", strings.NewReader(sql))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d: %.300s", httpAddr, resp.StatusCode, raw)
	}
	text := strings.TrimSpace(string(raw))
	if text == "" {
		return nil, nil
	}
	return strings.Split(text, "\n"), nil
}

func mustQuery(t *testing.T, httpAddr, sql string) []string {
	t.Helper()
	lines, err := chQuery(httpAddr, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return lines
}

// replicaRows counts the rows of every replicated table of stock_data on
// one replica (its local tables, not the Distributed ones over both).
func replicaRows(httpAddr string) (map[string]string, error) {
	tables, err := chQuery(httpAddr, "SELECT name FROM system.tables WHERE database = 'stock_data' AND engine LIKE 'Replicated%' ORDER BY name")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range tables {
		n, err := chQuery(httpAddr, "SELECT count() FROM stock_data."+name)
		if err != nil || len(n) != 1 {
			return nil, fmt.Errorf("count %s: %v", name, err)
		}
		out[name] = n[0]
	}
	return out, nil
}

// replicasInSync waits until both replicas hold the same number of rows in
// every replicated table, and returns the counts and how long that took.
func replicasInSync(t *testing.T, http1, http2 string, within time.Duration) (map[string]string, time.Duration) {
	t.Helper()
	start := time.Now()
	var a, b map[string]string
	var err error
	for {
		if a, err = replicaRows(http1); err == nil {
			if b, err = replicaRows(http2); err == nil && len(a) > 0 && maps.Equal(a, b) {
				return a, time.Since(start)
			}
		}
		if time.Since(start) > within {
			t.Fatalf("the ClickHouse replicas are not in sync within %s (%v)\n replica 1 %v\n replica 2 %v", within, err, a, b)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// writer creates workflows through nginx one after another, recording the
// id of each acknowledged one and each failure.
type writer struct {
	stop chan struct{}
	wg   sync.WaitGroup
	down atomic.Bool  // the replica is down: count writes acknowledged now
	acks atomic.Int64 // acknowledged while down

	mu       sync.Mutex
	ids      []string
	failures []string
}

func startWriter(base string) *writer {
	w := &writer{stop: make(chan struct{})}
	client := http.Client{Timeout: 20 * time.Second}
	w.wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			default:
			}
			down := w.down.Load()
			body := fmt.Sprintf(`{"name":"副本故障 %d","description":"written while a ClickHouse replica may be down","user_prompt_template":"分析 {{code}}","variables":[{"name":"code","type":"stock_code"}],"selected_tools":["get_stock_basic"]}`, i)
			resp, err := client.Post(base+"/api/workflows", "application/json", strings.NewReader(body))
			var created struct {
				ID string `json:"id"`
			}
			if err == nil {
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					err = fmt.Errorf("status %d: %.200s", resp.StatusCode, raw)
				} else if err = json.Unmarshal(raw, &created); err == nil && created.ID == "" {
					err = fmt.Errorf("no id: %.200s", raw)
				}
			}
			w.mu.Lock()
			if err != nil {
				w.failures = append(w.failures, fmt.Sprintf("%s write %d: %v", time.Now().Format("15:04:05.000"), i, err))
			} else {
				w.ids = append(w.ids, created.ID)
				if down && w.down.Load() {
					w.acks.Add(1)
				}
			}
			w.mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	})
	return w
}

func (w *writer) finish() (ids, failures []string) {
	close(w.stop)
	w.wg.Wait()
	return w.ids, w.failures
}

// TestClickHouseReplicaKilledUnderLoad: the stack's ClickHouse is two
// replicas of one shard (scripts/clickhouse-cluster.sh), and every stockd
// names both (CLICKHOUSE_HOST, client-side failover; CLICKHOUSE_CLUSTER).
// Under reads through nginx that reach ClickHouse (K-lines from a start
// date no one asked for yet) and workflow writes, the
// replica the replicas talk to first is killed with SIGKILL, kept down a
// few seconds and started again: not one read fails, writes are
// acknowledged while it is down, every acknowledged write is readable
// afterwards and on both replicas, and the restarted replica catches up
// until both hold the same rows in every replicated table.
func TestClickHouseReplicaKilledUnderLoad(t *testing.T) {
	s := upStack(t, "sentinel")
	httpAddrs := strings.Split(s.env["STOCKD_TEST_CLICKHOUSE_CLUSTER_HTTP"], ",")
	hosts := strings.Split(s.env["STOCKD_TEST_CLICKHOUSE_CLUSTER_HOSTS"], ",")
	if len(httpAddrs) != 2 || len(hosts) != 2 {
		t.Fatalf("the stack's ClickHouse: hosts %q, HTTP %q; want two replicas", hosts, httpAddrs)
	}
	if got := s.env["CLUSTER_CLICKHOUSE"]; got != strings.Join(hosts, ",") {
		t.Errorf("CLUSTER_CLICKHOUSE = %q, want both replicas %q", got, strings.Join(hosts, ","))
	}
	replicasInSync(t, httpAddrs[0], httpAddrs[1], time.Minute)

	// The reads: each code's K-line from each trading day (a cache key of
	// its own each). Not /basic: the stack outlives this test, and the
	// Redis failover tests after it probe with basic answers nobody asked
	// for yet.
	codes := mustQuery(t, httpAddrs[0], "SELECT DISTINCT ts_code FROM stock_data.daily ORDER BY ts_code")
	days := mustQuery(t, httpAddrs[0], "SELECT DISTINCT trade_date FROM stock_data.daily ORDER BY trade_date DESC")
	if len(codes) < 50 || len(days) < 10 {
		t.Fatalf("%d codes and %d trading days in the stack's ClickHouse", len(codes), len(days))
	}
	var paths []string
	for _, d := range days {
		for _, c := range codes {
			paths = append(paths, "/api/stock/"+c+"/daily?start="+d)
		}
	}
	for i := range paths {
		paths[i] = s.url() + paths[i]
	}
	l := startLoad(paths, 6)
	w := startWriter(s.url())
	time.Sleep(3 * time.Second)

	pid := pidOf(t, filepath.Join(s.env["STOCKD_TEST_CLICKHOUSE_CLUSTER_DIR"], "replica-1", "pid"))
	readsBefore, missesBefore := l.ok.Load(), l.misses.Load()
	w.down.Store(true)
	killedAt := time.Now()
	sigkill(t, pid, hosts[0])
	time.Sleep(5 * time.Second) // the load goes on with one replica
	w.down.Store(false)
	readsDown, missesDown := l.ok.Load()-readsBefore, l.misses.Load()-missesBefore
	if out, err := s.run("start-clickhouse", "1"); err != nil {
		l.finish(t, "ClickHouse replica killed")
		w.finish()
		t.Fatalf("start-clickhouse 1: %v\n%s", err, out)
	}
	restartedAt := time.Now()
	time.Sleep(3 * time.Second) // and on while replica 1 is back
	ids, failures := w.finish()
	l.finish(t, "ClickHouse replica killed")

	t.Logf("replica 1 down %s: %d reads answered meanwhile (%d loaded from ClickHouse, X-Cache: miss); %d reads in all (%d misses)",
		restartedAt.Sub(killedAt).Round(100*time.Millisecond), readsDown, missesDown, l.ok.Load(), l.misses.Load())
	t.Logf("%d workflow writes acknowledged (%d while replica 1 was down), %d failed", len(ids), w.acks.Load(), len(failures))
	if missesDown == 0 {
		t.Errorf("no read reached ClickHouse while replica 1 was down (%d reads, all from the cache)", readsDown)
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d writes failed:\n%s", len(failures), len(failures)+len(ids), strings.Join(failures[:min(len(failures), 20)], "\n"))
	}
	if w.acks.Load() == 0 {
		t.Errorf("no write was acknowledged while replica 1 was down")
	}

	// Replica 1 catches up: the same rows in every replicated table on both.
	rows, took := replicasInSync(t, httpAddrs[0], httpAddrs[1], 2*time.Minute)
	t.Logf("replica 1 caught up %s after the load stopped (%s after its restart): %d replicated tables equal, daily_local %s rows, workflows %s rows on both",
		took.Round(100*time.Millisecond), time.Since(restartedAt).Round(100*time.Millisecond), len(rows), rows["daily_local"], rows["workflows"])

	if len(ids) == 0 {
		t.Fatal("no write was acknowledged at all")
	}
	// Every acknowledged write is there: through the API, and on each replica alone.
	for _, id := range ids {
		if status, _, out := call(t, "GET", s.url()+"/api/workflows/"+id, "", ""); status != http.StatusOK {
			t.Errorf("acknowledged workflow %s: GET %d %v", id, status, out)
		}
	}
	var in bytes.Buffer
	for i, id := range ids {
		if i > 0 {
			in.WriteString(",")
		}
		fmt.Fprintf(&in, "'%s'", id)
	}
	for r, addr := range httpAddrs {
		got := mustQuery(t, addr, "SELECT uniqExact(id) FROM stock_data.workflows WHERE id IN ("+in.String()+")")
		if len(got) != 1 || got[0] != fmt.Sprint(len(ids)) {
			t.Errorf("replica %d holds %v of the %d acknowledged workflows", r+1, got, len(ids))
		}
	}
	for _, id := range ids {
		call(t, "DELETE", s.url()+"/api/workflows/"+id, "application/json", "")
	}
}
