package market

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Errors a Store returns; callers test them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrNoData   = errors.New("no data")
	// ErrStaleFence refuses a sync record whose fencing token is lower
	// than one already recorded: its writer lost the sync lease to another
	// replica.
	ErrStaleFence = errors.New("stale fencing token")
)

// Sort orders of the hot lists, largest first. Ties are broken by ts_code
// ascending.
const (
	SortAmount       = "amount"
	SortPctChg       = "pct_chg"
	SortTurnoverRate = "turnover_rate" // stocks only
)

// Ascending names a hot list's sort from the smallest instead ("pct_chg"
// ascending is the 跌幅榜); the stores take it where they take a sort.
func Ascending(sortBy string) string { return sortBy + ":asc" }

// Writer loads market data. Every Put is an upsert on the table's key:
// writing the same rows twice leaves every answer unchanged, and a changed row
// replaces the old one whole (latest write wins, NULLs included). One call is
// one unit: on error nothing of that call is visible. A row without its key
// (empty ts_code or exchange, zero date) is an error. An empty slice is a
// no-op.
type Writer interface {
	PutStocks(ctx context.Context, rows []Stock) error
	PutDaily(ctx context.Context, rows []DailyBar) error
	PutDailyBasic(ctx context.Context, rows []DailyBasic) error
	PutAdjFactors(ctx context.Context, rows []AdjFactor) error
	PutETFs(ctx context.Context, rows []ETF) error
	PutETFDaily(ctx context.Context, rows []DailyBar) error
	PutTradeCal(ctx context.Context, rows []TradeDay) error
	// PutNameChanges upserts namechange rows, keyed by (ts_code,
	// start_date, name); a row needs all three.
	PutNameChanges(ctx context.Context, rows []NameChange) error
	// PutStkLimits upserts stk_limit rows, keyed by (ts_code, trade_date).
	PutStkLimits(ctx context.Context, rows []StkLimit) error
	// PutIndices upserts index_basic rows, keyed by ts_code.
	PutIndices(ctx context.Context, rows []Index) error
	// PutIndexDaily upserts index bars, keyed by (ts_code, trade_date).
	PutIndexDaily(ctx context.Context, rows []DailyBar) error
}

// Reader answers the market API.
type Reader interface {
	// LatestTradeDate is the newest date with bars of the kind; ErrNoData when none.
	LatestTradeDate(ctx context.Context, kind Kind) (time.Time, error)
	// TradeDates lists dates with stock bars, newest first, at most limit.
	TradeDates(ctx context.Context, limit int) ([]time.Time, error)
	// OpenDays lists up to n distinct open days of the trading calendar (of
	// any exchange) on or before date, newest first; when the calendar is
	// empty it falls back to the dates that have stock bars.
	OpenDays(ctx context.Context, date time.Time, n int) ([]time.Time, error)
	// HotStocks ranks the stock bars of one day by sortBy descending, NULLs
	// last, ties by ts_code ascending. Name, industry and Synthetic come from
	// stock_basic (empty when the stock has no row there); turnover_rate and
	// circ_mv from daily_basic of the same day (nil when missing). An empty
	// answer means no data that day; an unknown sortBy is an error.
	HotStocks(ctx context.Context, date time.Time, sortBy string, limit int) ([]HotStock, error)
	// HotETFs is HotStocks for funds (sortBy amount or pct_chg; anything
	// else is an error), with names from etf_basic.
	HotETFs(ctx context.Context, date time.Time, sortBy string, limit int) ([]HotETF, error)
	// DayBars returns every stock bar of one day, ordered by ts_code, with
	// name, list date and Synthetic from stock_basic (zero when missing),
	// DayName from namechange (the name of the row with the newest
	// start_date on or before the day, ties by newest ann_date then greatest
	// name; "" when none) and the day's stk_limit prices (nil when the stock
	// has no stk_limit row that day).
	DayBars(ctx context.Context, date time.Time) ([]StatBar, error)
	// DayStocks is DayBars with the stock's industry and the day's
	// daily_basic valuation (nil fields when NULL or missing).
	DayStocks(ctx context.Context, date time.Time) ([]DayStock, error)
	// WindowBars returns the stock bars of the given codes with trade dates
	// in [from, to], with each day's stk_limit prices, ordered by ts_code
	// then trade_date. No codes means no bars.
	WindowBars(ctx context.Context, codes []string, from, to time.Time) ([]WindowBar, error)
	// NameChanges returns the namechange rows of the given codes (nil codes:
	// every row), ordered by ts_code, start_date, ann_date, name.
	NameChanges(ctx context.Context, codes []string) ([]NameChange, error)
	// DailyTotals sums the stock bars of each of the n newest trade dates
	// on or before date (dates with stock bars), newest first.
	DailyTotals(ctx context.Context, date time.Time, n int) ([]DayTotal, error)
	// IndexQuotes returns the index bars of one day with their names from
	// index_basic (empty when missing), ordered by ts_code.
	IndexQuotes(ctx context.Context, date time.Time) ([]IndexQuote, error)
	// Index returns one index with its newest bar (nil when none);
	// ErrNotFound when it has no index_basic row.
	Index(ctx context.Context, tsCode string) (IndexInfo, error)
	// Stock returns one stock with its newest bar and newest daily_basic row
	// (each nil when none); ErrNotFound when it has no stock_basic row.
	Stock(ctx context.Context, tsCode string) (StockInfo, error)
	// ETF returns one fund with its newest bar; ErrNotFound when it has no
	// etf_basic row.
	ETF(ctx context.Context, tsCode string) (ETFInfo, error)
	// Bars returns the stock's, fund's or index's bars in [start, end]
	// (zero = open end), oldest first, each with its adjustment factor (0
	// when none). An unknown code has no bars (not an error).
	Bars(ctx context.Context, tsCode string, start, end time.Time) ([]AdjBar, error)
	// LatestAdjFactor is the factor on the newest day the code has one;
	// ErrNoData when it has none.
	LatestAdjFactor(ctx context.Context, tsCode string) (time.Time, float64, error)
	// Search finds stocks, funds and indices (of stock_basic, etf_basic and
	// index_basic) whose ts_code starts with q or whose name contains q, q
	// taken literally (no wildcards); codes that match come first, each
	// group by ts_code, at most limit.
	Search(ctx context.Context, q string, limit int) ([]SearchHit, error)
	// Securities lists every stock, fund and index (stock_basic, etf_basic,
	// index_basic) as search rows, ordered by ts_code: what the pinyin
	// search indexes.
	Securities(ctx context.Context) ([]SearchHit, error)
	// DataVersion names the state of the given tables (daily,
	// stock_basic, …, as the stores name them): equal answers mean that nothing was written to any of
	// them in between, by this process or another. It is one small read,
	// cheap enough to ask before using data kept in memory.
	DataVersion(ctx context.Context, tables ...string) (string, error)
	// Counts returns the number of distinct keys per table, under the keys
	// stock_basic, daily, daily_basic, adj_factor, etf_basic, etf_daily,
	// trade_cal, namechange, stk_limit, index_basic, index_daily and
	// workflows (live workflows only).
	Counts(ctx context.Context) (map[string]int64, error)
}

// ReadVersions reads rows of (table name, version) into DataVersion's
// answer for tables; both stores' version queries answer in that shape.
func ReadVersions(rows Rows, tables []string) (string, error) {
	defer rows.Close()
	got := make(map[string]int64, len(tables))
	for rows.Next() {
		var (
			name string
			v    int64
		)
		if err := rows.Scan(&name, &v); err != nil {
			return "", err
		}
		got[name] = v
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return VersionString(tables, got), nil
}

// VersionString renders DataVersion's answer: table:version pairs in the
// order asked, 0 for a table without a version.
func VersionString(tables []string, versions map[string]int64) string {
	b := make([]byte, 0, 24*len(tables))
	for i, t := range tables {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, t...)
		b = append(b, ':')
		b = strconv.AppendInt(b, versions[t], 10)
	}
	return string(b)
}

// WorkflowRepo persists workflow documents.
type WorkflowRepo interface {
	// ListWorkflows returns every live (not deleted) workflow, newest
	// UpdatedAt first.
	ListWorkflows(ctx context.Context) ([]WorkflowRecord, error)
	// WorkflowPage returns up to limit live workflows of category (any
	// when empty) in ListWorkflows' order (ties by id) after skipping
	// offset of them, and how many live workflows of the category there
	// are in all. A limit of 0 only counts.
	WorkflowPage(ctx context.Context, category string, limit, offset int) ([]WorkflowRecord, int, error)
	// GetWorkflow returns one workflow; ErrNotFound when absent or deleted.
	GetWorkflow(ctx context.Context, id string) (WorkflowRecord, error)
	// PutWorkflow creates or replaces a workflow.
	PutWorkflow(ctx context.Context, w WorkflowRecord) error
	// DeleteWorkflow removes a workflow; ErrNotFound when absent or already
	// deleted. A later PutWorkflow of the same id creates it again.
	DeleteWorkflow(ctx context.Context, id string) error
}

// SyncLog records which (dataset, trade date) pairs a sync completed, and
// under which fencing token.
//
// fence is the token of the sync lease the writer holds (internal/lease):
// several replicas of `stockd serve` take turns at the scheduled sync, and
// the store is where a replica that lost the lease without noticing (it
// stalled past the lease's TTL) is stopped. 0 means a sync without a lease
// (one process, or a store that is not shared) and is never refused.
type SyncLog interface {
	// SyncedDates lists the distinct dates recorded for dataset, oldest
	// first.
	SyncedDates(ctx context.Context, dataset string) ([]time.Time, error)
	// MarkSynced records (dataset, date) as complete with its row count,
	// under fence; it is idempotent. A non-zero fence lower than
	// SyncFence is refused with ErrStaleFence and records nothing.
	MarkSynced(ctx context.Context, dataset string, date time.Time, rows int, fence uint64) error
	// SyncFence is the highest fencing token recorded, 0 when none.
	SyncFence(ctx context.Context) (uint64, error)
}

// Store is everything the service keeps: ClickHouse or embedded SQLite.
type Store interface {
	Writer
	Reader
	WorkflowRepo
	RunRepo
	SyncLog
	// Kind is "clickhouse" or "sqlite".
	Kind() string
	// Migrate applies pending schema migrations; it is idempotent.
	Migrate(ctx context.Context) error
	Ping(ctx context.Context) error
	Close() error
}
