package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
)

// newFlags makes a flag set that reports mistakes instead of exiting; main
// prints them once, as a usage error.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags turns flag errors into usage errors; help is true when the user
// asked for -h and got the usage text.
func (a app) parseFlags(fs *flag.FlagSet, args []string, usage string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(a.stdout, usage)
			return true, nil
		}
		return false, usageError{fmt.Errorf("%w\n\n%s", err, usage)}
	}
	return false, nil
}

const importUsage = `usage: stockd import [--skip-bad] DIR|FILE…

Loads Tushare-format CSV files (header = Tushare field names). A directory
loads every *.csv in it; the dataset comes from the file name: stock_basic,
daily, daily_basic, adj_factor, trade_cal, etf_basic or fund_basic,
etf_daily or fund_daily, namechange, stk_limit, index_basic, index_daily
(also with a suffix: daily_20251218.csv). Other files are skipped. A malformed row fails the import and nothing is written,
unless --skip-bad, which loads the good rows and lists the bad ones.
`

// importFiles is `stockd import`.
func (a app) importFiles(ctx context.Context, args []string) error {
	fs := newFlags("import")
	skipBad := fs.Bool("skip-bad", false, "load the good rows of files with malformed ones")
	if help, err := a.parseFlags(fs, args, importUsage); help || err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return usageError{fmt.Errorf("missing DIR or FILE to import\n\n%s", importUsage)}
	}
	// Check the paths before opening the store, so a typo neither creates
	// an empty database file nor waits for a server.
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return usageError{fmt.Errorf("cannot import %s: %w", p, errors.Unwrap(err))}
		}
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := ingest.ImportPaths(ctx, st, paths, ingest.ImportOptions{SkipBad: *skipBad, Logger: a.log})
	printReport(a.stdout, "imported into "+st.Kind(), rep)
	if rep.Total() > 0 {
		a.dropStale(ctx)
	}
	return err
}

const demoUsage = `usage: stockd demo [--stocks N] [--etfs N] [--days N] [--seed N] [--end YYYY-MM-DD] [--if-empty]

Generates a synthetic market — every name starts with 演示 and every row is
marked synthetic — and writes it to the store: stock_basic, etf_basic,
index_basic, namechange (ST episodes), trade_cal, daily, daily_basic,
adj_factor, etf_daily and the six main indices (index_daily) computed from
the stocks. Its last days carry planted limit-up streaks and broken boards.
The same flags always give the same market.
`

// demo is `stockd demo`.
func (a app) demo(ctx context.Context, args []string) error {
	fs := newFlags("demo")
	opt := ingest.DemoOptions{Logger: a.log}
	fs.IntVar(&opt.Stocks, "stocks", 300, "number of stocks")
	fs.IntVar(&opt.ETFs, "etfs", 30, "number of ETFs")
	fs.IntVar(&opt.Days, "days", 250, "number of trading days")
	fs.Uint64Var(&opt.Seed, "seed", 1, "random seed")
	end := fs.String("end", "", "last day of the market (default today)")
	ifEmpty := fs.Bool("if-empty", false, "do nothing when the store already has bars (make run uses it)")
	if help, err := a.parseFlags(fs, args, demoUsage); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q\n\n%s", fs.Arg(0), demoUsage)}
	}
	if *end != "" {
		t, err := market.ParseDate(*end)
		if err != nil {
			return usageError{fmt.Errorf("--end: %w", err)}
		}
		opt.End = t
	}
	if err := opt.Validate(); err != nil {
		return usageError{fmt.Errorf("--%w", err)}
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if *ifEmpty {
		counts, err := st.Counts(ctx)
		if err != nil {
			return err
		}
		if counts["daily"] > 0 {
			fmt.Fprintf(a.stdout, "the %s store already has %d bars: no demo data written\n", st.Kind(), counts["daily"])
			return nil
		}
	}
	rep, err := ingest.Demo(ctx, st, opt)
	printReport(a.stdout, "SYNTHETIC demo market (not real data) written to "+st.Kind(), rep)
	a.dropStale(ctx)
	return err
}

// dropStale drops the cached answers a load by this command made stale,
// in Redis and, through its invalidation channel, in every server's
// in-process tier. Without Redis there is nothing shared to reach: a
// server's own entries expire with their TTL (CACHE_TTL_LATEST bounds the
// K-line's "latest").
func (a app) dropStale(ctx context.Context) {
	if !a.cfg.UseRedis() {
		return
	}
	c, err := a.newCache(nil)
	if err != nil {
		a.log.Warn("cache invalidation skipped", "err", err)
		return
	}
	defer c.Close()
	query.DropStale(ctx, c, a.log)
}

// printReport prints rows per table, skipped lines and files, and the rate.
func printReport(w io.Writer, title string, rep ingest.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, table := range ingest.Datasets() {
		if n, ok := rep.Rows[table]; ok {
			fmt.Fprintf(tw, "%s\t%d\t\n", table, n)
		}
	}
	tw.Flush()
	for _, f := range rep.SkippedFiles {
		fmt.Fprintf(w, "skipped file %s: %s\n", f.Path, f.Reason)
	}
	for _, l := range rep.SkippedLines {
		fmt.Fprintf(w, "skipped line %s\n", l.Error())
	}
	if rep.Skipped > len(rep.SkippedLines) {
		fmt.Fprintf(w, "… %d more\n", rep.Skipped-len(rep.SkippedLines))
	}
	if rep.Skipped > 0 {
		fmt.Fprintf(w, "%d malformed lines skipped\n", rep.Skipped)
	}
	span := ""
	if n := len(rep.Dates); n > 0 {
		span = fmt.Sprintf(", trade dates %s..%s (%d)", market.FormatDate(rep.Dates[0]), market.FormatDate(rep.Dates[n-1]), n)
	}
	fmt.Fprintf(w, "%s: %d rows in %s (%.0f rows/s)%s\n", title, rep.Total(),
		rep.Elapsed.Round(time.Millisecond), rep.RowsPerSecond(), span)
}
