package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/stockdatasource/stockd/internal/market"
)

// Each Put is one INSERT of one block: rows are checked first, then appended
// column by column (much cheaper than row by row) and sent together. A block
// below max_insert_block_size (1,048,576 rows) is written whole or not at
// all; a block that spans several months becomes one part per month, which
// the server writes together — in practice one call is one unit, but callers
// loading millions of rows should call once per day or per month.

// insert prepares an INSERT with an explicit column list — 18.16 needs it —
// fills it with fill and sends it.
func (s *Store) insert(ctx context.Context, table, columns string, fill func(b driver.Batch) error) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return s.connErr(fmt.Errorf("insert into %s: %w", table, err))
	}
	defer batch.Close()
	if err := fill(batch); err != nil {
		batch.Abort()
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	if err := batch.Send(); err != nil {
		return s.connErr(fmt.Errorf("insert into %s: %w", table, err))
	}
	return nil
}

// appendColumns appends one slice per column, in the order of the list.
func appendColumns(b driver.Batch, cols ...any) error {
	for i, c := range cols {
		if err := b.Column(i).Append(c); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}

func versionColumn(first uint64, n int) []uint64 {
	v := make([]uint64, n)
	for i := range v {
		v[i] = first + uint64(i)
	}
	return v
}

func checkKey(i int, tsCode string, date time.Time) error {
	if tsCode == "" {
		return fmt.Errorf("row %d: ts_code is empty", i)
	}
	if err := checkDate("trade_date", date, true); err != nil {
		return fmt.Errorf("row %d (%s): %w", i, tsCode, err)
	}
	return nil
}

// PutStocks upserts stock_basic rows.
func (s *Store) PutStocks(ctx context.Context, rows []market.Stock) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if r.TSCode == "" {
			return fmt.Errorf("put stocks: row %d: ts_code is empty", i)
		}
		if err := checkDate("list_date", r.ListDate, false); err != nil {
			return fmt.Errorf("put stocks: row %d (%s): %w", i, r.TSCode, err)
		}
		if err := checkDate("delist_date", r.DelistDate, false); err != nil {
			return fmt.Errorf("put stocks: row %d (%s): %w", i, r.TSCode, err)
		}
	}
	v := s.versions(len(rows))
	return s.insert(ctx, "stock_basic",
		"ts_code, symbol, name, area, industry, market, exchange, list_date, delist_date, list_status, synthetic, version",
		func(b driver.Batch) error {
			for i, r := range rows {
				err := b.Append(r.TSCode, r.Symbol, r.Name, r.Area, r.Industry, r.Market, r.Exchange,
					r.ListDate, r.DelistDate, r.ListStatus, r.Synthetic, v+uint64(i))
				if err != nil {
					return fmt.Errorf("row %d (%s): %w", i, r.TSCode, err)
				}
			}
			return nil
		})
}

// PutDaily upserts stock bars.
func (s *Store) PutDaily(ctx context.Context, rows []market.DailyBar) error {
	return s.putBars(ctx, "daily", rows)
}

// PutETFDaily upserts fund bars.
func (s *Store) PutETFDaily(ctx context.Context, rows []market.DailyBar) error {
	return s.putBars(ctx, "etf_daily", rows)
}

func (s *Store) putBars(ctx context.Context, table string, rows []market.DailyBar) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	var (
		codes                       = make([]string, n)
		dates                       = make([]time.Time, n)
		open, high, low, close, pre = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		change, pctChg, vol, amount = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	)
	for i, r := range rows {
		if err := checkKey(i, r.TSCode, r.TradeDate); err != nil {
			return fmt.Errorf("put %s: %w", table, err)
		}
		codes[i], dates[i] = r.TSCode, r.TradeDate
		open[i], high[i], low[i], close[i], pre[i] = r.Open, r.High, r.Low, r.Close, r.PreClose
		change[i], pctChg[i], vol[i], amount[i] = r.Change, r.PctChg, r.Vol, r.Amount
	}
	versions := versionColumn(s.versions(n), n)
	return s.insert(ctx, table,
		"ts_code, trade_date, open, high, low, close, pre_close, change, pct_chg, vol, amount, version",
		func(b driver.Batch) error {
			return appendColumns(b, codes, dates, open, high, low, close, pre, change, pctChg, vol, amount, versions)
		})
}

// PutDailyBasic upserts daily_basic rows; nil metrics are stored as NULL.
func (s *Store) PutDailyBasic(ctx context.Context, rows []market.DailyBasic) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	codes := make([]string, n)
	dates := make([]time.Time, n)
	// One slice per metric, in the order of the column list below.
	metrics := make([][]*float64, 12)
	for m := range metrics {
		metrics[m] = make([]*float64, n)
	}
	for i, r := range rows {
		if err := checkKey(i, r.TSCode, r.TradeDate); err != nil {
			return fmt.Errorf("put daily_basic: %w", err)
		}
		codes[i], dates[i] = r.TSCode, r.TradeDate
		for m, p := range []*float64{r.Close, r.TurnoverRate, r.VolumeRatio, r.PE, r.PETTM, r.PB, r.PS,
			r.DvRatio, r.TotalShare, r.FloatShare, r.TotalMV, r.CircMV} {
			metrics[m][i] = p
		}
	}
	versions := versionColumn(s.versions(n), n)
	cols := []any{codes, dates}
	for _, m := range metrics {
		cols = append(cols, m)
	}
	cols = append(cols, versions)
	return s.insert(ctx, "daily_basic",
		"ts_code, trade_date, close, turnover_rate, volume_ratio, pe, pe_ttm, pb, ps, dv_ratio, "+
			"total_share, float_share, total_mv, circ_mv, version",
		func(b driver.Batch) error { return appendColumns(b, cols...) })
}

// PutAdjFactors upserts adjustment factors.
func (s *Store) PutAdjFactors(ctx context.Context, rows []market.AdjFactor) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	codes, dates, factors := make([]string, n), make([]time.Time, n), make([]float64, n)
	for i, r := range rows {
		if err := checkKey(i, r.TSCode, r.TradeDate); err != nil {
			return fmt.Errorf("put adj_factor: %w", err)
		}
		codes[i], dates[i], factors[i] = r.TSCode, r.TradeDate, r.Factor
	}
	versions := versionColumn(s.versions(n), n)
	return s.insert(ctx, "adj_factor", "ts_code, trade_date, adj_factor, version",
		func(b driver.Batch) error { return appendColumns(b, codes, dates, factors, versions) })
}

// PutETFs upserts etf_basic rows.
func (s *Store) PutETFs(ctx context.Context, rows []market.ETF) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if r.TSCode == "" {
			return fmt.Errorf("put etfs: row %d: ts_code is empty", i)
		}
		if err := checkDate("list_date", r.ListDate, false); err != nil {
			return fmt.Errorf("put etfs: row %d (%s): %w", i, r.TSCode, err)
		}
	}
	v := s.versions(len(rows))
	return s.insert(ctx, "etf_basic",
		"ts_code, name, index_code, index_name, exchange, mgr_name, list_date, list_status, synthetic, version",
		func(b driver.Batch) error {
			for i, r := range rows {
				err := b.Append(r.TSCode, r.Name, r.IndexCode, r.IndexName, r.Exchange, r.MgrName,
					r.ListDate, r.ListStatus, r.Synthetic, v+uint64(i))
				if err != nil {
					return fmt.Errorf("row %d (%s): %w", i, r.TSCode, err)
				}
			}
			return nil
		})
}

// PutTradeCal upserts trading-calendar days.
func (s *Store) PutTradeCal(ctx context.Context, rows []market.TradeDay) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if r.Exchange == "" {
			return fmt.Errorf("put trade_cal: row %d: exchange is empty", i)
		}
		if err := checkDate("cal_date", r.CalDate, true); err != nil {
			return fmt.Errorf("put trade_cal: row %d: %w", i, err)
		}
		if err := checkDate("pretrade_date", r.PretradeDate, false); err != nil {
			return fmt.Errorf("put trade_cal: row %d: %w", i, err)
		}
	}
	v := s.versions(len(rows))
	return s.insert(ctx, "trade_cal", "exchange, cal_date, is_open, pretrade_date, version",
		func(b driver.Batch) error {
			for i, r := range rows {
				if err := b.Append(r.Exchange, r.CalDate, r.IsOpen, r.PretradeDate, v+uint64(i)); err != nil {
					return fmt.Errorf("row %d: %w", i, err)
				}
			}
			return nil
		})
}
