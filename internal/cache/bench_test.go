package cache

import (
	"context"
	"testing"
	"time"
)

// payload is about the size of a hot-stocks answer of 20 rows.
var payload = make([]byte, 4096)

func benchLoad(b *testing.B, l1 int, parallel bool) {
	c, _ := newTestCache(b, Options{L1Size: l1, L1TTL: time.Hour})
	ctx := context.Background()
	load := func(context.Context) ([]byte, error) { return payload, nil }
	const key = "overview:hot_stocks:2025-12-18:amount:20"
	if _, err := c.Load(ctx, key, time.Hour, load); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Load(ctx, key, time.Hour, load); err != nil {
					b.Error(err)
					return
				}
			}
		})
	} else {
		for b.Loop() {
			if _, err := c.Load(ctx, key, time.Hour, load); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if s := c.Stats(ctx); s.Loads != 1 {
		b.Fatalf("loader ran %d times; the benchmark measured misses", s.Loads)
	}
}

func BenchmarkLoadHitL1(b *testing.B)            { benchLoad(b, 1000, false) }
func BenchmarkLoadHitL1Parallel(b *testing.B)    { benchLoad(b, 1000, true) }
func BenchmarkLoadHitRedis(b *testing.B)         { benchLoad(b, 0, false) }
func BenchmarkLoadHitRedisParallel(b *testing.B) { benchLoad(b, 0, true) }
