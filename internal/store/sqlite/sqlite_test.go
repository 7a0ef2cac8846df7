package sqlite

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/storetest"
)

// openTest opens a fresh, migrated store in the test's temp folder.
func openTest(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "nested", "stock.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) market.Store { return openTest(t) })
}

// TestOtherWriter: a second handle on the file, as a second process holds,
// sees the first one's writes in its day reads.
func TestOtherWriter(t *testing.T) {
	a := openTest(t)
	b, err := Open(context.Background(), a.dbPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	storetest.CheckOtherWriter(t, a, b)
}

// dbPath is the file the store has open.
func (s *Store) dbPath(t testing.TB) string {
	var seq int
	var name, file string
	if err := s.db.QueryRow("PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestOpenRefusesBadPaths(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, []byte(strings.Repeat("not a database\n", 512)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{
		{"empty", ""},
		{"in memory", ":memory:"},
		{"query string", filepath.Join(dir, "x.db?_pragma=foreign_keys(1)")},
		{"parent is a file", filepath.Join(file, "stock.db")},
		{"path is a folder", dir},
		{"not a database", file},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Open(context.Background(), tc.path)
			if err == nil {
				// SQLite opens lazily; the first real statement must fail.
				err = st.Migrate(context.Background())
				st.Close()
			}
			if err == nil {
				t.Errorf("Open(%q) then Migrate: want an error", tc.path)
			}
		})
	}
}

// TestMigrateRecordsVersions checks the migration bookkeeping and that
// reopening a file keeps data and applies nothing twice.
func TestMigrateRecordsVersions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a", "b", "stock.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("embedded migrations: %d, %v", len(ms), err)
	}
	versions := func(st *Store) []int {
		rows, err := st.db.Query("SELECT version FROM schema_migrations ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var vs []int
		for rows.Next() {
			var v int
			rows.Scan(&v)
			vs = append(vs, v)
		}
		return vs
	}
	var want []int
	for _, m := range ms {
		want = append(want, m.version)
	}
	if got := versions(st); !slices.Equal(got, want) {
		t.Errorf("schema_migrations = %v, want %v", got, want)
	}
	bar := market.DailyBar{TSCode: "600519.SH", TradeDate: time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC), Close: 1500}
	if err := st.PutDaily(ctx, []market.DailyBar{bar}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate on a migrated file: %v", err)
	}
	if got := versions(st); !slices.Equal(got, want) {
		t.Errorf("after reopen schema_migrations = %v, want %v", got, want)
	}
	if d, err := st.LatestTradeDate(ctx, market.KindStock); err != nil || !d.Equal(bar.TradeDate) {
		t.Errorf("after reopen LatestTradeDate = %v, %v; want the bar written before", d, err)
	}
	// The extra columns of the embedded schema are there.
	for _, table := range []string{"stock_basic", "etf_basic"} {
		var n int
		if err := st.db.QueryRow("SELECT count(*) FROM pragma_table_info(?) WHERE name = 'synthetic'", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s.synthetic: %d columns, %v", table, n, err)
		}
	}
	var mode string
	if err := st.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

// TestPutIsAtomic makes the database itself refuse a row half-way (SQLite
// stores NaN as NULL, which the NOT NULL price columns reject) and checks
// that the rows before it were rolled back.
func TestPutIsAtomic(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	d := time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)
	rows := []market.DailyBar{
		{TSCode: "600519.SH", TradeDate: d, Close: 1500},
		{TSCode: "000001.SZ", TradeDate: d, Close: 11.5},
		{TSCode: "000002.SZ", TradeDate: d, Close: math.NaN()},
	}
	if err := st.PutDaily(ctx, rows); err == nil {
		t.Fatal("PutDaily with a NaN close: want an error from the NOT NULL constraint")
	}
	bars, err := st.DayBars(ctx, d)
	if err != nil || len(bars) != 0 {
		t.Errorf("after a failed PutDaily: %d bars visible, %v; want none", len(bars), err)
	}
	// The store is still usable: the good rows go in on their own.
	if err := st.PutDaily(ctx, rows[:2]); err != nil {
		t.Fatal(err)
	}
	if bars, err := st.DayBars(ctx, d); err != nil || len(bars) != 2 {
		t.Errorf("after a good PutDaily: %d bars, %v; want 2", len(bars), err)
	}
}

// dayKey is how SQLite's plan names a seek of a bar table's day key.
var dayKey = regexp.MustCompile(`SEARCH \w+ USING PRIMARY KEY \(trade_date=\?\)`)

// TestHotQueriesUseTheDayKey guards the index design behind the 100 ms
// target: the per-day reads must seek the (trade_date, ts_code) key, never
// scan a bar table, and DayBars must need no sort.
func TestHotQueriesUseTheDayKey(t *testing.T) {
	st := openTest(t)
	plan := func(query string, args ...any) string {
		rows, err := st.db.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return strings.Join(lines, "\n")
	}
	for _, tc := range []struct {
		name, plan string
		noSort     bool
	}{
		{"HotStocks amount", plan(hotStocksSQL(hotStockOrder[market.SortAmount]), "2025-12-18", 20), false},
		{"HotStocks turnover", plan(hotStocksSQL(hotStockOrder[market.SortTurnoverRate]), "2025-12-18", 20), false},
		{"DayBars", plan(dayBarsSQL, "2025-12-18"), true},
		{"stk_limit of the day", plan(dayLimitSQL, "2025-12-18"), true},
		{"daily_basic of the day", plan(dayBasicSQL, "2025-12-18"), true},
	} {
		if !dayKey.MatchString(tc.plan) {
			t.Errorf("%s does not seek the day key:\n%s", tc.name, tc.plan)
		}
		if strings.Contains(tc.plan, "SCAN ") {
			t.Errorf("%s scans a table:\n%s", tc.name, tc.plan)
		}
		if tc.noSort && strings.Contains(tc.plan, "TEMP B-TREE") {
			t.Errorf("%s sorts:\n%s", tc.name, tc.plan)
		}
	}
	// The ladder's window reads seek the codes' (ts_code, trade_date) index.
	if p := plan(windowBarsSQL(2), "600519.SH", "000001.SZ", "2025-11-01", "2025-12-18"); !strings.Contains(p, "SEARCH d USING INDEX daily_code_date (ts_code=? AND trade_date>? AND trade_date<?)") ||
		strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("window bars do not seek the code index:\n%s", p)
	}
}
