package clickhouse

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
)

// openAt opens a fresh database migrated up to step n only (the schema an
// older release left behind); 0 means every step.
func openAt(t *testing.T, n int) *Store {
	t.Helper()
	st, err := Open(context.Background(), Options{Addr: clickHouseAddr(t), Database: testDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropAndClose(t, st) })
	steps := migrations
	if n > 0 {
		steps = migrations[:n]
	}
	if err := st.migrate(context.Background(), steps); err != nil {
		t.Fatalf("migrate to %d: %v", n, err)
	}
	return st
}

// TestPerStockMigrationKeepsRows writes a market under the schema of
// migration 4 (what a release before the per-stock tables left behind: bar
// tables and runs), some of it twice with changed values, then applies
// migration 5: every per-stock read of the
// migrated store must equal that of a store that had the new schema from
// the start and got the same writes.
func TestPerStockMigrationKeepsRows(t *testing.T) {
	ctx := context.Background()
	old, fresh := openAt(t, 4), openAt(t, 0)
	if ok, err := old.hasTable(ctx, "bars_by_code"); err != nil || ok {
		t.Fatalf("bars_by_code before migration 5: %v, %v", ok, err)
	}
	opt := ingest.DemoOptions{Stocks: 40, ETFs: 4, Days: 60, Seed: 7, End: time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)}
	for _, st := range []*Store{old, fresh} {
		for range 2 { // a re-load: every row twice
			if _, err := ingest.Demo(ctx, st, opt); err != nil {
				t.Fatal(err)
			}
		}
	}
	day, err := fresh.DayBars(ctx, opt.End)
	if err != nil || len(day) != opt.Stocks {
		t.Fatalf("DayBars = %d, %v", len(day), err)
	}
	var codes []string
	for _, b := range day {
		codes = append(codes, b.TSCode)
	}
	// One more day of one stock, with its factor, and a corrected bar of
	// another, after the re-load.
	next := opt.End.AddDate(0, 0, 3)
	last, err := fresh.Bars(ctx, codes[1], opt.End, opt.End)
	if err != nil || len(last) != 1 {
		t.Fatalf("Bars(%s) = %+v, %v", codes[1], last, err)
	}
	fixed := last[0].DailyBar
	fixed.Close++
	for _, st := range []*Store{old, fresh} {
		if err := st.PutDaily(ctx, []market.DailyBar{fixed}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutDaily(ctx, []market.DailyBar{{TSCode: codes[0], TradeDate: next, Close: 9, Amount: 1}}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutAdjFactors(ctx, []market.AdjFactor{{TSCode: codes[0], TradeDate: next, Factor: 3}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Migrate(ctx); err != nil {
		t.Fatalf("migrate the old schema: %v", err)
	}
	if n, want := rowCount(t, old, "bars_by_code"), rowCount(t, old, "daily")+rowCount(t, old, "etf_daily")+rowCount(t, old, "index_daily"); n != want {
		t.Errorf("bars_by_code holds %d rows after the backfill, want every bar row (%d)", n, want)
	}
	if n, want := rowCount(t, old, "adj_factor_by_code"), rowCount(t, old, "adj_factor"); n != want {
		t.Errorf("adj_factor_by_code holds %d rows after the backfill, want %d", n, want)
	}
	sameReads(t, fresh, old, opt.End, "after migration")
	if got, err := old.Bars(ctx, fixed.TSCode, fixed.TradeDate, fixed.TradeDate); err != nil || len(got) != 1 || got[0].Close != fixed.Close {
		t.Errorf("Bars(%s) of the corrected day after migration = %+v, %v; want close %v", fixed.TSCode, got, err, fixed.Close)
	}
	// The day after the re-load: the newest bar and factor.
	info, err := old.Stock(ctx, codes[0])
	if err != nil || info.Latest == nil || info.Latest.Close != 9 || !info.Latest.TradeDate.Equal(next) {
		t.Errorf("Stock(%s) after migration = %+v, %v; want the last write (close 9)", codes[0], info.Latest, err)
	}
	if d, f, err := old.LatestAdjFactor(ctx, codes[0]); err != nil || f != 3 || !d.Equal(next) {
		t.Errorf("LatestAdjFactor(%s) after migration = %s %v, %v; want 3 on the last day", codes[0], d, f, err)
	}
}

// sameReads checks that the reads of got answer as those of want: Counts,
// the hot stocks of the day end, and every per-stock read (Stock, Bars,
// LatestAdjFactor; ETF and Index with their bars) of each stock, ETF and
// index with a bar that day.
func sameReads(t *testing.T, want, got *Store, end time.Time, when string) {
	t.Helper()
	ctx := context.Background()
	same := func(what string, read func(st *Store) (any, error)) {
		t.Helper()
		w, err := read(want)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		g, err := read(got)
		if err != nil {
			t.Fatalf("%s %s: %v", what, when, err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s %s:\n got %+v\nwant %+v", what, when, g, w)
		}
	}
	same("Counts", func(st *Store) (any, error) { return st.Counts(ctx) })
	same("HotStocks", func(st *Store) (any, error) { return st.HotStocks(ctx, end, market.SortPctChg, 20) })
	day, err := want.DayBars(ctx, end)
	if err != nil || len(day) == 0 {
		t.Fatalf("DayBars = %d, %v", len(day), err)
	}
	for _, b := range day {
		code := b.TSCode
		same("Stock("+code+")", func(st *Store) (any, error) { return st.Stock(ctx, code) })
		same("Bars("+code+")", func(st *Store) (any, error) { return st.Bars(ctx, code, time.Time{}, time.Time{}) })
		same("LatestAdjFactor("+code+")", func(st *Store) (any, error) {
			d, f, err := st.LatestAdjFactor(ctx, code)
			return [2]any{d, f}, err
		})
	}
	etfs, err := want.HotETFs(ctx, end, market.SortAmount, 50)
	if err != nil || len(etfs) == 0 {
		t.Fatalf("HotETFs = %d, %v", len(etfs), err)
	}
	for _, e := range etfs {
		same("ETF("+e.TSCode+")", func(st *Store) (any, error) { return st.ETF(ctx, e.TSCode) })
		same("Bars("+e.TSCode+")", func(st *Store) (any, error) { return st.Bars(ctx, e.TSCode, time.Time{}, time.Time{}) })
	}
	quotes, err := want.IndexQuotes(ctx, end)
	if err != nil || len(quotes) == 0 {
		t.Fatalf("IndexQuotes = %d, %v", len(quotes), err)
	}
	for _, q := range quotes {
		same("Index("+q.TSCode+")", func(st *Store) (any, error) { return st.Index(ctx, q.TSCode) })
		same("Bars("+q.TSCode+")", func(st *Store) (any, error) { return st.Bars(ctx, q.TSCode, time.Time{}, time.Time{}) })
	}
}
