package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stockdatasource/stockd/internal/config"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// runCmd runs a command function as main would, on an embedded store in a
// temp dir, and returns its printed summary.
func runCmd(t *testing.T, dbPath string, cmd command, args ...string) (string, error) {
	t.Helper()
	cfg, err := config.LoadFrom(func(k string) (string, bool) {
		if k == "SQLITE_PATH" {
			return dbPath, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	return runApp(cfg, cmd, args...)
}

// command is a subcommand's runner, as in the commands table.
type command = func(a app, ctx context.Context, args []string) error

// runApp runs a command with cfg and returns what it printed on stdout.
func runApp(cfg config.Config, cmd command, args ...string) (string, error) {
	var buf bytes.Buffer
	a := app{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), stdout: &buf, stderr: io.Discard}
	err := cmd(a, context.Background(), args)
	return buf.String(), err
}

func TestIngestUsageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "stock.db")
	tests := []struct {
		name string
		run  command
		args []string
		want string
	}{
		{"import nothing", app.importFiles, nil, "missing DIR or FILE"},
		{"import missing path", app.importFiles, []string{filepath.Join(t.TempDir(), "nope")}, "cannot import"},
		{"import unknown flag", app.importFiles, []string{"--skip", "x"}, "flag provided but not defined: -skip"},
		{"demo negative", app.demo, []string{"--stocks", "-1"}, "--stocks must be 1..20000, got -1"},
		{"demo zero days", app.demo, []string{"--days=0"}, "--days must be"},
		{"demo bad number", app.demo, []string{"--etfs", "many"}, `invalid value "many" for flag -etfs`},
		{"demo bad end", app.demo, []string{"--end", "2025-13-01"}, "--end: malformed date"},
		{"demo extra arg", app.demo, []string{"300"}, `unexpected argument "300"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCmd(t, db, tt.run, tt.args...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v is not a usage error (exit 2)", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want %q", err, tt.want)
			}
		})
	}
	// A mistake on the command line never creates the database file.
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("usage errors touched the store: %v", err)
	}
	// -h prints the usage and succeeds.
	text, err := runCmd(t, db, app.demo, "-h")
	if err != nil || !strings.Contains(text, "usage: stockd demo") {
		t.Fatalf("demo -h: %q %v", text, err)
	}
}

func TestImportCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "stock.db")
	text, err := runCmd(t, db, app.importFiles, testenv.Snapshot(t))
	if err != nil {
		t.Fatal(err)
	}
	daily := len(testenv.ReadCSV(t, "daily.csv"))
	for _, want := range []string{"stock_basic", "trade_cal", "stk_limit", "rows/s", "imported into sqlite"} {
		if !strings.Contains(text, want) {
			t.Fatalf("output lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(text, "daily") || !strings.Contains(text, " "+strconv.Itoa(daily)) {
		t.Fatalf("output lacks %d daily rows:\n%s", daily, text)
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Counts(context.Background())
	if err != nil || c["daily"] != int64(daily) {
		t.Fatalf("store counts %v %v", c, err)
	}

	// A broken file fails with exit 1 (not a usage error) and its line.
	bad := filepath.Join(t.TempDir(), "adj_factor.csv")
	os.WriteFile(bad, []byte("ts_code,trade_date,adj_factor\n000001.SZ,20251218,x\n"), 0o644)
	_, err = runCmd(t, db, app.importFiles, bad)
	var ue usageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "adj_factor.csv:2: adj_factor:") {
		t.Fatalf("broken file: %v", err)
	}
	text, err = runCmd(t, db, app.importFiles, "--skip-bad", bad)
	if err != nil || !strings.Contains(text, "1 malformed lines skipped") {
		t.Fatalf("--skip-bad: %v\n%s", err, text)
	}
}

func TestDemoCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "stock.db")
	text, err := runCmd(t, db, app.demo, "--stocks", "20", "--etfs", "3", "--days", "15", "--seed", "9", "--end", "2025-12-19")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"etf_daily", "45", "trade dates", "..2025-12-19 (15)", "SYNTHETIC demo market (not real data) written to sqlite"} {
		if !strings.Contains(text, want) {
			t.Fatalf("output lacks %q:\n%s", want, text)
		}
	}
}

// make run calls `demo --if-empty` on every start: it must fill an empty
// store once and never touch one that has data.
func TestDemoIfEmpty(t *testing.T) {
	cfg := config.Config{SQLitePath: filepath.Join(t.TempDir(), "s.db")}
	for i, want := range []string{"SYNTHETIC demo market", "already has"} {
		text, err := runApp(cfg, app.demo, "--if-empty", "--stocks", "10", "--etfs", "1", "--days", "3", "--end", "2025-12-19")
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if !strings.Contains(text, want) {
			t.Fatalf("run %d: output lacks %q:\n%s", i, want, text)
		}
	}
}
