package httpapi

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stockdatasource/stockd/internal/store/sqlite"
)

// openSQLite opens a migrated store in a fresh file of the test's temp dir.
func openSQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stock.db"))
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate SQLite: %v", err)
	}
	return st
}

func TestSQLiteAPI(t *testing.T) {
	st := openSQLite(t)
	snap := readSnapshot(t)
	snap.load(t, st)
	testContract(t, st, snap)
	t.Run("analytics", func(t *testing.T) { testAnalytics(t, st, snap) })
	t.Run("caching", func(t *testing.T) { testCaching(t, st) })
	t.Run("health", func(t *testing.T) { testHealth(t, st) })
	t.Run("store-down", func(t *testing.T) {
		closed := openSQLite(t)
		closed.Close()
		testStoreDown(t, closed)
	})
}
