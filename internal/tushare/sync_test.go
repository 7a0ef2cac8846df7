package tushare

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
	"github.com/stockdatasource/stockd/internal/testenv"
	"github.com/stockdatasource/stockd/internal/tushare/tusharetest"
)

// snapshotDay is the trade date of the snapshot's bars.
var snapshotDay = mustDate("20251218")

func mustDate(s string) time.Time {
	t, err := market.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// openStore opens a fresh, migrated store of the kind; ClickHouse gets its
// own database, dropped when the test ends.
type openStore func(t testing.TB) market.Store

func openSQLite(t testing.TB) market.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stock.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func openClickHouse(t testing.TB) market.Store {
	t.Helper()
	addr, db := testenv.ClickHouseDatabase(t, "stockd_tushare_test_")
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

// eachStore runs fn against SQLite and, when the test server is there,
// ClickHouse.
func eachStore(t *testing.T, fn func(t *testing.T, open openStore)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLite) })
	t.Run("clickhouse", func(t *testing.T) { fn(t, openClickHouse) })
}

func newSyncer(srv *tusharetest.Server, st Store) *Syncer {
	return &Syncer{
		Client: newTestClient(srv, testToken),
		Store:  st,
		Logger: quietLogger,
		// The evening of the snapshot day in Shanghai.
		Now: func() time.Time { return time.Date(2025, 12, 18, 20, 0, 0, 0, shanghai) },
	}
}

// lastOpenDays are the n open days of the snapshot calendar up to the
// snapshot day, oldest first.
func lastOpenDays(t testing.TB, n int) []time.Time {
	var days []time.Time
	for _, r := range testenv.ReadCSV(t, "trade_cal.csv") {
		d := mustDate(r["cal_date"])
		if r["is_open"] == "1" && !d.After(snapshotDay) {
			days = append(days, d)
		}
	}
	slices.SortFunc(days, time.Time.Compare)
	return days[len(days)-n:]
}

// TestSyncMatchesImport: a sync of the snapshot through the wire format
// stores exactly what importing the snapshot's CSV files stores.
func TestSyncMatchesImport(t *testing.T) {
	eachStore(t, func(t *testing.T, open openStore) {
		ctx := context.Background()
		srv := newServer(t, tusharetest.Options{}) // no funds: the CSVs have none
		synced, imported := open(t), open(t)

		// To the day after the bars, the day stk_limit.csv is of; without
		// the datasets the snapshot has no files for (the fake makes them).
		var names []string
		for _, n := range DatasetNames() {
			if n != NameChange && n != IndexBasic && n != IndexDaily {
				names = append(names, n)
			}
		}
		limitDay := snapshotDay.AddDate(0, 0, 1)
		sum, err := newSyncer(srv, synced).Run(ctx, Options{Datasets: names, Start: snapshotDay, End: limitDay})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ingest.ImportPaths(ctx, imported, []string{testenv.Snapshot(t)}, ingest.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for table, n := range rep.Rows {
			name := table
			if table == ingest.ETFDaily {
				name = FundDaily
			}
			if sum.Rows[name] != int(n) {
				t.Errorf("%s: sync wrote %d rows, import %d", table, sum.Rows[name], n)
			}
		}
		if want := len(testenv.ReadCSV(t, "daily.csv")); sum.Rows[Daily] != want {
			t.Errorf("daily: synced %d rows, the CSV has %d", sum.Rows[Daily], want)
		}
		if !slices.Equal(sum.Changed, []time.Time{snapshotDay, limitDay}) {
			t.Errorf("changed dates = %v", sum.Changed)
		}
		if got, err := synced.SyncedDates(ctx, StkLimit); err != nil || !slices.Equal(got, []time.Time{limitDay}) {
			t.Errorf("sync_state of stk_limit = %v, %v; want the day of stk_limit.csv", got, err)
		}
		sameData(t, synced, imported, []time.Time{snapshotDay})
		for _, ds := range []string{Daily, DailyBasic, AdjFactor} {
			got, err := synced.SyncedDates(ctx, ds)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []time.Time{snapshotDay}) {
				t.Errorf("sync_state of %s = %v", ds, got)
			}
		}
	})
}

// sameData compares every answer the service gives from two stores.
func sameData(t *testing.T, a, b market.Store, days []time.Time) {
	t.Helper()
	ctx := context.Background()
	ca, err := a.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ca, cb) {
		t.Fatalf("counts differ:\n got %v\nwant %v", ca, cb)
	}
	if ca["daily"]+ca["etf_daily"] == 0 {
		t.Fatalf("nothing to compare: counts %v", ca)
	}
	same := func(what string, f func(market.Store) (any, error)) {
		t.Helper()
		va, err := f(a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		vb, err := f(b)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !reflect.DeepEqual(va, vb) {
			t.Fatalf("%s differs:\n got %+v\nwant %+v", what, va, vb)
		}
	}
	var codes []string
	for _, d := range days {
		same("HotStocks "+market.FormatDate(d), func(s market.Store) (any, error) {
			return s.HotStocks(ctx, d, market.SortAmount, 100000)
		})
		same("HotETFs "+market.FormatDate(d), func(s market.Store) (any, error) {
			return s.HotETFs(ctx, d, market.SortPctChg, 100000)
		})
		same("DayBars "+market.FormatDate(d), func(s market.Store) (any, error) {
			bars, err := s.DayBars(ctx, d)
			for i, bar := range bars {
				if i%211 == 0 { // a sample across the code range
					codes = append(codes, bar.TSCode)
				}
			}
			return bars, err
		})
		etfs, err := a.HotETFs(ctx, d, market.SortAmount, 100000)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range etfs {
			if i%3 == 0 {
				codes = append(codes, e.TSCode)
			}
		}
	}
	same("OpenDays", func(s market.Store) (any, error) { return s.OpenDays(ctx, days[len(days)-1], 40) })
	for _, code := range codes {
		same("Bars "+code, func(s market.Store) (any, error) { return s.Bars(ctx, code, time.Time{}, time.Time{}) })
		if strings.HasPrefix(code, "5") || strings.HasPrefix(code, "159") {
			same("ETF "+code, func(s market.Store) (any, error) { return s.ETF(ctx, code) })
			continue
		}
		same("Stock "+code, func(s market.Store) (any, error) { return s.Stock(ctx, code) })
	}
}

// countingStore cancels the sync after a number of Put calls, to stop it
// mid-way as a crash or Ctrl-C would. before decides whether the cancelled
// Put itself fails (the kill lands inside the write) or succeeds (it lands
// between the write and the sync_state record).
type countingStore struct {
	market.Store
	after  int32
	before bool
	cancel context.CancelFunc
	puts   atomic.Int32
}

func (c *countingStore) put(ctx context.Context, f func(ctx context.Context) error) error {
	n := c.puts.Add(1)
	if n == c.after && c.before {
		c.cancel()
		return f(ctx)
	}
	err := f(ctx)
	if n == c.after {
		c.cancel()
	}
	return err
}

func (c *countingStore) PutStocks(ctx context.Context, r []market.Stock) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutStocks(ctx, r) })
}
func (c *countingStore) PutDaily(ctx context.Context, r []market.DailyBar) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutDaily(ctx, r) })
}
func (c *countingStore) PutDailyBasic(ctx context.Context, r []market.DailyBasic) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutDailyBasic(ctx, r) })
}
func (c *countingStore) PutAdjFactors(ctx context.Context, r []market.AdjFactor) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutAdjFactors(ctx, r) })
}
func (c *countingStore) PutETFs(ctx context.Context, r []market.ETF) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutETFs(ctx, r) })
}
func (c *countingStore) PutETFDaily(ctx context.Context, r []market.DailyBar) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutETFDaily(ctx, r) })
}
func (c *countingStore) PutTradeCal(ctx context.Context, r []market.TradeDay) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutTradeCal(ctx, r) })
}
func (c *countingStore) PutNameChanges(ctx context.Context, r []market.NameChange) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutNameChanges(ctx, r) })
}
func (c *countingStore) PutStkLimits(ctx context.Context, r []market.StkLimit) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutStkLimits(ctx, r) })
}
func (c *countingStore) PutIndices(ctx context.Context, r []market.Index) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutIndices(ctx, r) })
}
func (c *countingStore) PutIndexDaily(ctx context.Context, r []market.DailyBar) error {
	return c.put(ctx, func(ctx context.Context) error { return c.Store.PutIndexDaily(ctx, r) })
}

const (
	faultETFs = 12
	faultDays = 6
)

// cleanRun is one undisturbed sync of the fault scenario's range.
func cleanRun(t *testing.T, open openStore) (market.Store, Options) {
	t.Helper()
	days := lastOpenDays(t, faultDays)
	opt := Options{Start: days[0], End: days[len(days)-1]}
	srv := newServer(t, tusharetest.Options{ETFs: faultETFs, ETFDays: faultDays})
	st := open(t)
	sum, err := newSyncer(srv, st).Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Dates[FundDaily] != faultDays || sum.Dates[Daily] != 1 {
		t.Fatalf("clean run wrote dates %v, want %d fund days and 1 stock day", sum.Dates, faultDays)
	}
	// daily, daily_basic and adj_factor have the snapshot day only;
	// stk_limit has none of these days (its file is of the next day).
	if want := 3*(faultDays-1) + faultDays; sum.Empty != want {
		t.Errorf("empty dates = %d, want %d (stock datasets before the snapshot day, stk_limit every day)", sum.Empty, want)
	}
	if sum.Dates[IndexDaily] != faultDays || sum.Rows[IndexDaily] != 6*faultDays || sum.Rows[IndexBasic] != 6 || sum.Rows[NameChange] == 0 {
		t.Fatalf("clean run: rows %v, dates %v; want the six indices on every day and the name history", sum.Rows, sum.Dates)
	}
	return st, opt
}

// TestSyncFaults: rate-limit answers, 500s and dropped connections on every
// interface change nothing in the end.
func TestSyncFaults(t *testing.T) {
	eachStore(t, func(t *testing.T, open openStore) {
		clean, opt := cleanRun(t, open)
		srv := newServer(t, tusharetest.Options{ETFs: faultETFs, ETFDays: faultDays})
		for _, api := range []string{"stock_basic", "etf_basic", "trade_cal", "daily", "daily_basic", "adj_factor", "fund_daily",
			"namechange", "stk_limit", "index_basic", "index_daily"} {
			srv.SetFaults(api, tusharetest.Faults{DropEvery: 2, ServerErrorEvery: 3, RateLimitEvery: 5, MaxRows: 1500})
		}
		st := open(t)
		sy := newSyncer(srv, st)
		var rateWaits atomic.Int32
		sy.Client.RateLimitWait = func(time.Time) time.Duration { rateWaits.Add(1); return time.Millisecond }
		sy.Client.MaxAttempts = 10
		if _, err := sy.Run(context.Background(), opt); err != nil {
			t.Fatal(err)
		}
		if rateWaits.Load() == 0 {
			t.Error("no rate-limit answer was met: the faults were not injected")
		}
		sameData(t, st, clean, lastOpenDays(t, faultDays))
	})
}

// TestSyncResume: a sync stopped after any number of writes, then run again,
// ends with the data of one clean run; the second run does not fetch what
// the first completed.
func TestSyncResume(t *testing.T) {
	eachStore(t, func(t *testing.T, open openStore) {
		clean, opt := cleanRun(t, open)
		days := lastOpenDays(t, faultDays)
		stops := []struct {
			after  int32
			before bool
		}{{1, true}, {4, false}, {6, true}, {9, false}}
		if testing.Short() || !strings.Contains(t.Name(), "sqlite") {
			// A ClickHouse database costs seconds to set up: two stops
			// (one of each kind) cover its part of the contract.
			stops = stops[1:3]
		}
		for _, stop := range stops {
			t.Run(fmt.Sprintf("after %d writes, inside=%v", stop.after, stop.before), func(t *testing.T) {
				srv := newServer(t, tusharetest.Options{ETFs: faultETFs, ETFDays: faultDays})
				st := open(t)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				cs := &countingStore{Store: st, after: stop.after, before: stop.before, cancel: cancel}
				_, err := newSyncer(srv, cs).Run(ctx, opt)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("stopped run: err = %v, want context.Canceled", err)
				}
				firstDone, err := st.SyncedDates(context.Background(), FundDaily)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("stopped with %d of %d fund dates done", len(firstDone), faultDays)
				callsBefore := srv.Calls("fund_daily")

				sum, err := newSyncer(srv, st).Run(context.Background(), opt)
				if err != nil {
					t.Fatal(err)
				}
				if got := srv.Calls("fund_daily") - callsBefore; got != faultDays-len(firstDone) {
					t.Errorf("re-run fetched fund_daily %d times; %d of %d dates were done", got, len(firstDone), faultDays)
				}
				if sum.Skipped < len(firstDone) {
					t.Errorf("re-run skipped %d pairs, the first run completed %d fund dates", sum.Skipped, len(firstDone))
				}
				sameData(t, st, clean, days)
				for _, ds := range []string{Daily, FundDaily} {
					a, _ := st.SyncedDates(context.Background(), ds)
					b, _ := clean.SyncedDates(context.Background(), ds)
					if !slices.Equal(a, b) {
						t.Errorf("sync_state of %s = %v, clean run %v", ds, a, b)
					}
				}
			})
		}
	})
}

// TestSyncBadToken: a rejected token stops the sync with the server's
// message before anything is written.
func TestSyncBadToken(t *testing.T) {
	srv := newServer(t, tusharetest.Options{ETFs: 3, ETFDays: 2})
	st := openSQLite(t)
	sy := newSyncer(srv, st)
	sy.Client.Token = "not-my-token"
	_, err := sy.Run(context.Background(), Options{Start: snapshotDay, End: snapshotDay})
	if !errors.Is(err, ErrBadToken) || !strings.Contains(err.Error(), tusharetest.MsgBadToken) {
		t.Fatalf("err = %v, want the server's bad-token message", err)
	}
	counts, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range counts {
		if n != 0 {
			t.Errorf("%s has %d rows after a rejected token", table, n)
		}
	}
}

// TestSyncIncremental: without --start a run continues from the last synced
// date; dates with no data yet are asked again next time, not marked done.
func TestSyncIncremental(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, tusharetest.Options{ETFs: 4, ETFDays: 3})
	st := openSQLite(t)
	days := lastOpenDays(t, 3)

	var mu sync.Mutex
	written := map[string][]time.Time{}
	sy := newSyncer(srv, st)
	sy.OnDateWritten = func(ds string, d time.Time) {
		mu.Lock()
		defer mu.Unlock()
		written[ds] = append(written[ds], d)
	}
	sum, err := sy.Run(ctx, Options{Datasets: []string{Daily, FundDaily}, Start: days[0], End: days[2]})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(written[FundDaily], days) || !slices.Equal(written[Daily], days[2:]) {
		t.Errorf("OnDateWritten saw %v", written)
	}
	if !slices.Equal(sum.Changed, days) {
		t.Errorf("changed = %v, want %v", sum.Changed, days)
	}
	if sum.Empty != 2 {
		t.Errorf("empty = %d, want 2 (daily before the snapshot day)", sum.Empty)
	}
	counts, _ := st.Counts(ctx)
	if counts["stock_basic"] != 0 || counts["trade_cal"] != 0 {
		t.Errorf("datasets not asked for were stored: %v", counts)
	}

	// Next run, no --start: from each dataset's last synced date (the
	// snapshot day) to today (also the snapshot day): nothing new.
	callsBefore := srv.Calls("fund_daily") + srv.Calls("daily")
	sum, err = newSyncer(srv, st).Run(ctx, Options{Datasets: []string{Daily, FundDaily}})
	if err != nil {
		t.Fatal(err)
	}
	if calls := srv.Calls("fund_daily") + srv.Calls("daily") - callsBefore; calls != 0 || sum.TotalRows() != 0 || sum.Skipped != 2 {
		t.Errorf("an up-to-date store made %d calls, wrote %d rows, skipped %d", calls, sum.TotalRows(), sum.Skipped)
	}
}

// TestETFBasicFallback: accounts without etf_basic's points get the funds
// from fund_basic (market=E).
func TestETFBasicFallback(t *testing.T) {
	srv := newServer(t, tusharetest.Options{ETFs: 7})
	srv.SetFaults("etf_basic", tusharetest.Faults{NoAccess: true})
	st := openSQLite(t)
	sum, err := newSyncer(srv, st).Run(context.Background(), Options{Datasets: []string{ETFBasic}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows[ETFBasic] != 7 || srv.Calls("fund_basic") != 1 {
		t.Fatalf("rows %v, fund_basic calls %d", sum.Rows, srv.Calls("fund_basic"))
	}
	_, rows := srv.Rows("etf_basic")
	e, err := st.ETF(context.Background(), rows[0][0])
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != rows[0][1] || e.MgrName == "" {
		t.Errorf("fund from fund_basic = %+v", e.ETF)
	}
}

func TestParseDatasets(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", DatasetNames(), false},
		{"daily", []string{Daily}, false},
		{" adj_factor , daily,daily", []string{Daily, AdjFactor}, false},
		{"etf_daily,fund_basic", []string{ETFBasic, FundDaily}, false},
		{"daily,limit_list_d", nil, true},
		{"stk_limit,namechange,index_daily", []string{NameChange, StkLimit, IndexDaily}, false},
		{"DAILY", []string{Daily}, false},
	}
	for _, tc := range cases {
		got, err := ParseDatasets(tc.in)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("ParseDatasets(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestSyncRejectsBadRange(t *testing.T) {
	srv := newServer(t, tusharetest.Options{})
	_, err := newSyncer(srv, openSQLite(t)).Run(context.Background(), Options{Start: snapshotDay, End: snapshotDay.AddDate(0, 0, -1)})
	if err == nil || srv.Calls("trade_cal")+srv.Calls("stock_basic") != 0 {
		t.Fatalf("err = %v after %d calls", err, srv.Calls("trade_cal"))
	}
}

// BenchmarkSync measures a whole-market sync of the snapshot day (every
// dataset, plus 200 funds) from the fake server into a fresh store.
func BenchmarkSync(b *testing.B) {
	for _, kind := range []struct {
		name string
		open openStore
	}{{"sqlite", openSQLite}, {"clickhouse", openClickHouse}} {
		b.Run(kind.name, func(b *testing.B) {
			srv, err := tusharetest.Start(tusharetest.Options{Dir: testenv.Snapshot(b), Token: testToken, ETFs: 200, ETFDays: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			rows := 0
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				st := kind.open(b)
				b.StartTimer()
				start := time.Now()
				sy := &Syncer{Client: NewClient(srv.URL, testToken, 100000), Store: st, Logger: quietLogger}
				sy.Client.Logger = quietLogger
				sum, err := sy.Run(context.Background(), Options{Start: snapshotDay, End: snapshotDay})
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				rows += sum.TotalRows()
			}
			b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		})
	}
}

// TestFundDailyKeepsETFsOnly: fund_daily answers LOFs too; only the funds
// etf_basic lists reach etf_daily, even when etf_basic is not stored.
func TestFundDailyKeepsETFsOnly(t *testing.T) {
	const etfs, days = 8, 2
	srv := newServer(t, tusharetest.Options{ETFs: etfs, ETFDays: days})
	_, bars := srv.Rows("fund_daily")
	if len(bars) <= etfs*days {
		t.Fatalf("the fake serves %d fund bars: no LOF to leave out", len(bars))
	}
	st := openSQLite(t)
	sum, err := newSyncer(srv, st).Run(context.Background(), Options{Datasets: []string{FundDaily}, Start: lastOpenDays(t, days)[0]})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts["etf_daily"] != etfs*days || sum.Rows[FundDaily] != etfs*days || counts["etf_basic"] != 0 {
		t.Errorf("counts %v, summary %v: want %d ETF bars and no etf_basic rows", counts, sum.Rows, etfs*days)
	}
	hot, err := st.HotETFs(context.Background(), snapshotDay, market.SortAmount, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hot {
		if strings.HasPrefix(h.TSCode, "16") {
			t.Errorf("LOF %s stored as an ETF", h.TSCode)
		}
	}
}

// TestSyncUnavailableDataset: an interface the account's points do not
// reach is reported and skipped; the others are synced.
func TestSyncUnavailableDataset(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, tusharetest.Options{})
	srv.SetFaults("daily_basic", tusharetest.Faults{NoAccess: true})
	st := openSQLite(t)
	// Three open days: after the first refusal the other two are not asked.
	sum, err := newSyncer(srv, st).Run(ctx, Options{Datasets: []string{Daily, DailyBasic}, Start: lastOpenDays(t, 3)[0]})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unavailable[DailyBasic] != tusharetest.MsgNoAccess || len(sum.Unavailable) != 1 {
		t.Errorf("unavailable = %v", sum.Unavailable)
	}
	counts, _ := st.Counts(ctx)
	if counts["daily"] == 0 || counts["daily_basic"] != 0 {
		t.Errorf("counts = %v", counts)
	}
	if done, _ := st.SyncedDates(ctx, DailyBasic); len(done) != 0 {
		t.Errorf("daily_basic marked synced on %v", done)
	}
	if n := srv.Calls("daily_basic"); n != 1 {
		t.Errorf("daily_basic asked %d times after a no-access answer", n)
	}
}
