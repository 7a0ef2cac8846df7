// Command stockd is the Stock Datasource service: it ingests A-share and ETF
// market data into ClickHouse or an embedded SQLite file and serves it over
// HTTP. main only wires: config → store → cache → server.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/stockdatasource/stockd/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `stockd — Stock Datasource: A-share and ETF market data over HTTP

usage: stockd <command> [flags]

commands:
  serve        serve the JSON API (and the web UI from WEB_DIR)
  migrate      create the database and apply schema migrations
  import       load Tushare-format CSV files: stockd import DIR|FILE…
  demo         generate a synthetic demo market
  sync         fetch data from Tushare Pro (needs TUSHARE_TOKEN)
  healthcheck  exit 0 when the local server's /health answers 200
  version      print the version

Configuration comes from environment variables (see README.md).
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "version", "--version", "-v":
		fmt.Println("stockd", version)
		return
	case "help", "--help", "-h":
		fmt.Print(usage)
		return
	}
	run, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(os.Stderr, "stockd: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stockd:", err)
		os.Exit(2)
	}
	logger := newLogger(cfg)
	slog.SetDefault(logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, logger, args); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "stockd %s: %v\n", cmd, err)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "stockd %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

// commands maps a subcommand to its runner; each lives in its own file.
var commands = map[string]func(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string) error{
	"serve":       runServe,
	"migrate":     runMigrate,
	"import":      runImport,
	"demo":        runDemo,
	"sync":        runSync,
	"healthcheck": runHealthcheck,
}

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ error }

func newLogger(cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
