package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// BenchPerStock measures, on a store holding BenchDemo, the store reads
// behind the per-stock endpoints as an uncached request makes them:
//
//	Basic      Stock (stock_basic, newest bar, newest valuation)
//	KLine1y    Stock + LatestAdjFactor (the K-line's name, newest bar and
//	           qfq anchor) + Bars of the year before the newest bar
//	KLineFull  the same with Bars of the whole history
//
// Each iteration reads another stock (a stride through the day's codes), so
// no answer comes from the previous iteration's warm query. Besides the mean
// it reports the median and the 99th percentile of the iterations (the
// goals are medians) and, like BenchAnalytics, the CPU per read of this
// process and of the database server when serverCPU is given.
func BenchPerStock(b *testing.B, st market.Store, serverCPU func() time.Duration) {
	ctx := context.Background()
	latest, err := st.LatestTradeDate(ctx, market.KindStock)
	if err != nil {
		b.Fatalf("LatestTradeDate: %v: the demo market is not loaded", err)
	}
	day, err := st.DayBars(ctx, latest)
	if err != nil || len(day) < 1000 {
		b.Fatalf("DayBars = %d, %v: the demo market is not loaded", len(day), err)
	}
	codes := make([]string, len(day))
	for i, d := range day {
		codes[i] = d.TSCode
	}
	kline := func(code string, span time.Duration) error {
		info, err := st.Stock(ctx, code)
		if err != nil {
			return err
		}
		if info.Latest == nil {
			b.Fatalf("%s has no newest bar", code)
		}
		if _, _, err := st.LatestAdjFactor(ctx, code); err != nil && !errors.Is(err, market.ErrNoData) {
			return err
		}
		var start time.Time
		if span > 0 {
			start = info.Latest.TradeDate.Add(-span)
		}
		bars, err := st.Bars(ctx, code, start, info.Latest.TradeDate)
		if err == nil && len(bars) == 0 {
			b.Fatalf("no bars of %s", code)
		}
		return err
	}
	each := func(name string, fn func(code string) error) {
		b.Run(name, func(b *testing.B) {
			i := 0
			var took []time.Duration
			cpu0, srv0 := ProcessCPU(), time.Duration(0)
			if serverCPU != nil {
				srv0 = serverCPU()
			}
			for b.Loop() {
				// 997 is prime to the number of codes, so the walk visits
				// codes all over the key range.
				code := codes[i*997%len(codes)]
				i++
				t0 := time.Now()
				if err := fn(code); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			b.ReportMetric(float64(ProcessCPU()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			if serverCPU != nil {
				b.ReportMetric(float64(serverCPU()-srv0)/float64(time.Millisecond)/float64(b.N), "srv-cpu-ms/op")
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2])/float64(time.Millisecond), "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100])/float64(time.Millisecond), "p99-ms")
		})
	}
	each("Basic", func(code string) error {
		info, err := st.Stock(ctx, code)
		if err == nil && (info.Latest == nil || info.LatestBasic == nil) {
			b.Fatalf("Stock(%s) without newest bar or valuation", code)
		}
		return err
	})
	each("KLine1y", func(code string) error { return kline(code, 365*24*time.Hour) })
	each("KLineFull", func(code string) error { return kline(code, 0) })
}
