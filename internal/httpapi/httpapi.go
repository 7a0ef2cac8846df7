// Package httpapi serves the JSON API of DESIGN.md §6 over net/http: market
// overview, per-stock basic info and K-lines, search, workflows, cache
// administration, /health, /metrics, the OpenAPI document and the built web
// UI. Every route is listed in one table (routes); each group of handlers
// depends on a small interface declared beside it, never on a concrete
// store, cache or service.
package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Deps is everything the API needs; cmd builds it.
type Deps struct {
	// Store is the data store as /health sees it (required).
	Store Pinger
	// Overview and Stock answer the market questions (required; the same
	// *query.Queries serves both).
	Overview OverviewQueries
	Stock    StockQueries
	// Workflows stores the user's workflows (required).
	Workflows Workflows
	// Runs runs workflows and keeps their history (required; without a
	// model it answers 503 llm_not_configured to runs and generation).
	Runs Runs
	// RunHeartbeat is how often an idle run stream gets a comment line;
	// 0 means agent.DefaultHeartbeat.
	RunHeartbeat time.Duration
	// Cache is the two-tier cache as the admin endpoints and /health see
	// it; nil means the server runs without one.
	Cache CacheAdmin
	// APIToken guards workflow writes (only loopback clients may write
	// when empty) and cache invalidation (refused when empty); it also
	// shows /health's error details.
	APIToken string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registry receives the HTTP metrics and is served on /metrics; nil
	// makes a private one. Tests pass their own so series do not collide.
	Registry *prometheus.Registry
	// WebDir is the built web UI (and the API docs page in WebDir/docs).
	WebDir string
}

// route is one line of the route table: a net/http ServeMux pattern
// ("METHOD /path/{param}") and its handler.
type route struct {
	pattern string
	handler http.Handler
}

// api holds the handler groups.
type api struct {
	health    healthHandlers
	overview  overviewHandlers
	stock     stockHandlers
	workflows workflowHandlers
	runs      runHandlers
	cache     cacheHandlers
	ui        webHandlers
	metrics   http.Handler
	apiToken  string
	mux       *http.ServeMux
}

// routes is the route table: every route of the service, in one list. The
// OpenAPI document (openapi.json) describes each one; a test holds the two
// equal.
func (a *api) routes() []route {
	return []route{
		{"GET /health", http.HandlerFunc(a.health.get)},
		{"GET /metrics", a.metrics},
		{"GET /openapi.json", http.HandlerFunc(serveOpenAPI)},
		{"GET /docs", http.HandlerFunc(a.ui.docs)},
		{"GET /docs/{file...}", http.HandlerFunc(a.ui.docsFile)},

		{"GET /api/overview/hot-stocks", http.HandlerFunc(a.overview.hotStocks)},
		{"GET /api/overview/hot-etfs", http.HandlerFunc(a.overview.hotETFs)},
		{"GET /api/overview/market-stats", http.HandlerFunc(a.overview.marketStats)},
		{"GET /api/overview/trade-dates", http.HandlerFunc(a.overview.tradeDates)},

		{"GET /api/stock/search", http.HandlerFunc(a.stock.search)},
		{"GET /api/stock/{code}/basic", http.HandlerFunc(a.stock.basic)},
		{"GET /api/stock/{code}/daily", http.HandlerFunc(a.stock.daily)},
		{"GET /api/stock/{code}/kline", http.HandlerFunc(a.stock.kline)},

		{"GET /api/workflows", http.HandlerFunc(a.workflows.list)},
		{"POST /api/workflows", a.write(a.workflows.create)},
		{"GET /api/workflows/tools", http.HandlerFunc(a.workflows.tools)},
		{"GET /api/workflows/templates", http.HandlerFunc(a.workflows.templates)},
		{"GET /api/workflows/{id}", http.HandlerFunc(a.workflows.get)},
		{"PUT /api/workflows/{id}", a.write(a.workflows.update)},
		{"DELETE /api/workflows/{id}", a.write(a.workflows.delete)},
		{"POST /api/workflows/{id}/clone", a.write(a.workflows.clone)},
		{"POST /api/workflows/generate", a.write(a.runs.generate)},
		{"POST /api/workflows/{id}/run", a.write(a.runs.run)},
		{"GET /api/workflows/{id}/runs", http.HandlerFunc(a.runs.list)},
		{"GET /api/runs/{id}", http.HandlerFunc(a.runs.get)},
		{"POST /api/runs/{id}/cancel", a.write(a.runs.cancel)},

		{"GET /api/cache/stats", http.HandlerFunc(a.cache.stats)},
		{"POST /api/cache/invalidate", RequireToken(a.apiToken, http.HandlerFunc(a.cache.invalidate))},

		// The fallbacks take every method, so they name none. /api is
		// listed so the mux answers it rather than redirect it to /api/.
		{"/api/", http.HandlerFunc(a.unmatched)}, // JSON 404, or 405 with Allow
		{"/api", http.HandlerFunc(a.unmatched)},
		{"/", http.HandlerFunc(a.ui.app)}, // the web UI; GET and HEAD only
	}
}

// write guards a workflow write: the bearer token when one is configured;
// without one, guardWrites lets only clients on this machine write (logged
// at start).
func (a *api) write(h http.HandlerFunc) http.Handler {
	if a.apiToken == "" {
		return h
	}
	return RequireToken(a.apiToken, h)
}

// New returns the API's handler with every route and middleware in place.
// It panics when a required dependency is missing: that is a wiring
// mistake, found at start.
func New(deps Deps) http.Handler {
	for name, missing := range map[string]bool{
		"Store": deps.Store == nil, "Overview": deps.Overview == nil, "Stock": deps.Stock == nil, "Workflows": deps.Workflows == nil,
		"Runs": deps.Runs == nil,
	} {
		if missing {
			panic(fmt.Sprintf("httpapi.New: Deps.%s is required", name))
		}
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.Default()
	}
	c := deps.Cache
	if c == nil {
		c = noCache{}
	}
	reg := deps.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	a := &api{
		health:    healthHandlers{store: deps.Store, cache: deps.Cache, token: deps.APIToken},
		overview:  overviewHandlers{q: deps.Overview},
		stock:     stockHandlers{q: deps.Stock},
		workflows: workflowHandlers{svc: deps.Workflows},
		runs:      runHandlers{runs: deps.Runs, heartbeat: deps.RunHeartbeat},
		cache:     cacheHandlers{c: c},
		ui:        newWebHandlers(deps.WebDir, logger),
		metrics:   promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}),
		apiToken:  deps.APIToken,
		mux:       http.NewServeMux(),
	}
	for _, rt := range a.routes() {
		h := rt.handler
		if method, _, ok := strings.Cut(rt.pattern, " "); ok && !safeMethod(method) {
			h = guardWrites(a.apiToken, h)
		}
		a.mux.Handle(rt.pattern, h)
	}
	return instrument(a.mux, logger, newMetrics(reg))
}

// unmatched answers /api paths no route took, in JSON: 405 with Allow when
// the path exists under another method, else 404. Without it the mux would
// send its plain-text errors to a client that expects JSON.
func (a *api) unmatched(w http.ResponseWriter, r *http.Request) {
	if allow := a.allowed(r); len(allow) > 0 {
		w.Header()["Allow"] = allow
		WriteError(w, r, Errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
		return
	}
	WriteError(w, r, Errorf(http.StatusNotFound, CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
}

// allowed lists the methods other routes take on r's path.
func (a *api) allowed(r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != "" && pattern != "/api/" && pattern != "/api" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}
