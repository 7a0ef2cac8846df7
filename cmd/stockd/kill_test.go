package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
	"github.com/stockdatasource/stockd/internal/testenv"
	"github.com/stockdatasource/stockd/internal/tushare"
	"github.com/stockdatasource/stockd/internal/tushare/tusharetest"
)

// asMainEnv makes the test binary run main instead of the tests: the fault
// tests need stockd as a real process they can kill.
const asMainEnv = "STOCKD_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		if v := os.Getenv(fakeClockEnv); v != "" {
			c, err := fakeClock(v)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(exitUsage)
			}
			clock = c
		}
		main() // exits with stockd's status
	}
	os.Exit(m.Run())
}

// stockdProcess prepares `stockd args…` as a process of its own with exactly
// env (no inherited configuration), in an empty working directory so no
// .env file is read.
func stockdProcess(t *testing.T, env map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{asMainEnv + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// TestSyncKilledMidRun: `stockd sync` killed with SIGKILL halfway through —
// no deferred cleanup, no flush, possibly inside a write — then run again,
// ends with exactly the data and sync records of one uninterrupted run.
func TestSyncKilledMidRun(t *testing.T) {
	type storeCase struct {
		name string
		// env configures stockd for a fresh store; open opens it here.
		env  func(t *testing.T) map[string]string
		open func(t *testing.T, env map[string]string) market.Store
	}
	stores := []storeCase{
		{"sqlite",
			func(t *testing.T) map[string]string {
				return map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "stock.db")}
			},
			func(t *testing.T, env map[string]string) market.Store {
				st, err := sqlite.Open(context.Background(), env["SQLITE_PATH"])
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}},
		{"clickhouse",
			func(t *testing.T) map[string]string {
				addr, db := testenv.ClickHouseDatabase(t, "stockd_kill_test_")
				host, port, _ := strings.Cut(addr, ":")
				return map[string]string{"CLICKHOUSE_HOST": host, "CLICKHOUSE_PORT": port, "CLICKHOUSE_DATABASE": db}
			},
			func(t *testing.T, env map[string]string) market.Store {
				st, err := clickhouse.Open(context.Background(), clickhouse.Options{
					Addr: env["CLICKHOUSE_HOST"] + ":" + env["CLICKHOUSE_PORT"], Database: env["CLICKHOUSE_DATABASE"]})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}},
	}
	const (
		token  = "kill-test-token"
		etfs   = 5
		etfDay = 25
	)
	args := []string{"sync", "--start", "20251101", "--end", "20251218"}
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			// Each answer takes 30 ms: the run lasts seconds, so there is a
			// middle to kill it in.
			srv := tusharetest.New(t, tusharetest.Options{Dir: testenv.Snapshot(t), Token: token,
				ETFs: etfs, ETFDays: etfDay, Delay: 30 * time.Millisecond})
			withSync := func(env map[string]string) map[string]string {
				env = maps.Clone(env)
				env["TUSHARE_URL"], env["TUSHARE_TOKEN"] = srv.URL, token
				env["TUSHARE_RPM"], env["LOG_LEVEL"] = "100000", "warn"
				return env
			}

			// The reference: one uninterrupted run into its own store.
			cleanEnv := withSync(sc.env(t))
			if out, err := stockdProcess(t, cleanEnv, args...).CombinedOutput(); err != nil {
				t.Fatalf("clean run: %v\n%s", err, out)
			}
			planned := srv.Calls("fund_daily") // one call per open date of the range
			clean := sc.open(t, cleanEnv)
			allDone, err := clean.SyncedDates(context.Background(), tushare.FundDaily)
			if err != nil || len(allDone) < 10 {
				t.Fatalf("clean run recorded %d fund_daily dates (%v): too few to stop halfway", len(allDone), err)
			}

			env := withSync(sc.env(t))
			if out, err := stockdProcess(t, env, "migrate").CombinedOutput(); err != nil {
				t.Fatalf("migrate: %v\n%s", err, out)
			}
			st := sc.open(t, env)
			cmd := stockdProcess(t, env, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() }) // when the test fails before its own kill
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			// Kill once a few dates are in, well before the end.
			var done []time.Time
			deadline := time.Now().Add(2 * time.Minute)
			for len(done) < 3 {
				select {
				case err := <-exited:
					t.Fatalf("sync ended (%v) before it could be killed: raise the fake server's delay", err)
				case <-time.After(10 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatal("no fund_daily date recorded within 2 minutes")
				}
				if done, err = st.SyncedDates(context.Background(), tushare.FundDaily); err != nil {
					t.Fatal(err)
				}
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			err = <-exited
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("sync was not killed: %v", err)
			}
			done, _ = st.SyncedDates(context.Background(), tushare.FundDaily)
			if len(done) >= len(allDone) {
				t.Fatalf("sync finished all %d dates before the kill took effect", len(done))
			}
			t.Logf("killed with %d of %d fund_daily dates recorded", len(done), len(allDone))

			callsBefore := srv.Calls("fund_daily")
			if out, err := stockdProcess(t, env, args...).CombinedOutput(); err != nil {
				t.Fatalf("re-run after the kill: %v\n%s", err, out)
			}
			// Recorded dates are not fetched again; the rest are (dates with
			// no fund bars are never recorded: their data may come later).
			if got, most := srv.Calls("fund_daily")-callsBefore, planned-len(done); got != most {
				t.Errorf("re-run fetched fund_daily %d times; %d of %d planned dates were recorded", got, len(done), planned)
			}
			sameStore(t, st, clean, allDone)
		})
	}
}

// sameStore compares two stores: row counts per table, the sync records of
// every dated dataset, every ETF's bars over dates, and the day's hot stocks.
func sameStore(t *testing.T, got, want market.Store, dates []time.Time) {
	t.Helper()
	ctx := context.Background()
	gc, err1 := got.Counts(ctx)
	wc, err2 := want.Counts(ctx)
	if err1 != nil || err2 != nil || !maps.Equal(gc, wc) {
		t.Errorf("counts %v (%v), want %v (%v)", gc, err1, wc, err2)
	}
	for _, ds := range []string{tushare.Daily, tushare.DailyBasic, tushare.AdjFactor, tushare.FundDaily} {
		a, err1 := got.SyncedDates(ctx, ds)
		b, err2 := want.SyncedDates(ctx, ds)
		if err1 != nil || err2 != nil || !slices.Equal(a, b) {
			t.Errorf("%s sync records: %d dates (%v), want %d (%v)", ds, len(a), err1, len(b), err2)
		}
	}
	last := dates[len(dates)-1]
	hotETFs, err := want.HotETFs(ctx, last, market.SortAmount, 50)
	if err != nil || len(hotETFs) == 0 {
		t.Fatalf("reference ETFs on %s: %d (%v)", market.FormatDate(last), len(hotETFs), err)
	}
	for _, e := range hotETFs {
		a, err1 := got.Bars(ctx, e.TSCode, dates[0], last)
		b, err2 := want.Bars(ctx, e.TSCode, dates[0], last)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("bars of %s: %d (%v), want %d (%v)", e.TSCode, len(a), err1, len(b), err2)
		}
	}
	snapshotDay := time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)
	for _, sortBy := range []string{market.SortAmount, market.SortPctChg} {
		a, err1 := got.HotStocks(ctx, snapshotDay, sortBy, 50)
		b, err2 := want.HotStocks(ctx, snapshotDay, sortBy, 50)
		if err1 != nil || err2 != nil || len(b) == 0 || !reflect.DeepEqual(a, b) {
			t.Errorf("hot stocks by %s differ: %d (%v) vs %d (%v)", sortBy, len(a), err1, len(b), err2)
		}
	}
}
