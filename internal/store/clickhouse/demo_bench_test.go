package clickhouse

import (
	"context"
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
	st := openDemo(b)
	var server func() time.Duration
	if pid, err := os.ReadFile(filepath.Join(os.Getenv("STOCKD_TEST_SERVICES_DIR"), "clickhouse.pid")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
			server = storetest.PidCPU(n)
		}
	}
	storetest.BenchAnalytics(b, st, server)
}
