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

// The day reads (DayBars, DayStocks) need five tables: the day's bars,
// stock_basic, the name history (namechange), the exchange's limit prices
// (stk_limit) and, for DayStocks, the day's daily_basic. Joined in one
// statement they cost an index seek per stock and table (~40 ms of CPU for
// 5,000 stocks in the pure-Go driver). Instead the day's tables are read as
// in-order range scans on separate connections at once and joined on
// ts_code in Go (market.DayParts), and stock_basic and namechange, which
// change only with a load, are kept in memory while their data_version
// counters stand still.
const (
	dayBarsSQL = `
		SELECT ts_code, open, high, low, close, pre_close, pct_chg, vol, amount
		FROM daily WHERE trade_date = ? ORDER BY ts_code`
	dayLimitSQL = `
		SELECT ts_code, up_limit, down_limit FROM stk_limit WHERE trade_date = ?`
	dayBasicSQL = `
		SELECT ts_code, turnover_rate, pe, pe_ttm, pb, ps, dv_ratio, total_mv, circ_mv
		FROM daily_basic WHERE trade_date = ? ORDER BY ts_code`
	refVersionSQL = `
		SELECT coalesce(group_concat(name || ':' || version), '') FROM (
			SELECT name, version FROM data_version WHERE name IN ('stock_basic', 'namechange') ORDER BY name
		)`
)

// dayRefs returns stock_basic and the name history, from memory unless a
// write has changed them since they were read.
func (s *Store) dayRefs(ctx context.Context) (*market.DayRefs, error) {
	var version string
	if err := s.db.QueryRowContext(ctx, refVersionSQL).Scan(&version); err != nil {
		return nil, err
	}
	return s.refs.Get(version, func() (*market.DayRefs, error) {
		refs := &market.DayRefs{Stocks: map[string]market.DayRef{}}
		rows, err := s.db.QueryContext(ctx, `SELECT ts_code, name, list_date, industry, synthetic FROM stock_basic`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				code string
				list sql.NullString
				r    market.DayRef
			)
			if err := rows.Scan(&code, &r.Name, &list, &r.Industry, &r.Synthetic); err != nil {
				return nil, err
			}
			if r.ListDate, err = parseDate(list); err != nil {
				return nil, err
			}
			refs.Stocks[code] = r
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		names, err := s.NameChanges(ctx, nil)
		refs.Names = market.NewNameHistory(names)
		return refs, err
	})
}

// dayQueries are the day's tables for market.ReadDay.
var dayQueries = market.DayQueries{Bars: dayBarsSQL, Limits: dayLimitSQL, Basics: dayBasicSQL}

// readDay reads one day's stocks, ordered by ts_code; withBasic adds the
// industry and the valuation.
func (s *Store) readDay(ctx context.Context, what string, date time.Time, withBasic bool) ([]market.DayStock, error) {
	day := date.Format(market.DateLayout)
	stocks, err := market.ReadDay(ctx, date, withBasic, dayQueries,
		func(ctx context.Context, query string) (market.Rows, error) {
			return s.db.QueryContext(ctx, query, day)
		},
		s.dayRefs)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return stocks, nil
}

// DayBars returns one day's stock bars ordered by ts_code.
func (s *Store) DayBars(ctx context.Context, date time.Time) ([]market.StatBar, error) {
	stocks, err := s.readDay(ctx, "day bars", date, false)
	if err != nil {
		return nil, err
	}
	return market.StatBars(stocks), nil
}

// DayStocks returns one day's stocks with industry and valuation.
func (s *Store) DayStocks(ctx context.Context, date time.Time) ([]market.DayStock, error) {
	return s.readDay(ctx, "day stocks", date, true)
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

// windowBarsSQL reads n codes' bars in a date range (parameters: the codes,
// from, to) through the (ts_code, trade_date) index: the ladder asks for a
// few hundred codes over a few weeks.
func windowBarsSQL(n int) string {
	return `
		SELECT d.ts_code, d.trade_date, d.high, d.close, d.pre_close, l.up_limit, l.down_limit
		FROM daily d INDEXED BY daily_code_date
		LEFT JOIN stk_limit l ON l.trade_date = d.trade_date AND l.ts_code = d.ts_code
		WHERE d.ts_code IN (` + placeholders(n) + `) AND d.trade_date BETWEEN ? AND ?
		ORDER BY d.ts_code, d.trade_date`
}

// WindowBars returns the codes' bars in [from, to] with the day's exchange
// limit prices.
func (s *Store) WindowBars(ctx context.Context, codes []string, from, to time.Time) ([]market.WindowBar, error) {
	out := []market.WindowBar{}
	if len(codes) == 0 {
		return out, nil
	}
	args := append(stringArgs(codes), from.Format(market.DateLayout), to.Format(market.DateLayout))
	rows, err := s.db.QueryContext(ctx, windowBarsSQL(len(codes)), args...)
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
