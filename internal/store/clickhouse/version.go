package clickhouse

import (
	"context"
	"fmt"

	"github.com/stockdatasource/stockd/internal/market"
)

// DataVersion names the state of tables by the newest block number of
// their active parts. Every INSERT, from any client, makes a part with a
// block number above all before it in the table; merges keep the largest
// of their parts', so they do not change the answer. One read of
// system.parts, which the server keeps in memory.
func (s *Store) DataVersion(ctx context.Context, tables ...string) (string, error) {
	if len(tables) == 0 {
		return "", nil
	}
	rows, err := s.conn.Query(ctx, `
		SELECT table, max(max_block_number)
		FROM system.parts
		WHERE database = ? AND active AND table IN ?
		GROUP BY table`, s.db, inSet(tables))
	if err != nil {
		return "", s.connErr(fmt.Errorf("data version: %w", err))
	}
	v, err := market.ReadVersions(rows, tables)
	if err != nil {
		return "", fmt.Errorf("data version: %w", err)
	}
	return v, nil
}

// Securities lists every stock, fund and index by ts_code.
func (s *Store) Securities(ctx context.Context) ([]market.SearchHit, error) {
	rows, err := s.conn.Query(ctx, `
		SELECT ts_code, name, industry, kind
		FROM (
			SELECT ts_code, name, industry, 'stock' AS kind FROM stock_basic FINAL
			UNION ALL
			SELECT ts_code, name, '' AS industry, 'etf' AS kind FROM etf_basic FINAL
			UNION ALL
			SELECT ts_code, name, '' AS industry, 'index' AS kind FROM index_basic FINAL
		)
		ORDER BY ts_code`)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("securities: %w", err))
	}
	defer rows.Close()
	out := []market.SearchHit{}
	for rows.Next() {
		var (
			h    market.SearchHit
			kind string
		)
		if err := rows.Scan(&h.TSCode, &h.Name, &h.Industry, &kind); err != nil {
			return nil, fmt.Errorf("securities: %w", err)
		}
		h.Kind = market.Kind(kind)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("securities: %w", err)
	}
	return out, nil
}
