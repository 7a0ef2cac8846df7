// Package testenv finds the real servers the tests run against. They are
// started by scripts/test-services.sh, which exports their addresses; a test
// whose server is missing is skipped on a workstation and fails under CI, so
// CI never passes by skipping.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// ClickHouse returns the native-protocol address (host:port) of the test
// ClickHouse server.
func ClickHouse(t testing.TB) string { return need(t, "STOCKD_TEST_CLICKHOUSE") }

// ClickHouseHTTP returns the HTTP address (host:port) of the test ClickHouse.
func ClickHouseHTTP(t testing.TB) string { return need(t, "STOCKD_TEST_CLICKHOUSE_HTTP") }

// Redis returns the address and password of the test Redis server.
func Redis(t testing.TB) (addr, password string) {
	return need(t, "STOCKD_TEST_REDIS"), os.Getenv("STOCKD_TEST_REDIS_PASSWORD")
}

func need(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: run the tests through `make test` (scripts/test-services.sh starts the servers)", name)
		}
		t.Skipf("%s is not set; run `eval \"$(scripts/test-services.sh start)\"` first", name)
	}
	return v
}

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// SnapshotDir is the folder of the real market snapshot (Tushare-format CSVs
// of 2025-12-18) carried in the repository's testdata; its README names the
// public source.
func SnapshotDir() string { return filepath.Join(RepoRoot(), "testdata", "tushare-2025-12-18") }

// Snapshot is SnapshotDir, failing the test when the files are missing.
func Snapshot(t testing.TB) string {
	t.Helper()
	dir := SnapshotDir()
	if _, err := os.Stat(filepath.Join(dir, "daily.csv")); err != nil {
		t.Fatalf("real snapshot not found at %s: %v", dir, err)
	}
	return dir
}

// ClickHouseDatabase names a fresh database on the test ClickHouse for one
// test, prefix plus a random suffix so parallel packages never share tables,
// and drops it when the test ends. It returns the native address and the
// name; the caller opens and migrates its store there. A store opened after
// this call is closed before the drop (cleanups run last-in, first-out).
func ClickHouseDatabase(t testing.TB, prefix string) (addr, db string) {
	t.Helper()
	addr, httpAddr := ClickHouse(t), ClickHouseHTTP(t)
	var b [6]byte
	rand.Read(b[:])
	db = prefix + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		if err := clickHouseExec(httpAddr, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Errorf("drop %s: %v", db, err)
		}
	})
	return addr, db
}

// clickHouseExec runs one statement over ClickHouse's HTTP interface: the
// stores have no reason to export a DROP DATABASE.
func clickHouseExec(httpAddr, query string) error {
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
