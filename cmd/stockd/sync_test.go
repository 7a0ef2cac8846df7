package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/config"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
	"github.com/stockdatasource/stockd/internal/testenv"
	"github.com/stockdatasource/stockd/internal/tushare"
	"github.com/stockdatasource/stockd/internal/tushare/tusharetest"
)

// runSyncCmd runs `stockd sync args…` as main would, with the given
// environment on top of an embedded store in dbPath.
func runSyncCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	cfg, err := config.LoadFrom(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	return runApp(cfg, app.sync, args...)
}

func TestSyncNeedsToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "stock.db")
	_, err := runSyncCmd(t, map[string]string{"SQLITE_PATH": db})
	if err == nil {
		t.Fatal("sync without a token succeeded")
	}
	var ue usageError
	if errors.As(err, &ue) {
		t.Error("a missing token is not a command-line mistake (exit 1, not 2)")
	}
	for _, want := range []string{"TUSHARE_TOKEN", "https://tushare.pro", "stockd demo", "stockd import"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the store was created before the token check (stat: %v)", err)
	}
}

func TestSyncUsageErrors(t *testing.T) {
	env := map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "stock.db"), "TUSHARE_TOKEN": "x"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--datasets", "daily,limit_list_d"}, `unknown dataset "limit_list_d"`},
		{[]string{"--start", "2025-13-01"}, "--start: malformed date"},
		{[]string{"--end", "yesterday"}, "--end: malformed date"},
		{[]string{"--start", "20251218", "--end", "20251201"}, "is after --end"},
		{[]string{"--since", "20251201"}, "flag provided but not defined: -since"},
		{[]string{"daily"}, `unexpected argument "daily"`},
	} {
		_, err := runSyncCmd(t, env, tc.args...)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
}

func TestSyncCommand(t *testing.T) {
	const token = "cmd-test-token"
	srv := tusharetest.New(t, tusharetest.Options{Dir: testenv.Snapshot(t), Token: token, ETFs: 5, ETFDays: 2})
	db := filepath.Join(t.TempDir(), "stock.db")
	env := map[string]string{"SQLITE_PATH": db, "TUSHARE_URL": srv.URL, "TUSHARE_TOKEN": "wrong"}

	// A rejected token: non-zero exit with the server's words, no rows.
	_, err := runSyncCmd(t, env, "--start", "20251217", "--end", "20251218")
	if err == nil || !strings.Contains(err.Error(), tusharetest.MsgBadToken) {
		t.Fatalf("bad token: err = %v", err)
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if n != 0 {
			t.Errorf("bad token wrote %d %s rows", n, table)
		}
	}

	env["TUSHARE_TOKEN"] = token
	summary, err := runSyncCmd(t, env, "--start", "20251217", "--end", "20251218")
	if err != nil {
		t.Fatal(err)
	}
	daily := len(testenv.ReadCSV(t, "daily.csv"))
	for _, want := range []string{"daily", "fund_daily", "synced into sqlite", "trade dates 2025-12-17..2025-12-18 (2)"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	if regexp.MustCompile(`rows in 0s`).MatchString(summary) {
		t.Errorf("summary without a duration:\n%s", summary)
	}
	counts, err = st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts["daily"] != int64(daily) || counts["etf_daily"] != 10 {
		t.Errorf("counts after sync: %v", counts)
	}

	// Too few points for an interface: it is skipped and named; when
	// nothing at all could be synced the command fails.
	srv.SetFaults("daily", tusharetest.Faults{NoAccess: true})
	summary, err = runSyncCmd(t, env, "--datasets", "daily,adj_factor", "--start", "20251201", "--end", "20251218")
	if err != nil || !strings.Contains(summary, "skipped daily: "+tusharetest.MsgNoAccess) {
		t.Errorf("one dataset refused: err = %v, summary:\n%s", err, summary)
	}
	if _, err := runSyncCmd(t, env, "--datasets", "daily", "--start", "20251201", "--end", "20251218"); err == nil || !strings.Contains(err.Error(), "no dataset could be synced") {
		t.Errorf("every dataset refused: err = %v", err)
	}
}

// TestSyncScheduleMakesNoCallAtStart: serve with SYNC_AT set must not call
// Tushare before the scheduled time.
func TestSyncScheduleMakesNoCallAtStart(t *testing.T) {
	srv := tusharetest.New(t, tusharetest.Options{Dir: testenv.Snapshot(t), Token: "tok"})
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "stock.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The scheduled time is always a minute or more away.
	at := time.Now().In(tushare.Shanghai).Add(-time.Minute).Format("15:04")
	cfg, err := config.LoadFrom(func(k string) (string, bool) {
		v, ok := map[string]string{"SYNC_AT": at, "TUSHARE_TOKEN": "tok", "TUSHARE_URL": srv.URL}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}.startSyncSchedule(ctx, st, nil)
	time.Sleep(200 * time.Millisecond)
	cancel()
	for _, api := range []string{"stock_basic", "trade_cal", "daily", "etf_basic"} {
		if n := srv.Calls(api); n != 0 {
			t.Errorf("%d calls of %s at start-up", n, api)
		}
	}
}
