package tushare

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/testenv"
	"github.com/stockdatasource/stockd/internal/tushare/tusharetest"
)

// TestSyncLimitsNamesIndices: stk_limit one call per trade date, the name
// history by announcement year (never per stock), index_daily one call per
// index whatever the range; a second run asks only for what is new.
func TestSyncLimitsNamesIndices(t *testing.T) {
	eachStore(t, func(t *testing.T, open openStore) {
		ctx := context.Background()
		const days = 3
		srv := newServer(t, tusharetest.Options{ETFDays: days})
		st := open(t)
		open3 := lastOpenDays(t, days)
		limitDay := snapshotDay.AddDate(0, 0, 1) // the day of stk_limit.csv
		opt := Options{Datasets: []string{NameChange, StkLimit, IndexBasic, IndexDaily}, Start: open3[0], End: limitDay}
		sum, err := newSyncer(srv, st).Run(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}

		// stk_limit: one call per open date; the day of the file has
		// 7,396 rows, two pages of Tushare's 5,800.
		if got, want := srv.Calls("stk_limit"), days+2; got != want {
			t.Errorf("stk_limit called %d times for %d open dates, want %d", got, days+1, want)
		}
		if want := len(testenv.ReadCSV(t, "stk_limit.csv")); sum.Rows[StkLimit] != want || sum.Dates[StkLimit] != 1 {
			t.Errorf("stk_limit: %d rows on %d dates, want %d on the one date of the file", sum.Rows[StkLimit], sum.Dates[StkLimit], want)
		}
		// namechange: one call per year of announcements from 1990, and
		// every row of the fake's history, whatever --start says.
		if got, want := srv.Calls("namechange"), 2025-1990+1; got != want {
			t.Errorf("namechange called %d times, want one per year (%d)", got, want)
		}
		_, names := srv.Rows("namechange")
		announced := 0
		for _, r := range names {
			if r[4] <= limitDay.Format("20060102") {
				announced++
			}
		}
		if sum.Rows[NameChange] != announced || announced < 5000 {
			t.Errorf("namechange: %d rows, the server has %d announced by %s", sum.Rows[NameChange], announced, market.FormatDate(limitDay))
		}
		// The indices: index_basic once per index, index_daily once per
		// index for all the dates; the fake has bars on the last 3 days.
		if srv.Calls("index_basic") != 6 || srv.Calls("index_daily") != 6 {
			t.Errorf("index_basic called %d times, index_daily %d; want 6 each", srv.Calls("index_basic"), srv.Calls("index_daily"))
		}
		if sum.Rows[IndexBasic] != 6 || sum.Rows[IndexDaily] != 6*days || sum.Dates[IndexDaily] != days {
			t.Errorf("indices: rows %v, dates %v", sum.Rows, sum.Dates)
		}
		quotes, err := st.IndexQuotes(ctx, snapshotDay)
		if err != nil || len(quotes) != 6 || quotes[0].Name == "" {
			t.Errorf("IndexQuotes(%s) = %+v, %v", market.FormatDate(snapshotDay), quotes, err)
		}
		if got, _ := st.SyncedDates(ctx, IndexDaily); !slices.Equal(got, open3) {
			t.Errorf("sync_state of index_daily = %v, want %v (limitDay has no index bar yet)", got, open3)
		}
		// The name history reaches the day reads: a stock ST today was
		// plain before its ST start in the fake's history.
		var stCode string
		var stStart time.Time
		for _, r := range names {
			if market.IsST(r[1]) {
				if d := mustDate(r[2]); d.Before(snapshotDay) {
					stCode, stStart = r[0], d
					break
				}
			}
		}
		hist, err := st.NameChanges(ctx, []string{stCode})
		if err != nil || len(hist) != 2 {
			t.Fatalf("NameChanges(%s) = %+v, %v", stCode, hist, err)
		}
		h := market.NewNameHistory(hist)
		plain, _ := h.On(stCode, stStart.AddDate(0, 0, -1))
		marked, _ := h.On(stCode, stStart)
		if market.IsST(plain) || !market.IsST(marked) {
			t.Errorf("%s: %q before %s, %q from it", stCode, plain, market.FormatDate(stStart), marked)
		}

		// Again, without --start: namechange re-reads the last month only
		// (one call); stk_limit has nothing new to ask; index_daily asks
		// again for the day it had no bar for, one call per index.
		before := map[string]int{}
		for _, api := range []string{"namechange", "stk_limit", "index_daily"} {
			before[api] = srv.Calls(api)
		}
		sy := newSyncer(srv, st)
		sy.Now = func() time.Time { return time.Date(2025, 12, 19, 20, 0, 0, 0, shanghai) }
		if _, err := sy.Run(ctx, Options{Datasets: opt.Datasets}); err != nil {
			t.Fatal(err)
		}
		for api, want := range map[string]int{"namechange": 1, "stk_limit": 0, "index_daily": 6} {
			if got := srv.Calls(api) - before[api]; got != want {
				t.Errorf("second run called %s %d times, want %d", api, got, want)
			}
		}
	})
}

// TestSyncOptionalDatasets: accounts without the points for the limit rule's
// inputs or the indices get everything else, and a note of what was skipped.
func TestSyncOptionalDatasets(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, tusharetest.Options{ETFDays: 2})
	for _, api := range []string{"namechange", "stk_limit", "index_basic", "index_daily"} {
		srv.SetFaults(api, tusharetest.Faults{NoAccess: true})
	}
	st := openSQLite(t)
	sum, err := newSyncer(srv, st).Run(ctx, Options{Start: lastOpenDays(t, 2)[0], End: snapshotDay})
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range []string{NameChange, StkLimit, IndexBasic, IndexDaily} {
		if sum.Unavailable[ds] != tusharetest.MsgNoAccess {
			t.Errorf("unavailable[%s] = %q", ds, sum.Unavailable[ds])
		}
	}
	counts, _ := st.Counts(ctx)
	if counts["daily"] == 0 || counts["stock_basic"] == 0 || counts["namechange"] != 0 || counts["index_daily"] != 0 {
		t.Errorf("counts = %v", counts)
	}
	// Refused once, never asked again in the run.
	for _, api := range []string{"namechange", "stk_limit", "index_basic", "index_daily"} {
		if n := srv.Calls(api); n != 1 {
			t.Errorf("%s asked %d times after a no-access answer", api, n)
		}
	}
}
