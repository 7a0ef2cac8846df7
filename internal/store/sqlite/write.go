package sqlite

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Each Put checks every row's key before it opens a transaction, so a bad
// row refuses the whole call and writes nothing. INSERT OR REPLACE replaces a
// row whole: the newest write wins, NULLs included.

func checkKey(table string, i int, code string, date time.Time, needDate bool) error {
	if code == "" {
		return fmt.Errorf("sqlite: write %s: row %d has no ts_code", table, i)
	}
	if needDate && date.IsZero() {
		return fmt.Errorf("sqlite: write %s: row %d (%s) has no trade date", table, i, code)
	}
	return nil
}

// PutStocks upserts stock_basic rows.
func (s *Store) PutStocks(ctx context.Context, rows []market.Stock) error {
	for i, r := range rows {
		if err := checkKey("stock_basic", i, r.TSCode, time.Time{}, false); err != nil {
			return err
		}
	}
	return s.putRows(ctx, "stock_basic", `INSERT OR REPLACE INTO stock_basic
		(ts_code, symbol, name, area, industry, market, exchange, list_date, delist_date, list_status, synthetic)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(rows), func(i int) []any {
		r := rows[i]
		return []any{r.TSCode, r.Symbol, r.Name, r.Area, r.Industry, r.Market, r.Exchange,
			dateArg(r.ListDate), dateArg(r.DelistDate), r.ListStatus, boolArg(r.Synthetic)}
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

// PutIndexDaily upserts index bars.
func (s *Store) PutIndexDaily(ctx context.Context, rows []market.DailyBar) error {
	return s.putBars(ctx, "index_daily", rows)
}

// putBars writes to daily, etf_daily or index_daily; table is one of those
// constants.
func (s *Store) putBars(ctx context.Context, table string, rows []market.DailyBar) error {
	for i, r := range rows {
		if err := checkKey(table, i, r.TSCode, r.TradeDate, true); err != nil {
			return err
		}
	}
	return s.putRows(ctx, table, `INSERT OR REPLACE INTO `+table+`
		(trade_date, ts_code, open, high, low, close, pre_close, change, pct_chg, vol, amount)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(rows), func(i int) []any {
		r := rows[i]
		return []any{dateArg(r.TradeDate), r.TSCode, r.Open, r.High, r.Low, r.Close, r.PreClose,
			r.Change, r.PctChg, r.Vol, r.Amount}
	})
}

// PutDailyBasic upserts daily_basic rows; nil fields are stored as NULL.
func (s *Store) PutDailyBasic(ctx context.Context, rows []market.DailyBasic) error {
	for i, r := range rows {
		if err := checkKey("daily_basic", i, r.TSCode, r.TradeDate, true); err != nil {
			return err
		}
	}
	return s.putRows(ctx, "daily_basic", `INSERT OR REPLACE INTO daily_basic
		(trade_date, ts_code, close, turnover_rate, volume_ratio, pe, pe_ttm, pb, ps, dv_ratio,
		 total_share, float_share, total_mv, circ_mv)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(rows), func(i int) []any {
		r := rows[i]
		return []any{dateArg(r.TradeDate), r.TSCode, r.Close, r.TurnoverRate, r.VolumeRatio, r.PE, r.PETTM,
			r.PB, r.PS, r.DvRatio, r.TotalShare, r.FloatShare, r.TotalMV, r.CircMV}
	})
}

// PutAdjFactors upserts adjustment factors.
func (s *Store) PutAdjFactors(ctx context.Context, rows []market.AdjFactor) error {
	for i, r := range rows {
		if err := checkKey("adj_factor", i, r.TSCode, r.TradeDate, true); err != nil {
			return err
		}
	}
	return s.putRows(ctx, "adj_factor", `INSERT OR REPLACE INTO adj_factor (ts_code, trade_date, adj_factor)
		VALUES (?, ?, ?)`, len(rows), func(i int) []any {
		r := rows[i]
		return []any{r.TSCode, dateArg(r.TradeDate), r.Factor}
	})
}

// PutETFs upserts etf_basic rows.
func (s *Store) PutETFs(ctx context.Context, rows []market.ETF) error {
	for i, r := range rows {
		if err := checkKey("etf_basic", i, r.TSCode, time.Time{}, false); err != nil {
			return err
		}
	}
	return s.putRows(ctx, "etf_basic", `INSERT OR REPLACE INTO etf_basic
		(ts_code, name, index_code, index_name, exchange, mgr_name, list_date, list_status, synthetic)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(rows), func(i int) []any {
		r := rows[i]
		return []any{r.TSCode, r.Name, r.IndexCode, r.IndexName, r.Exchange, r.MgrName,
			dateArg(r.ListDate), r.ListStatus, boolArg(r.Synthetic)}
	})
}

// PutTradeCal upserts calendar days.
func (s *Store) PutTradeCal(ctx context.Context, rows []market.TradeDay) error {
	for i, r := range rows {
		if r.Exchange == "" {
			return fmt.Errorf("sqlite: write trade_cal: row %d has no exchange", i)
		}
		if r.CalDate.IsZero() {
			return fmt.Errorf("sqlite: write trade_cal: row %d (%s) has no date", i, r.Exchange)
		}
	}
	return s.putRows(ctx, "trade_cal", `INSERT OR REPLACE INTO trade_cal (exchange, cal_date, is_open, pretrade_date)
		VALUES (?, ?, ?, ?)`, len(rows), func(i int) []any {
		r := rows[i]
		return []any{r.Exchange, dateArg(r.CalDate), boolArg(r.IsOpen), dateArg(r.PretradeDate)}
	})
}

// PutNameChanges upserts namechange rows.
func (s *Store) PutNameChanges(ctx context.Context, rows []market.NameChange) error {
	for i, r := range rows {
		if err := checkKey("namechange", i, r.TSCode, time.Time{}, false); err != nil {
			return err
		}
		if r.StartDate.IsZero() || r.Name == "" {
			return fmt.Errorf("sqlite: write namechange: row %d (%s) needs a start_date and a name", i, r.TSCode)
		}
	}
	return s.putRows(ctx, "namechange", `INSERT OR REPLACE INTO namechange
		(ts_code, start_date, name, end_date, ann_date, change_reason)
		VALUES (?, ?, ?, ?, ?, ?)`, len(rows), func(i int) []any {
		r := rows[i]
		return []any{r.TSCode, dateArg(r.StartDate), r.Name, dateArg(r.EndDate), dateArg(r.AnnDate), r.ChangeReason}
	})
}

// PutStkLimits upserts stk_limit rows; nil prices are stored as NULL.
func (s *Store) PutStkLimits(ctx context.Context, rows []market.StkLimit) error {
	for i, r := range rows {
		if err := checkKey("stk_limit", i, r.TSCode, r.TradeDate, true); err != nil {
			return err
		}
	}
	return s.putRows(ctx, "stk_limit", `INSERT OR REPLACE INTO stk_limit
		(trade_date, ts_code, pre_close, up_limit, down_limit)
		VALUES (?, ?, ?, ?, ?)`, len(rows), func(i int) []any {
		r := rows[i]
		return []any{dateArg(r.TradeDate), r.TSCode, r.PreClose, r.UpLimit, r.DownLimit}
	})
}

// PutIndices upserts index_basic rows.
func (s *Store) PutIndices(ctx context.Context, rows []market.Index) error {
	for i, r := range rows {
		if err := checkKey("index_basic", i, r.TSCode, time.Time{}, false); err != nil {
			return err
		}
	}
	return s.putRows(ctx, "index_basic", `INSERT OR REPLACE INTO index_basic
		(ts_code, name, market, publisher, category, base_date, base_point, list_date, synthetic)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(rows), func(i int) []any {
		r := rows[i]
		return []any{r.TSCode, r.Name, r.Market, r.Publisher, r.Category, dateArg(r.BaseDate), r.BasePoint,
			dateArg(r.ListDate), boolArg(r.Synthetic)}
	})
}

// MarkSynced records that a sync of dataset for date completed, under the
// fencing token fence. One statement checks the token and writes, so no
// other writer (another process on the same file included) comes between.
func (s *Store) MarkSynced(ctx context.Context, dataset string, date time.Time, rows int, fence uint64) error {
	if dataset == "" || date.IsZero() {
		return fmt.Errorf("sqlite: mark synced: dataset and date are required")
	}
	if fence > math.MaxInt64 {
		return fmt.Errorf("sqlite: mark %s synced: fencing token %d out of range", dataset, fence)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO sync_state (dataset, trade_date, rows, synced_at, fence)
		SELECT ?, ?, ?, ?, ?
		WHERE ? = 0 OR ? >= (SELECT COALESCE(MAX(fence), 0) FROM sync_state)`,
		dataset, dateArg(date), rows, timestampArg(time.Now()), int64(fence), int64(fence), int64(fence))
	if err != nil {
		return fmt.Errorf("sqlite: mark %s %s synced: %w", dataset, market.FormatDate(date), err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("sqlite: mark %s %s synced under token %d: %w", dataset, market.FormatDate(date), fence, market.ErrStaleFence)
	}
	return nil
}
