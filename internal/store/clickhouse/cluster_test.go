package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/storetest"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// openCluster opens a fresh database on the replicated test cluster
// (scripts/clickhouse-cluster.sh), talking to both replicas, replica 1
// first, in cluster mode.
func openCluster(t testing.TB) (*Store, testenv.ClickHouseCluster) {
	t.Helper()
	c := testenv.ClickHouseReplicated(t)
	return openFreshOn(t, Options{Addr: strings.Join(c.Hosts, ","), Cluster: c.Name}), c
}

// TestClusterConformance runs the conformance suite on the replicated
// cluster: migrations ON CLUSTER, reads and writes through the Distributed
// tables.
func TestClusterConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) market.Store {
		st, _ := openCluster(t)
		return st
	})
}

// replicaConn talks to one replica alone, outside the store.
func replicaConn(t testing.TB, addr, db string) ch.Conn {
	t.Helper()
	conn, err := ch.Open(&ch.Options{Addr: []string{addr}, Auth: ch.Auth{Database: db}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// replicaTables lists the tables of db on one replica with their engines.
func replicaTables(ctx context.Context, conn ch.Conn, db string) (map[string]string, error) {
	rows, err := conn.Query(ctx, `SELECT name, engine FROM system.tables WHERE database = ?`, db)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			return nil, err
		}
		out[name] = engine
	}
	return out, rows.Err()
}

// replicaCounts counts the rows each replicated table holds on one replica.
func replicaCounts(ctx context.Context, conn ch.Conn, db string) (map[string]uint64, error) {
	tables, err := replicaTables(ctx, conn, db)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for name, engine := range tables {
		if !strings.HasPrefix(engine, "Replicated") {
			continue
		}
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+"."+name).Scan(&n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, nil
}

// TestClusterSchema checks what the migrations made on each replica: every
// table of the single-server schema is there, a table with ts_code as a
// replicated local table behind a Distributed one, the others replicated
// under their own name, the views on every host; and that a write through
// one replica reaches the other.
func TestClusterSchema(t *testing.T) {
	st, c := openCluster(t)
	ctx := context.Background()
	single := openFresh(t)
	want, err := replicaTables(ctx, single.admin, single.db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutDaily(ctx, []market.DailyBar{{TSCode: "600519.SH", TradeDate: time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC), Close: 1}}); err != nil {
		t.Fatal(err)
	}
	for i, addr := range c.Hosts {
		conn := replicaConn(t, addr, st.db)
		got, err := replicaTables(ctx, conn, st.db)
		if err != nil {
			t.Fatal(err)
		}
		for name, engine := range want {
			local, hasLocal := got[name+localSuffix]
			switch {
			case engine == "MaterializedView":
				if got[name] != engine {
					t.Errorf("replica %d: view %s is %q", i+1, name, got[name])
				}
			case hasLocal:
				if got[name] != "Distributed" || local != "Replicated"+engine {
					t.Errorf("replica %d: %s is %q over %q, want Distributed over Replicated%s", i+1, name, got[name], local, engine)
				}
			default:
				if got[name] != "Replicated"+engine {
					t.Errorf("replica %d: %s is %q, want Replicated%s", i+1, name, got[name], engine)
				}
			}
		}
		for _, sharded := range []string{"daily", "bars_by_code", "bars_latest", "stock_basic"} {
			if _, ok := got[sharded+localSuffix]; !ok {
				t.Errorf("replica %d: %s is not sharded (no %s)", i+1, sharded, sharded+localSuffix)
			}
		}
		// The write reached this replica, derived tables included.
		if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA "+st.db+".daily_local"); err != nil {
			t.Fatal(err)
		}
		if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA "+st.db+".bars_latest_local"); err != nil {
			t.Fatal(err)
		}
		counts, err := replicaCounts(ctx, conn, st.db)
		if err != nil {
			t.Fatal(err)
		}
		if counts["daily_local"] != 1 || counts["bars_latest_local"] != 1 {
			t.Errorf("replica %d holds %d daily and %d bars_latest rows, want 1 and 1", i+1, counts["daily_local"], counts["bars_latest_local"])
		}
	}
}

// TestClusterReplicaKilled kills replica 1 (SIGKILL) under a steady load
// through a store configured with both hosts: no read may fail, writes go on
// (to replica 2), and when replica 1 is started again it catches up until
// both hold the same rows in every table. The catch-up time is logged.
func TestClusterReplicaKilled(t *testing.T) {
	st, c := openCluster(t)
	ctx := context.Background()
	opt := ingest.DemoOptions{Stocks: 200, ETFs: 5, Days: 60, Seed: 3, End: time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)}
	if _, err := ingest.Demo(ctx, st, opt); err != nil {
		t.Fatal(err)
	}
	latest, err := st.LatestTradeDate(ctx, market.KindStock)
	if err != nil {
		t.Fatal(err)
	}
	day, err := st.DayBars(ctx, latest)
	if err != nil || len(day) != opt.Stocks {
		t.Fatalf("DayBars = %d, %v", len(day), err)
	}
	codes := make([]string, len(day))
	had := map[string]int{} // bars of each code before the load
	for i, b := range day {
		codes[i] = b.TSCode
		bars, err := st.Bars(ctx, b.TSCode, time.Time{}, time.Time{})
		if err != nil || len(bars) == 0 {
			t.Fatalf("Bars(%s) = %d, %v", b.TSCode, len(bars), err)
		}
		had[b.TSCode] = len(bars)
	}
	before, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The steady state: replica 2 holds what replica 1 took.
	r1, r2 := replicaConn(t, c.Hosts[0], st.db), replicaConn(t, c.Hosts[1], st.db)
	inSync := func(limit time.Duration) (map[string]uint64, map[string]uint64, error) {
		deadline := time.Now().Add(limit)
		for {
			got1, err := replicaCounts(ctx, r1, st.db)
			if err != nil {
				return nil, nil, err
			}
			got2, err := replicaCounts(ctx, r2, st.db)
			if err != nil {
				return nil, nil, err
			}
			if len(got1) > 0 && maps.Equal(got1, got2) {
				return got1, got2, nil
			}
			if time.Now().After(deadline) {
				return got1, got2, fmt.Errorf("not in sync within %s", limit)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if a, b, err := inSync(time.Minute); err != nil {
		t.Fatalf("before the load: %v\n replica 1 %v\n replica 2 %v", err, a, b)
	}

	var (
		reads, readErrs   atomic.Int64
		writes, writeErrs atomic.Int64
		writesAfterKill   atomic.Int64
		killed            atomic.Bool
		firstErr          sync.Once
		errMsg            atomic.Value
	)
	fail := func(what string, err error) {
		firstErr.Do(func() { errMsg.Store(fmt.Sprintf("%s: %v", what, err)) })
	}
	loadCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Readers: the per-stock and the day reads, as the API makes them.
	for r := range 3 {
		wg.Go(func() {
			for i := r; loadCtx.Err() == nil; i += 3 {
				code := codes[i%len(codes)]
				var err error
				switch i % 3 {
				case 0:
					var info market.StockInfo
					if info, err = st.Stock(ctx, code); err == nil && info.Latest == nil {
						err = fmt.Errorf("no newest bar")
					}
				case 1:
					var bars []market.AdjBar
					if bars, err = st.Bars(ctx, code, time.Time{}, time.Time{}); err == nil && len(bars) < had[code] {
						err = fmt.Errorf("%d bars, want at least the %d before the load", len(bars), had[code])
					}
				case 2:
					var hot []market.HotStock
					if hot, err = st.HotStocks(ctx, latest, market.SortAmount, 20); err == nil && len(hot) != 20 {
						err = fmt.Errorf("%d hot stocks", len(hot))
					}
				}
				reads.Add(1)
				if err != nil {
					readErrs.Add(1)
					fail("read "+code, err)
				}
			}
		})
	}
	// A writer: one new trading day of every stock at a time, as a sync.
	written := 0
	wg.Go(func() {
		d := latest
		for loadCtx.Err() == nil {
			d = d.AddDate(0, 0, 1)
			bars := make([]market.DailyBar, len(codes))
			for i, code := range codes {
				bars[i] = market.DailyBar{TSCode: code, TradeDate: d, Open: 10, High: 11, Low: 9, Close: 10.5, PreClose: 10, Amount: 100, Vol: 10}
			}
			afterKill := killed.Load()
			if err := st.PutDaily(ctx, bars); err != nil {
				writeErrs.Add(1)
				fail("write "+market.FormatDate(d), err)
				continue
			}
			writes.Add(1)
			written++
			if afterKill {
				writesAfterKill.Add(1)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	time.Sleep(2 * time.Second)
	readsBefore := reads.Load()
	killed.Store(true)
	if err := c.Replica("kill", 1); err != nil {
		stop()
		wg.Wait()
		t.Fatal(err)
	}
	killedAt := time.Now()
	time.Sleep(4 * time.Second)
	readsDown := reads.Load() - readsBefore
	if err := c.Replica("start-replica", 1); err != nil {
		stop()
		wg.Wait()
		t.Fatal(err)
	}
	restartedAt := time.Now()
	time.Sleep(2 * time.Second) // reads go on while replica 1 comes back
	stop()
	wg.Wait()
	t.Logf("%d reads (%d while replica 1 was down), %d writes (%d after the kill); replica 1 down for %s",
		reads.Load(), readsDown, writes.Load(), writesAfterKill.Load(), restartedAt.Sub(killedAt).Round(time.Millisecond))
	if n := readErrs.Load(); n > 0 {
		t.Errorf("%d of %d reads failed; first: %v", n, reads.Load(), errMsg.Load())
	}
	if n := writeErrs.Load(); n > 0 {
		t.Errorf("%d writes failed; first: %v", n, errMsg.Load())
	}
	if readsDown == 0 || writesAfterKill.Load() == 0 {
		t.Errorf("while replica 1 was down: %d reads, %d writes; want both to go on", readsDown, writesAfterKill.Load())
	}
	// Replica 1 catches up: the same rows in every table on both replicas.
	got1, got2, err := inSync(2 * time.Minute)
	if err != nil {
		t.Fatalf("replica 1 after its restart: %v\n replica 1 %v\n replica 2 %v", err, got1, got2)
	}
	t.Logf("replica 1 caught up %s after its restart (%s after the load stopped): %d tables, daily_local %d rows on both",
		time.Since(restartedAt).Round(time.Millisecond), time.Since(restartedAt.Add(2*time.Second)).Round(time.Millisecond),
		len(got1), got1["daily_local"])
	// Every acknowledged write is there, once.
	after, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := before["daily"] + int64(written*len(codes)); after["daily"] != want {
		t.Errorf("daily holds %d bars after the load, want %d (%d before + %d days × %d stocks)", after["daily"], want, before["daily"], written, len(codes))
	}
}

// TestOnClusterCoversEveryMigration rewrites every statement of every
// migration for a cluster, so a step the rewrite does not understand fails
// here and not on a cluster; it also pins down the rewrite of each kind.
func TestOnClusterCoversEveryMigration(t *testing.T) {
	c := newClusterSchema("prod", "stock_data")
	var all []string
	for _, stmt := range append([]string{schemaMigrationsSQL}, flatten(migrations)...) {
		out, err := c.onCluster(stmt)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out...)
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS stock_data.daily_local ON CLUSTER prod",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/stock_data/daily', '{replica}', version)",
		"CREATE TABLE IF NOT EXISTS stock_data.daily ON CLUSTER prod",
		"ENGINE = Distributed(prod, stock_data, daily_local, cityHash64(ts_code))",
		"CREATE TABLE IF NOT EXISTS stock_data.workflows ON CLUSTER prod",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/stock_data/workflows', '{shard}-{replica}', version)",
		"ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/stock_data/bars_latest', '{replica}')",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS stock_data.bars_latest_daily ON CLUSTER prod TO stock_data.bars_latest_local AS SELECT",
		"FROM stock_data.daily_local GROUP BY ts_code",
		"INSERT INTO bars_by_code (",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("the cluster schema lacks %q", want)
		}
	}
	for _, table := range []string{"trade_cal", "sync_state", "workflows", "schema_migrations"} {
		if c.sharded[table] {
			t.Errorf("%s has no ts_code and must not be sharded", table)
		}
	}
	// An ALTER reaches both tables of a sharded one; what the rewrite does
	// not know is refused.
	out, err := c.onCluster("ALTER TABLE daily ADD COLUMN note String")
	if err != nil || len(out) != 2 || !strings.Contains(out[0], "daily_local ON CLUSTER prod ADD COLUMN note String") {
		t.Errorf("ALTER: %q, %v", out, err)
	}
	for _, stmt := range []string{"RENAME TABLE daily TO daily_old", "CREATE TABLE t (a UInt8) ENGINE = Memory", "ALTER TABLE nowhere ADD COLUMN x UInt8"} {
		if _, err := c.onCluster(stmt); err == nil {
			t.Errorf("%q: want an error", stmt)
		}
	}
}

func flatten(ms []migration) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.statements...)
	}
	return out
}

// copiedTables are the tables a move from one server to a cluster copies:
// every table of the migrations that no materialized view fills (the views
// fill those from the copied rows).
func copiedTables() []string {
	derived := map[string]bool{}
	var tables []string
	for _, stmt := range flatten(migrations) {
		if m := createViewRE.FindStringSubmatch(stmt); m != nil {
			derived[m[2]] = true
		} else if m := createTableRE.FindStringSubmatch(stmt); m != nil {
			tables = append(tables, m[1])
		}
	}
	return slices.DeleteFunc(tables, func(t string) bool { return derived[t] })
}

// TestSingleServerToCluster moves a single server's database to the
// cluster as docs/SCALING.md says: Migrate in cluster mode, then each table
// of the documented list copied with INSERT … SELECT * FROM remote(). The
// list must be copiedTables, and afterwards every read of the cluster
// answers as the single server's.
func TestSingleServerToCluster(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "SCALING.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^for t in ([a-z_ ]+); do$`).FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/SCALING.md has no `for t in …; do` line listing the tables to copy")
	}
	if got, want := strings.Fields(string(m[1])), copiedTables(); !slices.Equal(got, want) {
		t.Fatalf("docs/SCALING.md copies %v, want %v (every table no view fills)", got, want)
	}
	ctx := context.Background()
	single := openFresh(t)
	opt := ingest.DemoOptions{Stocks: 30, ETFs: 3, Days: 40, Seed: 11, End: time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)}
	for range 2 { // a re-load: two versions of every row, as a database that lived has
		if _, err := ingest.Demo(ctx, single, opt); err != nil {
			t.Fatal(err)
		}
	}
	cl, _ := openCluster(t)
	for _, table := range strings.Fields(string(m[1])) {
		if err := cl.conn.Exec(ctx, fmt.Sprintf("INSERT INTO %s.%s SELECT * FROM remote('%s', %s.%s)",
			cl.db, table, clickHouseAddr(t), single.db, table)); err != nil {
			t.Fatalf("copy %s: %v", table, err)
		}
	}
	sameReads(t, single, cl, opt.End, "on the cluster")
	want, err := single.ListWorkflows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := cl.ListWorkflows(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("workflows on the cluster: %d, %v; want the %d of the single server", len(got), err, len(want))
	}
}
