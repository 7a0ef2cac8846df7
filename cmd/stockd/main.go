// Command stockd is the Stock Datasource service: it ingests A-share and ETF
// market data into ClickHouse or an embedded SQLite file and serves it over
// HTTP. main only wires: config → store → cache → server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses of run.
const (
	exitOK    = 0
	exitFail  = 1 // the command failed
	exitUsage = 2 // the command line or the configuration is wrong
)

// run is stockd with its arguments (without the program name) and output
// streams; it returns the exit status. Ctrl-C and SIGTERM cancel the
// command's context: serve drains, sync stops between dates.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	name, args := args[0], args[1:]
	switch name {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "stockd", version)
		return exitOK
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "stockd: unknown command %q\n\n%s", name, usage)
		return exitUsage
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(stderr, "stockd:", err)
		return exitUsage
	}
	logger := newLogger(cfg, stderr)
	slog.SetDefault(logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = cmd(app{cfg: cfg, log: logger, stdout: stdout, stderr: stderr}, ctx, args)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "stockd %s: %v\n", name, err)
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFail
}

// app is what every command runs with: the configuration, the logger and
// where to print.
type app struct {
	cfg    config.Config
	log    *slog.Logger
	stdout io.Writer // summaries and usage text asked for with -h
	stderr io.Writer // progress bars
}

// commands maps a subcommand to its runner; each lives in its own file.
var commands = map[string]func(a app, ctx context.Context, args []string) error{
	"serve":       app.serve,
	"migrate":     app.migrate,
	"import":      app.importFiles,
	"demo":        app.demo,
	"sync":        app.sync,
	"healthcheck": app.healthcheck,
}

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ error }

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
