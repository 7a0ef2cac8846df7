package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/cache"
	"github.com/stockdatasource/stockd/internal/config"
	"github.com/stockdatasource/stockd/internal/httpapi"
	"github.com/stockdatasource/stockd/internal/query"
	"github.com/stockdatasource/stockd/internal/runs"
	"github.com/stockdatasource/stockd/internal/tracing"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// serve serves the JSON API (and the web UI from WEB_DIR) until SIGTERM or
// Ctrl-C, then drains in-flight requests for SHUTDOWN_TIMEOUT.
func (a app) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", a.cfg.HTTPAddr, "listen address (overrides HTTP_ADDR)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}

	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	c, err := a.newCache(reg)
	if err != nil {
		return err
	}
	defer c.Close()
	// Each trade date the daily sync writes makes cached answers stale.
	a.startSyncSchedule(ctx, st, func(string, time.Time) {
		query.DropStale(context.WithoutCancel(ctx), c, a.log)
	})
	a.watchSingleNode(ctx, st)
	ttl := cacheTTLs(a.cfg)
	queries := query.New(st, c, ttl)
	workflows := workflow.NewService(st, c, ttl.Workflows)

	tracer, err := tracing.New(tracing.Config{
		Host: a.cfg.LangfuseHost, PublicKey: a.cfg.LangfusePublicKey, SecretKey: a.cfg.LangfuseSecretKey,
		PublicURL: a.cfg.LangfusePublicURL, ServiceVersion: version, Logger: a.log,
	})
	if err != nil {
		return err
	}
	defer func() {
		// What is still queued goes out before the process ends.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := tracer.Shutdown(sctx); err != nil {
			a.log.Warn("flushing traces to Langfuse at shutdown failed", "err", err)
		}
	}()
	reg.MustRegister(tracer.Collector())
	ag, err := a.newAgent(queries, tracer)
	if err != nil {
		return err
	}
	if ag != nil {
		defer ag.Close()
	}
	runService := runs.New(runs.Options{
		Agent: ag, Workflows: workflows, Store: st, KnownCode: queries.KnownCode,
		MaxConcurrent: a.cfg.AgentMaxConcurrentRuns, TraceURL: tracer.TraceURL,
		Metrics: runs.NewMetrics(reg), Logger: a.log,
	})
	if n, err := runService.MarkInterrupted(ctx); err != nil {
		a.log.Warn("could not mark the runs a previous server left running", "err", err)
	} else if n > 0 {
		a.log.Info("runs left running by a stopped server marked failed (interrupted)", "runs", n)
	}

	handler := httpapi.New(httpapi.Deps{
		Store:     st,
		Overview:  queries,
		Stock:     queries,
		Workflows: workflows,
		Runs:      runService,
		Cache:     c,
		APIToken:  a.cfg.APIToken,
		Logger:    a.log,
		Registry:  reg,
		WebDir:    a.cfg.WebDir,
	})
	if a.cfg.APIToken == "" {
		a.log.Warn("API_TOKEN is not set: admin endpoints are refused, and only clients on this machine (loopback) may write workflows")
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := httpapi.NewServer(handler, a.log)
	a.log.Info("serving", "url", "http://"+displayAddr(ln.Addr()), "store", st.Kind(), "redis", c.RedisStatus(), "version", version)
	err = httpapi.Run(ctx, srv, ln, a.cfg.ShutdownWait)
	// Runs cut short by the shutdown store their end before the store closes.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if werr := runService.Wait(wctx); werr != nil {
		a.log.Warn("runs still storing their records at exit; they will be marked interrupted at the next start", "active", runService.Active())
	}
	if err != nil {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// newAgent is the model's agent with the data tools bound to the queries,
// or nil when OPENAI_MODEL is not set (runs answer 503 llm_not_configured).
func (a app) newAgent(queries *query.Queries, tracer *tracing.Tracer) (*agent.Agent, error) {
	cfg := a.cfg
	if cfg.OpenAIModel == "" {
		a.log.Info("OPENAI_MODEL is not set: workflow runs and generation are off (503 llm_not_configured)")
		return nil, nil
	}
	tools, err := runs.Tools(workflow.Tools(), queries.Tools(), a.log)
	if err != nil {
		return nil, err
	}
	retries := cfg.AgentMaxRetries
	if retries == 0 {
		retries = -1 // the agent reads 0 as its default
	}
	ag, err := agent.New(agent.Config{
		BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, Model: cfg.OpenAIModel, Provider: cfg.OpenAIProvider,
		Tools:     tools,
		MaxRounds: cfg.AgentMaxRounds, RunTimeout: cfg.AgentRunTimeout, MaxOutputTokens: cfg.AgentMaxOutputTokens,
		ToolTimeout: cfg.AgentToolTimeout, MaxToolResultBytes: cfg.AgentMaxToolResultBytes,
		MaxRetries: retries, MaxRetryDelay: cfg.AgentMaxRetryDelay,
		Tracer: tracer.Tracer(), TraceURL: tracer.TraceURL, Logger: a.log,
	})
	if err != nil {
		return nil, fmt.Errorf("workflow runs: %w", err)
	}
	a.log.Info("workflow runs enabled", "model", cfg.OpenAIModel, "base_url", cfg.OpenAIBaseURL, "tracing", tracer.Enabled())
	return ag, nil
}

// cacheTTLs are the CACHE_TTL_* settings by class.
func cacheTTLs(cfg config.Config) query.TTLs {
	return query.TTLs{
		Overview:  cfg.CacheTTLOverview,
		Basic:     cfg.CacheTTLBasic,
		Daily:     cfg.CacheTTLDaily,
		Latest:    cfg.CacheTTLLatest,
		Workflows: cfg.CacheTTLWorkflow,
	}
}

// newCache builds the two-tier cache: in-process always (unless
// CACHE_L1_SIZE=0), Redis when REDIS_HOST (or REDIS_ADDRS) is set. Redis being down at start
// is not an error: the cache degrades to the store and recovers by itself.
func (a app) newCache(reg prometheus.Registerer) (*cache.Cache, error) {
	cfg := a.cfg
	opts := cache.Options{
		Prefix:     cfg.CachePrefix,
		L1Size:     cfg.CacheL1Size,
		L1TTL:      cfg.CacheL1TTL,
		Logger:     a.log,
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

// healthcheck asks the local server's /health and fails unless it answers
// 200. The production image has no curl; its HEALTHCHECK runs this.
func (a app) healthcheck(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", args[0])}
	}
	url, err := healthURL(a.cfg.HTTPAddr)
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
