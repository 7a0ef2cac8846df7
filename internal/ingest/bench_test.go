package ingest

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// discard is a Writer that keeps nothing: it isolates generation and
// parsing speed from the store's.
type discard struct{}

func (discard) PutStocks(context.Context, []market.Stock) error           { return nil }
func (discard) PutDaily(context.Context, []market.DailyBar) error         { return nil }
func (discard) PutDailyBasic(context.Context, []market.DailyBasic) error  { return nil }
func (discard) PutAdjFactors(context.Context, []market.AdjFactor) error   { return nil }
func (discard) PutETFs(context.Context, []market.ETF) error               { return nil }
func (discard) PutETFDaily(context.Context, []market.DailyBar) error      { return nil }
func (discard) PutTradeCal(context.Context, []market.TradeDay) error      { return nil }
func (discard) PutNameChanges(context.Context, []market.NameChange) error { return nil }
func (discard) PutStkLimits(context.Context, []market.StkLimit) error     { return nil }
func (discard) PutIndices(context.Context, []market.Index) error          { return nil }
func (discard) PutIndexDaily(context.Context, []market.DailyBar) error    { return nil }

// report adds the run's throughput and the memory the process took from
// the OS (a ceiling on its peak heap).
func report(b *testing.B, rows int64, elapsed time.Duration) {
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "MB-sys")
}

func benchDemo(b *testing.B, w market.Writer, opt DemoOptions) {
	ctx := context.Background()
	var rows int64
	var elapsed time.Duration
	for b.Loop() {
		rep, err := Demo(ctx, w, opt)
		if err != nil {
			b.Fatal(err)
		}
		rows += rep.Total()
		elapsed += rep.Elapsed
	}
	report(b, rows, elapsed)
}

// BenchmarkDemoGenerate is generation alone: 1,000 stocks × 250 days.
func BenchmarkDemoGenerate(b *testing.B) {
	benchDemo(b, discard{}, DemoOptions{Stocks: 1000, ETFs: 50, Days: 250, Seed: 1, End: demoEnd})
}

// BenchmarkDemoFullMarket is a full-size market, 5,000 stocks × 1,000 days
// (5M bars, 15M stock rows), generated without a store; MB-sys shows memory
// stays bounded by the chunk. Run it with -benchtime=1x.
func BenchmarkDemoFullMarket(b *testing.B) {
	benchDemo(b, discard{}, DemoOptions{Stocks: 5000, ETFs: 100, Days: 1000, Seed: 1, End: demoEnd})
}

// BenchmarkDemoSQLite writes 500 stocks × 100 days into the real SQLite store.
func BenchmarkDemoSQLite(b *testing.B) {
	benchDemo(b, openSQLite(b), DemoOptions{Stocks: 500, ETFs: 20, Days: 100, Seed: 1, End: demoEnd})
}

// BenchmarkDemoClickHouse writes 500 stocks × 100 days into the real ClickHouse.
func BenchmarkDemoClickHouse(b *testing.B) {
	benchDemo(b, openClickHouse(b), DemoOptions{Stocks: 500, ETFs: 20, Days: 100, Seed: 1, End: demoEnd})
}

func benchImport(b *testing.B, w market.Writer, paths []string) {
	ctx := context.Background()
	var rows int64
	var elapsed time.Duration
	for b.Loop() {
		rep, err := ImportPaths(ctx, w, paths, ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		rows += rep.Total()
		elapsed += rep.Elapsed
	}
	report(b, rows, elapsed)
}

// BenchmarkImportSnapshotSQLite imports the real snapshot (31,694 rows).
func BenchmarkImportSnapshotSQLite(b *testing.B) {
	benchImport(b, openSQLite(b), []string{testenv.Snapshot(b)})
}

// BenchmarkImportSnapshotClickHouse imports the real snapshot into ClickHouse.
func BenchmarkImportSnapshotClickHouse(b *testing.B) {
	benchImport(b, openClickHouse(b), []string{testenv.Snapshot(b)})
}

// bigDailyCSV writes a daily.csv of about n demo bars and returns its path.
func bigDailyCSV(b *testing.B, n int) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "daily.csv")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("ts_code,trade_date,open,high,low,close,pre_close,change,pct_chg,vol,amount\n")
	g, err := NewDemoMarket(DemoOptions{Stocks: 5000, Days: max(1, n/5000), Seed: 1, End: demoEnd})
	if err != nil {
		b.Fatal(err)
	}
	num := func(v float64) { w.WriteString(strconv.FormatFloat(v, 'f', -1, 64)); w.WriteByte(',') }
	for {
		batch, ok := g.Next()
		if !ok {
			break
		}
		for _, r := range batch.Daily {
			w.WriteString(r.TSCode)
			w.WriteByte(',')
			w.WriteString(r.TradeDate.Format("20060102"))
			w.WriteByte(',')
			for _, v := range []float64{r.Open, r.High, r.Low, r.Close, r.PreClose, r.Change, r.PctChg, r.Vol} {
				num(v)
			}
			w.WriteString(strconv.FormatFloat(r.Amount, 'f', -1, 64))
			w.WriteByte('\n')
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return p
}

// BenchmarkImportLargeFile validates and decodes a 1M-row daily.csv (two
// passes, chunks of 100k) without a store: the importer's own cost, and its
// memory, which must not grow with the file.
func BenchmarkImportLargeFile(b *testing.B) {
	p := bigDailyCSV(b, 1_000_000)
	benchImport(b, discard{}, []string{p})
}

// BenchmarkImportLargeFileSQLite imports the same 1M-row file into SQLite.
func BenchmarkImportLargeFileSQLite(b *testing.B) {
	p := bigDailyCSV(b, 1_000_000)
	benchImport(b, openSQLite(b), []string{p})
}
