package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stockdatasource/stockd/internal/config"
	"github.com/stockdatasource/stockd/internal/httpapi"
)

// runServe serves the JSON API (and the web UI from WEB_DIR) until SIGTERM
// or Ctrl-C, then drains in-flight requests for SHUTDOWN_TIMEOUT.
func runServe(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", cfg.HTTPAddr, "listen address (overrides HTTP_ADDR)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}

	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	deps := httpapi.Deps{
		Store: st,
		// Cache: nil answers every request from the store (PassThrough)
		// until the two-tier cache is wired here.
		TTL: httpapi.TTLs{
			Overview: cfg.CacheTTLOverview,
			Basic:    cfg.CacheTTLBasic,
			Daily:    cfg.CacheTTLDaily,
		},
		Logger:   logger,
		Registry: reg,
		WebDir:   cfg.WebDir,
	}
	if cfg.APIToken == "" {
		logger.Warn("API_TOKEN is not set: admin endpoints are refused and workflow writes are open")
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := httpapi.NewServer(httpapi.New(deps), logger)
	logger.Info("serving", "url", "http://"+displayAddr(ln.Addr()), "store", st.Kind(), "version", version)
	if err := httpapi.Run(ctx, srv, ln, cfg.ShutdownWait); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// runHealthcheck asks the local server's /health and fails unless it answers
// 200. The production image has no curl; its HEALTHCHECK runs this.
func runHealthcheck(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", args[0])}
	}
	url, err := healthURL(cfg.HTTPAddr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return nil
}

// healthURL is /health on the port of HTTP_ADDR, on loopback unless the
// server listens on one specific address.
func healthURL(httpAddr string) (string, error) {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return "", fmt.Errorf("HTTP_ADDR=%q: %w", httpAddr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/health", nil
}
