// Package httpapi serves the JSON API of DESIGN.md §6 over net/http: market
// overview, per-stock basic info and K-lines, search, /health and /metrics,
// and the built web UI. Handlers depend on the small interfaces declared
// here, never on a concrete store.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stockdatasource/stockd/internal/market"
)

// MarketReader is what the market endpoints read: a subset of market.Reader.
type MarketReader interface {
	LatestTradeDate(ctx context.Context, kind market.Kind) (time.Time, error)
	TradeDates(ctx context.Context, limit int) ([]time.Time, error)
	OpenDays(ctx context.Context, date time.Time, n int) ([]time.Time, error)
	HotStocks(ctx context.Context, date time.Time, sortBy string, limit int) ([]market.HotStock, error)
	HotETFs(ctx context.Context, date time.Time, sortBy string, limit int) ([]market.HotETF, error)
	DayBars(ctx context.Context, date time.Time) ([]market.StatBar, error)
	Stock(ctx context.Context, tsCode string) (market.StockInfo, error)
	ETF(ctx context.Context, tsCode string) (market.ETFInfo, error)
	Bars(ctx context.Context, tsCode string, start, end time.Time) ([]market.AdjBar, error)
	LatestAdjFactor(ctx context.Context, tsCode string) (time.Time, float64, error)
	Search(ctx context.Context, q string, limit int) ([]market.SearchHit, error)
}

// Store is the store as the API sees it: the market reads plus what /health
// needs. market.Store satisfies it.
type Store interface {
	MarketReader
	Kind() string
	Ping(ctx context.Context) error
}

// Deps is everything the handler needs. Only Store is required.
type Deps struct {
	Store Store
	// Cache fronts the cached endpoints; nil means PassThrough.
	Cache Cache
	TTL   TTLs
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registry receives the HTTP metrics and is served on /metrics; nil
	// makes a private one. Tests pass their own so series do not collide.
	Registry *prometheus.Registry
	// Health adds services and sections to /health (the cache plugs in here).
	Health []HealthReporter
	// WebDir is the built web UI; served with an SPA fallback when it exists.
	WebDir string
	// Mount registers more routes (workflows, cache admin) on the same mux,
	// so they share the middleware, metrics and error shapes.
	Mount func(mux *http.ServeMux)
}

// server holds the handlers' dependencies.
type server struct {
	store  Store
	cache  Cache
	ttl    TTLs
	logger *slog.Logger
	latest *latestMemo
	health []HealthReporter
}

// New returns the API's handler with every route and middleware in place.
func New(deps Deps) http.Handler {
	s := &server{
		store:  deps.Store,
		cache:  deps.Cache,
		ttl:    deps.TTL,
		logger: deps.Logger,
		health: deps.Health,
	}
	if s.cache == nil {
		s.cache = PassThrough{}
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.latest = &latestMemo{reader: deps.Store, ttl: time.Second, now: time.Now, memo: map[market.Kind]latestEntry{}}
	reg := deps.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.handleHealth)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))

	mux.HandleFunc("GET /api/overview/hot-stocks", s.handleHotStocks)
	mux.HandleFunc("GET /api/overview/hot-etfs", s.handleHotETFs)
	mux.HandleFunc("GET /api/overview/market-stats", s.handleMarketStats)
	mux.HandleFunc("GET /api/overview/trade-dates", s.handleTradeDates)
	mux.HandleFunc("GET /api/stock/search", s.handleSearch)
	mux.HandleFunc("GET /api/stock/{code}/basic", s.handleBasic)
	mux.HandleFunc("GET /api/stock/{code}/daily", s.handleDaily)
	if deps.Mount != nil {
		deps.Mount(mux)
	}
	mux.Handle("/api/", apiFallback(mux))
	mux.Handle("/", webUI(deps.WebDir, s.logger))

	return instrument(mux, s.logger, newMetrics(reg))
}

// apiFallback answers unknown /api paths with JSON: 405 with Allow when the
// path exists under another method, else 404. Without it the mux would send
// its plain-text errors to a client that expects JSON.
func apiFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			if m == r.Method {
				continue
			}
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/api/" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			for _, m := range allow {
				w.Header().Add("Allow", m)
			}
			WriteError(w, r, Errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
			return
		}
		WriteError(w, r, Errorf(http.StatusNotFound, CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}
