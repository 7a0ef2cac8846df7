package ingest

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

// openClickHouse opens the real test ClickHouse on a fresh database, so
// parallel packages never share tables, and drops it when the test ends.
func openClickHouse(t testing.TB) *clickhouse.Store {
	t.Helper()
	addr, httpAddr := testenv.ClickHouse(t), testenv.ClickHouseHTTP(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	db := "ingest_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	st, err := clickhouse.Open(ctx, clickhouse.Options{Addr: addr, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Close()
		if err := clickhouseHTTP(httpAddr, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Errorf("drop %s: %v", db, err)
		}
	})
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// clickhouseHTTP runs one statement over ClickHouse's HTTP interface; the
// store has no reason to export a DROP DATABASE.
func clickhouseHTTP(addr, query string) error {
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Post("http://"+addr+"/?"+url.Values{"query": {query}}.Encode(), "text/plain", strings.NewReader(""))
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
