package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/tushare"
)

const syncUsage = `usage: stockd sync [--datasets LIST] [--start YYYYMMDD] [--end YYYYMMDD]

Fetches market data from Tushare Pro (TUSHARE_TOKEN) into the store.
stock_basic, etf_basic and the trading calendar are refreshed whole; then
each open trade date in the range gets one call per dataset for the whole
market. Dates already complete are skipped, so an interrupted sync resumes
where it stopped when run again.

  --datasets  comma-separated, default all:
              stock_basic,etf_basic,index_basic,trade_cal,namechange,daily,
              daily_basic,adj_factor,stk_limit,fund_daily,index_daily
              (namechange is read by announcement date, from the beginning
              on a first run; index_daily is one call per main index)
  --start     first trade date (default: each dataset's last synced date,
              or one year before --end)
  --end       last trade date (default: today, Asia/Shanghai)

TUSHARE_RPM caps the calls per minute of each interface (default 200).
`

// errNoToken explains what to do without a Tushare account.
var errNoToken = errors.New(`TUSHARE_TOKEN is not set: sync needs a Tushare Pro token.

  To get one, register at https://tushare.pro, copy the token from your user
  centre (个人主页 → 接口TOKEN), then run
      TUSHARE_TOKEN=<token> stockd sync
  or put TUSHARE_TOKEN=<token> in .env. Daily bars need 120 points and
  daily_basic/adj_factor/etf_basic more (see tushare.pro/document/1?doc_id=108).

  Without a token:
      stockd demo               generate a synthetic demo market
      stockd import DIR|FILE…   load Tushare-format CSV files`)

// sync is `stockd sync`.
func (a app) sync(ctx context.Context, args []string) error {
	fs := newFlags("sync")
	list := fs.String("datasets", "", "datasets to sync")
	start := fs.String("start", "", "first trade date")
	end := fs.String("end", "", "last trade date")
	if help, err := a.parseFlags(fs, args, syncUsage); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q\n\n%s", fs.Arg(0), syncUsage)}
	}
	var opt tushare.Options
	var err error
	if opt.Datasets, err = tushare.ParseDatasets(*list); err != nil {
		return usageError{fmt.Errorf("--datasets: %w", err)}
	}
	for _, f := range []struct {
		name, val string
		dst       *time.Time
	}{{"start", *start, &opt.Start}, {"end", *end, &opt.End}} {
		if f.val == "" {
			continue
		}
		if *f.dst, err = market.ParseDate(f.val); err != nil {
			return usageError{fmt.Errorf("--%s: %w", f.name, err)}
		}
	}
	if !opt.Start.IsZero() && !opt.End.IsZero() && opt.Start.After(opt.End) {
		return usageError{fmt.Errorf("--start %s is after --end %s", *start, *end)}
	}
	if strings.TrimSpace(a.cfg.TushareToken) == "" {
		return errNoToken
	}

	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	s := a.newSyncer(st)
	if isTerminal(a.stderr) {
		s.Bar = a.stderr
	}
	sum, err := s.Run(ctx, opt)
	// A run that failed before writing anything has nothing to sum up.
	if err == nil || sum.TotalRows() > 0 || ctx.Err() != nil {
		printSyncSummary(a.stdout, st.Kind(), sum)
	}
	if len(sum.Changed) > 0 {
		a.dropStale(context.WithoutCancel(ctx))
	}
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("interrupted (%w): run `stockd sync` again to resume; completed dates are kept", ctx.Err())
	}
	if errors.Is(err, tushare.ErrBadToken) {
		return fmt.Errorf("%w\n  check TUSHARE_TOKEN: your token is on https://tushare.pro (个人主页 → 接口TOKEN)", err)
	}
	if err == nil && len(sum.Unavailable) == len(opt.Datasets) {
		return fmt.Errorf("no dataset could be synced: the account's points do not allow %s (see https://tushare.pro/document/1?doc_id=108)",
			strings.Join(opt.Datasets, ", "))
	}
	return err
}

// newSyncer wires a Tushare sync into st with the configured endpoint,
// token and pace.
func (a app) newSyncer(st tushare.Store) *tushare.Syncer {
	client := tushare.NewClient(a.cfg.TushareURL, strings.TrimSpace(a.cfg.TushareToken), a.cfg.TushareRPM)
	client.Logger = a.log
	return &tushare.Syncer{Client: client, Store: st, Logger: a.log}
}

// startSyncSchedule runs the daily sync in the background when SYNC_AT is
// set (HH:MM, Asia/Shanghai, Monday to Friday: on a holiday the calendar
// plans no date, so the run only refreshes the reference lists). It makes no
// Tushare call before the first scheduled time. onDate, when not nil, hears
// of every (dataset, trade date) written, to drop cached answers.
//
// Replicas sharing a ClickHouse store through Redis take turns (see
// syncTurns): one syncs, under the sync lease's fencing token.
func (a app) startSyncSchedule(ctx context.Context, st tushare.Store, onDate func(dataset string, date time.Time)) {
	if a.cfg.SyncAt == "" {
		return
	}
	if strings.TrimSpace(a.cfg.TushareToken) == "" {
		a.log.Warn("SYNC_AT is set but TUSHARE_TOKEN is not: no scheduled sync")
		return
	}
	s := a.newSyncer(st)
	s.OnDateWritten = onDate
	s.Now = clock
	sched := tushare.Scheduler{
		At: a.cfg.SyncAt, Loc: tushare.Shanghai, Logger: a.log, Now: clock,
		Sync: func(ctx context.Context, fence uint64) error {
			s.Fence = fence // runs one at a time
			sum, err := s.Run(ctx, tushare.Options{})
			a.log.Info("scheduled sync", "rows", sum.TotalRows(), "dates", len(sum.Changed), "took", sum.Duration.Round(time.Second), "token", fence)
			return err
		},
	}
	var rdb redis.UniversalClient
	if a.cfg.UseRedis() {
		rdb = a.redisClient()
	}
	turns, err := a.syncTurns(rdb, st)
	if err != nil {
		a.log.Error("no scheduled sync: the sync lease", "err", err)
		return
	}
	sched.Turns = turns
	if turns != nil {
		a.log.Info("scheduled sync takes turns with the other replicas through the sync lease",
			"lease", turns.Lease.Key(), "ttl", turns.Lease.TTL())
	}
	go func() {
		sched.Run(ctx)
		if rdb != nil {
			rdb.Close()
		}
	}()
}

// isTerminal reports whether w is a character device (a terminal), where a
// redrawn progress bar makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printSyncSummary prints rows and dates per dataset, the changed trade
// dates and the rate.
func printSyncSummary(w io.Writer, kind string, sum tushare.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "dataset\trows\tdates\t\n")
	for _, name := range tushare.DatasetNames() {
		n, ok := sum.Rows[name]
		if !ok {
			continue
		}
		dates := ""
		if d, ok := sum.Dates[name]; ok {
			dates = fmt.Sprint(d)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t\n", name, n, dates)
	}
	tw.Flush()
	rate := 0.0
	if s := sum.Duration.Seconds(); s > 0 {
		rate = float64(sum.TotalRows()) / s
	}
	fmt.Fprintf(w, "synced into %s: %d rows in %s (%.0f rows/s)", kind, sum.TotalRows(), sum.Duration.Round(time.Millisecond), rate)
	if n := len(sum.Changed); n > 0 {
		fmt.Fprintf(w, ", trade dates %s..%s (%d)", market.FormatDate(sum.Changed[0]), market.FormatDate(sum.Changed[n-1]), n)
	}
	fmt.Fprintf(w, "; %d dataset-dates already synced, %d with no data yet", sum.Skipped, sum.Empty)
	if sum.BadRows > 0 {
		fmt.Fprintf(w, "; %d malformed rows left out (see the log)", sum.BadRows)
	}
	fmt.Fprintln(w)
	for _, name := range tushare.DatasetNames() {
		if msg, ok := sum.Unavailable[name]; ok {
			fmt.Fprintf(w, "skipped %s: %s\n", name, msg)
		}
	}
}
