package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// The benchmarks answer one question: do hot stocks and market breadth stay
// under 100 ms uncached on a full market (5,000 stocks) with four years of
// history (1,000 trading days)? Run them with
//
//	go test -run '^$' -bench . -benchtime 20x ./internal/store/sqlite/
//
// The 5,000 × 1,000 database (10M rows, ~1.5 GB) takes a few minutes to
// build; it is kept in the temp folder, named after the schema, and reused.

const benchStocks = 5000

var benchStart = time.Date(2021, 1, 4, 0, 0, 0, 0, time.UTC)

// benchCode is the i-th stock of the generated market: half Shanghai, half
// Shenzhen, like the real one.
func benchCode(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("%06d.SH", 600000+i/2)
	}
	return fmt.Sprintf("%06d.SZ", 1+i/2)
}

// benchDay generates one trading day of bars and valuations.
func benchDay(rng *rand.Rand, date time.Time, prev []float64) ([]market.DailyBar, []market.DailyBasic) {
	bars := make([]market.DailyBar, benchStocks)
	basics := make([]market.DailyBasic, benchStocks)
	for i := range benchStocks {
		pre := prev[i]
		pct := (rng.Float64()*2 - 1) * 10
		cls := float64(int64(pre*(1+pct/100)*100+0.5)) / 100
		if cls <= 0.01 {
			cls = 0.01
		}
		prev[i] = cls
		vol := rng.Float64() * 1e6
		bars[i] = market.DailyBar{
			TSCode: benchCode(i), TradeDate: date,
			Open: pre, High: max(pre, cls) * 1.01, Low: min(pre, cls) * 0.99, Close: cls, PreClose: pre,
			Change: cls - pre, PctChg: (cls - pre) / pre * 100, Vol: vol, Amount: vol * cls / 10,
		}
		b := market.DailyBasic{TSCode: benchCode(i), TradeDate: date, Close: &cls}
		if rng.IntN(20) > 0 { // 5% NULL turnover, as for suspended stocks
			tr := rng.Float64() * 15
			b.TurnoverRate = &tr
		}
		mv := cls * 1e5 * float64(1+i%50)
		b.CircMV, b.TotalMV = &mv, &mv
		basics[i] = b
	}
	return bars, basics
}

func benchStocksRows() []market.Stock {
	out := make([]market.Stock, benchStocks)
	for i := range out {
		code := benchCode(i)
		out[i] = market.Stock{TSCode: code, Symbol: code[:6], Name: fmt.Sprintf("股票%04d", i), Industry: fmt.Sprintf("行业%02d", i%80),
			ListDate: benchStart.AddDate(-5, 0, 0), ListStatus: "L"}
	}
	return out
}

// buildBenchDB fills st with days trading days and returns the dates.
func buildBenchDB(tb testing.TB, st *Store, days int) []time.Time {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	if err := st.PutStocks(ctx, benchStocksRows()); err != nil {
		tb.Fatal(err)
	}
	prev := make([]float64, benchStocks)
	for i := range prev {
		prev[i] = 5 + rng.Float64()*100
	}
	var dates []time.Time
	for d := benchStart; len(dates) < days; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		bars, basics := benchDay(rng, d, prev)
		if err := st.PutDaily(ctx, bars); err != nil {
			tb.Fatal(err)
		}
		if err := st.PutDailyBasic(ctx, basics); err != nil {
			tb.Fatal(err)
		}
		dates = append(dates, d)
	}
	return dates
}

// schemaHash names cached benchmark databases after the migrations, so a
// schema change never benchmarks a stale file.
func schemaHash() string {
	h := sha256.New()
	fs.WalkDir(migrationFiles, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := migrationFiles.ReadFile(path)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// builtDBs are the benchmark databases of this run, by path.
var builtDBs sync.Map // path → *builtDB

type builtDB struct {
	once sync.Once
	err  error
}

// openBuilt opens the database file at path, building it with build first
// when it does not exist yet: into a temporary file renamed when done, so
// an interrupted build never passes for a complete one.
func openBuilt(b *testing.B, path string, build func(st *Store) error) *Store {
	v, _ := builtDBs.LoadOrStore(path, &builtDB{})
	db := v.(*builtDB)
	db.once.Do(func() {
		if _, err := os.Stat(path); err == nil {
			return
		}
		ctx := context.Background()
		tmp := path + ".building"
		os.Remove(tmp)
		st, err := Open(ctx, tmp)
		if err == nil {
			err = st.Migrate(ctx)
		}
		if err != nil {
			db.err = err
			return
		}
		start := time.Now()
		if db.err = build(st); db.err != nil {
			st.Close()
			return
		}
		b.Logf("built %s in %s", path, time.Since(start).Round(time.Second))
		if err := st.Close(); err != nil { // checkpoints the WAL into the file
			db.err = err
			return
		}
		db.err = os.Rename(tmp, path)
	})
	if db.err != nil {
		b.Fatal(db.err)
	}
	st, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// bigDBPath is the 5,000 × 1,000-day database of the store benchmarks.
func bigDBPath() string {
	return filepath.Join(os.TempDir(), "stockd-sqlite-bench-"+schemaHash(), fmt.Sprintf("%dx%d.db", benchStocks, 1000))
}

// openBig opens the 5,000 × 1,000-day database, building it on first use.
func openBig(b *testing.B) (*Store, []time.Time) {
	const days = 1000
	var dates []time.Time
	for d := benchStart; len(dates) < days; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			dates = append(dates, d)
		}
	}
	st := openBuilt(b, bigDBPath(), func(st *Store) error {
		buildBenchDB(b, st, days)
		return nil
	})
	return st, dates
}

// openOneDay is a fresh store holding one 5,000-stock day.
func openOneDay(b *testing.B) (*Store, time.Time) {
	st := openTest(b)
	return st, buildBenchDB(b, st, 1)[0]
}

func BenchmarkPutDaily(b *testing.B) {
	st := openTest(b)
	rng := rand.New(rand.NewPCG(3, 4))
	prev := make([]float64, benchStocks)
	for i := range prev {
		prev[i] = 10
	}
	ctx := context.Background()
	d := benchStart
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		bars, _ := benchDay(rng, d, prev)
		d = d.AddDate(0, 0, 1)
		b.StartTimer()
		if err := st.PutDaily(ctx, bars); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchStocks)/b.Elapsed().Seconds(), "rows/s")
}

func benchHot(b *testing.B, st *Store, date time.Time) {
	ctx := context.Background()
	for _, sortBy := range []string{market.SortAmount, market.SortPctChg, market.SortTurnoverRate} {
		b.Run("sort="+sortBy, func(b *testing.B) {
			for b.Loop() {
				hs, err := st.HotStocks(ctx, date, sortBy, 20)
				if err != nil || len(hs) != 20 {
					b.Fatalf("HotStocks: %d rows, %v", len(hs), err)
				}
			}
		})
	}
}

func BenchmarkHotStocks(b *testing.B) {
	b.Run("days=1", func(b *testing.B) {
		st, d := openOneDay(b)
		benchHot(b, st, d)
	})
	b.Run("days=1000", func(b *testing.B) {
		st, dates := openBig(b)
		benchHot(b, st, dates[len(dates)-1])
	})
	// A fresh connection pool each time: SQLite's page cache is empty (the
	// OS file cache is not), as for the first request after a start.
	b.Run("days=1000/fresh-open", func(b *testing.B) {
		_, dates := openBig(b)
		ctx := context.Background()
		for b.Loop() {
			st, err := Open(ctx, bigDBPath())
			if err != nil {
				b.Fatal(err)
			}
			hs, err := st.HotStocks(ctx, dates[len(dates)-1], market.SortAmount, 20)
			st.Close()
			if err != nil || len(hs) != 20 {
				b.Fatalf("HotStocks: %d rows, %v", len(hs), err)
			}
		}
	})
}

func benchDayBars(b *testing.B, st *Store, date time.Time) {
	ctx := context.Background()
	for b.Loop() {
		bars, err := st.DayBars(ctx, date)
		if err != nil || len(bars) != benchStocks {
			b.Fatalf("DayBars: %d bars, %v", len(bars), err)
		}
	}
}

func BenchmarkDayBars(b *testing.B) {
	b.Run("days=1", func(b *testing.B) {
		st, d := openOneDay(b)
		benchDayBars(b, st, d)
	})
	b.Run("days=1000", func(b *testing.B) {
		st, dates := openBig(b)
		benchDayBars(b, st, dates[len(dates)-1])
	})
}

// BenchmarkHistory covers the other reads of the big database: one stock's
// four-year K-line, the trade-date walk and a stock's basic info.
func BenchmarkHistory(b *testing.B) {
	st, dates := openBig(b)
	ctx := context.Background()
	b.Run("Bars/1000days", func(b *testing.B) {
		for b.Loop() {
			bars, err := st.Bars(ctx, benchCode(1234), time.Time{}, time.Time{})
			if err != nil || len(bars) != len(dates) {
				b.Fatalf("Bars: %d, %v", len(bars), err)
			}
		}
	})
	b.Run("TradeDates/250", func(b *testing.B) {
		for b.Loop() {
			ds, err := st.TradeDates(ctx, 250)
			if err != nil || len(ds) != 250 {
				b.Fatalf("TradeDates: %d, %v", len(ds), err)
			}
		}
	})
	b.Run("Stock", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Stock(ctx, benchCode(4321)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LatestTradeDate", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.LatestTradeDate(ctx, market.KindStock); err != nil {
				b.Fatal(err)
			}
		}
	})
}
