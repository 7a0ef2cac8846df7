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

// The day reads (DayBars, DayStocks) need five tables: the day's bars,
// stock_basic, the name history (namechange), the exchange's limit prices
// (stk_limit) and, for DayStocks, the day's daily_basic. 18.16 runs a chain
// of JOINs one after the other (each right side is built before the left
// side streams), so the day's tables are read as separate queries at once
// and joined on ts_code in Go (market.DayParts); stock_basic and namechange,
// which change only with a load, are kept in memory while the newest
// version in each stays the same (every write gives its rows a newer one).

const (
	dayBarsSQL = `
		SELECT ts_code, open, high, low, close, pre_close, pct_chg, vol, amount
		FROM daily FINAL
		PREWHERE trade_date = ?
		ORDER BY ts_code`
	dayLimitSQL = `
		SELECT ts_code, up_limit, down_limit
		FROM stk_limit FINAL
		PREWHERE trade_date = ?`
	dayBasicSQL = `
		SELECT ts_code, turnover_rate, pe, pe_ttm, pb, ps, dv_ratio, total_mv, circ_mv
		FROM daily_basic FINAL
		PREWHERE trade_date = ?
		ORDER BY ts_code`
	// max() of one column needs no FINAL: duplicates do not change it.
	refVersionSQL = `
		SELECT toString((SELECT max(version) FROM stock_basic)) || ':' || toString((SELECT max(version) FROM namechange))`
)

// dayRefs returns stock_basic and the name history, from memory unless a
// write has changed them since they were read.
func (s *Store) dayRefs(ctx context.Context) (*market.DayRefs, error) {
	var version string
	if err := s.conn.QueryRow(ctx, refVersionSQL).Scan(&version); err != nil {
		return nil, s.connErr(err)
	}
	return s.refs.Get(version, func() (*market.DayRefs, error) {
		type ref struct {
			code string
			market.DayRef
		}
		stocks, err := queryAll(ctx, s, `SELECT ts_code, name, list_date, industry, synthetic FROM stock_basic FINAL`, nil,
			func(rows driver.Rows, r *ref) error {
				err := rows.Scan(&r.code, &r.Name, &r.ListDate, &r.Industry, &r.Synthetic)
				r.ListDate = fromDate(r.ListDate)
				return err
			})
		if err != nil {
			return nil, s.connErr(err)
		}
		refs := &market.DayRefs{Stocks: make(map[string]market.DayRef, len(stocks))}
		for _, r := range stocks {
			refs.Stocks[r.code] = r.DayRef
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
	day := dateArg(date)
	var stocks []market.DayStock
	err := s.retry(ctx, func() (err error) {
		stocks, err = market.ReadDay(ctx, date, withBasic, dayQueries,
			func(ctx context.Context, query string) (market.Rows, error) { return s.conn.Query(ctx, query, day) },
			s.dayRefs)
		return err
	})
	if err != nil {
		return nil, s.connErr(fmt.Errorf("%s: %w", what, err))
	}
	return stocks, nil
}

// DayBars returns every stock bar of one day, ordered by ts_code.
func (s *Store) DayBars(ctx context.Context, date time.Time) ([]market.StatBar, error) {
	stocks, err := s.readDay(ctx, "day bars", date, false)
	if err != nil {
		return nil, err
	}
	return market.StatBars(stocks), nil
}

// DayStocks returns every stock of one day with industry and valuation.
func (s *Store) DayStocks(ctx context.Context, date time.Time) ([]market.DayStock, error) {
	return s.readDay(ctx, "day stocks", date, true)
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

// WindowBars returns the codes' bars in [from, to] with each day's stk_limit
// prices. Both sides are read through the (ts_code, trade_date) key of the
// partitions the range touches.
func (s *Store) WindowBars(ctx context.Context, codes []string, from, to time.Time) ([]market.WindowBar, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	f, t := dateArg(from), dateArg(to)
	out, err := queryAll(ctx, s, `
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
		ORDER BY ts_code, trade_date`, []any{inSet(codes), f, t, inSet(codes), f, t},
		func(rows driver.Rows, b *market.WindowBar) error {
			err := rows.Scan(&b.TSCode, &b.TradeDate, &b.High, &b.Close, &b.PreClose, &b.UpLimit, &b.DownLimit)
			b.TradeDate = fromDate(b.TradeDate)
			return err
		})
	if err != nil {
		return nil, s.connErr(fmt.Errorf("window bars: %w", err))
	}
	return out, nil
}

// NameChanges returns the namechange rows of codes, or every row.
func (s *Store) NameChanges(ctx context.Context, codes []string) ([]market.NameChange, error) {
	where, args := "", []any{}
	if len(codes) > 0 {
		where, args = "PREWHERE ts_code IN ?", []any{inSet(codes)}
	}
	out, err := queryAll(ctx, s, `
		SELECT ts_code, name, start_date, end_date, ann_date, change_reason
		FROM namechange FINAL
		`+where+`
		ORDER BY ts_code, start_date, ann_date, name`, args, func(rows driver.Rows, n *market.NameChange) error {
		err := rows.Scan(&n.TSCode, &n.Name, &n.StartDate, &n.EndDate, &n.AnnDate, &n.ChangeReason)
		n.StartDate, n.EndDate, n.AnnDate = fromDate(n.StartDate), fromDate(n.EndDate), fromDate(n.AnnDate)
		return err
	})
	if err != nil {
		return nil, s.connErr(fmt.Errorf("name changes: %w", err))
	}
	return out, nil
}

// DailyTotals sums the stock bars of the n newest trade dates up to date.
// The dates are found first (one column, no FINAL: a duplicate has the
// same date), within a window of calendar days that holds n trade dates
// but for the longest holidays, so only its monthly partitions are read;
// the whole table is asked only when the window falls short. The sums then
// read the partitions between the first and the last date.
func (s *Store) DailyTotals(ctx context.Context, date time.Time, n int) ([]market.DayTotal, error) {
	if n <= 0 {
		return nil, nil
	}
	const datesSQL = `
		SELECT DISTINCT trade_date
		FROM daily
		WHERE trade_date <= ? AND trade_date >= ?
		ORDER BY trade_date DESC
		LIMIT ?`
	days, err := s.dates(ctx, "daily totals", datesSQL, dateArg(date), dateArg(date.AddDate(0, 0, -(2*n+14))), n)
	if err == nil && len(days) < n {
		days, err = s.dates(ctx, "daily totals", datesSQL, dateArg(date), dateArg(minDate), n)
	}
	if err != nil || len(days) == 0 {
		return nil, err
	}
	out, err := queryAll(ctx, s, `
		SELECT trade_date, sum(amount), sum(vol), count()
		FROM daily FINAL
		PREWHERE trade_date >= ? AND trade_date <= ?
		GROUP BY trade_date
		ORDER BY trade_date DESC`, []any{dateArg(days[len(days)-1]), dateArg(days[0])},
		func(rows driver.Rows, t *market.DayTotal) error {
			var stocks uint64
			err := rows.Scan(&t.TradeDate, &t.Amount, &t.Vol, &stocks)
			t.TradeDate, t.Stocks = fromDate(t.TradeDate), int(stocks)
			return err
		})
	if err != nil {
		return nil, s.connErr(fmt.Errorf("daily totals: %w", err))
	}
	return out, nil
}

// IndexQuotes returns the index bars of one day with their names.
func (s *Store) IndexQuotes(ctx context.Context, date time.Time) ([]market.IndexQuote, error) {
	out, err := queryAll(ctx, s, `
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
		ORDER BY ts_code`, []any{dateArg(date)}, func(rows driver.Rows, q *market.IndexQuote) error {
		var d time.Time
		err := rows.Scan(&q.TSCode, &q.Name, &d, &q.Open, &q.High, &q.Low, &q.Close, &q.PreClose,
			&q.Change, &q.PctChg, &q.Vol, &q.Amount, &q.Synthetic)
		q.TradeDate = market.FormatDate(fromDate(d))
		return err
	})
	if err != nil {
		return nil, s.connErr(fmt.Errorf("index quotes: %w", err))
	}
	return out, nil
}

// Index returns one index with its latest bar.
func (s *Store) Index(ctx context.Context, tsCode string) (market.IndexInfo, error) {
	var info market.IndexInfo
	x := &info.Index
	err := withLatest(ctx, func() error {
		err := s.conn.QueryRow(ctx, `
			SELECT ts_code, name, market, publisher, category, base_date, base_point, list_date, synthetic
			FROM index_basic FINAL
			PREWHERE ts_code = ?`, tsCode).Scan(&x.TSCode, &x.Name, &x.Market, &x.Publisher, &x.Category,
			&x.BaseDate, &x.BasePoint, &x.ListDate, &x.Synthetic)
		if errors.Is(err, errNoRows) {
			return fmt.Errorf("index %s: %w", tsCode, market.ErrNotFound)
		}
		if err != nil {
			return s.connErr(fmt.Errorf("index %s: %w", tsCode, err))
		}
		x.BaseDate, x.ListDate = fromDate(x.BaseDate), fromDate(x.ListDate)
		return nil
	}, func(ctx context.Context) (err error) {
		info.Latest, err = s.latestBar(ctx, "index_daily", tsCode)
		return err
	})
	if err != nil {
		return market.IndexInfo{}, err
	}
	return info, nil
}
