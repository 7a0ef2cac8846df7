package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/stockdatasource/stockd/internal/market"
)

// A note on the SQL below, for 18.16 (and still true on 25.8): one JOIN per SELECT (a second join
// nests the first in a subquery), columns unqualified (names are kept
// distinct instead), ANY LEFT JOIN … USING so a missing right side gives
// NULL for Nullable columns and the zero value otherwise. Filters on the
// key go in PREWHERE: under FINAL a WHERE reads every column of the
// selected ranges before filtering (5x slower for one stock's history),
// and a key column has the same value in every version of a row. Filters on
// other columns of a FINAL read stay in WHERE, which runs after the
// replacing merge (a PREWHERE there would see superseded rows).

// LatestTradeDate is the newest date with bars of the kind.
func (s *Store) LatestTradeDate(ctx context.Context, kind market.Kind) (time.Time, error) {
	table, err := kind.BarTable()
	if err != nil {
		return time.Time{}, err
	}
	// max() needs no FINAL: a duplicate row has the same date. On an empty
	// table it answers 1970-01-01, which fromDate turns into zero.
	var d time.Time
	if err := s.conn.QueryRow(ctx, "SELECT max(trade_date) FROM "+table).Scan(&d); err != nil {
		return time.Time{}, s.connErr(fmt.Errorf("latest %s date: %w", kind, err))
	}
	if d = fromDate(d); d.IsZero() {
		return time.Time{}, fmt.Errorf("latest %s date: %w", kind, market.ErrNoData)
	}
	return d, nil
}

// TradeDates lists dates with stock bars, newest first.
func (s *Store) TradeDates(ctx context.Context, limit int) ([]time.Time, error) {
	if limit <= 0 {
		return nil, nil
	}
	return s.dates(ctx, "trade dates", `
		SELECT DISTINCT trade_date
		FROM daily
		ORDER BY trade_date DESC
		LIMIT ?`, limit)
}

// OpenDays lists up to n open days on or before date, newest first, from
// the calendar, or from the dates with stock bars when there is none.
func (s *Store) OpenDays(ctx context.Context, date time.Time, n int) ([]time.Time, error) {
	if n <= 0 {
		return nil, nil
	}
	// is_open is not part of the key, so the latest version of each day is
	// picked with argMax rather than a filter under FINAL. A day counts as
	// open when any exchange in the calendar trades.
	days, err := s.dates(ctx, "open days", `
		SELECT cal_date
		FROM (
			SELECT cal_date, argMax(is_open, version) AS open
			FROM trade_cal
			WHERE cal_date <= ?
			GROUP BY exchange, cal_date
		)
		WHERE open = 1
		GROUP BY cal_date
		ORDER BY cal_date DESC
		LIMIT ?`, dateArg(date), n)
	if err != nil || len(days) > 0 {
		return days, err
	}
	var calendarRows uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM trade_cal`).Scan(&calendarRows); err != nil {
		return nil, s.connErr(fmt.Errorf("open days: %w", err))
	}
	if calendarRows > 0 {
		return nil, nil
	}
	return s.dates(ctx, "open days", `
		SELECT DISTINCT trade_date
		FROM daily
		WHERE trade_date <= ?
		ORDER BY trade_date DESC
		LIMIT ?`, dateArg(date), n)
}

func (s *Store) dates(ctx context.Context, what, query string, args ...any) ([]time.Time, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("%s: %w", what, err))
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var d time.Time
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, fromDate(d))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// hotStockOrder maps a sort name to an ORDER BY; only these strings ever
// reach the SQL.
var hotStockOrder = map[string]string{
	market.SortAmount:                         "amount DESC, ts_code",
	market.SortPctChg:                         "pct_chg DESC, ts_code",
	market.SortTurnoverRate:                   "turnover_rate DESC NULLS LAST, ts_code",
	market.Ascending(market.SortAmount):       "amount ASC, ts_code",
	market.Ascending(market.SortPctChg):       "pct_chg ASC, ts_code",
	market.Ascending(market.SortTurnoverRate): "turnover_rate ASC NULLS LAST, ts_code",
}

var hotETFOrder = map[string]string{
	market.SortAmount:                   "amount DESC, ts_code",
	market.SortPctChg:                   "pct_chg DESC, ts_code",
	market.Ascending(market.SortAmount): "amount ASC, ts_code",
	market.Ascending(market.SortPctChg): "pct_chg ASC, ts_code",
}

// HotStocks ranks one day's stocks by sortBy.
func (s *Store) HotStocks(ctx context.Context, date time.Time, sortBy string, limit int) ([]market.HotStock, error) {
	order, ok := hotStockOrder[sortBy]
	if !ok {
		return nil, fmt.Errorf("hot stocks: unknown sort %q", sortBy)
	}
	if limit <= 0 {
		return nil, nil
	}
	day := dateArg(date)
	rows, err := s.conn.Query(ctx, `
		SELECT ts_code, name, industry, close, pct_chg, amount, vol, turnover_rate, circ_mv, synthetic
		FROM (
			SELECT ts_code, close, pct_chg, amount, vol, name, industry, synthetic
			FROM (
				SELECT ts_code, close, pct_chg, amount, vol
				FROM daily FINAL
				PREWHERE trade_date = ?
			)
			ANY LEFT JOIN (
				SELECT ts_code, name, industry, synthetic
				FROM stock_basic FINAL
			) USING ts_code
		)
		ANY LEFT JOIN (
			SELECT ts_code, turnover_rate, circ_mv
			FROM daily_basic FINAL
			PREWHERE trade_date = ?
		) USING ts_code
		ORDER BY `+order+`
		LIMIT ?`, day, day, limit)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("hot stocks: %w", err))
	}
	defer rows.Close()
	var out []market.HotStock
	for rows.Next() {
		var h market.HotStock
		if err := rows.Scan(&h.TSCode, &h.Name, &h.Industry, &h.Close, &h.PctChg, &h.Amount, &h.Vol,
			&h.TurnoverRate, &h.CircMV, &h.Synthetic); err != nil {
			return nil, fmt.Errorf("hot stocks: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hot stocks: %w", err)
	}
	return out, nil
}

// HotETFs ranks one day's funds by sortBy.
func (s *Store) HotETFs(ctx context.Context, date time.Time, sortBy string, limit int) ([]market.HotETF, error) {
	order, ok := hotETFOrder[sortBy]
	if !ok {
		return nil, fmt.Errorf("hot etfs: unknown sort %q", sortBy)
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, `
		SELECT ts_code, name, close, pct_chg, amount, vol, synthetic
		FROM (
			SELECT ts_code, close, pct_chg, amount, vol
			FROM etf_daily FINAL
			PREWHERE trade_date = ?
		)
		ANY LEFT JOIN (
			SELECT ts_code, name, synthetic
			FROM etf_basic FINAL
		) USING ts_code
		ORDER BY `+order+`
		LIMIT ?`, dateArg(date), limit)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("hot etfs: %w", err))
	}
	defer rows.Close()
	var out []market.HotETF
	for rows.Next() {
		var h market.HotETF
		if err := rows.Scan(&h.TSCode, &h.Name, &h.Close, &h.PctChg, &h.Amount, &h.Vol, &h.Synthetic); err != nil {
			return nil, fmt.Errorf("hot etfs: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hot etfs: %w", err)
	}
	return out, nil
}

const barColumns = "trade_date, open, high, low, close, pre_close, change, pct_chg, vol, amount"

// newestBarsPerDay selects barColumns of one code in a date range (three
// parameters: ts_code, from, to) from a bar table, one row per day: the row
// of the newest version, taken as one tuple so its columns always come from
// the same version.
func newestBarsPerDay(table string) string {
	return `SELECT trade_date, r.1 AS open, r.2 AS high, r.3 AS low, r.4 AS close, r.5 AS pre_close,
				r.6 AS change, r.7 AS pct_chg, r.8 AS vol, r.9 AS amount
			FROM (
				SELECT trade_date,
					argMax((open, high, low, close, pre_close, change, pct_chg, vol, amount), version) AS r
				FROM ` + table + `
				PREWHERE ts_code = ? AND trade_date >= ? AND trade_date <= ?
				GROUP BY trade_date
			)`
}

// scanBar reads the barColumns of a row.
func scanBar(row driver.Row, b *market.DailyBar) error {
	if err := row.Scan(&b.TradeDate, &b.Open, &b.High, &b.Low, &b.Close, &b.PreClose, &b.Change,
		&b.PctChg, &b.Vol, &b.Amount); err != nil {
		return err
	}
	b.TradeDate = fromDate(b.TradeDate)
	return nil
}

// latestBar is the code's newest bar in table, nil when it has none. The
// newest date is found first without FINAL (a duplicate has the same date),
// so the FINAL read touches one granule range of one partition instead of
// one per month.
func (s *Store) latestBar(ctx context.Context, table, tsCode string) (*market.DailyBar, error) {
	b := market.DailyBar{TSCode: tsCode}
	err := scanBar(s.conn.QueryRow(ctx, `
		SELECT `+barColumns+`
		FROM `+table+` FINAL
		PREWHERE ts_code = ? AND trade_date = (
			SELECT max(trade_date) FROM `+table+` PREWHERE ts_code = ?
		)`, tsCode, tsCode), &b)
	if errors.Is(err, errNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.connErr(fmt.Errorf("latest %s bar of %s: %w", table, tsCode, err))
	}
	return &b, nil
}

// Stock returns one stock with its latest bar and valuation.
func (s *Store) Stock(ctx context.Context, tsCode string) (market.StockInfo, error) {
	var info market.StockInfo
	st := &info.Stock
	err := s.conn.QueryRow(ctx, `
		SELECT ts_code, symbol, name, area, industry, market, exchange, list_date, delist_date,
			list_status, synthetic
		FROM stock_basic FINAL
		WHERE ts_code = ?`, tsCode).Scan(&st.TSCode, &st.Symbol, &st.Name, &st.Area, &st.Industry,
		&st.Market, &st.Exchange, &st.ListDate, &st.DelistDate, &st.ListStatus, &st.Synthetic)
	if errors.Is(err, errNoRows) {
		return info, fmt.Errorf("stock %s: %w", tsCode, market.ErrNotFound)
	}
	if err != nil {
		return info, s.connErr(fmt.Errorf("stock %s: %w", tsCode, err))
	}
	st.ListDate, st.DelistDate = fromDate(st.ListDate), fromDate(st.DelistDate)
	if info.Latest, err = s.latestBar(ctx, "daily", tsCode); err != nil {
		return info, err
	}
	if info.LatestBasic, err = s.latestBasic(ctx, tsCode); err != nil {
		return info, err
	}
	return info, nil
}

func (s *Store) latestBasic(ctx context.Context, tsCode string) (*market.DailyBasic, error) {
	b := market.DailyBasic{TSCode: tsCode}
	err := s.conn.QueryRow(ctx, `
		SELECT trade_date, close, turnover_rate, volume_ratio, pe, pe_ttm, pb, ps, dv_ratio,
			total_share, float_share, total_mv, circ_mv
		FROM daily_basic FINAL
		PREWHERE ts_code = ? AND trade_date = (
			SELECT max(trade_date) FROM daily_basic PREWHERE ts_code = ?
		)`, tsCode, tsCode).Scan(&b.TradeDate, &b.Close, &b.TurnoverRate, &b.VolumeRatio, &b.PE, &b.PETTM,
		&b.PB, &b.PS, &b.DvRatio, &b.TotalShare, &b.FloatShare, &b.TotalMV, &b.CircMV)
	if errors.Is(err, errNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.connErr(fmt.Errorf("latest daily_basic of %s: %w", tsCode, err))
	}
	b.TradeDate = fromDate(b.TradeDate)
	return &b, nil
}

// ETF returns one fund with its latest bar.
func (s *Store) ETF(ctx context.Context, tsCode string) (market.ETFInfo, error) {
	var info market.ETFInfo
	e := &info.ETF
	err := s.conn.QueryRow(ctx, `
		SELECT ts_code, name, index_code, index_name, exchange, mgr_name, list_date, list_status, synthetic
		FROM etf_basic FINAL
		WHERE ts_code = ?`, tsCode).Scan(&e.TSCode, &e.Name, &e.IndexCode, &e.IndexName, &e.Exchange,
		&e.MgrName, &e.ListDate, &e.ListStatus, &e.Synthetic)
	if errors.Is(err, errNoRows) {
		return info, fmt.Errorf("etf %s: %w", tsCode, market.ErrNotFound)
	}
	if err != nil {
		return info, s.connErr(fmt.Errorf("etf %s: %w", tsCode, err))
	}
	e.ListDate = fromDate(e.ListDate)
	if info.Latest, err = s.latestBar(ctx, "etf_daily", tsCode); err != nil {
		return info, err
	}
	return info, nil
}

// Bars returns a stock's or fund's bars in [start, end], oldest first, each
// with the adjustment factor of its day (0 when none).
func (s *Store) Bars(ctx context.Context, tsCode string, start, end time.Time) ([]market.AdjBar, error) {
	from, to := dateArg(minDate), dateArg(maxDate)
	if !start.IsZero() {
		from = dateArg(start)
	}
	if !end.IsZero() {
		to = dateArg(end)
	}
	// A code is a stock, a fund or an index (000001.SH is an index,
	// 000001.SZ a stock), so at most one part of the UNION has rows; the
	// factor table is keyed by ts_code first.
	//
	// Duplicates left by re-loads are collapsed with GROUP BY trade_date and
	// argMax(row, version), the newest version as FINAL would keep, but about
	// twice as fast for one code across many monthly partitions: FINAL
	// merges every column of every granule it touches on one thread. The row
	// is taken as one tuple (newestBarsPerDay).
	rows, err := s.conn.Query(ctx, `
		SELECT `+barColumns+`, adj_factor
		FROM (
			`+newestBarsPerDay("daily")+`
			UNION ALL
			`+newestBarsPerDay("etf_daily")+`
			UNION ALL
			`+newestBarsPerDay("index_daily")+`
		)
		ANY LEFT JOIN (
			SELECT trade_date, argMax(adj_factor, version) AS adj_factor
			FROM adj_factor
			PREWHERE ts_code = ? AND trade_date >= ? AND trade_date <= ?
			GROUP BY trade_date
		) USING trade_date
		ORDER BY trade_date`,
		tsCode, from, to, tsCode, from, to, tsCode, from, to, tsCode, from, to)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("bars of %s: %w", tsCode, err))
	}
	defer rows.Close()
	var out []market.AdjBar
	for rows.Next() {
		b := market.AdjBar{DailyBar: market.DailyBar{TSCode: tsCode}}
		if err := rows.Scan(&b.TradeDate, &b.Open, &b.High, &b.Low, &b.Close, &b.PreClose, &b.Change,
			&b.PctChg, &b.Vol, &b.Amount, &b.AdjFactor); err != nil {
			return nil, fmt.Errorf("bars of %s: %w", tsCode, err)
		}
		b.TradeDate = fromDate(b.TradeDate)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bars of %s: %w", tsCode, err)
	}
	return out, nil
}

// LatestAdjFactor is the code's factor on its newest day with one.
func (s *Store) LatestAdjFactor(ctx context.Context, tsCode string) (time.Time, float64, error) {
	var (
		d time.Time
		f float64
	)
	err := s.conn.QueryRow(ctx, `
		SELECT trade_date, adj_factor
		FROM adj_factor FINAL
		PREWHERE ts_code = ? AND trade_date = (
			SELECT max(trade_date) FROM adj_factor PREWHERE ts_code = ?
		)`, tsCode, tsCode).Scan(&d, &f)
	if errors.Is(err, errNoRows) {
		return time.Time{}, 0, fmt.Errorf("adj factor of %s: %w", tsCode, market.ErrNoData)
	}
	if err != nil {
		return time.Time{}, 0, s.connErr(fmt.Errorf("adj factor of %s: %w", tsCode, err))
	}
	return fromDate(d), f, nil
}

// Search finds stocks, funds and indices by code prefix or name substring, q taken
// literally (position() knows no wildcards); code matches first, then by
// ts_code.
func (s *Store) Search(ctx context.Context, q string, limit int) ([]market.SearchHit, error) {
	q = strings.TrimSpace(q)
	if q == "" || limit <= 0 {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, `
		SELECT ts_code, name, industry, kind
		FROM (
			SELECT ts_code, name, industry, 'stock' AS kind
			FROM stock_basic FINAL
			UNION ALL
			SELECT ts_code, name, '' AS industry, 'etf' AS kind
			FROM etf_basic FINAL
			UNION ALL
			SELECT ts_code, name, '' AS industry, 'index' AS kind
			FROM index_basic FINAL
		)
		WHERE position(ts_code, ?) = 1 OR position(name, ?) > 0
		ORDER BY position(ts_code, ?) = 1 DESC, ts_code
		LIMIT ?`, q, q, q, limit)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("search %q: %w", q, err))
	}
	defer rows.Close()
	var out []market.SearchHit
	for rows.Next() {
		var (
			h    market.SearchHit
			kind string
		)
		if err := rows.Scan(&h.TSCode, &h.Name, &h.Industry, &kind); err != nil {
			return nil, fmt.Errorf("search %q: %w", q, err)
		}
		h.Kind = market.Kind(kind)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search %q: %w", q, err)
	}
	return out, nil
}

// countedTables are the tables Counts reports, by name.
var countedTables = []string{
	"stock_basic", "daily", "daily_basic", "adj_factor", "etf_basic", "etf_daily", "trade_cal",
	"namechange", "stk_limit", "index_basic", "index_daily",
}

// Counts returns the number of distinct keys per market table, and of live
// workflows under "workflows".
func (s *Store) Counts(ctx context.Context) (map[string]int64, error) {
	parts := make([]string, 0, len(countedTables)+1)
	for _, t := range countedTables {
		parts = append(parts, "SELECT '"+t+"' AS table_name, count() AS n FROM "+t+" FINAL")
	}
	parts = append(parts, "SELECT 'workflows' AS table_name, countIf(deleted = 0) AS n FROM workflows FINAL")
	rows, err := s.conn.Query(ctx, strings.Join(parts, "\nUNION ALL\n"))
	if err != nil {
		return nil, s.connErr(fmt.Errorf("counts: %w", err))
	}
	defer rows.Close()
	out := make(map[string]int64, len(parts))
	for rows.Next() {
		var (
			table string
			n     uint64
		)
		if err := rows.Scan(&table, &n); err != nil {
			return nil, fmt.Errorf("counts: %w", err)
		}
		out[table] = int64(n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	return out, nil
}
