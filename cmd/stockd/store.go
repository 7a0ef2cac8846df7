package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/stockdatasource/stockd/internal/config"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
)

// openStore opens the configured store and applies pending migrations, so
// every command works on a fresh server or an empty file.
func openStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (market.Store, error) {
	var (
		st  market.Store
		err error
	)
	if cfg.UseClickHouse() {
		st, err = clickhouse.Open(ctx, clickhouse.Options{
			Addr:     net.JoinHostPort(cfg.ClickHouseHost, strconv.Itoa(cfg.ClickHousePort)),
			User:     cfg.ClickHouseUser,
			Password: cfg.ClickHousePassword,
			Database: cfg.ClickHouseDatabase,
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
	logger.Debug("store ready", "kind", st.Kind())
	return st, nil
}

func runMigrate(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string) error {
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	logger.Info("migrations applied", "store", st.Kind())
	return nil
}
