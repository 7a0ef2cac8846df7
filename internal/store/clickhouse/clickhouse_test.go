package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/storetest"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// testDatabase is a fresh database name, so tests of several packages (and
// engineers) can share one server.
func testDatabase(t testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "stockd_test_" + hex.EncodeToString(b[:])
}

// clickHouseAddr is the server the tests use.
func clickHouseAddr(t testing.TB) string { return testenv.ClickHouse(t) }

// dropAndClose drops the store's database and closes it.
func dropAndClose(t testing.TB, st *Store) {
	// A fresh context: the test's own may be done by now.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	drop := "DROP DATABASE IF EXISTS " + st.db
	if st.cluster != "" {
		drop += " ON CLUSTER " + st.cluster
	}
	if err := st.admin.Exec(ctx, drop); err != nil {
		t.Errorf("drop %s: %v", st.db, err)
	}
	st.Close()
}

// openFresh opens a store on a database that does not exist yet, migrates
// it, and drops it when the test ends.
func openFresh(t testing.TB) *Store {
	t.Helper()
	return openFreshOn(t, Options{Addr: clickHouseAddr(t)})
}

// openFreshOn is openFresh on the servers of o.
func openFreshOn(t testing.TB, o Options) *Store {
	t.Helper()
	ctx := context.Background()
	o.Database = testDatabase(t)
	st, err := Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { dropAndClose(t, st) })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) market.Store { return openFresh(t) })
}

// rowCount counts the physical rows of a table, duplicates included.
func rowCount(t testing.TB, st *Store, table string) uint64 {
	t.Helper()
	var n uint64
	if err := st.conn.QueryRow(context.Background(), "SELECT count() FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestMigrateCreatesDatabase(t *testing.T) {
	addr := testenv.ClickHouse(t)
	ctx := context.Background()
	db := testDatabase(t)
	st, err := Open(ctx, Options{Addr: addr, Database: db})
	if err != nil {
		t.Fatalf("Open must not need the database: %v", err)
	}
	defer st.Close()
	defer st.admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)

	var exists uint8
	if err := st.admin.QueryRow(ctx, "SELECT count() > 0 FROM system.databases WHERE name = ?", db).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists != 0 {
		t.Fatalf("database %s exists before Migrate", db)
	}
	if err := st.Ping(ctx); err == nil {
		t.Errorf("Ping before Migrate: want an error, the database does not exist yet")
	}
	for i := range 3 {
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	if err := st.Ping(ctx); err != nil {
		t.Errorf("Ping after Migrate: %v", err)
	}
	applied, err := st.appliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations {
		if !applied[m.version] {
			t.Errorf("migration %d not recorded", m.version)
		}
	}
	// Re-running must not record a step twice (FINAL collapses, but the
	// step itself must have been skipped).
	if n := rowCount(t, st, "schema_migrations"); n != uint64(len(migrations)) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(migrations))
	}
	var engines []string
	rows, err := st.admin.Query(ctx, "SELECT name, engine FROM system.tables WHERE database = ? ORDER BY name", db)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			t.Fatal(err)
		}
		engines = append(engines, name+"="+engine)
	}
	want := "adj_factor=ReplacingMergeTree adj_factor_by_code=ReplacingMergeTree adj_factor_by_code_mv=MaterializedView " +
		"adj_factor_latest=AggregatingMergeTree adj_factor_latest_mv=MaterializedView " +
		"bars_by_code=ReplacingMergeTree bars_by_code_daily=MaterializedView bars_by_code_etf_daily=MaterializedView " +
		"bars_by_code_index_daily=MaterializedView bars_latest=AggregatingMergeTree bars_latest_daily=MaterializedView " +
		"bars_latest_etf_daily=MaterializedView bars_latest_index_daily=MaterializedView " +
		"daily=ReplacingMergeTree daily_basic=ReplacingMergeTree daily_basic_latest=AggregatingMergeTree " +
		"daily_basic_latest_mv=MaterializedView " +
		"etf_basic=ReplacingMergeTree etf_daily=ReplacingMergeTree index_basic=ReplacingMergeTree " +
		"index_daily=ReplacingMergeTree namechange=ReplacingMergeTree runs=ReplacingMergeTree schema_migrations=ReplacingMergeTree " +
		"stk_limit=ReplacingMergeTree stock_basic=ReplacingMergeTree sync_state=ReplacingMergeTree " +
		"trade_cal=ReplacingMergeTree workflows=ReplacingMergeTree"
	if got := strings.Join(engines, " "); got != want {
		t.Errorf("tables:\n got %s\nwant %s", got, want)
	}
}

func TestOpenRejectsBadDatabaseNames(t *testing.T) {
	for _, name := range []string{
		"stock-data", "1abc", "db; DROP DATABASE default", "a b", "`x`", "数据", strings.Repeat("a", 65),
	} {
		// No server is needed: the name is refused before any connection.
		_, err := Open(context.Background(), Options{Addr: "127.0.0.1:1", Database: name})
		if err == nil || !strings.Contains(err.Error(), "invalid database name") {
			t.Errorf("Open(Database=%q): err = %v, want an invalid-name error", name, err)
		}
	}
}

func TestOpenConnectionRefused(t *testing.T) {
	// A port that was just free: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Open(ctx, Options{Addr: addr, Database: "stock_data"})
	if err == nil {
		t.Fatal("Open on a closed port: want an error")
	}
	if want := "clickhouse " + addr + ": connection refused"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want it to start with %q", err, want)
	}
}

// TestReingestWithoutMerge writes the real snapshot twice and checks that
// the physical table really holds both copies — so the test would catch a
// read without FINAL — while every answer counts each row once.
func TestReingestWithoutMerge(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	bars := snapshotBars(t)
	basics := snapshotBasics(t)
	for range 2 {
		if err := st.PutDaily(ctx, bars); err != nil {
			t.Fatal(err)
		}
		if err := st.PutDailyBasic(ctx, basics); err != nil {
			t.Fatal(err)
		}
	}
	if n := rowCount(t, st, "daily"); n != uint64(2*len(bars)) {
		t.Fatalf("daily holds %d rows, want both copies (%d): without them this test proves nothing", n, 2*len(bars))
	}
	counts, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts["daily"] != int64(len(bars)) || counts["daily_basic"] != int64(len(basics)) {
		t.Errorf("Counts = daily %d, daily_basic %d; want %d, %d", counts["daily"], counts["daily_basic"], len(bars), len(basics))
	}
	date := bars[0].TradeDate
	day, err := st.DayBars(ctx, date)
	if err != nil {
		t.Fatal(err)
	}
	if len(day) != len(bars) {
		t.Errorf("DayBars: %d bars, want %d", len(day), len(bars))
	}
	var wantAmount, gotAmount float64
	for _, b := range bars {
		wantAmount += b.Amount
	}
	for _, b := range day {
		gotAmount += b.Amount
	}
	if d := gotAmount - wantAmount; d > 1e-3*wantAmount || d < -1e-3*wantAmount {
		t.Errorf("total amount of DayBars = %.0f, want %.0f", gotAmount, wantAmount)
	}
	hot, err := st.HotStocks(ctx, date, market.SortAmount, 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, h := range hot {
		if seen[h.TSCode] {
			t.Errorf("HotStocks lists %s twice", h.TSCode)
		}
		seen[h.TSCode] = true
	}
	if len(hot) != 50 {
		t.Errorf("HotStocks: %d rows, want 50", len(hot))
	}
	if dates, err := st.TradeDates(ctx, 10); err != nil || len(dates) != 1 {
		t.Errorf("TradeDates = %v, %v; want one date", dates, err)
	}
	// The per-stock tables hold both copies too, and their reads count
	// each row once.
	if n := rowCount(t, st, "bars_by_code"); n != uint64(2*len(bars)) {
		t.Errorf("bars_by_code holds %d rows, want both copies (%d)", n, 2*len(bars))
	}
	code := bars[len(bars)/2].TSCode
	got, err := st.Bars(ctx, code, time.Time{}, time.Time{})
	if err != nil || len(got) != 1 {
		t.Errorf("Bars(%s) = %+v, %v; want one bar", code, got, err)
	}
	if b, err := st.latestBar(ctx, "daily", code); err != nil || b == nil || !b.TradeDate.Equal(date) {
		t.Errorf("latest bar of %s = %+v, %v; want the one of %s", code, b, err, market.FormatDate(date))
	}
	if b, err := st.latestBasic(ctx, code); err != nil || b == nil || !b.TradeDate.Equal(date) {
		t.Errorf("latest valuation of %s = %+v, %v; want the one of %s", code, b, err, market.FormatDate(date))
	}
}

// TestOtherWriter: a second handle on the database, as a second process
// holds, sees the first one's writes in its day reads.
func TestOtherWriter(t *testing.T) {
	a := openFresh(t)
	b, err := Open(context.Background(), Options{Addr: a.addr, Database: a.db})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	storetest.CheckOtherWriter(t, a, b)
}

// TestLimitTablesReingestWithoutMerge writes the name history, the exchange
// limits and index bars twice (the second time with a changed non-key
// field) and checks that both copies are on disk while every read sees one
// row per key, the newest.
func TestLimitTablesReingestWithoutMerge(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	d := time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)
	prev := d.AddDate(0, 0, -1)
	up := func(v float64) *float64 { return &v }
	bars := []market.DailyBar{
		{TSCode: "600519.SH", TradeDate: prev, High: 1510, Close: 1500, PreClose: 1490, Amount: 10},
		{TSCode: "600519.SH", TradeDate: d, High: 1650, Close: 1640, PreClose: 1500, Amount: 20},
	}
	for i := range 2 {
		ann := time.Date(2001, 8, 20+i, 0, 0, 0, 0, time.UTC)
		if err := st.PutNameChanges(ctx, []market.NameChange{
			{TSCode: "600519.SH", Name: "贵州茅台", StartDate: time.Date(2001, 8, 27, 0, 0, 0, 0, time.UTC), AnnDate: ann},
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutStkLimits(ctx, []market.StkLimit{{TSCode: "600519.SH", TradeDate: d, UpLimit: up(1650 + float64(i)), DownLimit: up(1350)}}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutIndexDaily(ctx, []market.DailyBar{{TSCode: "000001.SH", TradeDate: d, Close: 3900 + float64(i), Amount: 5}}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutDaily(ctx, bars); err != nil {
			t.Fatal(err)
		}
	}
	for table, want := range map[string]uint64{"namechange": 2, "stk_limit": 2, "index_daily": 2, "daily": 4} {
		if n := rowCount(t, st, table); n != want {
			t.Fatalf("%s holds %d rows, want %d (both copies): without them this test proves nothing", table, n, want)
		}
	}
	names, err := st.NameChanges(ctx, nil)
	if err != nil || len(names) != 1 || names[0].AnnDate.Day() != 21 {
		t.Errorf("NameChanges = %+v, %v; want the second write only", names, err)
	}
	day, err := st.DayBars(ctx, d)
	if err != nil || len(day) != 1 || day[0].DayName != "贵州茅台" || day[0].UpLimit == nil || *day[0].UpLimit != 1651 {
		t.Errorf("DayBars = %+v, %v; want one bar with the newest limit 1651", day, err)
	}
	win, err := st.WindowBars(ctx, []string{"600519.SH"}, prev, d)
	if err != nil || len(win) != 2 || win[1].UpLimit == nil || *win[1].UpLimit != 1651 {
		t.Errorf("WindowBars = %+v, %v; want two bars", win, err)
	}
	tot, err := st.DailyTotals(ctx, d, 5)
	if err != nil || len(tot) != 2 || tot[0].Amount != 20 || tot[0].Stocks != 1 {
		t.Errorf("DailyTotals = %+v, %v; want each day once", tot, err)
	}
	qs, err := st.IndexQuotes(ctx, d)
	if err != nil || len(qs) != 1 || qs[0].Close != 3901 {
		t.Errorf("IndexQuotes = %+v, %v; want one quote at 3901", qs, err)
	}
}

// TestWorkflowTombstoneWithoutMerge checks that a delete hides every older
// version of the row before any merge, and that the older versions are
// still on disk (so FINAL, not a merge, did the work).
func TestWorkflowTombstoneWithoutMerge(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	for i := range 3 {
		w := market.WorkflowRecord{ID: "wf", Name: "v" + string(rune('0'+i)), Doc: []byte(`{}`), CreatedAt: now, UpdatedAt: now.Add(time.Duration(i) * time.Second)}
		if err := st.PutWorkflow(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.GetWorkflow(ctx, "wf")
	if err != nil || got.Name != "v2" {
		t.Fatalf("GetWorkflow = %+v, %v; want the third version", got, err)
	}
	if !got.CreatedAt.Equal(now) {
		t.Errorf("CreatedAt = %s, want %s", got.CreatedAt, now)
	}
	if err := st.DeleteWorkflow(ctx, "wf"); err != nil {
		t.Fatal(err)
	}
	if n := rowCount(t, st, "workflows"); n != 4 {
		t.Fatalf("workflows holds %d rows, want 4 (3 versions + tombstone)", n)
	}
	if _, err := st.GetWorkflow(ctx, "wf"); !errors.Is(err, market.ErrNotFound) {
		t.Errorf("GetWorkflow after delete: err = %v, want ErrNotFound", err)
	}
	if ws, err := st.ListWorkflows(ctx); err != nil || len(ws) != 0 {
		t.Errorf("ListWorkflows after delete = %v, %v; want none", ws, err)
	}
}

// TestRowsOfOneCallKeepTheLast checks that a key repeated inside one call
// keeps its last row, as an upsert would.
func TestRowsOfOneCallKeepTheLast(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	d := time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)
	var rows []market.DailyBar
	for i := range 5 {
		rows = append(rows, market.DailyBar{TSCode: "600519.SH", TradeDate: d, Close: float64(100 + i), Amount: float64(i)})
	}
	if err := st.PutDaily(ctx, rows); err != nil {
		t.Fatal(err)
	}
	hot, err := st.HotStocks(ctx, d, market.SortAmount, 10)
	if err != nil || len(hot) != 1 || hot[0].Close != 104 {
		t.Errorf("HotStocks = %+v, %v; want one row with close 104", hot, err)
	}
}

func TestBadInput(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	d := time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"bar before 1970", func() error {
			return st.PutDaily(ctx, []market.DailyBar{{TSCode: "600519.SH", TradeDate: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)}})
		}},
		{"bar after 2105", func() error {
			return st.PutDaily(ctx, []market.DailyBar{{TSCode: "600519.SH", TradeDate: time.Date(2106, 1, 2, 0, 0, 0, 0, time.UTC)}})
		}},
		{"stock listed before 1970", func() error {
			return st.PutStocks(ctx, []market.Stock{{TSCode: "600519.SH", ListDate: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}})
		}},
		{"calendar without exchange", func() error {
			return st.PutTradeCal(ctx, []market.TradeDay{{CalDate: d, IsOpen: true}})
		}},
		{"workflow without id", func() error { return st.PutWorkflow(ctx, market.WorkflowRecord{Name: "x"}) }},
		{"sync mark without dataset", func() error { return st.MarkSynced(ctx, "", d, 1, 0) }},
		{"sync mark without date", func() error { return st.MarkSynced(ctx, "daily", time.Time{}, 1, 0) }},
		{"sync mark with negative rows", func() error { return st.MarkSynced(ctx, "daily", d, -1, 0) }},
		{"latest date of an unknown kind", func() error { _, err := st.LatestTradeDate(ctx, "bond"); return err }},
	} {
		if err := tc.call(); err == nil {
			t.Errorf("%s: want an error", tc.name)
		}
	}
	counts, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if n != 0 {
			t.Errorf("refused calls left %d rows in %s", n, table)
		}
	}
}

func snapshotBars(t *testing.T) []market.DailyBar {
	var out []market.DailyBar
	for _, r := range testenv.ReadCSV(t, "daily.csv") {
		d, err := market.ParseDate(r["trade_date"])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, market.DailyBar{
			TSCode: r["ts_code"], TradeDate: d,
			Open: num(t, r["open"]), High: num(t, r["high"]), Low: num(t, r["low"]), Close: num(t, r["close"]),
			PreClose: num(t, r["pre_close"]), Change: num(t, r["change"]), PctChg: num(t, r["pct_chg"]),
			Vol: num(t, r["vol"]), Amount: num(t, r["amount"]),
		})
	}
	return out
}

func snapshotBasics(t *testing.T) []market.DailyBasic {
	var out []market.DailyBasic
	opt := func(s string) *float64 {
		if s == "" {
			return nil
		}
		v := num(t, s)
		return &v
	}
	for _, r := range testenv.ReadCSV(t, "daily_basic.csv") {
		d, err := market.ParseDate(r["trade_date"])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, market.DailyBasic{
			TSCode: r["ts_code"], TradeDate: d, Close: opt(r["close"]),
			TurnoverRate: opt(r["turnover_rate"]), VolumeRatio: opt(r["volume_ratio"]),
			PE: opt(r["pe"]), PETTM: opt(r["pe_ttm"]), PB: opt(r["pb"]), PS: opt(r["ps"]),
			DvRatio: opt(r["dv_ratio"]), TotalShare: opt(r["total_share"]), FloatShare: opt(r["float_share"]),
			TotalMV: opt(r["total_mv"]), CircMV: opt(r["circ_mv"]),
		})
	}
	return out
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return v
}

func TestMonthChunks(t *testing.T) {
	month := func(k int) time.Time { return time.Date(2000, time.Month(1+k), 15, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name   string
		months []int // month offset of each row
		chunks int
	}{
		{"empty", nil, 1},
		{"one day", []int{0, 0, 0}, 1},
		{"exactly the limit", seq(maxMonthsPerInsert), 1},
		{"one month over", seq(maxMonthsPerInsert + 1), 2},
		{"twenty years, twice, shuffled", append(reverse(seq(240)), seq(240)...), 3},
	} {
		got := monthChunks(len(tc.months), func(i int) time.Time { return month(tc.months[i]) })
		if len(got) != tc.chunks {
			t.Errorf("%s: %d chunks, want %d", tc.name, len(got), tc.chunks)
		}
		seen := make([]int, len(tc.months))
		monthChunk := map[int]int{}
		for c, idx := range got {
			spanned := map[int]bool{}
			for _, i := range idx {
				seen[i]++
				spanned[tc.months[i]] = true
				if prev, ok := monthChunk[tc.months[i]]; ok && prev != c {
					t.Errorf("%s: month %d split over chunks %d and %d", tc.name, tc.months[i], prev, c)
				}
				monthChunk[tc.months[i]] = c
			}
			if len(spanned) > maxMonthsPerInsert {
				t.Errorf("%s: chunk %d spans %d months", tc.name, c, len(spanned))
			}
		}
		for i, n := range seen {
			if n != 1 {
				t.Errorf("%s: row %d appears in %d chunks", tc.name, i, n)
			}
		}
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func reverse(s []int) []int {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// TestLongHistoryInOneCall puts 20 years of one stock in one call (more
// months than one INSERT may span on ClickHouse ≥ 19), including a changed
// copy of every bar later in the same call, and reads back one bar per day
// with the later values.
func TestLongHistoryInOneCall(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	var bars []market.DailyBar
	var factors []market.AdjFactor
	for pass := range 2 {
		for d := time.Date(2005, 1, 3, 0, 0, 0, 0, time.UTC); d.Year() < 2025; d = d.AddDate(0, 0, 7) {
			bars = append(bars, market.DailyBar{TSCode: "600519.SH", TradeDate: d, Close: float64(pass), Amount: 1})
			factors = append(factors, market.AdjFactor{TSCode: "600519.SH", TradeDate: d, Factor: float64(1 + pass)})
		}
	}
	if err := st.PutDaily(ctx, bars); err != nil {
		t.Fatal(err)
	}
	if err := st.PutAdjFactors(ctx, factors); err != nil {
		t.Fatal(err)
	}
	got, err := st.Bars(ctx, "600519.SH", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(bars)/2 {
		t.Fatalf("Bars: %d, want %d", len(got), len(bars)/2)
	}
	for _, b := range got {
		if b.Close != 1 || b.AdjFactor != 2 {
			t.Fatalf("bar %s = close %v factor %v; want the later copy (1, 2)", market.FormatDate(b.TradeDate), b.Close, b.AdjFactor)
		}
	}
}
