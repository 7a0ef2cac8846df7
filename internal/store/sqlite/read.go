package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// LatestTradeDate is the newest date with bars of the kind.
func (s *Store) LatestTradeDate(ctx context.Context, kind market.Kind) (time.Time, error) {
	table, err := kind.BarTable()
	if err != nil {
		return time.Time{}, err
	}
	var d sql.NullString
	// max() over the leading key column is one index seek.
	if err := s.db.QueryRowContext(ctx, "SELECT max(trade_date) FROM "+table).Scan(&d); err != nil {
		return time.Time{}, fmt.Errorf("sqlite: latest %s date: %w", kind, err)
	}
	if !d.Valid {
		return time.Time{}, fmt.Errorf("sqlite: latest %s date: %w", kind, market.ErrNoData)
	}
	return parseDate(d)
}

// barDatesQuery walks the distinct dates of daily from a bound downwards
// with one index seek per date, instead of scanning the ~5,000 rows of every
// day that DISTINCT would read. Parameters: upper bound (inclusive), limit.
const barDatesQuery = `
WITH RECURSIVE dates(d) AS (
	SELECT max(trade_date) FROM daily WHERE trade_date <= ?
	UNION ALL
	SELECT (SELECT max(trade_date) FROM daily WHERE trade_date < dates.d) FROM dates WHERE dates.d IS NOT NULL
)
SELECT d FROM dates WHERE d IS NOT NULL LIMIT ?`

// TradeDates lists dates with stock bars, newest first.
func (s *Store) TradeDates(ctx context.Context, limit int) ([]time.Time, error) {
	ds, err := s.queryDates(ctx, barDatesQuery, "9999-12-31", limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: trade dates: %w", err)
	}
	return ds, nil
}

// OpenDays lists open calendar days on or before date, newest first, or the
// stock bar dates when the calendar is empty.
func (s *Store) OpenDays(ctx context.Context, date time.Time, n int) ([]time.Time, error) {
	var hasCal bool
	if err := s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM trade_cal)").Scan(&hasCal); err != nil {
		return nil, fmt.Errorf("sqlite: open days: %w", err)
	}
	query := barDatesQuery
	if hasCal {
		query = `SELECT DISTINCT cal_date FROM trade_cal
			WHERE is_open = 1 AND cal_date <= ? ORDER BY cal_date DESC LIMIT ?`
	}
	ds, err := s.queryDates(ctx, query, date.Format(market.DateLayout), n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open days: %w", err)
	}
	return ds, nil
}

func (s *Store) queryDates(ctx context.Context, query string, args ...any) ([]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var d sql.NullString
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		t, err := parseDate(d)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// The hot-list ORDER BY clauses, keyed by sortBy. Only these strings reach
// the SQL text.
var (
	hotStockOrder = map[string]string{
		market.SortAmount:                         "d.amount DESC",
		market.SortPctChg:                         "d.pct_chg DESC",
		market.SortTurnoverRate:                   "b.turnover_rate DESC NULLS LAST",
		market.Ascending(market.SortAmount):       "d.amount ASC",
		market.Ascending(market.SortPctChg):       "d.pct_chg ASC",
		market.Ascending(market.SortTurnoverRate): "b.turnover_rate ASC NULLS LAST",
	}
	hotETFOrder = map[string]string{
		market.SortAmount:                   "d.amount DESC",
		market.SortPctChg:                   "d.pct_chg DESC",
		market.Ascending(market.SortAmount): "d.amount ASC",
		market.Ascending(market.SortPctChg): "d.pct_chg ASC",
	}
)

// hotStocksSQL reads one day through the (trade_date, ts_code) key and
// joins the basics by their keys; order is one of hotStockOrder.
func hotStocksSQL(order string) string {
	return `
		SELECT d.ts_code, coalesce(s.name, ''), coalesce(s.industry, ''), d.close, d.pct_chg, d.amount, d.vol,
		       b.turnover_rate, b.circ_mv, coalesce(s.synthetic, 0)
		FROM daily d
		LEFT JOIN stock_basic s ON s.ts_code = d.ts_code
		LEFT JOIN daily_basic b ON b.trade_date = d.trade_date AND b.ts_code = d.ts_code
		WHERE d.trade_date = ?
		ORDER BY ` + order + `, d.ts_code
		LIMIT ?`
}

// HotStocks ranks one day's stocks.
func (s *Store) HotStocks(ctx context.Context, date time.Time, sortBy string, limit int) ([]market.HotStock, error) {
	order, ok := hotStockOrder[sortBy]
	if !ok {
		return nil, fmt.Errorf("sqlite: hot stocks: unknown sort %q", sortBy)
	}
	rows, err := s.db.QueryContext(ctx, hotStocksSQL(order), date.Format(market.DateLayout), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: hot stocks: %w", err)
	}
	defer rows.Close()
	out := []market.HotStock{}
	for rows.Next() {
		var h market.HotStock
		if err := rows.Scan(&h.TSCode, &h.Name, &h.Industry, &h.Close, &h.PctChg, &h.Amount, &h.Vol,
			&h.TurnoverRate, &h.CircMV, &h.Synthetic); err != nil {
			return nil, fmt.Errorf("sqlite: hot stocks: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: hot stocks: %w", err)
	}
	return out, nil
}

// HotETFs ranks one day's funds.
func (s *Store) HotETFs(ctx context.Context, date time.Time, sortBy string, limit int) ([]market.HotETF, error) {
	order, ok := hotETFOrder[sortBy]
	if !ok {
		return nil, fmt.Errorf("sqlite: hot ETFs: unknown sort %q", sortBy)
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT d.ts_code, coalesce(e.name, ''), d.close, d.pct_chg, d.amount, d.vol, coalesce(e.synthetic, 0)
		FROM etf_daily d
		LEFT JOIN etf_basic e ON e.ts_code = d.ts_code
		WHERE d.trade_date = ?
		ORDER BY `+order+`, d.ts_code
		LIMIT ?`, date.Format(market.DateLayout), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: hot ETFs: %w", err)
	}
	defer rows.Close()
	out := []market.HotETF{}
	for rows.Next() {
		var h market.HotETF
		if err := rows.Scan(&h.TSCode, &h.Name, &h.Close, &h.PctChg, &h.Amount, &h.Vol, &h.Synthetic); err != nil {
			return nil, fmt.Errorf("sqlite: hot ETFs: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: hot ETFs: %w", err)
	}
	return out, nil
}

const barColumns = "trade_date, ts_code, open, high, low, close, pre_close, change, pct_chg, vol, amount"

type scanner interface{ Scan(dest ...any) error }

func scanBar(r scanner, extra ...any) (market.DailyBar, error) {
	var (
		b market.DailyBar
		d sql.NullString
	)
	dest := append([]any{&d, &b.TSCode, &b.Open, &b.High, &b.Low, &b.Close, &b.PreClose, &b.Change, &b.PctChg, &b.Vol, &b.Amount}, extra...)
	if err := r.Scan(dest...); err != nil {
		return b, err
	}
	t, err := parseDate(d)
	b.TradeDate = t
	return b, err
}

// latestBar is the newest bar of a code in table (daily or etf_daily), nil
// when it has none.
func (s *Store) latestBar(ctx context.Context, table, code string) (*market.DailyBar, error) {
	b, err := scanBar(s.db.QueryRowContext(ctx, "SELECT "+barColumns+" FROM "+table+
		" WHERE ts_code = ? ORDER BY trade_date DESC LIMIT 1", code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// Stock returns a stock_basic row with its newest bar and valuation.
func (s *Store) Stock(ctx context.Context, tsCode string) (market.StockInfo, error) {
	var (
		info       market.StockInfo
		list, dlst sql.NullString
	)
	err := s.db.QueryRowContext(ctx, `
		SELECT ts_code, symbol, name, area, industry, market, exchange, list_date, delist_date, list_status, synthetic
		FROM stock_basic WHERE ts_code = ?`, tsCode).Scan(
		&info.TSCode, &info.Symbol, &info.Name, &info.Area, &info.Industry, &info.Market, &info.Exchange,
		&list, &dlst, &info.ListStatus, &info.Synthetic)
	if errors.Is(err, sql.ErrNoRows) {
		return info, fmt.Errorf("sqlite: stock %s: %w", tsCode, market.ErrNotFound)
	}
	if err == nil {
		info.ListDate, err = parseDate(list)
	}
	if err == nil {
		info.DelistDate, err = parseDate(dlst)
	}
	if err == nil {
		info.Latest, err = s.latestBar(ctx, "daily", tsCode)
	}
	if err == nil {
		info.LatestBasic, err = s.latestBasic(ctx, tsCode)
	}
	if err != nil {
		return info, fmt.Errorf("sqlite: stock %s: %w", tsCode, err)
	}
	return info, nil
}

func (s *Store) latestBasic(ctx context.Context, code string) (*market.DailyBasic, error) {
	var (
		b market.DailyBasic
		d sql.NullString
	)
	err := s.db.QueryRowContext(ctx, `
		SELECT trade_date, ts_code, close, turnover_rate, volume_ratio, pe, pe_ttm, pb, ps, dv_ratio,
		       total_share, float_share, total_mv, circ_mv
		FROM daily_basic WHERE ts_code = ? ORDER BY trade_date DESC LIMIT 1`, code).Scan(
		&d, &b.TSCode, &b.Close, &b.TurnoverRate, &b.VolumeRatio, &b.PE, &b.PETTM, &b.PB, &b.PS, &b.DvRatio,
		&b.TotalShare, &b.FloatShare, &b.TotalMV, &b.CircMV)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if b.TradeDate, err = parseDate(d); err != nil {
		return nil, err
	}
	return &b, nil
}

// ETF returns an etf_basic row with its newest bar.
func (s *Store) ETF(ctx context.Context, tsCode string) (market.ETFInfo, error) {
	var (
		info market.ETFInfo
		list sql.NullString
	)
	err := s.db.QueryRowContext(ctx, `
		SELECT ts_code, name, index_code, index_name, exchange, mgr_name, list_date, list_status, synthetic
		FROM etf_basic WHERE ts_code = ?`, tsCode).Scan(
		&info.TSCode, &info.Name, &info.IndexCode, &info.IndexName, &info.Exchange, &info.MgrName,
		&list, &info.ListStatus, &info.Synthetic)
	if errors.Is(err, sql.ErrNoRows) {
		return info, fmt.Errorf("sqlite: ETF %s: %w", tsCode, market.ErrNotFound)
	}
	if err == nil {
		info.ListDate, err = parseDate(list)
	}
	if err == nil {
		info.Latest, err = s.latestBar(ctx, "etf_daily", tsCode)
	}
	if err != nil {
		return info, fmt.Errorf("sqlite: ETF %s: %w", tsCode, err)
	}
	return info, nil
}

// Bars returns a code's bars in [start, end], from daily, etf_daily or
// index_daily (a code lives in one of them: 000001.SH is an index,
// 000001.SZ a stock), each with that day's factor.
func (s *Store) Bars(ctx context.Context, tsCode string, start, end time.Time) ([]market.AdjBar, error) {
	from, to := "", "9999-12-31"
	if !start.IsZero() {
		from = start.Format(market.DateLayout)
	}
	if !end.IsZero() {
		to = end.Format(market.DateLayout)
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT b.trade_date, b.ts_code, b.open, b.high, b.low, b.close, b.pre_close, b.change, b.pct_chg, b.vol, b.amount,
		       coalesce(a.adj_factor, 0)
		FROM (
			SELECT `+barColumns+` FROM daily WHERE ts_code = ?1 AND trade_date BETWEEN ?2 AND ?3
			UNION ALL
			SELECT `+barColumns+` FROM etf_daily WHERE ts_code = ?1 AND trade_date BETWEEN ?2 AND ?3
			UNION ALL
			SELECT `+barColumns+` FROM index_daily WHERE ts_code = ?1 AND trade_date BETWEEN ?2 AND ?3
		) b
		LEFT JOIN adj_factor a ON a.ts_code = b.ts_code AND a.trade_date = b.trade_date
		ORDER BY b.trade_date`, tsCode, from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlite: bars of %s: %w", tsCode, err)
	}
	defer rows.Close()
	out := []market.AdjBar{}
	for rows.Next() {
		var ab market.AdjBar
		if ab.DailyBar, err = scanBar(rows, &ab.AdjFactor); err != nil {
			return nil, fmt.Errorf("sqlite: bars of %s: %w", tsCode, err)
		}
		out = append(out, ab)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: bars of %s: %w", tsCode, err)
	}
	return out, nil
}

// LatestAdjFactor is the factor on the newest day the code has one.
func (s *Store) LatestAdjFactor(ctx context.Context, tsCode string) (time.Time, float64, error) {
	var (
		d sql.NullString
		f float64
	)
	err := s.db.QueryRowContext(ctx, `SELECT trade_date, adj_factor FROM adj_factor
		WHERE ts_code = ? ORDER BY trade_date DESC LIMIT 1`, tsCode).Scan(&d, &f)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, 0, fmt.Errorf("sqlite: adj factor of %s: %w", tsCode, market.ErrNoData)
	}
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("sqlite: adj factor of %s: %w", tsCode, err)
	}
	t, err := parseDate(d)
	return t, f, err
}

// Search matches code prefixes and name substrings. instr() takes q
// literally, so % and _ in a query are not wildcards; codes compare in upper
// case because users type 600519.sh.
func (s *Store) Search(ctx context.Context, q string, limit int) ([]market.SearchHit, error) {
	q = strings.TrimSpace(q)
	if q == "" || limit <= 0 {
		return []market.SearchHit{}, nil
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT ts_code, name, industry, kind FROM (
			SELECT ts_code, name, industry, 'stock' AS kind, substr(ts_code, 1, length(?2)) = ?2 AS code_hit
			FROM stock_basic
			WHERE substr(ts_code, 1, length(?2)) = ?2 OR instr(name, ?1) > 0
			UNION ALL
			SELECT ts_code, name, '', 'etf', substr(ts_code, 1, length(?2)) = ?2
			FROM etf_basic
			WHERE substr(ts_code, 1, length(?2)) = ?2 OR instr(name, ?1) > 0
			UNION ALL
			SELECT ts_code, name, '', 'index', substr(ts_code, 1, length(?2)) = ?2
			FROM index_basic
			WHERE substr(ts_code, 1, length(?2)) = ?2 OR instr(name, ?1) > 0
		)
		ORDER BY code_hit DESC, ts_code
		LIMIT ?3`, q, strings.ToUpper(q), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: search %q: %w", q, err)
	}
	defer rows.Close()
	out := []market.SearchHit{}
	for rows.Next() {
		var h market.SearchHit
		if err := rows.Scan(&h.TSCode, &h.Name, &h.Industry, &h.Kind); err != nil {
			return nil, fmt.Errorf("sqlite: search %q: %w", q, err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: search %q: %w", q, err)
	}
	return out, nil
}

// Counts returns the row count of each table; primary keys make rows and
// distinct keys the same thing here.
func (s *Store) Counts(ctx context.Context) (map[string]int64, error) {
	queries := map[string]string{
		"stock_basic": "SELECT count(*) FROM stock_basic",
		"daily":       "SELECT count(*) FROM daily",
		"daily_basic": "SELECT count(*) FROM daily_basic",
		"adj_factor":  "SELECT count(*) FROM adj_factor",
		"etf_basic":   "SELECT count(*) FROM etf_basic",
		"etf_daily":   "SELECT count(*) FROM etf_daily",
		"trade_cal":   "SELECT count(*) FROM trade_cal",
		"namechange":  "SELECT count(*) FROM namechange",
		"stk_limit":   "SELECT count(*) FROM stk_limit",
		"index_basic": "SELECT count(*) FROM index_basic",
		"index_daily": "SELECT count(*) FROM index_daily",
		"workflows":   "SELECT count(*) FROM workflows WHERE deleted = 0",
	}
	out := make(map[string]int64, len(queries))
	for name, q := range queries {
		var n int64
		if err := s.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlite: count %s: %w", name, err)
		}
		out[name] = n
	}
	return out, nil
}

// SyncFence is the highest fencing token a sync record carries.
func (s *Store) SyncFence(ctx context.Context) (uint64, error) {
	var fence int64
	if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(fence), 0) FROM sync_state").Scan(&fence); err != nil {
		return 0, fmt.Errorf("sqlite: sync fence: %w", err)
	}
	return uint64(fence), nil
}

// SyncedDates lists the dates a dataset was synced for, oldest first.
func (s *Store) SyncedDates(ctx context.Context, dataset string) ([]time.Time, error) {
	ds, err := s.queryDates(ctx, "SELECT trade_date FROM sync_state WHERE dataset = ? ORDER BY trade_date", dataset)
	if err != nil {
		return nil, fmt.Errorf("sqlite: synced dates of %s: %w", dataset, err)
	}
	return ds, nil
}
