package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stockdatasource/stockd/internal/cache"
)

// A handler caches its encoded answer under a key built from the resolved
// request parameters; without RedisAddr the in-process tier alone serves.
func ExampleCache_Load() {
	c, err := cache.New(cache.Options{L1Size: 1000})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	queries := 0
	marketStats := func(ctx context.Context) ([]byte, error) {
		queries++ // the store query runs once per key, however many ask
		return []byte(`{"trade_date":"2025-12-18","up_count":3120}`), nil
	}
	for range 3 {
		body, err := c.Load(context.Background(), "overview:market_stats:2025-12-18", time.Minute, marketStats)
		if err != nil {
			panic(err)
		}
		fmt.Println(string(body))
	}
	s := c.Stats(context.Background())
	fmt.Println("queries:", queries, "hits:", s.Hits, "misses:", s.Misses, "redis:", s.Status)
	// Output:
	// {"trade_date":"2025-12-18","up_count":3120}
	// {"trade_date":"2025-12-18","up_count":3120}
	// {"trade_date":"2025-12-18","up_count":3120}
	// queries: 1 hits: 2 misses: 1 redis: disabled
}
