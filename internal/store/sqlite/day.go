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

// dayNameSQL is the name in effect on the bar's day: the namechange row
// with the newest start_date on or before it (ties: newest ann_date, then
// the greatest name; NULL sorts first, so last in DESC). One seek of the
// (ts_code, start_date, name) key per bar.
const dayNameSQL = `coalesce((
			SELECT n.name FROM namechange n
			WHERE n.ts_code = d.ts_code AND n.start_date <= d.trade_date
			ORDER BY n.start_date DESC, n.ann_date DESC, n.name DESC
			LIMIT 1), '')`

// daySQL reads one day in ts_code order, which is the clustered key order,
// so SQLite needs no sort. withBasic adds the industry and the day's
// valuation (DayStocks); without it the row is a StatBar (DayBars).
func daySQL(withBasic bool) string {
	cols, join := "", ""
	if withBasic {
		cols = `, s.industry, b.turnover_rate, b.pe, b.pe_ttm, b.pb, b.ps, b.dv_ratio, b.total_mv, b.circ_mv`
		join = `LEFT JOIN daily_basic b ON b.trade_date = d.trade_date AND b.ts_code = d.ts_code`
	}
	return `
		SELECT d.ts_code, coalesce(s.name, ''), ` + dayNameSQL + `, s.list_date,
		       d.open, d.high, d.low, d.close, d.pre_close, d.pct_chg, d.vol, d.amount,
		       coalesce(s.synthetic, 0), l.up_limit, l.down_limit` + cols + `
		FROM daily d
		LEFT JOIN stock_basic s ON s.ts_code = d.ts_code
		LEFT JOIN stk_limit l ON l.trade_date = d.trade_date AND l.ts_code = d.ts_code
		` + join + `
		WHERE d.trade_date = ?
		ORDER BY d.ts_code`
}

// scanStatBar reads the StatBar columns of daySQL, then extra.
func scanStatBar(r scanner, b *market.StatBar, extra ...any) error {
	var list sql.NullString
	dest := append([]any{&b.TSCode, &b.Name, &b.DayName, &list, &b.Open, &b.High, &b.Low, &b.Close,
		&b.PreClose, &b.PctChg, &b.Vol, &b.Amount, &b.Synthetic, &b.UpLimit, &b.DownLimit}, extra...)
	if err := r.Scan(dest...); err != nil {
		return err
	}
	var err error
	b.ListDate, err = parseDate(list)
	return err
}

// DayBars returns one day's stock bars ordered by ts_code.
func (s *Store) DayBars(ctx context.Context, date time.Time) ([]market.StatBar, error) {
	rows, err := s.db.QueryContext(ctx, daySQL(false), date.Format(market.DateLayout))
	if err != nil {
		return nil, fmt.Errorf("sqlite: day bars: %w", err)
	}
	defer rows.Close()
	out := []market.StatBar{}
	for rows.Next() {
		var b market.StatBar
		if err := scanStatBar(rows, &b); err != nil {
			return nil, fmt.Errorf("sqlite: day bars: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: day bars: %w", err)
	}
	return out, nil
}

// DayStocks returns one day's stocks with industry and valuation.
func (s *Store) DayStocks(ctx context.Context, date time.Time) ([]market.DayStock, error) {
	rows, err := s.db.QueryContext(ctx, daySQL(true), date.Format(market.DateLayout))
	if err != nil {
		return nil, fmt.Errorf("sqlite: day stocks: %w", err)
	}
	defer rows.Close()
	out := []market.DayStock{}
	for rows.Next() {
		var (
			d        market.DayStock
			industry sql.NullString
		)
		if err := scanStatBar(rows, &d.StatBar, &industry, &d.TurnoverRate, &d.PE, &d.PETTM, &d.PB, &d.PS,
			&d.DvRatio, &d.TotalMV, &d.CircMV); err != nil {
			return nil, fmt.Errorf("sqlite: day stocks: %w", err)
		}
		d.Industry = industry.String
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: day stocks: %w", err)
	}
	return out, nil
}

// placeholders is "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func stringArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// WindowBars returns the codes' bars in [from, to] with the day's exchange
// limit prices, through the (ts_code, trade_date) index.
func (s *Store) WindowBars(ctx context.Context, codes []string, from, to time.Time) ([]market.WindowBar, error) {
	out := []market.WindowBar{}
	if len(codes) == 0 {
		return out, nil
	}
	args := append(stringArgs(codes), from.Format(market.DateLayout), to.Format(market.DateLayout))
	rows, err := s.db.QueryContext(ctx, `
		SELECT d.ts_code, d.trade_date, d.high, d.close, d.pre_close, l.up_limit, l.down_limit
		FROM daily d INDEXED BY daily_code_date
		LEFT JOIN stk_limit l ON l.trade_date = d.trade_date AND l.ts_code = d.ts_code
		WHERE d.ts_code IN (`+placeholders(len(codes))+`) AND d.trade_date BETWEEN ? AND ?
		ORDER BY d.ts_code, d.trade_date`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: window bars: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			b market.WindowBar
			d sql.NullString
		)
		if err := rows.Scan(&b.TSCode, &d, &b.High, &b.Close, &b.PreClose, &b.UpLimit, &b.DownLimit); err != nil {
			return nil, fmt.Errorf("sqlite: window bars: %w", err)
		}
		if b.TradeDate, err = parseDate(d); err != nil {
			return nil, fmt.Errorf("sqlite: window bars: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: window bars: %w", err)
	}
	return out, nil
}

// NameChanges returns the namechange rows of codes, or every row.
func (s *Store) NameChanges(ctx context.Context, codes []string) ([]market.NameChange, error) {
	where := ""
	if len(codes) > 0 {
		where = "WHERE ts_code IN (" + placeholders(len(codes)) + ")"
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT ts_code, name, start_date, end_date, ann_date, change_reason
		FROM namechange `+where+`
		ORDER BY ts_code, start_date, ann_date, name`, stringArgs(codes)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: name changes: %w", err)
	}
	defer rows.Close()
	out := []market.NameChange{}
	for rows.Next() {
		var (
			n               market.NameChange
			start, end, ann sql.NullString
		)
		if err := rows.Scan(&n.TSCode, &n.Name, &start, &end, &ann, &n.ChangeReason); err != nil {
			return nil, fmt.Errorf("sqlite: name changes: %w", err)
		}
		for _, p := range []struct {
			dst *time.Time
			src sql.NullString
		}{{&n.StartDate, start}, {&n.EndDate, end}, {&n.AnnDate, ann}} {
			if *p.dst, err = parseDate(p.src); err != nil {
				return nil, fmt.Errorf("sqlite: name changes: %w", err)
			}
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: name changes: %w", err)
	}
	return out, nil
}

// DailyTotals sums the stock bars of the n newest trade dates up to date.
// The dates come from the one-seek-per-date walk; the sums read those days'
// rows in key order.
func (s *Store) DailyTotals(ctx context.Context, date time.Time, n int) ([]market.DayTotal, error) {
	out := []market.DayTotal{}
	if n <= 0 {
		return out, nil
	}
	days, err := s.queryDates(ctx, barDatesQuery, date.Format(market.DateLayout), n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: daily totals: %w", err)
	}
	if len(days) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT trade_date, sum(amount), sum(vol), count(*)
		FROM daily
		WHERE trade_date BETWEEN ? AND ?
		GROUP BY trade_date
		ORDER BY trade_date DESC`, days[len(days)-1].Format(market.DateLayout), days[0].Format(market.DateLayout))
	if err != nil {
		return nil, fmt.Errorf("sqlite: daily totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			t market.DayTotal
			d sql.NullString
		)
		if err := rows.Scan(&d, &t.Amount, &t.Vol, &t.Stocks); err != nil {
			return nil, fmt.Errorf("sqlite: daily totals: %w", err)
		}
		if t.TradeDate, err = parseDate(d); err != nil {
			return nil, fmt.Errorf("sqlite: daily totals: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: daily totals: %w", err)
	}
	return out, nil
}

// IndexQuotes returns the index bars of one day with their names.
func (s *Store) IndexQuotes(ctx context.Context, date time.Time) ([]market.IndexQuote, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT d.ts_code, coalesce(i.name, ''), d.trade_date, d.open, d.high, d.low, d.close, d.pre_close,
		       d.change, d.pct_chg, d.vol, d.amount, coalesce(i.synthetic, 0)
		FROM index_daily d
		LEFT JOIN index_basic i ON i.ts_code = d.ts_code
		WHERE d.trade_date = ?
		ORDER BY d.ts_code`, date.Format(market.DateLayout))
	if err != nil {
		return nil, fmt.Errorf("sqlite: index quotes: %w", err)
	}
	defer rows.Close()
	out := []market.IndexQuote{}
	for rows.Next() {
		var q market.IndexQuote
		if err := rows.Scan(&q.TSCode, &q.Name, &q.TradeDate, &q.Open, &q.High, &q.Low, &q.Close, &q.PreClose,
			&q.Change, &q.PctChg, &q.Vol, &q.Amount, &q.Synthetic); err != nil {
			return nil, fmt.Errorf("sqlite: index quotes: %w", err)
		}
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: index quotes: %w", err)
	}
	return out, nil
}

// Index returns an index_basic row with its newest bar.
func (s *Store) Index(ctx context.Context, tsCode string) (market.IndexInfo, error) {
	var (
		info       market.IndexInfo
		base, list sql.NullString
	)
	err := s.db.QueryRowContext(ctx, `
		SELECT ts_code, name, market, publisher, category, base_date, base_point, list_date, synthetic
		FROM index_basic WHERE ts_code = ?`, tsCode).Scan(
		&info.TSCode, &info.Name, &info.Market, &info.Publisher, &info.Category, &base, &info.BasePoint,
		&list, &info.Synthetic)
	if errors.Is(err, sql.ErrNoRows) {
		return info, fmt.Errorf("sqlite: index %s: %w", tsCode, market.ErrNotFound)
	}
	if err == nil {
		info.BaseDate, err = parseDate(base)
	}
	if err == nil {
		info.ListDate, err = parseDate(list)
	}
	if err == nil {
		info.Latest, err = s.latestBar(ctx, "index_daily", tsCode)
	}
	if err != nil {
		return info, fmt.Errorf("sqlite: index %s: %w", tsCode, err)
	}
	return info, nil
}
