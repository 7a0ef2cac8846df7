package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
)

// openStore opens the configured store and applies pending migrations, so
// every command works on a fresh server or an empty file.
func (a app) openStore(ctx context.Context) (market.Store, error) {
	cfg := a.cfg
	var (
		st  market.Store
		err error
	)
	if cfg.UseClickHouse() {
		st, err = clickhouse.Open(ctx, clickhouse.Options{
			Addr:     strings.Join(cfg.ClickHouseAddrs, ","),
			User:     cfg.ClickHouseUser,
			Password: cfg.ClickHousePassword,
			Database: cfg.ClickHouseDatabase,
			Cluster:  cfg.ClickHouseCluster,
		})
	} else {
		st, err = sqlite.Open(ctx, cfg.SQLitePath)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate %s store: %w", st.Kind(), err)
	}
	a.log.Debug("store ready", "kind", st.Kind())
	return st, nil
}

// migrate is `stockd migrate`.
func (a app) migrate(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", args[0])}
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	a.log.Info("migrations applied", "store", st.Kind())
	return nil
}
