package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/store/storetest"
)

// openDemo opens the 5,000 × 1,000 demo market (storetest.BenchDemo),
// built with ingest.Demo on first use (a few minutes) and kept in the temp
// folder, named after the schema:
//
//	go test -run '^$' -bench 'Analytics|PerStock' -benchtime 20x ./internal/store/sqlite/
func openDemo(b *testing.B) *Store {
	o := storetest.BenchDemo
	path := filepath.Join(os.TempDir(), "stockd-sqlite-bench-"+schemaHash(), fmt.Sprintf("demo-%dx%d.db", o.Stocks, o.Days))
	return openBuilt(b, path, func(st *Store) error {
		_, err := ingest.Demo(context.Background(), st, o)
		return err
	})
}

// BenchmarkAnalytics measures the analytics reads; see storetest.BenchAnalytics.
func BenchmarkAnalytics(b *testing.B) {
	storetest.BenchAnalytics(b, openDemo(b), nil)
}

// BenchmarkPerStock measures the per-stock reads (basic, K-lines); see
// storetest.BenchPerStock.
func BenchmarkPerStock(b *testing.B) {
	storetest.BenchPerStock(b, openDemo(b), nil)
}
