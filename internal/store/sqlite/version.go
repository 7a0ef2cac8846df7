package sqlite

import (
	"context"
	"fmt"

	"github.com/stockdatasource/stockd/internal/market"
)

// DataVersion names the state of tables by their data_version counters,
// which every write bumps inside its own transaction: whichever process
// wrote, the next read here sees the new counter. A table never written
// has no counter and reads as 0.
func (s *Store) DataVersion(ctx context.Context, tables ...string) (string, error) {
	if len(tables) == 0 {
		return "", nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, version FROM data_version WHERE name IN (`+placeholders(len(tables))+`)`,
		stringArgs(tables)...)
	if err != nil {
		return "", fmt.Errorf("sqlite: data version: %w", err)
	}
	v, err := market.ReadVersions(rows, tables)
	if err != nil {
		return "", fmt.Errorf("sqlite: data version: %w", err)
	}
	return v, nil
}

// Securities lists every stock, fund and index by ts_code.
func (s *Store) Securities(ctx context.Context) ([]market.SearchHit, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT ts_code, name, industry, 'stock' FROM stock_basic
		UNION ALL
		SELECT ts_code, name, '', 'etf' FROM etf_basic
		UNION ALL
		SELECT ts_code, name, '', 'index' FROM index_basic
		ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: securities: %w", err)
	}
	defer rows.Close()
	out := []market.SearchHit{}
	for rows.Next() {
		var h market.SearchHit
		if err := rows.Scan(&h.TSCode, &h.Name, &h.Industry, &h.Kind); err != nil {
			return nil, fmt.Errorf("sqlite: securities: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: securities: %w", err)
	}
	return out, nil
}
