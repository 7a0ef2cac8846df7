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

// BenchmarkAnalytics reads the 5,000 × 1,000 demo market
// (storetest.BenchDemo), built with ingest.Demo on first use (a few
// minutes) and kept in the temp folder, named after the schema:
//
//	go test -run '^$' -bench Analytics -benchtime 20x ./internal/store/sqlite/
func BenchmarkAnalytics(b *testing.B) {
	o := storetest.BenchDemo
	path := filepath.Join(os.TempDir(), "stockd-sqlite-bench-"+schemaHash(), fmt.Sprintf("demo-%dx%d.db", o.Stocks, o.Days))
	st := openBuilt(b, path, func(st *Store) error {
		_, err := ingest.Demo(context.Background(), st, o)
		return err
	})
	storetest.BenchAnalytics(b, st, nil)
}
