package storetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/indicator"
	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
)

// BenchDemo is the market the analytics benchmarks read: `stockd demo
// --stocks 5000 --days 1000 --end 2025-12-18` (5M bars; 30 funds, six
// indices, ST histories, planted streaks).
var BenchDemo = ingest.DemoOptions{Stocks: 5000, ETFs: 30, Days: 1000, Seed: 1, End: time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)}

// BenchAnalytics measures, on a store holding BenchDemo, the store reads
// and computations behind the analytics endpoints, uncached: what an
// endpoint costs before JSON and HTTP. Each iteration reads another of the
// last 50 trade dates, so no answer comes from the previous iteration's
// warm query.
//
// Besides wall time per read it reports the CPU the read costs, which a
// busy shared machine does not inflate: cpu-ms/op of this process (all of
// it for SQLite) and, when serverCPU is given, srv-cpu-ms/op of the
// database server.
func BenchAnalytics(b *testing.B, st market.Store, serverCPU func() time.Duration) {
	ctx := context.Background()
	dates, err := st.TradeDates(ctx, 50)
	if err != nil || len(dates) < 50 {
		b.Fatalf("TradeDates = %d, %v: the demo market is not loaded", len(dates), err)
	}
	// A running server has its recent days in memory; so do the
	// measurements, whichever of them comes first.
	for _, d := range dates {
		if _, err := st.DayStocks(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	each := func(name string, fn func(d time.Time) error) {
		b.Run(name, func(b *testing.B) {
			i := 0
			cpu0, srv0 := ProcessCPU(), time.Duration(0)
			if serverCPU != nil {
				srv0 = serverCPU()
			}
			for b.Loop() {
				if err := fn(dates[i%len(dates)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(ProcessCPU()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			if serverCPU != nil {
				b.ReportMetric(float64(serverCPU()-srv0)/float64(time.Millisecond)/float64(b.N), "srv-cpu-ms/op")
			}
		})
	}
	each("Sectors", func(d time.Time) error {
		stocks, err := st.DayStocks(ctx, d)
		if err != nil {
			return err
		}
		open, err := st.OpenDays(ctx, d, market.NewListingDays)
		if err != nil {
			return err
		}
		secs := market.ComputeSectors(d, stocks, open)
		if len(secs) < 20 {
			b.Fatalf("%d sectors", len(secs))
		}
		return market.SortSectors(secs, market.SortPctChg)
	})
	each("Ladder", func(d time.Time) error {
		l, err := market.BuildLadder(ctx, st, d)
		if err == nil && l.LimitUpCount == 0 {
			b.Fatalf("no limit-up on %s", market.FormatDate(d))
		}
		return err
	})
	each("Screener", func(d time.Time) error {
		stocks, err := st.DayStocks(ctx, d)
		if err != nil {
			return err
		}
		max20, min2 := 20.0, 2.0
		res, err := market.Screen(stocks, market.ScreenQuery{PE: market.Range{Max: &max20}, DvRatio: market.Range{Min: &min2},
			SortBy: "dv_ratio", Limit: 50})
		if err == nil && res.Total == 0 {
			b.Fatal("the value screen found nothing")
		}
		return err
	})
	each("MarketStats", func(d time.Time) error {
		bars, err := st.DayBars(ctx, d)
		if err != nil {
			return err
		}
		open, err := st.OpenDays(ctx, d, market.NewListingDays)
		if err != nil {
			return err
		}
		if s := market.ComputeStats(d, bars, open); s.StockCount < 4000 {
			b.Fatalf("stats %+v", s)
		}
		return nil
	})
	each("DailyTotals21", func(d time.Time) error {
		t, err := st.DailyTotals(ctx, d, 21)
		if err == nil && len(t) != 21 {
			b.Fatalf("%d totals", len(t))
		}
		return err
	})
	each("IndexQuotes", func(d time.Time) error {
		q, err := st.IndexQuotes(ctx, d)
		if err == nil && len(q) != 6 {
			b.Fatalf("%d index quotes", len(q))
		}
		return err
	})
	// A year of every indicator of another stock each time: the bars from
	// the warm-up's first open day to the latest, adjusted, computed.
	hits, err := st.Securities(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var codes []string
	for _, h := range hits {
		if h.Kind == market.KindStock {
			codes = append(codes, h.TSCode)
		}
	}
	latest := dates[0]
	start := latest.AddDate(-1, 0, 0)
	set, params := indicator.All(), indicator.DefaultParams()
	open, err := st.OpenDays(ctx, start, indicator.WarmUp(set, params)+1)
	if err != nil {
		b.Fatal(err)
	}
	from := open[len(open)-1]
	i := 0
	each("Indicators1y", func(time.Time) error {
		code := codes[(i*7919)%len(codes)]
		i++
		bars, err := st.Bars(ctx, code, from, latest)
		if err != nil {
			return err
		}
		candles := market.Adjust(bars, market.AdjustQFQ, bars[len(bars)-1].AdjFactor)
		res, err := indicator.Compute(candles, indicator.Index(candles, market.FormatDate(start)), set, params)
		if err == nil && len(res.Dates) < 200 {
			b.Fatalf("%s: %d days of indicators", code, len(res.Dates))
		}
		return err
	})
}

// ProcessCPU is the user and system CPU time of this process so far.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PidCPU returns the user and system CPU time of process pid so far, from
// /proc (Linux), or nil when it cannot be read.
func PidCPU(pid int) func() time.Duration {
	read := func() (time.Duration, bool) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, false
		}
		// Fields after the command name, which is in parentheses and may
		// hold spaces: state is the first, utime the 12th, stime the 13th.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			return 0, false
		}
		ut, err1 := strconv.ParseInt(f[11], 10, 64)
		st, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		const ticks = 100 // USER_HZ on Linux
		return time.Duration(ut+st) * time.Second / ticks, true
	}
	if _, ok := read(); !ok {
		return nil
	}
	return func() time.Duration { d, _ := read(); return d }
}
