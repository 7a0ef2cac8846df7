package clickhouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/store/storetest"
)

// The analytics benchmarks read the 5,000 × 1,000 demo market
// (storetest.BenchDemo) in a database of its own (stockd_bench_demo, or
// $STOCKD_BENCH_DEMO_DB), written by ingest.Demo on first use and reused
// while the schema has the same number of migrations; never OPTIMIZEd, so
// FINAL does real work:
//
//	go test -run '^$' -bench Analytics -benchtime 20x ./internal/store/clickhouse/
func openDemo(b *testing.B) *Store {
	b.Helper()
	ctx := context.Background()
	st, db := openBenchDB(b, "STOCKD_BENCH_DEMO_DB", "stockd_bench_demo")
	var have uint64
	if err := st.conn.QueryRow(ctx, `SELECT count() FROM sync_state WHERE dataset = 'bench_demo' AND rows = ?`,
		uint64(len(migrations))).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have > 0 {
		return st
	}
	b.Logf("writing the demo market %d × %d into %s …", storetest.BenchDemo.Stocks, storetest.BenchDemo.Days, db)
	if err := st.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
		b.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := ingest.Demo(ctx, st, storetest.BenchDemo); err != nil {
		b.Fatal(err)
	}
	if err := st.MarkSynced(ctx, "bench_demo", storetest.BenchDemo.End, len(migrations), 0); err != nil {
		b.Fatal(err)
	}
	b.Logf("written in %s", time.Since(start).Round(time.Second))
	return st
}

// BenchmarkAnalytics also reports the server's CPU per read when the test
// server's pid file is at hand ($STOCKD_TEST_SERVICES_DIR/clickhouse.pid).
func BenchmarkAnalytics(b *testing.B) {
	storetest.BenchAnalytics(b, openDemo(b), serverCPU())
}

// serverCPU reads the test server's CPU time when its pid file is at hand
// ($STOCKD_TEST_SERVICES_DIR/clickhouse.pid), else nil.
func serverCPU() func() time.Duration {
	pid, err := os.ReadFile(filepath.Join(os.Getenv("STOCKD_TEST_SERVICES_DIR"), "clickhouse.pid"))
	if err != nil {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(pid)))
	if err != nil {
		return nil
	}
	return storetest.PidCPU(n)
}

// BenchmarkPerStock measures the per-stock reads (basic, K-lines) on the
// demo market; see storetest.BenchPerStock.
func BenchmarkPerStock(b *testing.B) {
	storetest.BenchPerStock(b, openDemo(b), serverCPU())
}

// BenchmarkPerStockBackfill measures migration 5 on a database an older
// release filled: the per-stock tables and views of the demo market are
// dropped and the step's record deleted, then Migrate creates them again and
// backfills them from the rows already stored (bars, factors, valuations).
// rows/s counts those source rows. The database ends as it began.
func BenchmarkPerStockBackfill(b *testing.B) {
	st := openDemo(b)
	ctx := context.Background()
	step := perStockMigration()
	var views, tables []string
	for _, stmt := range step.statements {
		if m := createViewRE.FindStringSubmatch(stmt); m != nil {
			views = append(views, m[1])
		} else if m := createTableRE.FindStringSubmatch(stmt); m != nil {
			tables = append(tables, m[1])
		}
	}
	var source uint64
	for _, t := range []string{"daily", "etf_daily", "index_daily", "adj_factor", "daily_basic"} {
		source += rowCount(b, st, t)
	}
	for b.Loop() {
		b.StopTimer()
		// Views first: a view left without its table would fail every insert.
		for _, name := range append(append([]string{}, views...), tables...) {
			if err := st.conn.Exec(ctx, "DROP TABLE IF EXISTS "+name); err != nil {
				b.Fatal(err)
			}
		}
		if err := st.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE schema_migrations DELETE WHERE version = %d", step.version)); err != nil {
			b.Fatal(err)
		}
		for rowCount(b, st, fmt.Sprintf("schema_migrations WHERE version = %d", step.version)) > 0 {
			time.Sleep(50 * time.Millisecond) // the mutation is asynchronous
		}
		b.StartTimer()
		if err := st.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if n := rowCount(b, st, "bars_by_code"); n != rowCount(b, st, "daily")+rowCount(b, st, "etf_daily")+rowCount(b, st, "index_daily") {
		b.Fatalf("bars_by_code holds %d rows after the backfill", n)
	}
	b.ReportMetric(float64(source)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
