package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// openClickHouse opens a store on a fresh database of the test server,
// migrated, dropped when the test ends.
func openClickHouse(t testing.TB) *clickhouse.Store {
	t.Helper()
	addr := testenv.ClickHouse(t)
	httpAddr := testenv.ClickHouseHTTP(t)
	var b [6]byte
	rand.Read(b[:])
	db := "stockd_httpapi_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	st, err := clickhouse.Open(ctx, clickhouse.Options{Addr: addr, Database: db})
	if err != nil {
		t.Fatalf("open ClickHouse: %v", err)
	}
	t.Cleanup(func() {
		st.Close()
		// The store keeps its admin connection private; the HTTP interface
		// drops the database just as well.
		if err := clickhouseExec(httpAddr, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Errorf("drop %s: %v", db, err)
		}
	})
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate ClickHouse: %v", err)
	}
	return st
}

func clickhouseExec(httpAddr, query string) error {
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Post("http://"+httpAddr+"/?"+url.Values{"query": {query}}.Encode(), "text/plain", strings.NewReader(""))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, body)
	}
	return nil
}

func TestClickHouseAPI(t *testing.T) {
	st := openClickHouse(t)
	snap := readSnapshot(t)
	snap.load(t, st)
	testContract(t, st, snap)
	t.Run("caching", func(t *testing.T) { testCaching(t, st) })
	t.Run("health", func(t *testing.T) { testHealth(t, st) })
	t.Run("store-down", func(t *testing.T) {
		closed := openClickHouse(t)
		closed.Close()
		testStoreDown(t, closed)
	})
}
