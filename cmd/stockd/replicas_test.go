package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/testenv"
	"github.com/stockdatasource/stockd/internal/tushare"
	"github.com/stockdatasource/stockd/internal/tushare/tusharetest"
)

// fakeClockEnv moves the clock of a stockd started by the tests (see
// TestMain): "<unix nanoseconds>,<RFC 3339 time>" means that at the first,
// real instant the process's clock reads the second, and runs on from
// there at the real pace. Every replica of a test gets the same pair, so
// they agree on the time as real replicas do.
const fakeClockEnv = "STOCKD_TEST_CLOCK"

func fakeClock(v string) (func() time.Time, error) {
	realNS, fake, ok := strings.Cut(v, ",")
	ns, err := strconv.ParseInt(realNS, 10, 64)
	if !ok || err != nil {
		return nil, fmt.Errorf("%s=%q: want <unix ns>,<RFC 3339>", fakeClockEnv, v)
	}
	at, err := time.Parse(time.RFC3339, fake)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", fakeClockEnv, v, err)
	}
	origin := time.Unix(0, ns)
	return func() time.Time { return at.Add(time.Since(origin)) }, nil
}

// replica is one `stockd serve` process of a test, its log in a file.
type replica struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{} // closed when the process has exited
}

func startReplica(t *testing.T, name string, env map[string]string) *replica {
	t.Helper()
	r := &replica{name: name, cmd: stockdProcess(t, env, "serve"), exited: make(chan struct{})}
	r.log = filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = f, f
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); f.Close(); close(r.exited) }()
	t.Cleanup(func() {
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(20 * time.Second):
			r.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", r.name, r.text())
		}
	})
	return r
}

func (r *replica) text() string {
	b, _ := os.ReadFile(r.log)
	return string(b)
}

// turnsCluster is one deployment for TestScheduledSyncTakesTurns: three
// replicas, one ClickHouse database, one Redis namespace, one fake Tushare.
type turnsCluster struct {
	db       string
	store    market.Store
	srv      *tusharetest.Server
	replicas []*replica
	rdb      *redis.Client
	leaseKey string
}

// Each answer of the fake Tushare takes this long, so the run lasts
// seconds and has a middle to kill the holder in.
const turnsDelay = 100 * time.Millisecond

// seedDay is the day up to which both deployments start synced: the
// scheduled run covers the 30-odd open days after it, not a whole year.
var seedDay = time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)

// openSeeded opens and migrates the ClickHouse database db and records
// every dated dataset as synced up to seedDay. It stays open until the
// test (not a subtest) ends.
func openSeeded(t *testing.T, db string) market.Store {
	t.Helper()
	ctx := context.Background()
	st, err := clickhouse.Open(ctx, clickhouse.Options{Addr: testenv.ClickHouse(t), Database: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ds := range []string{tushare.Daily, tushare.DailyBasic, tushare.AdjFactor, tushare.StkLimit, tushare.FundDaily, tushare.IndexDaily, tushare.NameChange} {
		if err := st.MarkSynced(ctx, ds, seedDay, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func newTurnsCluster(t *testing.T, db string, st market.Store, clock string) *turnsCluster {
	t.Helper()
	const token = "turns-test-token"
	c := &turnsCluster{db: db, store: st}
	c.srv = tusharetest.New(t, tusharetest.Options{Dir: testenv.Snapshot(t), Token: token, ETFs: 5, ETFDays: 25, Delay: turnsDelay})
	chAddr := testenv.ClickHouse(t)

	redisAddr, redisPassword := testenv.Redis(t)
	var b [4]byte
	rand.Read(b[:])
	prefix := "stock-turns-" + hex.EncodeToString(b[:]) + ":"
	c.leaseKey = prefix + "lease:{sync}"
	c.rdb = redis.NewClient(&redis.Options{Addr: redisAddr, Password: redisPassword, DB: 1, DisableIdentity: true})
	t.Cleanup(func() {
		c.rdb.Del(context.Background(), c.leaseKey, c.leaseKey+":fence")
		c.rdb.Close()
	})
	host, port, _ := strings.Cut(chAddr, ":")
	redisHost, redisPort, _ := strings.Cut(redisAddr, ":")
	env := map[string]string{
		"HTTP_ADDR":       "127.0.0.1:0",
		"CLICKHOUSE_HOST": host, "CLICKHOUSE_PORT": port, "CLICKHOUSE_DATABASE": db,
		"REDIS_HOST": redisHost, "REDIS_PORT": redisPort, "REDIS_PASSWORD": redisPassword,
		"CACHE_PREFIX": prefix,
		"TUSHARE_URL":  c.srv.URL, "TUSHARE_TOKEN": token, "TUSHARE_RPM": "100000",
		"SYNC_AT": "17:30", "SYNC_LEASE_TTL": "2s",
		fakeClockEnv: clock,
	}
	for i := range 3 {
		c.replicas = append(c.replicas, startReplica(t, fmt.Sprintf("replica-%d", i+1), env))
	}
	return c
}

// waitScheduled waits until every replica has planned its run for the
// snapshot day (a replica that started after the scheduled time would plan
// the next day's and take no part).
func (c *turnsCluster) waitScheduled(t *testing.T) {
	t.Helper()
	want := "at=2025-12-18T17:30:00+08:00"
	for _, r := range c.replicas {
		eventually(t, time.Minute, r.name+" plans the scheduled run", func() bool {
			text := r.text()
			if strings.Contains(text, "sync scheduled") && !strings.Contains(text, want) {
				t.Fatalf("%s planned another run than %s (started too late: raise turnsLead):\n%s", r.name, want, text)
			}
			return strings.Contains(text, want)
		})
	}
}

// waitEnded waits until the day's scheduled run is recorded as ended.
func (c *turnsCluster) waitEnded(t *testing.T, within time.Duration) {
	t.Helper()
	eventually(t, within, "the scheduled run ends", func() bool {
		days, err := c.store.SyncedDates(context.Background(), tushare.ScheduledRecord)
		return err == nil && slices.Contains(days, snapshotDay)
	})
}

// holders are the replicas whose log says they held the sync lease.
func (c *turnsCluster) holders() []*replica {
	var out []*replica
	for _, r := range c.replicas {
		if strings.Contains(r.text(), "this replica holds the sync lease") {
			out = append(out, r)
		}
	}
	return out
}

// fences reads every sync record's fencing token: dataset → date → token.
func (c *turnsCluster) fences(t *testing.T) map[string]map[string]uint64 {
	t.Helper()
	q := "SELECT dataset, toString(trade_date), fence FROM " + c.db + ".sync_state FINAL FORMAT TSV"
	resp, err := http.Get("http://" + testenv.ClickHouseHTTP(t) + "/?" + url.Values{"query": {q}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s", q, body)
	}
	out := map[string]map[string]uint64{}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		n, _ := strconv.ParseUint(f[2], 10, 64)
		if out[f[0]] == nil {
			out[f[0]] = map[string]uint64{}
		}
		out[f[0]][f[1]] = n
	}
	return out
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var snapshotDay = time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)

// turnsLead is how long after the replicas start their scheduled time
// comes: long enough for three race-built processes to start and migrate
// on a busy machine.
const turnsLead = 15 * time.Second

// TestScheduledSyncTakesTurns: replicas of `stockd serve` with a sync
// schedule, sharing ClickHouse and Redis, against the fake Tushare server.
//   - Three replicas wake at the scheduled time: exactly one syncs, the
//     others find the sync lease held and stop once the run is recorded.
//   - Three replicas again, on a fresh database: the one that syncs is
//     killed (SIGKILL) mid-run; another takes the lease over after its TTL
//     with a higher fencing token and finishes. The data equal the first
//     deployment's (one clean run): counts, sync records, bars.
//   - The fencing token is recorded with the sync state: the first holder's
//     records carry its token, the takeover's the higher one.
//
// (That a holder which lost the lease cannot record progress is checked in
// internal/tushare's TestTurnsStaleHolder and the stores' conformance
// suite; here the holder is dead.)
func TestScheduledSyncTakesTurns(t *testing.T) {
	_, cleanDB := testenv.ClickHouseDatabase(t, "stockd_turns_clean_")
	_, killDB := testenv.ClickHouseDatabase(t, "stockd_turns_kill_")
	cleanStore, killStore := openSeeded(t, cleanDB), openSeeded(t, killDB)
	// Both deployments share the clock: 17:30 in Shanghai on the snapshot
	// day comes turnsLead from now.
	clock := fmt.Sprintf("%d,%s", time.Now().UnixNano(),
		time.Date(2025, 12, 18, 17, 30, 0, 0, tushare.Shanghai).Add(-turnsLead).Format(time.RFC3339))
	var clean, killed *turnsCluster

	t.Run("deployments", func(t *testing.T) {
		t.Run("one replica syncs", func(t *testing.T) {
			t.Parallel()
			c := newTurnsCluster(t, cleanDB, cleanStore, clock)
			clean = c
			c.waitScheduled(t)
			c.waitEnded(t, 3*time.Minute)
			holders := c.holders()
			if len(holders) != 1 {
				t.Fatalf("%d replicas held the sync lease, want 1", len(holders))
			}
			for _, r := range c.replicas {
				if r == holders[0] {
					continue
				}
				// It found the lease held, or (slow to wake) the run ended.
				eventually(t, 30*time.Second, r.name+" stands aside", func() bool {
					text := r.text()
					return strings.Contains(text, "another replica holds the sync lease") || strings.Contains(text, "run by another replica")
				})
			}
			// One run asked for the fund list once per listing status (L, D,
			// P; five funds are one page each).
			if n := c.srv.Calls("etf_basic"); n != 3 {
				t.Errorf("etf_basic called %d times, want 3: one run", n)
			}
			tokens := map[uint64]bool{}
			for ds, byDate := range c.fences(t) {
				for date, f := range byDate {
					if ds == tushare.LeaseRecord || date != market.FormatDate(seedDay) {
						tokens[f] = true
					}
				}
			}
			if len(tokens) != 1 || tokens[0] {
				t.Errorf("records carry tokens %v, want one non-zero token", tokens)
			}
		})

		t.Run("holder killed mid-sync", func(t *testing.T) {
			t.Parallel()
			c := newTurnsCluster(t, killDB, killStore, clock)
			killed = c
			c.waitScheduled(t)
			// Kill the holder once a few ETF dates are in, well before the end.
			ctx := context.Background()
			eventually(t, 3*time.Minute, "the holder records fund_daily dates", func() bool {
				done, err := c.store.SyncedDates(ctx, tushare.FundDaily)
				return err == nil && len(done) >= 4 // the seeded day and three more
			})
			value, err := c.rdb.Get(ctx, c.leaseKey).Result()
			if err != nil {
				t.Fatalf("read the sync lease: %v", err)
			}
			f := strings.Fields(value) // "<token> <host>:<pid> <nonce>"
			firstToken, _ := strconv.ParseUint(f[0], 10, 64)
			pid, _ := strconv.Atoi(f[1][strings.LastIndex(f[1], ":")+1:])
			var victim *replica
			for _, r := range c.replicas {
				if r.cmd.Process.Pid == pid {
					victim = r
				}
			}
			if victim == nil {
				t.Fatalf("the lease %q names no replica", value)
			}
			if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-victim.exited
			doneAtKill, _ := c.store.SyncedDates(ctx, tushare.FundDaily)
			t.Logf("killed %s (token %d) with %d fund_daily dates recorded", victim.name, firstToken, len(doneAtKill))
			if days, _ := c.store.SyncedDates(ctx, tushare.ScheduledRecord); len(days) > 0 {
				t.Fatal("the run had ended before the kill took effect")
			}

			killedAt := time.Now()
			c.waitEnded(t, 3*time.Minute)
			t.Logf("the takeover finished the run %s after the kill", time.Since(killedAt).Round(100*time.Millisecond))
			holders := c.holders()
			if len(holders) != 2 || !slices.Contains(holders, victim) {
				t.Fatalf("holders %d (victim among them: %v), want the victim and one other", len(holders), slices.Contains(holders, victim))
			}
			if n := c.srv.Calls("etf_basic"); n != 6 {
				t.Errorf("etf_basic called %d times, want 6: two runs (the killed one and the takeover)", n)
			}
			fences := c.fences(t)
			takeover := fences[tushare.ScheduledRecord][market.FormatDate(snapshotDay)]
			if takeover <= firstToken || fences[tushare.LeaseRecord][market.FormatDate(snapshotDay)] != takeover {
				t.Errorf("takeover token %d (lease record %d), want one above the killed holder's %d",
					takeover, fences[tushare.LeaseRecord][market.FormatDate(snapshotDay)], firstToken)
			}
			byToken := map[uint64]int{}
			for date, f := range fences[tushare.FundDaily] {
				if date != market.FormatDate(seedDay) {
					byToken[f]++
				}
			}
			if byToken[firstToken] < 3 || byToken[takeover] == 0 || len(byToken) != 2 {
				t.Errorf("fund_daily records by token %v: want some under the killed holder's %d and the rest under %d",
					byToken, firstToken, takeover)
			}
			if f, err := c.store.SyncFence(ctx); err != nil || f != takeover {
				t.Errorf("SyncFence %d (%v), want %d", f, err, takeover)
			}
		})
	})
	if t.Failed() {
		return
	}
	// The takeover's result equals one clean run.
	ctx := context.Background()
	allDone, err := clean.store.SyncedDates(ctx, tushare.FundDaily)
	if err != nil || len(allDone) < 10 {
		t.Fatalf("clean run recorded %d fund_daily dates (%v)", len(allDone), err)
	}
	sameStore(t, killed.store, clean.store, allDone[1:])
	for _, ds := range []string{tushare.StkLimit, tushare.IndexDaily, tushare.NameChange, tushare.ScheduledRecord} {
		a, err1 := killed.store.SyncedDates(ctx, ds)
		b, err2 := clean.store.SyncedDates(ctx, ds)
		if err1 != nil || err2 != nil || !slices.Equal(a, b) {
			t.Errorf("%s records: %d dates (%v), want %d (%v)", ds, len(a), err1, len(b), err2)
		}
	}
}

// TestSQLiteReplicasWarn: SQLite is single-node. Two `stockd serve` with
// SQLite files of their own sharing one Redis would answer from different
// data behind one load balancer: the second to start says so in its log,
// naming both files; the first, alone on its file, does not.
func TestSQLiteReplicasWarn(t *testing.T) {
	redisAddr, redisPassword := testenv.Redis(t)
	redisHost, redisPort, _ := strings.Cut(redisAddr, ":")
	var b [4]byte
	rand.Read(b[:])
	prefix := "stock-sqlite-" + hex.EncodeToString(b[:]) + ":"
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, Password: redisPassword, DB: 1, DisableIdentity: true})
	t.Cleanup(func() {
		rdb.Del(context.Background(), prefix+"lease:{sqlite-node}", prefix+"lease:{sqlite-node}:fence")
		rdb.Close()
	})
	env := func(file string) map[string]string {
		return map[string]string{
			"HTTP_ADDR": "127.0.0.1:0", "SQLITE_PATH": file,
			"REDIS_HOST": redisHost, "REDIS_PORT": redisPort, "REDIS_PASSWORD": redisPassword,
			"CACHE_PREFIX": prefix,
		}
	}
	dir := t.TempDir()
	const warning = "another stockd with its own SQLite file shares this Redis"
	first := startReplica(t, "first", env(filepath.Join(dir, "a.db")))
	eventually(t, 60*time.Second, "the first replica holds the single-node lease", func() bool {
		n, err := rdb.Exists(context.Background(), prefix+"lease:{sqlite-node}").Result()
		return err == nil && n == 1
	})
	second := startReplica(t, "second", env(filepath.Join(dir, "b.db")))
	eventually(t, 60*time.Second, "the second replica warns", func() bool {
		return strings.Contains(second.text(), warning)
	})
	if log := second.text(); !strings.Contains(log, "a.db") || !strings.Contains(log, "b.db") {
		t.Errorf("the warning does not name both files:\n%s", log)
	}
	if strings.Contains(first.text(), warning) {
		t.Errorf("the first replica warned too:\n%s", first.text())
	}
}
