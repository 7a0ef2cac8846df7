package ingest

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// openSQLite opens a fresh real SQLite store in the test's temp dir.
func openSQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stock.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func counts(t testing.TB, st market.Reader) map[string]int64 {
	t.Helper()
	c, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	delete(c, "workflows")
	return c
}

// distinctKeys counts the distinct table keys of a snapshot CSV.
func distinctKeys(t *testing.T, file string, key ...string) int64 {
	seen := make(map[string]bool)
	for _, r := range testenv.ReadCSV(t, file) {
		k := ""
		for _, c := range key {
			k += r[c] + "|"
		}
		seen[k] = true
	}
	return int64(len(seen))
}

func TestImportSnapshot(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testImportSnapshot(t, openSQLite(t)) })
	t.Run("clickhouse", func(t *testing.T) { testImportSnapshot(t, openClickHouse(t)) })
}

// testImportSnapshot imports the real snapshot twice and checks what the
// store then holds against the CSV files.
func testImportSnapshot(t *testing.T, st market.Store) {
	ctx := context.Background()
	dir := testenv.Snapshot(t)

	rep, err := ImportPaths(ctx, st, []string{dir}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{
		StockBasic: int64(len(testenv.ReadCSV(t, "stock_basic.csv"))),
		Daily:      int64(len(testenv.ReadCSV(t, "daily.csv"))),
		DailyBasic: int64(len(testenv.ReadCSV(t, "daily_basic.csv"))),
		AdjFactor:  int64(len(testenv.ReadCSV(t, "adj_factor.csv"))),
		TradeCal:   int64(len(testenv.ReadCSV(t, "trade_cal.csv"))),
		StkLimit:   int64(len(testenv.ReadCSV(t, "stk_limit.csv"))),
	}
	if !maps.Equal(rep.Rows, want) {
		t.Fatalf("report rows %v, want the CSV row counts %v", rep.Rows, want)
	}
	// The store holds one row per distinct key of each file.
	wantKeys := map[string]int64{
		StockBasic: distinctKeys(t, "stock_basic.csv", "ts_code"),
		Daily:      distinctKeys(t, "daily.csv", "ts_code", "trade_date"),
		DailyBasic: distinctKeys(t, "daily_basic.csv", "ts_code", "trade_date"),
		AdjFactor:  distinctKeys(t, "adj_factor.csv", "ts_code", "trade_date"),
		TradeCal:   distinctKeys(t, "trade_cal.csv", "cal_date"),
		StkLimit:   distinctKeys(t, "stk_limit.csv", "ts_code", "trade_date"),
		ETFBasic:   0,
		ETFDaily:   0,
		NameChange: 0,
		IndexBasic: 0,
		IndexDaily: 0,
	}
	got := counts(t, st)
	if !maps.Equal(got, wantKeys) {
		t.Fatalf("store counts %v, want %v", got, wantKeys)
	}
	if len(rep.SkippedFiles) != 0 {
		t.Fatalf("skipped files %+v, want none (stk_limit.csv is loaded too)", rep.SkippedFiles)
	}
	if len(rep.SkippedLines) != 0 {
		t.Fatalf("skipped lines in real data: %v", rep.SkippedLines)
	}
	// The changed dates are the bars' day and the day stk_limit.csv is of.
	dates := make(map[string]bool)
	for _, file := range []string{"daily.csv", "stk_limit.csv"} {
		for _, r := range testenv.ReadCSV(t, file) {
			dates[r["trade_date"]] = true
		}
	}
	if len(rep.Dates) != len(dates) || len(dates) != 2 || !dates[rep.Dates[0].Format("20060102")] || !dates[rep.Dates[1].Format("20060102")] {
		t.Fatalf("changed dates %v, daily.csv and stk_limit.csv have %v", rep.Dates, dates)
	}

	// Importing again changes nothing.
	rep2, err := ImportPaths(ctx, st, []string{dir}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again := counts(t, st); !maps.Equal(again, got) || !maps.Equal(rep2.Rows, rep.Rows) {
		t.Fatalf("second import: counts %v (was %v), rows %v", again, got, rep2.Rows)
	}

	// Empty cells stayed NULL; filled ones kept their value. The snapshot's
	// extra columns (version, _ingested_at) were ignored without fuss.
	var lossMaker, earner string
	for _, r := range testenv.ReadCSV(t, "daily_basic.csv") {
		if r["pe"] == "" && lossMaker == "" {
			lossMaker = r["ts_code"]
		}
		if r["pe"] != "" && earner == "" {
			earner = r["ts_code"]
		}
	}
	info, err := st.Stock(ctx, lossMaker)
	if err != nil {
		t.Fatal(err)
	}
	if info.LatestBasic == nil || info.LatestBasic.PE != nil || info.LatestBasic.CircMV == nil {
		t.Fatalf("%s: loss-maker's pe should be NULL: %+v", lossMaker, info.LatestBasic)
	}
	info, err = st.Stock(ctx, earner)
	if err != nil {
		t.Fatal(err)
	}
	if info.LatestBasic == nil || info.LatestBasic.PE == nil || info.Exchange != ExchangeOf(earner) {
		t.Fatalf("%s: pe lost or exchange not filled: %+v", earner, info)
	}
}

// writeFile writes a CSV into dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	stockCSV = "ts_code,symbol,name,area,industry,list_date,delist_date,list_status\n" +
		"000001.SZ,000001,平安银行,深圳,银行,19910403,,L\n" +
		"600519.SH,600519,贵州茅台,贵州,白酒,20010827,,L\n"
	dailyHeader = "ts_code,trade_date,open,high,low,close,pre_close,change,pct_chg,vol,amount,version\n"
	dailyCSV    = dailyHeader +
		"000001.SZ,20251217,11.3,11.6,11.2,11.53,11.3,0.23,2.0354,700000,800000,1\n" +
		"000001.SZ,20251218,11.51,11.65,11.48,11.64,11.53,0.11,0.954,790466.54,916247.611,1\n" +
		"600519.SH,20251218,1500,1530,1495,1520,1510,10,0.6623,25000,3800000,1\n"
)

func TestImportBrokenRow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, dir, "stock_basic.csv", stockCSV)
	// Line 4 (header is line 1) has a bad pct_chg.
	broken := strings.Replace(dailyCSV, "0.6623", "abc", 1)
	writeFile(t, dir, "daily.csv", broken)

	st := openSQLite(t)
	_, err := ImportPaths(ctx, st, []string{dir}, ImportOptions{})
	want := filepath.Join(dir, "daily.csv") + `:4: pct_chg: "abc" is not a number`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	var bl BadLine
	if !errors.As(err, &bl) || bl.Line != 4 {
		t.Fatalf("error %v is not a BadLine of line 4", err)
	}
	for table, n := range counts(t, st) {
		if n != 0 {
			t.Fatalf("a rejected import wrote %d %s rows", n, table)
		}
	}

	rep, err := ImportPaths(ctx, st, []string{dir}, ImportOptions{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped != 1 || len(rep.SkippedLines) != 1 || rep.SkippedLines[0].Line != 4 || rep.SkippedLines[0].Error() != want {
		t.Fatalf("skipped %v, want line 4", rep.SkippedLines)
	}
	if rep.Rows[Daily] != 2 || rep.Rows[StockBasic] != 2 {
		t.Fatalf("rows %v, want 2 daily and 2 stocks", rep.Rows)
	}
	c := counts(t, st)
	if c[Daily] != 2 || c[StockBasic] != 2 {
		t.Fatalf("store %v", c)
	}
	if _, err := st.Stock(ctx, "600519.SH"); err != nil {
		t.Fatal(err)
	}
	bars, err := st.Bars(ctx, "600519.SH", time.Time{}, time.Time{})
	if err != nil || len(bars) != 0 {
		t.Fatalf("the skipped bar was written: %v %v", bars, err)
	}
}

func TestImportMostlyGarbage(t *testing.T) {
	// Under SkipBad a file of garbage is reported by count, not line by line
	// without end; its few good rows still load.
	var sb strings.Builder
	sb.WriteString("ts_code,trade_date,adj_factor\n000001.SZ,20251218,134.5\n")
	for range 1500 {
		sb.WriteString("garbage,garbage,garbage\n")
	}
	sb.WriteString("600519.SH,20251218,8.4\n")
	p := writeFile(t, t.TempDir(), "adj_factor.csv", sb.String())
	st := openSQLite(t)
	rep, err := ImportPaths(context.Background(), st, []string{p}, ImportOptions{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped != 1500 || len(rep.SkippedLines) != maxBadLines || rep.SkippedLines[0].Line != 3 || rep.Rows[AdjFactor] != 2 {
		t.Fatalf("skipped %d (%d listed, first %v), rows %v", rep.Skipped, len(rep.SkippedLines), rep.SkippedLines[0], rep.Rows)
	}
	if c := counts(t, st); c[AdjFactor] != 2 {
		t.Fatalf("store %v", c)
	}
}

func TestImportBadFiles(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, file, content, want string
	}{
		{"missing column", "daily.csv", "ts_code,trade_date,open,high,low,vol,amount\n", `daily.csv: daily: missing column "close"`},
		{"empty", "adj_factor.csv", "", "adj_factor.csv: empty file"},
		{"short row", "adj_factor.csv", "ts_code,trade_date,adj_factor\n000001.SZ,20251218\n", "adj_factor.csv:2: 2 fields, the header has 3"},
		{"bad quote", "adj_factor.csv", "ts_code,trade_date,adj_factor\n000001.SZ,20251218,1\n\"000002.SZ,20251218,1\n", "adj_factor.csv:3:"},
		{"bad code", "stock_basic.csv", "ts_code,name\n600519.SH,茅台\nABC,x\n", `stock_basic.csv:3: ts_code: malformed code "ABC"`},
		{"bad date", "fund_daily.csv", dailyHeader + "510300.SH,2025-13-01,4,4,4,4,4,0,0,1,1,1\n", `fund_daily.csv:2: trade_date: malformed date "2025-13-01"`},
		{"several bad", "adj_factor.csv", "ts_code,trade_date,adj_factor\nx,1,1\ny,1,1\n", "(and 1 more malformed lines)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tt.file, tt.content)
			st := openSQLite(t)
			_, err := ImportPaths(ctx, st, []string{p}, ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			for table, n := range counts(t, st) {
				if n != 0 {
					t.Fatalf("wrote %d %s rows", n, table)
				}
			}
		})
	}

	st := openSQLite(t)
	for _, paths := range [][]string{nil, {filepath.Join(t.TempDir(), "missing.csv")}, {t.TempDir()}} {
		if _, err := ImportPaths(ctx, st, paths, ImportOptions{}); err == nil {
			t.Errorf("ImportPaths(%v) succeeded", paths)
		}
	}
}

// recorder passes writes to a real store and notes each call's table and size.
type recorder struct {
	market.Writer
	calls []string
	sizes map[string][]int
}

func (r *recorder) note(table string, n int) {
	r.calls = append(r.calls, table)
	if r.sizes == nil {
		r.sizes = make(map[string][]int)
	}
	r.sizes[table] = append(r.sizes[table], n)
}

func (r *recorder) PutStocks(ctx context.Context, rows []market.Stock) error {
	r.note(StockBasic, len(rows))
	return r.Writer.PutStocks(ctx, rows)
}

func (r *recorder) PutDaily(ctx context.Context, rows []market.DailyBar) error {
	r.note(Daily, len(rows))
	return r.Writer.PutDaily(ctx, rows)
}

func (r *recorder) PutETFDaily(ctx context.Context, rows []market.DailyBar) error {
	r.note(ETFDaily, len(rows))
	return r.Writer.PutETFDaily(ctx, rows)
}

func (r *recorder) PutETFs(ctx context.Context, rows []market.ETF) error {
	r.note(ETFBasic, len(rows))
	return r.Writer.PutETFs(ctx, rows)
}

func (r *recorder) PutTradeCal(ctx context.Context, rows []market.TradeDay) error {
	r.note(TradeCal, len(rows))
	return r.Writer.PutTradeCal(ctx, rows)
}

func (r *recorder) PutNameChanges(ctx context.Context, rows []market.NameChange) error {
	r.note(NameChange, len(rows))
	return r.Writer.PutNameChanges(ctx, rows)
}

func (r *recorder) PutIndices(ctx context.Context, rows []market.Index) error {
	r.note(IndexBasic, len(rows))
	return r.Writer.PutIndices(ctx, rows)
}

func (r *recorder) PutIndexDaily(ctx context.Context, rows []market.DailyBar) error {
	r.note(IndexDaily, len(rows))
	return r.Writer.PutIndexDaily(ctx, rows)
}

func TestImportOrderNamesAndChunks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Named so that plain name order would load bars first.
	writeFile(t, dir, "daily_20251218.csv", dailyCSV)
	writeFile(t, dir, "fund_daily.csv", dailyHeader+
		"510300.SH,20251216,4,4.1,3.9,4.05,4,0.05,1.25,5100000,2050000,1\n"+
		"510300.SH,20251217,4.05,4.2,4,4.1,4.05,0.05,1.2346,6000000,2500000,1\n")
	writeFile(t, dir, "etf_basic.csv", "ts_code,csname,index_code,index_name,exchange,mgr_name,list_date,list_status\n"+
		"510300.SH,沪深300ETF,000300.SH,沪深300,SH,华泰柏瑞,20120528,L\n")
	writeFile(t, dir, "stock_basic.csv", stockCSV)
	writeFile(t, dir, "trade_cal_sse.csv", "exchange,cal_date,is_open,pretrade_date\nSSE,20251218,1,20251217\nSSE,20251217,1,20251216\n")
	writeFile(t, dir, "notes.txt", "not a csv")
	writeFile(t, dir, "limit_list_d.csv", "trade_date,ts_code,limit\n")
	writeFile(t, dir, "stk_limit.csv", "trade_date,ts_code,up_limit,down_limit\n20251218,600519.SH,1661,1359\n")
	writeFile(t, dir, "index_daily_000001.csv", dailyHeader+"000001.SH,20251218,3870,3890,3860,3876,3880,-4,-0.1,4e8,6e8,1\n")
	writeFile(t, dir, "index_basic.csv", "ts_code,name,market,publisher,category,base_date,base_point,list_date\n"+
		"000001.SH,上证指数,SSE,中证公司,综合指数,19901219,100,19910715\n")
	writeFile(t, dir, "namechange.csv", "ts_code,name,start_date,end_date,ann_date,change_reason\n"+
		"600519.SH,贵州茅台,20010827,,,其他\n")

	st := openSQLite(t)
	rec := &recorder{Writer: st}
	rep, err := ImportPaths(ctx, rec, []string{dir}, ImportOptions{ChunkRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if first := slices.Index(rec.calls, Daily); first < slices.Index(rec.calls, StockBasic) ||
		first < slices.Index(rec.calls, ETFBasic) || first < slices.Index(rec.calls, TradeCal) ||
		first < slices.Index(rec.calls, NameChange) || slices.Index(rec.calls, IndexDaily) < slices.Index(rec.calls, IndexBasic) {
		t.Fatalf("bars before reference data: %v", rec.calls)
	}
	// Three daily rows in chunks of two: two Puts, nothing above the chunk.
	if !slices.Equal(rec.sizes[Daily], []int{2, 1}) {
		t.Fatalf("daily puts %v, want [2 1]", rec.sizes[Daily])
	}
	want := map[string]int64{StockBasic: 2, ETFBasic: 1, TradeCal: 2, Daily: 3, ETFDaily: 2, StkLimit: 1, IndexBasic: 1,
		IndexDaily: 1, NameChange: 1}
	if !maps.Equal(rep.Rows, want) {
		t.Fatalf("rows %v, want %v", rep.Rows, want)
	}
	c := counts(t, st)
	for table, n := range want {
		if c[table] != n {
			t.Fatalf("store %v, want %v", c, want)
		}
	}
	if len(rep.SkippedFiles) != 1 || !strings.HasSuffix(rep.SkippedFiles[0].Path, "limit_list_d.csv") {
		t.Fatalf("skipped files %+v", rep.SkippedFiles)
	}
	var dates []string
	for _, d := range rep.Dates {
		dates = append(dates, market.FormatDate(d))
	}
	if !slices.Equal(dates, []string{"2025-12-16", "2025-12-17", "2025-12-18"}) {
		t.Fatalf("changed dates %v", dates)
	}
	etf, err := st.ETF(ctx, "510300.SH")
	if err != nil || etf.Name != "沪深300ETF" || etf.Exchange != "SSE" || etf.Latest == nil || etf.Latest.Close != 4.1 {
		t.Fatalf("etf %+v %v", etf, err)
	}

	// A single file path works like a directory of one.
	rep, err = ImportPaths(ctx, st, []string{filepath.Join(dir, "daily_20251218.csv")}, ImportOptions{})
	if err != nil || rep.Total() != 3 || rep.Rows[Daily] != 3 {
		t.Fatalf("single file: %v %v", rep.Rows, err)
	}
}

func TestDatasetOfFile(t *testing.T) {
	for name, want := range map[string]string{
		"daily.csv": Daily, "daily_basic.csv": DailyBasic, "daily_basic_2025.csv": DailyBasic,
		"daily_20251218.csv": Daily, "fund_daily.csv": ETFDaily, "fund_basic_E.csv": ETFBasic,
		"Stock_Basic.CSV": StockBasic, "trade_cal.csv": TradeCal, "adj_factor_1.csv": AdjFactor,
		"stk_limit.csv": StkLimit, "namechange.csv": NameChange, "index_basic.csv": IndexBasic,
		"index_daily_000001.SH.csv": IndexDaily, "limit_list_d.csv": "", "dailyx.csv": "", "etf.csv": "", "index.csv": "",
	} {
		got, ok := datasetOfFile(name)
		if got != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", name, got, ok, want)
		}
	}
}

// TestDemoIntoStore writes a demo market to the real store and reads it
// back through the API's queries.
func TestDemoIntoStore(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDemoIntoStore(t, openSQLite(t)) })
	t.Run("clickhouse", func(t *testing.T) { testDemoIntoStore(t, openClickHouse(t)) })
}

func testDemoIntoStore(t *testing.T, st market.Store) {
	ctx := context.Background()
	opt := DemoOptions{Stocks: 40, ETFs: 4, Days: 30, Seed: 5, End: demoEnd, ChunkRows: 200}
	rep, err := Demo(ctx, st, opt)
	if err != nil {
		t.Fatal(err)
	}
	all := generate(t, opt)
	want := make(map[string]int64)
	for k, v := range all.Counts() {
		want[k] = int64(v)
	}
	if !maps.Equal(rep.Rows, want) {
		t.Fatalf("report %v, generated %v", rep.Rows, want)
	}
	c := counts(t, st)
	for table, n := range want {
		if c[table] != n {
			t.Fatalf("store %v, want %v", c, want)
		}
	}
	if len(rep.Dates) != 30 || !rep.Dates[29].Equal(demoEnd) {
		t.Fatalf("dates %v", rep.Dates)
	}
	latest, err := st.LatestTradeDate(ctx, market.KindStock)
	if err != nil || !latest.Equal(demoEnd) {
		t.Fatalf("latest %v %v", latest, err)
	}
	hot, err := st.HotStocks(ctx, demoEnd, market.SortAmount, 5)
	if err != nil || len(hot) != 5 || !hot[0].Synthetic || !strings.Contains(hot[0].Name, "演示") {
		t.Fatalf("hot stocks %+v %v", hot, err)
	}
	days, err := st.OpenDays(ctx, demoEnd, 30)
	if err != nil || len(days) != 30 || !days[29].Equal(rep.Dates[0]) {
		t.Fatalf("open days %v %v", days, err)
	}
	// Indices are labelled synthetic where a user sees them.
	qs, err := st.IndexQuotes(ctx, demoEnd)
	if err != nil || len(qs) < 3 {
		t.Fatalf("index quotes %+v %v", qs, err)
	}
	for _, q := range qs {
		if !q.Synthetic || !strings.HasPrefix(q.Name, "演示") {
			t.Fatalf("index quote %+v is not labelled synthetic", q)
		}
	}
	// Running again with the same seed rewrites the same rows.
	if _, err := Demo(ctx, st, opt); err != nil {
		t.Fatal(err)
	}
	if again := counts(t, st); !maps.Equal(again, c) {
		t.Fatalf("second run: %v, was %v", again, c)
	}
}
