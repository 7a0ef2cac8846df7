package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/stockdatasource/stockd/internal/config"
)

// Temporary stubs so the command compiles while its parts land; each owner
// deletes their own stub when adding the real command.

func runSync(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string) error {
	return errors.New("not implemented yet")
}
