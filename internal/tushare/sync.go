package tushare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
)

// Dataset names a sync accepts, in the order they run. They are also the
// names of the sync_state records.
const (
	StockBasic = "stock_basic"
	TradeCal   = "trade_cal"
	ETFBasic   = "etf_basic"
	Daily      = "daily"
	DailyBasic = "daily_basic"
	AdjFactor  = "adj_factor"
	FundDaily  = "fund_daily"
	// The limit rule's inputs and the indices. Tushare grants stk_limit and
	// index_daily from 2000 points, namechange from 120 (index_basic 200):
	// like every dataset, one the account cannot reach is skipped with a
	// warning and the rest of the sync goes on.
	NameChange = "namechange"
	StkLimit   = "stk_limit"
	IndexBasic = "index_basic"
	IndexDaily = "index_daily"
)

// dataset says how one dataset is fetched and decoded.
type dataset struct {
	name   string
	api    string
	decode string // ingest dataset name
	fields []string
	dated  bool // one call per trade date, recorded in sync_state
}

var datasets = []dataset{
	{StockBasic, "stock_basic", ingest.StockBasic, []string{"ts_code", "symbol", "name", "area", "industry", "market", "exchange", "list_date", "delist_date", "list_status"}, false},
	{ETFBasic, "etf_basic", ingest.ETFBasic, []string{"ts_code", "csname", "index_code", "index_name", "exchange", "mgr_name", "list_date", "list_status"}, false},
	{IndexBasic, "index_basic", ingest.IndexBasic, []string{"ts_code", "name", "market", "publisher", "category", "base_date", "base_point", "list_date"}, false},
	{TradeCal, "trade_cal", ingest.TradeCal, []string{"exchange", "cal_date", "is_open", "pretrade_date"}, false},
	{NameChange, "namechange", ingest.NameChange, []string{"ts_code", "name", "start_date", "end_date", "ann_date", "change_reason"}, false},
	{Daily, "daily", ingest.Daily, barFields, true},
	{DailyBasic, "daily_basic", ingest.DailyBasic, []string{"ts_code", "trade_date", "close", "turnover_rate", "volume_ratio", "pe", "pe_ttm", "pb", "ps", "dv_ratio", "total_share", "float_share", "total_mv", "circ_mv"}, true},
	{AdjFactor, "adj_factor", ingest.AdjFactor, []string{"ts_code", "trade_date", "adj_factor"}, true},
	{StkLimit, "stk_limit", ingest.StkLimit, []string{"ts_code", "trade_date", "pre_close", "up_limit", "down_limit"}, true},
	{FundDaily, "fund_daily", ingest.ETFDaily, barFields, true},
	// One call per index over the planned dates, not per date: six indices
	// are six calls however long the range (see syncIndexDaily).
	{IndexDaily, "index_daily", ingest.IndexDaily, barFields, true},
}

var barFields = []string{"ts_code", "trade_date", "open", "high", "low", "close", "pre_close", "change", "pct_chg", "vol", "amount"}

// fundBasicFields are asked of fund_basic, the fallback for accounts whose
// points do not reach etf_basic.
var fundBasicFields = []string{"ts_code", "name", "management", "list_date", "status"}

// DatasetNames lists every dataset a sync knows, in run order.
func DatasetNames() []string {
	names := make([]string, len(datasets))
	for i, d := range datasets {
		names[i] = d.name
	}
	return names
}

// ParseDatasets reads a comma-separated list (etf_daily is accepted for
// fund_daily, fund_basic for etf_basic); empty means every dataset.
func ParseDatasets(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return DatasetNames(), nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(s, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		switch n {
		case "":
			continue
		case "etf_daily":
			n = FundDaily
		case "fund_basic":
			n = ETFBasic
		}
		if !slices.Contains(DatasetNames(), n) {
			return nil, fmt.Errorf("unknown dataset %q (want some of %s)", n, strings.Join(DatasetNames(), ","))
		}
		want[n] = true
	}
	var out []string
	for _, n := range DatasetNames() {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// Store is what a sync needs of a store.
type Store interface {
	market.Writer
	market.SyncLog
}

// Syncer fills a store from Tushare Pro.
type Syncer struct {
	Client *Client
	Store  Store
	Logger *slog.Logger
	// Bar, when set, receives a progress bar redrawn in place (a
	// terminal); otherwise progress goes to Logger line by line.
	Bar io.Writer
	// OnDateWritten is called after each dated dataset's rows of one trade
	// date are stored, so answers cached for that date can be dropped.
	OnDateWritten func(dataset string, date time.Time)
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
	// Fence is the fencing token of the sync lease this run holds (0: no
	// lease). Every sync record carries it, and the store refuses it once
	// a newer holder has recorded a higher one (market.ErrStaleFence): a
	// replica that lost the lease cannot record progress.
	Fence uint64
}

// Options choose what a sync fetches.
type Options struct {
	Datasets []string // names from DatasetNames; nil means all
	// Start and End bound the trade dates (inclusive, midnight UTC as
	// market.ParseDate returns them). Zero End is today in Asia/Shanghai;
	// zero Start is each dataset's last synced date, or a year before End
	// when it has none.
	Start, End time.Time
}

// Summary is what a sync did.
type Summary struct {
	Rows  map[string]int // rows written per dataset
	Dates map[string]int // trade dates written per dated dataset
	// Changed lists the distinct trade dates that got new bars, oldest
	// first: the days whose cached answers are stale.
	Changed []time.Time
	Skipped int // (dataset, date) pairs already complete before the run
	Empty   int // open dates the server had no rows for yet (not marked done)
	BadRows int // rows the decoder rejected, left out and logged
	// Unavailable maps datasets the account's points do not reach to the
	// server's message; the sync went on without them.
	Unavailable map[string]string
	Duration    time.Duration
}

// TotalRows is the number of rows written.
func (s Summary) TotalRows() int {
	n := 0
	for _, v := range s.Rows {
		n += v
	}
	return n
}

// shanghai is China Standard Time; China has no daylight saving, so a fixed
// zone is exact and needs no tzdata in the container.
var shanghai = time.FixedZone("CST", 8*3600)

// Today is the current date in Asia/Shanghai as midnight UTC, the form
// market.ParseDate gives dates.
func Today(now time.Time) time.Time {
	y, m, d := now.In(shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Run syncs the chosen datasets: reference data first (stock_basic,
// etf_basic, trade_cal are replaced whole), then every open trade date in
// the range that sync_state does not record yet, one call per dataset and
// date for the whole market, each date written in one Put and then marked
// done. Stopping at any point and running again ends with the same rows as
// one uninterrupted run: a date written but not yet marked is written again,
// which an upsert makes harmless.
func (s *Syncer) Run(ctx context.Context, opt Options) (Summary, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	begin := now()
	sum := Summary{Rows: map[string]int{}, Dates: map[string]int{}}
	err := s.run(ctx, opt, &sum, now)
	sum.Duration = now().Sub(begin)
	return sum, err
}

func (s *Syncer) run(ctx context.Context, opt Options, sum *Summary, now func() time.Time) error {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}

	names := opt.Datasets
	if names == nil {
		names = DatasetNames()
	}
	selected := func(n string) bool { return slices.Contains(names, n) }
	var dated []dataset
	for _, d := range datasets {
		if selected(d.name) && d.dated {
			dated = append(dated, d)
		}
	}
	end := opt.End
	if end.IsZero() {
		end = Today(now())
	}
	if !opt.Start.IsZero() && opt.Start.After(end) {
		return fmt.Errorf("start %s is after end %s", market.FormatDate(opt.Start), market.FormatDate(end))
	}

	// Reference data, whole: a few calls each. The fund list is fetched
	// for fund_daily too, even when it is not stored: fund_daily answers
	// every exchange-traded fund (LOFs, closed-end funds), and only the
	// ETFs among them belong in etf_daily.
	var etfCodes map[string]bool
	for _, name := range []string{StockBasic, ETFBasic} {
		store := selected(name)
		if !store && !(name == ETFBasic && selected(FundDaily)) {
			continue
		}
		b, bad, err := s.fetchReference(ctx, lookup(name), log)
		sum.BadRows += bad
		if errors.Is(err, ErrNoPermission) {
			if store {
				s.unavailable(sum, name, err, log)
			}
			continue
		}
		if err != nil {
			return err
		}
		if name == ETFBasic {
			etfCodes = make(map[string]bool, len(b.ETFs))
			for _, e := range b.ETFs {
				etfCodes[e.TSCode] = true
			}
		}
		if !store {
			continue
		}
		if err := b.Write(ctx, s.Store); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		sum.Rows[name] += b.Len()
		log.Info("sync: reference data stored", "dataset", name, "rows", b.Len())
	}
	if selected(IndexBasic) {
		if err := s.syncIndexBasic(ctx, sum, log); err != nil {
			return err
		}
	}
	if selected(NameChange) {
		if err := s.syncNameChanges(ctx, end, sum, log); err != nil {
			return err
		}
	}
	if !selected(TradeCal) && len(dated) == 0 {
		return nil
	}
	// The calendar plans the dates, so it is fetched even when it is not
	// one of the datasets to store.
	cal, bad, err := s.fetch(ctx, lookup(TradeCal), map[string]any{"exchange": "SSE"}, log)
	sum.BadRows += bad
	if err != nil {
		return err
	}
	if selected(TradeCal) {
		if err := cal.Write(ctx, s.Store); err != nil {
			return fmt.Errorf("trade_cal: %w", err)
		}
		sum.Rows[TradeCal] += cal.Len()
		log.Info("sync: trading calendar stored", "rows", cal.Len())
	}

	// Plan: per dataset, the open days in its range not yet synced.
	plans := make([][]time.Time, len(dated))
	total := 0
	for i, d := range dated {
		done, err := s.Store.SyncedDates(ctx, d.name)
		if err != nil {
			return fmt.Errorf("%s: read sync state: %w", d.name, err)
		}
		start := opt.Start
		if start.IsZero() {
			start = end.AddDate(-1, 0, 0)
			if len(done) > 0 {
				start = slices.MaxFunc(done, time.Time.Compare)
			}
		}
		have := make(map[time.Time]bool, len(done))
		for _, t := range done {
			have[t] = true
		}
		for _, day := range cal.TradeCal {
			if !day.IsOpen || day.Exchange != "SSE" || day.CalDate.Before(start) || day.CalDate.After(end) {
				continue
			}
			if have[day.CalDate] {
				sum.Skipped++
				continue
			}
			plans[i] = append(plans[i], day.CalDate)
		}
		slices.SortFunc(plans[i], time.Time.Compare)
		total += len(plans[i])
		log.Info("sync: planned", "dataset", d.name, "from", market.FormatDate(start), "to", market.FormatDate(end), "dates", len(plans[i]), "already_synced", len(done))
	}

	prog := newProgress(s.Bar, log, total, now)
	defer prog.finish()
	var mu sync.Mutex // guards sum from here on
	changed := map[time.Time]bool{}
	g, gctx := errgroup.WithContext(ctx)
	// One worker per dataset: Tushare paces each api_name separately, so
	// the datasets proceed side by side, each oldest date first.
	for i, d := range dated {
		g.Go(func() error {
			if d.name == IndexDaily {
				return s.syncIndexDaily(gctx, d, plans[i], sum, &mu, changed, prog, log)
			}
			for _, date := range plans[i] {
				n, bad, err := s.syncDate(gctx, d, date, etfCodes, log)
				if errors.Is(err, ErrNoPermission) {
					mu.Lock()
					s.unavailable(sum, d.name, err, log)
					mu.Unlock()
					return nil // the other datasets go on
				}
				mu.Lock()
				sum.BadRows += bad
				if err == nil {
					if n > 0 {
						sum.Rows[d.name] += n
						sum.Dates[d.name]++
						changed[date] = true
					} else {
						sum.Empty++
					}
				}
				mu.Unlock()
				if err != nil {
					return err
				}
				prog.step(d.name, date, n)
			}
			return nil
		})
	}
	err = g.Wait()
	for t := range changed {
		sum.Changed = append(sum.Changed, t)
	}
	slices.SortFunc(sum.Changed, time.Time.Compare)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// syncDate fetches, stores and records one dataset on one trade date and
// returns the rows stored. Zero rows are not recorded: the day's data is not
// published yet (a sync before the evening), and the next run asks again.
func (s *Syncer) syncDate(ctx context.Context, d dataset, date time.Time, etfCodes map[string]bool, log *slog.Logger) (rows, bad int, err error) {
	day := date.Format("20060102")
	b, bad, err := s.fetch(ctx, d, map[string]any{"trade_date": day}, log)
	if err != nil {
		return 0, bad, fmt.Errorf("%s %s: %w", d.name, day, err)
	}
	if d.name == FundDaily && etfCodes != nil {
		b.ETFDaily = slices.DeleteFunc(b.ETFDaily, func(r market.DailyBar) bool { return !etfCodes[r.TSCode] })
	}
	// A row of another date would make sync_state lie about this one.
	for _, t := range b.TradeDates() {
		if !t.Equal(date) {
			return 0, bad, fmt.Errorf("%s %s: server answered rows of %s", d.name, day, market.FormatDate(t))
		}
	}
	if b.Len() == 0 {
		// Counted in the summary; a line each would bury the progress bar.
		log.Debug("sync: no data yet", "dataset", d.name, "date", market.FormatDate(date))
		return 0, bad, nil
	}
	if err := b.Write(ctx, s.Store); err != nil {
		return 0, bad, fmt.Errorf("%s %s: %w", d.name, day, err)
	}
	if err := s.Store.MarkSynced(ctx, d.name, date, b.Len(), s.Fence); err != nil {
		return 0, bad, fmt.Errorf("%s %s: record sync state: %w", d.name, day, err)
	}
	if s.OnDateWritten != nil {
		s.OnDateWritten(d.name, date)
	}
	return b.Len(), bad, nil
}

// unavailable records a dataset the account's points do not reach; the
// rest of the sync goes on without it.
func (s *Syncer) unavailable(sum *Summary, name string, err error, log *slog.Logger) {
	if sum.Unavailable == nil {
		sum.Unavailable = map[string]string{}
	}
	var apiErr *APIError
	msg := err.Error()
	if errors.As(err, &apiErr) {
		msg = apiErr.Msg
	}
	sum.Unavailable[name] = msg
	log.Warn("sync: dataset skipped: the account's points do not allow it", "dataset", name, "err", err)
}

// fetchReference gets a whole reference table: listed, delisted and
// paused-listing rows (Tushare answers only listed ones unless asked).
func (s *Syncer) fetchReference(ctx context.Context, d dataset, log *slog.Logger) (ingest.Batch, int, error) {
	var all ingest.Batch
	bad := 0
	for _, status := range []string{"L", "D", "P"} {
		b, n, err := s.fetch(ctx, d, map[string]any{"list_status": status}, log)
		bad += n
		if d.name == ETFBasic && errors.Is(err, ErrNoPermission) {
			log.Warn("sync: etf_basic needs more points; using fund_basic (market=E)", "err", err)
			fb := d
			fb.api, fb.fields = "fund_basic", fundBasicFields
			b, n, err = s.fetch(ctx, fb, map[string]any{"market": "E"}, log)
			// fund_basic lists every listed fund; ETFs say so in the name.
			b.ETFs = slices.DeleteFunc(b.ETFs, func(e market.ETF) bool { return !strings.Contains(strings.ToUpper(e.Name), "ETF") })
			return b, bad + n, err
		}
		if err != nil {
			return all, bad, err
		}
		all.Dataset = b.Dataset
		all.Stocks = append(all.Stocks, b.Stocks...)
		all.ETFs = append(all.ETFs, b.ETFs...)
	}
	return all, bad, nil
}

// fetch calls api with params, every page, and decodes the answer with the
// CSV importer's decoder so both paths store identical rows. Rows the
// decoder rejects are logged and left out.
func (s *Syncer) fetch(ctx context.Context, d dataset, params map[string]any, log *slog.Logger) (ingest.Batch, int, error) {
	t, err := s.Client.QueryAll(ctx, d.api, params, d.fields)
	if err != nil {
		return ingest.Batch{}, 0, err
	}
	dec, err := ingest.NewDecoder(d.decode, t.Fields)
	if err != nil {
		return ingest.Batch{}, 0, fmt.Errorf("tushare %s: %w", d.api, err)
	}
	bad := 0
	for i, item := range t.Items {
		if err := dec.AddValues(item); err != nil {
			bad++
			if bad <= 10 {
				log.Warn("sync: row left out", "api", d.api, "params", params, "row", i+1, "err", err)
			}
		}
	}
	return dec.Batch(), bad, nil
}

func lookup(name string) dataset {
	for _, d := range datasets {
		if d.name == name {
			return d
		}
	}
	panic("tushare: unknown dataset " + name)
}
