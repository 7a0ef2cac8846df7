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

	"github.com/stockdatasource/stockd/internal/cache"
	"github.com/stockdatasource/stockd/internal/config"
	"github.com/stockdatasource/stockd/internal/httpapi"
	"github.com/stockdatasource/stockd/internal/workflow"
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
	c, err := newCache(cfg, logger, reg)
	if err != nil {
		return err
	}
	defer c.Close()
	deps := httpapi.Deps{
		Store:  st,
		Cache:  c,
		Health: []httpapi.HealthReporter{cacheHealth(c)},
		TTL: httpapi.TTLs{
			Overview: cfg.CacheTTLOverview,
			Basic:    cfg.CacheTTLBasic,
			Daily:    cfg.CacheTTLDaily,
		},
		Logger:   logger,
		Registry: reg,
		WebDir:   cfg.WebDir,
	}
	// Each trade date the daily sync writes makes the cached overview and
	// stock answers stale.
	startSyncSchedule(ctx, cfg, st, logger, func(string, time.Time) {
		dropStale(context.WithoutCancel(ctx), c, logger)
	})
	workflows := workflow.NewService(st, c, cfg.CacheTTLWorkflow)
	mountWorkflows := httpapi.WorkflowRoutes(workflows, cfg.APIToken)
	mountCache := httpapi.CacheRoutes(c, func(ctx context.Context) any { return c.Stats(ctx) }, cfg.APIToken)
	deps.Mount = func(mux *http.ServeMux) {
		mountWorkflows(mux)
		mountCache(mux)
	}
	if cfg.APIToken == "" {
		logger.Warn("API_TOKEN is not set: admin endpoints are refused and workflow writes are open")
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := httpapi.NewServer(httpapi.New(deps), logger)
	logger.Info("serving", "url", "http://"+displayAddr(ln.Addr()), "store", st.Kind(), "redis", c.RedisStatus(), "version", version)
	if err := httpapi.Run(ctx, srv, ln, cfg.ShutdownWait); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// newCache builds the two-tier cache: in-process always (unless
// CACHE_L1_SIZE=0), Redis when REDIS_HOST (or REDIS_ADDRS) is set. Redis being down at start
// is not an error: the cache degrades to the store and recovers by itself.
func newCache(cfg config.Config, logger *slog.Logger, reg prometheus.Registerer) (*cache.Cache, error) {
	opts := cache.Options{
		Prefix:     cfg.CachePrefix,
		L1Size:     cfg.CacheL1Size,
		L1TTL:      cfg.CacheL1TTL,
		Logger:     logger,
		Registerer: reg,
	}
	if cfg.UseRedis() {
		opts.RedisMode, opts.RedisAddrs = cfg.RedisMode, cfg.RedisAddresses()
		opts.RedisPassword, opts.RedisDB, opts.RedisTimeout = cfg.RedisPassword, cfg.RedisDB, cfg.RedisTimeout
		opts.SentinelMaster, opts.SentinelPassword = cfg.RedisSentinelMaster, cfg.RedisSentinelPassword
	}
	c, err := cache.New(opts)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return c, nil
}

// cacheHealth reports Redis in /health's services (down makes the server
// degraded, not unhealthy) and the cache's stats as its "cache" section.
func cacheHealth(c *cache.Cache) httpapi.HealthReporter {
	return httpapi.HealthFunc(func(ctx context.Context) httpapi.HealthReport {
		start := time.Now()
		stats := c.Stats(ctx)
		redis := httpapi.ServiceHealth{Status: stats.Status, LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
		if stats.Status == cache.StatusDown {
			redis.Error = "redis unreachable; serving from the store"
		}
		return httpapi.HealthReport{
			Services: map[string]httpapi.ServiceHealth{"redis": redis},
			Section:  "cache",
			Detail:   stats,
		}
	})
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
