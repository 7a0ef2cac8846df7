package httpapi

import (
	"context"
	"testing"

	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// openClickHouse opens a store on a fresh database of the test server,
// migrated, dropped when the test ends.
func openClickHouse(t testing.TB) *clickhouse.Store {
	t.Helper()
	addr, db := testenv.ClickHouseDatabase(t, "stockd_httpapi_")
	ctx := context.Background()
	st, err := clickhouse.Open(ctx, clickhouse.Options{Addr: addr, Database: db})
	if err != nil {
		t.Fatalf("open ClickHouse: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate ClickHouse: %v", err)
	}
	return st
}

func TestClickHouseAPI(t *testing.T) {
	st := openClickHouse(t)
	snap := readSnapshot(t)
	snap.load(t, st)
	testContract(t, st, snap)
	t.Run("analytics", func(t *testing.T) { testAnalytics(t, st, snap) })
	t.Run("caching", func(t *testing.T) { testCaching(t, st) })
	t.Run("health", func(t *testing.T) { testHealth(t, st) })
	t.Run("store-down", func(t *testing.T) {
		closed := openClickHouse(t)
		closed.Close()
		testStoreDown(t, closed)
	})
}
