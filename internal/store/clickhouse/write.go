package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/stockdatasource/stockd/internal/market"
)

// Each Put checks every row first, so a bad row refuses the whole call before
// anything is sent. The rows then go as one INSERT of one block, appended
// column by column (much cheaper than row by row). A block below
// max_insert_block_size (1,048,576 rows) is written whole or not at all,
// one part per month it spans, which the server writes together. Two limits
// on "one call is one unit": a call spanning more than 100 months (a whole
// history at once) is sent as one INSERT per 100 months (see monthChunks),
// and a call above max_insert_block_size rows may be split by the server;
// loaders should put one day or one month per call anyway.

// insert prepares an INSERT with an explicit column list — 18.16 needs it —
// fills it with fill and sends it. With several hosts an insert cut off by
// a lost connection is sent again on the next (see failover.go): the same
// rows with the same versions, so a copy that did arrive changes nothing.
func (s *Store) insert(ctx context.Context, table, columns string, fill func(b driver.Batch) error) error {
	if len(s.addrs) > 1 {
		return retry(ctx, func() error { return s.insertOnce(ctx, table, columns, fill) })
	}
	return s.insertOnce(ctx, table, columns, fill)
}

func (s *Store) insertOnce(ctx context.Context, table, columns string, fill func(b driver.Batch) error) error {
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

// PutIndexDaily upserts index bars.
func (s *Store) PutIndexDaily(ctx context.Context, rows []market.DailyBar) error {
	return s.putBars(ctx, "index_daily", rows)
}

func (s *Store) putBars(ctx context.Context, table string, rows []market.DailyBar) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if err := checkKey(i, r.TSCode, r.TradeDate); err != nil {
			return fmt.Errorf("put %s: %w", table, err)
		}
	}
	v := s.versions(len(rows))
	for _, idx := range monthChunks(len(rows), func(i int) time.Time { return rows[i].TradeDate }) {
		n := len(idx)
		var (
			codes                       = make([]string, n)
			dates                       = make([]time.Time, n)
			open, high, low, close, pre = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			change, pctChg, vol, amount = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			versions                    = make([]uint64, n)
		)
		for j, i := range idx {
			r := rows[i]
			codes[j], dates[j], versions[j] = r.TSCode, r.TradeDate, v+uint64(i)
			open[j], high[j], low[j], close[j], pre[j] = r.Open, r.High, r.Low, r.Close, r.PreClose
			change[j], pctChg[j], vol[j], amount[j] = r.Change, r.PctChg, r.Vol, r.Amount
		}
		err := s.insert(ctx, table,
			"ts_code, trade_date, open, high, low, close, pre_close, change, pct_chg, vol, amount, version",
			func(b driver.Batch) error {
				return appendColumns(b, codes, dates, open, high, low, close, pre, change, pctChg, vol, amount, versions)
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// PutDailyBasic upserts daily_basic rows; nil metrics are stored as NULL.
func (s *Store) PutDailyBasic(ctx context.Context, rows []market.DailyBasic) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if err := checkKey(i, r.TSCode, r.TradeDate); err != nil {
			return fmt.Errorf("put daily_basic: %w", err)
		}
	}
	v := s.versions(len(rows))
	for _, idx := range monthChunks(len(rows), func(i int) time.Time { return rows[i].TradeDate }) {
		n := len(idx)
		codes, dates, versions := make([]string, n), make([]time.Time, n), make([]uint64, n)
		// One slice per metric, in the order of the column list below.
		metrics := make([][]*float64, 12)
		for m := range metrics {
			metrics[m] = make([]*float64, n)
		}
		for j, i := range idx {
			r := rows[i]
			codes[j], dates[j], versions[j] = r.TSCode, r.TradeDate, v+uint64(i)
			for m, p := range []*float64{r.Close, r.TurnoverRate, r.VolumeRatio, r.PE, r.PETTM, r.PB, r.PS,
				r.DvRatio, r.TotalShare, r.FloatShare, r.TotalMV, r.CircMV} {
				metrics[m][j] = p
			}
		}
		cols := []any{codes, dates}
		for _, m := range metrics {
			cols = append(cols, m)
		}
		cols = append(cols, versions)
		err := s.insert(ctx, "daily_basic",
			"ts_code, trade_date, close, turnover_rate, volume_ratio, pe, pe_ttm, pb, ps, dv_ratio, "+
				"total_share, float_share, total_mv, circ_mv, version",
			func(b driver.Batch) error { return appendColumns(b, cols...) })
		if err != nil {
			return err
		}
	}
	return nil
}

// PutAdjFactors upserts adjustment factors.
func (s *Store) PutAdjFactors(ctx context.Context, rows []market.AdjFactor) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if err := checkKey(i, r.TSCode, r.TradeDate); err != nil {
			return fmt.Errorf("put adj_factor: %w", err)
		}
	}
	v := s.versions(len(rows))
	for _, idx := range monthChunks(len(rows), func(i int) time.Time { return rows[i].TradeDate }) {
		n := len(idx)
		codes, dates, factors, versions := make([]string, n), make([]time.Time, n), make([]float64, n), make([]uint64, n)
		for j, i := range idx {
			r := rows[i]
			codes[j], dates[j], factors[j], versions[j] = r.TSCode, r.TradeDate, r.Factor, v+uint64(i)
		}
		err := s.insert(ctx, "adj_factor", "ts_code, trade_date, adj_factor, version",
			func(b driver.Batch) error { return appendColumns(b, codes, dates, factors, versions) })
		if err != nil {
			return err
		}
	}
	return nil
}

// maxMonthsPerInsert keeps an INSERT into a month-partitioned table within
// max_partitions_per_insert_block, which refuses blocks of more than 100
// partitions since ClickHouse 19 (18.16 has no such limit).
const maxMonthsPerInsert = 100

// monthChunks splits the row indices 0..n-1 into groups that each span at
// most maxMonthsPerInsert months. Nearly every call (a day, a month, a few
// years) is one group holding every index in order; a longer history is
// split by month, in order of first appearance, so the rows of one key —
// which share a month — stay in one group.
func monthChunks(n int, date func(i int) time.Time) [][]int {
	monthOf := func(i int) int {
		y, m, _ := date(i).Date()
		return y*12 + int(m)
	}
	// Fast path: rows within a 100-month range cannot span more.
	lo, hi := 0, -1
	for i := range n {
		k := monthOf(i)
		if i == 0 || k < lo {
			lo = k
		}
		if i == 0 || k > hi {
			hi = k
		}
	}
	if hi-lo < maxMonthsPerInsert {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return [][]int{all}
	}
	months := map[int][]int{}
	var order []int
	for i := range n {
		k := monthOf(i)
		if _, ok := months[k]; !ok {
			order = append(order, k)
		}
		months[k] = append(months[k], i)
	}
	var chunks [][]int
	for start := 0; start < len(order); start += maxMonthsPerInsert {
		var idx []int
		for _, key := range order[start:min(start+maxMonthsPerInsert, len(order))] {
			idx = append(idx, months[key]...)
		}
		chunks = append(chunks, idx)
	}
	return chunks
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

// PutNameChanges upserts namechange rows.
func (s *Store) PutNameChanges(ctx context.Context, rows []market.NameChange) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if r.TSCode == "" || r.Name == "" {
			return fmt.Errorf("put namechange: row %d: ts_code and name are required", i)
		}
		for _, d := range []struct {
			field    string
			t        time.Time
			required bool
		}{{"start_date", r.StartDate, true}, {"end_date", r.EndDate, false}, {"ann_date", r.AnnDate, false}} {
			if err := checkDate(d.field, d.t, d.required); err != nil {
				return fmt.Errorf("put namechange: row %d (%s): %w", i, r.TSCode, err)
			}
		}
	}
	v := s.versions(len(rows))
	return s.insert(ctx, "namechange", "ts_code, start_date, name, end_date, ann_date, change_reason, version",
		func(b driver.Batch) error {
			for i, r := range rows {
				if err := b.Append(r.TSCode, r.StartDate, r.Name, r.EndDate, r.AnnDate, r.ChangeReason, v+uint64(i)); err != nil {
					return fmt.Errorf("row %d (%s): %w", i, r.TSCode, err)
				}
			}
			return nil
		})
}

// PutStkLimits upserts stk_limit rows; nil prices are stored as NULL.
func (s *Store) PutStkLimits(ctx context.Context, rows []market.StkLimit) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if err := checkKey(i, r.TSCode, r.TradeDate); err != nil {
			return fmt.Errorf("put stk_limit: %w", err)
		}
	}
	v := s.versions(len(rows))
	for _, idx := range monthChunks(len(rows), func(i int) time.Time { return rows[i].TradeDate }) {
		n := len(idx)
		codes, dates, versions := make([]string, n), make([]time.Time, n), make([]uint64, n)
		pre, up, down := make([]*float64, n), make([]*float64, n), make([]*float64, n)
		for j, i := range idx {
			r := rows[i]
			codes[j], dates[j], versions[j] = r.TSCode, r.TradeDate, v+uint64(i)
			pre[j], up[j], down[j] = r.PreClose, r.UpLimit, r.DownLimit
		}
		err := s.insert(ctx, "stk_limit", "ts_code, trade_date, pre_close, up_limit, down_limit, version",
			func(b driver.Batch) error { return appendColumns(b, codes, dates, pre, up, down, versions) })
		if err != nil {
			return err
		}
	}
	return nil
}

// PutIndices upserts index_basic rows.
func (s *Store) PutIndices(ctx context.Context, rows []market.Index) error {
	if len(rows) == 0 {
		return nil
	}
	for i, r := range rows {
		if r.TSCode == "" {
			return fmt.Errorf("put indices: row %d: ts_code is empty", i)
		}
		if err := checkDate("base_date", r.BaseDate, false); err != nil {
			return fmt.Errorf("put indices: row %d (%s): %w", i, r.TSCode, err)
		}
		if err := checkDate("list_date", r.ListDate, false); err != nil {
			return fmt.Errorf("put indices: row %d (%s): %w", i, r.TSCode, err)
		}
	}
	v := s.versions(len(rows))
	return s.insert(ctx, "index_basic",
		"ts_code, name, market, publisher, category, base_date, base_point, list_date, synthetic, version",
		func(b driver.Batch) error {
			for i, r := range rows {
				err := b.Append(r.TSCode, r.Name, r.Market, r.Publisher, r.Category, r.BaseDate, r.BasePoint,
					r.ListDate, r.Synthetic, v+uint64(i))
				if err != nil {
					return fmt.Errorf("row %d (%s): %w", i, r.TSCode, err)
				}
			}
			return nil
		})
}
