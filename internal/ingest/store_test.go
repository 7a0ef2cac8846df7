package ingest

import (
	"context"
	"testing"

	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// openClickHouse opens the real test ClickHouse on a fresh database, so
// parallel packages never share tables, and drops it when the test ends.
func openClickHouse(t testing.TB) *clickhouse.Store {
	t.Helper()
	addr, db := testenv.ClickHouseDatabase(t, "ingest_test_")
	ctx := context.Background()
	st, err := clickhouse.Open(ctx, clickhouse.Options{Addr: addr, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}
