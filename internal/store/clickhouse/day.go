package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/stockdatasource/stockd/internal/market"
)

// daySQL reads every stock of one day with what the limit rule needs:
// stock_basic, the name in effect (namechange) and the exchange's limit
// prices (stk_limit); withBasic adds the industry and the day's daily_basic
// (DayStocks). 18.16 takes one JOIN per SELECT, so each join wraps the
// previous level, naming its columns (an asterisk would keep the left
// side's only). Parameters: the date, once per table read.
//
// The name in effect is argMax over (start_date, ann_date, name): the row
// with the newest start on or before the day, ties to the newest
// announcement and then the greatest name, as in the SQLite store.
func daySQL(withBasic bool) (query string, dateParams int) {
	cols := "ts_code, name, day_name, list_date, open, high, low, close, pre_close, pct_chg, vol, amount, synthetic"
	inner := `
			SELECT ts_code, name, list_date, industry, synthetic, open, high, low, close, pre_close, pct_chg, vol, amount
			FROM (
				SELECT ts_code, open, high, low, close, pre_close, pct_chg, vol, amount
				FROM daily FINAL
				PREWHERE trade_date = ?
			)
			ANY LEFT JOIN (
				SELECT ts_code, name, list_date, industry, synthetic
				FROM stock_basic FINAL
			) USING ts_code`
	named := `
		SELECT ` + cols + `, industry
		FROM (` + inner + `
		)
		ANY LEFT JOIN (
			SELECT ts_code, argMax(name, (start_date, ann_date, name)) AS day_name
			FROM namechange FINAL
			WHERE start_date <= ?
			GROUP BY ts_code
		) USING ts_code`
	limited := `
		SELECT ` + cols + `, industry, up_limit, down_limit
		FROM (` + named + `
		)
		ANY LEFT JOIN (
			SELECT ts_code, up_limit, down_limit
			FROM stk_limit FINAL
			PREWHERE trade_date = ?
		) USING ts_code`
	if !withBasic {
		return `SELECT ` + cols + `, up_limit, down_limit FROM (` + limited + `
		) ORDER BY ts_code`, 3
	}
	return `
		SELECT ` + cols + `, up_limit, down_limit, industry,
			turnover_rate, pe, pe_ttm, pb, ps, dv_ratio, total_mv, circ_mv
		FROM (` + limited + `
		)
		ANY LEFT JOIN (
			SELECT ts_code, turnover_rate, pe, pe_ttm, pb, ps, dv_ratio, total_mv, circ_mv
			FROM daily_basic FINAL
			PREWHERE trade_date = ?
		) USING ts_code
		ORDER BY ts_code`, 4
}

// inSet binds a list for "x IN ?" as (a, b, …): a plain slice would bind
// as an array, which IN refuses on 18.16.
func inSet(ss []string) ch.GroupSet {
	vals := make([]any, len(ss))
	for i, v := range ss {
		vals[i] = v
	}
	return ch.GroupSet{Value: vals}
}

func (s *Store) queryDay(ctx context.Context, what string, withBasic bool, date time.Time) (driver.Rows, error) {
	query, n := daySQL(withBasic)
	args := make([]any, n)
	for i := range args {
		args[i] = dateArg(date)
	}
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("%s: %w", what, err))
	}
	return rows, nil
}

func scanStatBar(rows driver.Rows, b *market.StatBar, extra ...any) error {
	dest := append([]any{&b.TSCode, &b.Name, &b.DayName, &b.ListDate, &b.Open, &b.High, &b.Low, &b.Close,
		&b.PreClose, &b.PctChg, &b.Vol, &b.Amount, &b.Synthetic, &b.UpLimit, &b.DownLimit}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	b.ListDate = fromDate(b.ListDate)
	return nil
}

// DayBars returns every stock bar of one day, ordered by ts_code.
func (s *Store) DayBars(ctx context.Context, date time.Time) ([]market.StatBar, error) {
	rows, err := s.queryDay(ctx, "day bars", false, date)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.StatBar
	for rows.Next() {
		var b market.StatBar
		if err := scanStatBar(rows, &b); err != nil {
			return nil, fmt.Errorf("day bars: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("day bars: %w", err)
	}
	return out, nil
}

// DayStocks returns every stock of one day with industry and valuation.
func (s *Store) DayStocks(ctx context.Context, date time.Time) ([]market.DayStock, error) {
	rows, err := s.queryDay(ctx, "day stocks", true, date)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.DayStock
	for rows.Next() {
		var d market.DayStock
		if err := scanStatBar(rows, &d.StatBar, &d.Industry, &d.TurnoverRate, &d.PE, &d.PETTM, &d.PB, &d.PS,
			&d.DvRatio, &d.TotalMV, &d.CircMV); err != nil {
			return nil, fmt.Errorf("day stocks: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("day stocks: %w", err)
	}
	return out, nil
}

// WindowBars returns the codes' bars in [from, to] with each day's stk_limit
// prices. Both sides are read through the (ts_code, trade_date) key of the
// partitions the range touches.
func (s *Store) WindowBars(ctx context.Context, codes []string, from, to time.Time) ([]market.WindowBar, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	f, t := dateArg(from), dateArg(to)
	rows, err := s.conn.Query(ctx, `
		SELECT ts_code, trade_date, high, close, pre_close, up_limit, down_limit
		FROM (
			SELECT ts_code, trade_date, high, close, pre_close
			FROM daily FINAL
			PREWHERE ts_code IN ? AND trade_date >= ? AND trade_date <= ?
		)
		ANY LEFT JOIN (
			SELECT ts_code, trade_date, up_limit, down_limit
			FROM stk_limit FINAL
			PREWHERE ts_code IN ? AND trade_date >= ? AND trade_date <= ?
		) USING ts_code, trade_date
		ORDER BY ts_code, trade_date`, inSet(codes), f, t, inSet(codes), f, t)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("window bars: %w", err))
	}
	defer rows.Close()
	var out []market.WindowBar
	for rows.Next() {
		var b market.WindowBar
		if err := rows.Scan(&b.TSCode, &b.TradeDate, &b.High, &b.Close, &b.PreClose, &b.UpLimit, &b.DownLimit); err != nil {
			return nil, fmt.Errorf("window bars: %w", err)
		}
		b.TradeDate = fromDate(b.TradeDate)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("window bars: %w", err)
	}
	return out, nil
}

// NameChanges returns the namechange rows of codes, or every row.
func (s *Store) NameChanges(ctx context.Context, codes []string) ([]market.NameChange, error) {
	where, args := "", []any{}
	if len(codes) > 0 {
		where, args = "PREWHERE ts_code IN ?", []any{inSet(codes)}
	}
	rows, err := s.conn.Query(ctx, `
		SELECT ts_code, name, start_date, end_date, ann_date, change_reason
		FROM namechange FINAL
		`+where+`
		ORDER BY ts_code, start_date, ann_date, name`, args...)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("name changes: %w", err))
	}
	defer rows.Close()
	var out []market.NameChange
	for rows.Next() {
		var n market.NameChange
		if err := rows.Scan(&n.TSCode, &n.Name, &n.StartDate, &n.EndDate, &n.AnnDate, &n.ChangeReason); err != nil {
			return nil, fmt.Errorf("name changes: %w", err)
		}
		n.StartDate, n.EndDate, n.AnnDate = fromDate(n.StartDate), fromDate(n.EndDate), fromDate(n.AnnDate)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("name changes: %w", err)
	}
	return out, nil
}

// DailyTotals sums the stock bars of the n newest trade dates up to date.
// The dates are found first (one column, no FINAL: a duplicate has the
// same date), so the sums read only the partitions between them.
func (s *Store) DailyTotals(ctx context.Context, date time.Time, n int) ([]market.DayTotal, error) {
	if n <= 0 {
		return nil, nil
	}
	days, err := s.dates(ctx, "daily totals", `
		SELECT DISTINCT trade_date
		FROM daily
		WHERE trade_date <= ?
		ORDER BY trade_date DESC
		LIMIT ?`, dateArg(date), n)
	if err != nil || len(days) == 0 {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, `
		SELECT trade_date, sum(amount), sum(vol), count()
		FROM daily FINAL
		PREWHERE trade_date >= ? AND trade_date <= ?
		GROUP BY trade_date
		ORDER BY trade_date DESC`, dateArg(days[len(days)-1]), dateArg(days[0]))
	if err != nil {
		return nil, s.connErr(fmt.Errorf("daily totals: %w", err))
	}
	defer rows.Close()
	var out []market.DayTotal
	for rows.Next() {
		var (
			t      market.DayTotal
			stocks uint64
		)
		if err := rows.Scan(&t.TradeDate, &t.Amount, &t.Vol, &stocks); err != nil {
			return nil, fmt.Errorf("daily totals: %w", err)
		}
		t.TradeDate, t.Stocks = fromDate(t.TradeDate), int(stocks)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily totals: %w", err)
	}
	return out, nil
}

// IndexQuotes returns the index bars of one day with their names.
func (s *Store) IndexQuotes(ctx context.Context, date time.Time) ([]market.IndexQuote, error) {
	rows, err := s.conn.Query(ctx, `
		SELECT ts_code, name, trade_date, open, high, low, close, pre_close, change, pct_chg, vol, amount, synthetic
		FROM (
			SELECT ts_code, trade_date, open, high, low, close, pre_close, change, pct_chg, vol, amount
			FROM index_daily FINAL
			PREWHERE trade_date = ?
		)
		ANY LEFT JOIN (
			SELECT ts_code, name, synthetic
			FROM index_basic FINAL
		) USING ts_code
		ORDER BY ts_code`, dateArg(date))
	if err != nil {
		return nil, s.connErr(fmt.Errorf("index quotes: %w", err))
	}
	defer rows.Close()
	var out []market.IndexQuote
	for rows.Next() {
		var (
			q market.IndexQuote
			d time.Time
		)
		if err := rows.Scan(&q.TSCode, &q.Name, &d, &q.Open, &q.High, &q.Low, &q.Close, &q.PreClose,
			&q.Change, &q.PctChg, &q.Vol, &q.Amount, &q.Synthetic); err != nil {
			return nil, fmt.Errorf("index quotes: %w", err)
		}
		q.TradeDate = market.FormatDate(fromDate(d))
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index quotes: %w", err)
	}
	return out, nil
}

// Index returns one index with its latest bar.
func (s *Store) Index(ctx context.Context, tsCode string) (market.IndexInfo, error) {
	var info market.IndexInfo
	x := &info.Index
	err := s.conn.QueryRow(ctx, `
		SELECT ts_code, name, market, publisher, category, base_date, base_point, list_date, synthetic
		FROM index_basic FINAL
		WHERE ts_code = ?`, tsCode).Scan(&x.TSCode, &x.Name, &x.Market, &x.Publisher, &x.Category,
		&x.BaseDate, &x.BasePoint, &x.ListDate, &x.Synthetic)
	if errors.Is(err, errNoRows) {
		return info, fmt.Errorf("index %s: %w", tsCode, market.ErrNotFound)
	}
	if err != nil {
		return info, s.connErr(fmt.Errorf("index %s: %w", tsCode, err))
	}
	x.BaseDate, x.ListDate = fromDate(x.BaseDate), fromDate(x.ListDate)
	if info.Latest, err = s.latestBar(ctx, "index_daily", tsCode); err != nil {
		return info, err
	}
	return info, nil
}
