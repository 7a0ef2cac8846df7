package clickhouse

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// The read benchmarks run on a generated market of benchStocks stocks over
// benchDays trading days (5M bars and 5M daily_basic rows), kept in a
// database of its own (stockd_bench, or $STOCKD_BENCH_DB) that later runs
// reuse. It is loaded one month per call, as a backfill would, and never
// OPTIMIZEd, so FINAL does real work.
//
// Measured on the 2-core build machine, ClickHouse 18.16, quiet machine
// (go test -bench . -benchtime 50x):
//
//	generate 10M rows              11 s
//	PutDaily (105k bars per call)  0.6–1.2M rows/s (240k/s with load average 14)
//	HotStocks (any sort, top 20)   12 ms
//	DayBars (5,000 bars)           13 ms
//	Stock (basic + newest bar)     20 ms
//	Bars, 250 / 1,000 days         18 / 60 ms
//
// Stock varies 20–45 ms with the load. With the bar tables ordered
// (trade_date, ts_code) instead, the same queries took 7 ms (HotStocks) and
// 11 ms (DayBars), but 78 ms (Stock) and 118 / 400 ms (Bars): the per-stock
// reads cannot use the key. Before key filters moved to PREWHERE, Stock took
// 0.44 s on this order and 2.9 s on the other. index_granularity 2048 gained ~10% on
// the per-stock reads: not worth a non-default setting.
const (
	benchStocks = 5000
	benchDays   = 1000
)

var benchStart = time.Date(2021, 1, 4, 0, 0, 0, 0, time.UTC)

func benchDates() []time.Time {
	var out []time.Time
	for d := benchStart; len(out) < benchDays; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

func benchCode(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("%06d.SH", 600000+i)
	}
	return fmt.Sprintf("%06d.SZ", i)
}

// benchMonth makes the bars and daily_basic rows of the days in dates.
func benchMonth(rng *rand.Rand, dates []time.Time) ([]market.DailyBar, []market.DailyBasic) {
	bars := make([]market.DailyBar, 0, len(dates)*benchStocks)
	basics := make([]market.DailyBasic, 0, len(dates)*benchStocks)
	for _, d := range dates {
		for i := range benchStocks {
			pre := 5 + rng.Float64()*95
			pct := rng.NormFloat64() * 2
			cls := pre * (1 + pct/100)
			vol := rng.Float64() * 1e6
			bars = append(bars, market.DailyBar{
				TSCode: benchCode(i), TradeDate: d,
				Open: pre, High: max(pre, cls) * 1.01, Low: min(pre, cls) * 0.99, Close: cls, PreClose: pre,
				Change: cls - pre, PctChg: pct, Vol: vol, Amount: vol * cls / 10,
			})
			b := market.DailyBasic{TSCode: benchCode(i), TradeDate: d}
			if i%50 != 0 { // some stocks have no turnover, as suspended ones
				tr, mv := rng.Float64()*10, rng.Float64()*1e7
				b.TurnoverRate, b.CircMV = &tr, &mv
			}
			basics = append(basics, b)
		}
	}
	return bars, basics
}

// openBenchDB opens and migrates the benchmark database named by $env, or
// def; benchmark databases are kept between runs.
func openBenchDB(b *testing.B, env, def string) (*Store, string) {
	b.Helper()
	db := os.Getenv(env)
	if db == "" {
		db = def
	}
	st, err := Open(context.Background(), Options{Addr: testenv.ClickHouse(b), Database: db})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return st, db
}

// benchStore opens the big generated market, building it when missing.
func benchStore(b *testing.B) (*Store, []time.Time) {
	b.Helper()
	ctx := context.Background()
	st, db := openBenchDB(b, "STOCKD_BENCH_DB", "stockd_bench")
	dates := benchDates()
	var have uint64
	if err := st.conn.QueryRow(ctx, `SELECT count() FROM sync_state WHERE dataset = 'bench'`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have == 1 {
		return st, dates
	}
	b.Logf("generating %d stocks × %d days in %s …", benchStocks, benchDays, db)
	for _, table := range []string{"stock_basic", "daily", "daily_basic"} {
		if err := st.conn.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
			b.Fatal(err)
		}
	}
	stocks := make([]market.Stock, benchStocks)
	for i := range stocks {
		stocks[i] = market.Stock{TSCode: benchCode(i), Name: fmt.Sprintf("股票%d", i), Industry: "行业", ListDate: benchStart}
	}
	if err := st.PutStocks(ctx, stocks); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	for i := 0; i < len(dates); {
		j := i
		for j < len(dates) && dates[j].Month() == dates[i].Month() {
			j++
		}
		bars, basics := benchMonth(rng, dates[i:j])
		if err := st.PutDaily(ctx, bars); err != nil {
			b.Fatal(err)
		}
		if err := st.PutDailyBasic(ctx, basics); err != nil {
			b.Fatal(err)
		}
		i = j
	}
	if err := st.MarkSynced(ctx, "bench", dates[len(dates)-1], benchStocks*benchDays, 0); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated in %s", time.Since(start).Round(time.Second))
	return st, dates
}

// BenchmarkPutDaily loads one month of a 5,000-stock market (105k bars) per
// iteration into a scratch database. Goal: ≥ 300k rows/s.
func BenchmarkPutDaily(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, Options{Addr: testenv.ClickHouse(b), Database: testDatabase(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		st.admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+st.db)
		st.Close()
	})
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	bars, _ := benchMonth(rand.New(rand.NewPCG(3, 4)), benchDates()[:21])
	b.ResetTimer()
	for b.Loop() {
		if err := st.PutDaily(ctx, bars); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(bars)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkHotStocks(b *testing.B) {
	st, dates := benchStore(b)
	ctx := context.Background()
	for _, sortBy := range []string{market.SortAmount, market.SortPctChg, market.SortTurnoverRate} {
		b.Run(sortBy, func(b *testing.B) {
			i := 0
			for b.Loop() {
				// Walk the days so no answer is served from a warm cache of
				// the previous iteration's exact query.
				d := dates[len(dates)-1-i%len(dates)]
				i++
				hot, err := st.HotStocks(ctx, d, sortBy, 20)
				if err != nil || len(hot) != 20 {
					b.Fatalf("HotStocks(%s) = %d rows, %v", market.FormatDate(d), len(hot), err)
				}
			}
		})
	}
}

func BenchmarkDayBars(b *testing.B) {
	st, dates := benchStore(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		d := dates[len(dates)-1-i%len(dates)]
		i++
		bars, err := st.DayBars(ctx, d)
		if err != nil || len(bars) != benchStocks {
			b.Fatalf("DayBars(%s) = %d bars, %v", market.FormatDate(d), len(bars), err)
		}
	}
}

// BenchmarkStock and BenchmarkBars read one stock across the whole history:
// the access path the bar tables' key order does not favour.
func BenchmarkStock(b *testing.B) {
	st, _ := benchStore(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		code := benchCode(i * 7 % benchStocks)
		i++
		info, err := st.Stock(ctx, code)
		if err != nil || info.Latest == nil {
			b.Fatalf("Stock(%s) = %+v, %v", code, info, err)
		}
	}
}

func BenchmarkBars(b *testing.B) {
	st, dates := benchStore(b)
	ctx := context.Background()
	for _, span := range []int{250, benchDays} {
		b.Run(fmt.Sprintf("days=%d", span), func(b *testing.B) {
			i := 0
			for b.Loop() {
				code := benchCode(i * 7 % benchStocks)
				i++
				bars, err := st.Bars(ctx, code, dates[len(dates)-span], time.Time{})
				if err != nil || len(bars) != span {
					b.Fatalf("Bars(%s) = %d bars, %v", code, len(bars), err)
				}
			}
		})
	}
}
