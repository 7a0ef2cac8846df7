package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/stockdatasource/stockd/internal/cache"
)

// Health states of a service and of the whole server.
const (
	StatusUp        = "up"
	StatusDown      = "down"
	StatusDisabled  = "disabled"
	StatusHealthy   = "healthy"
	StatusDegraded  = "degraded"
	StatusUnhealthy = "unhealthy"
)

// healthTimeout bounds each check: a health probe must answer even when a
// dependency hangs.
const healthTimeout = 2 * time.Second

// ServiceHealth is one entry of /health's services map.
type ServiceHealth struct {
	Status    string  `json:"status"`
	Error     string  `json:"error,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
}

// Pinger is the store as /health sees it; market.Store satisfies it.
type Pinger interface {
	// Kind names the store in the services map: clickhouse or sqlite.
	Kind() string
	Ping(ctx context.Context) error
}

// healthHandlers answer /health: the store is essential (down → 503
// unhealthy), Redis is not (down → 200 degraded, answers come from the
// store).
type healthHandlers struct {
	store Pinger
	cache CacheStats // nil: no cache, no redis entry
	// token shows the store's own error to a caller that sends it; anyone
	// else reads that the store is unreachable (its error may name hosts
	// and ports), and the log has the details.
	token string
}

type healthAnswer struct {
	Status   string                   `json:"status"`
	Services map[string]ServiceHealth `json:"services"`
	Cache    *cache.Stats             `json:"cache,omitempty"`
}

// CheckService times check and renders its outcome as a ServiceHealth.
func CheckService(ctx context.Context, check func(context.Context) error) ServiceHealth {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	start := time.Now()
	err := check(ctx)
	h := ServiceHealth{Status: StatusUp, LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		h.Status, h.Error = StatusDown, err.Error()
	}
	return h
}

func (h healthHandlers) get(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	storeHealth := CheckService(ctx, h.store.Ping)
	ans := healthAnswer{Status: StatusHealthy, Services: map[string]ServiceHealth{h.store.Kind(): storeHealth}}
	if h.cache != nil {
		start := time.Now()
		stats := h.cache.Stats(ctx)
		redis := ServiceHealth{Status: stats.Status, LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
		if stats.Status == cache.StatusDown {
			redis.Error = "redis unreachable; serving from the store"
			ans.Status = StatusDegraded
		}
		ans.Services["redis"] = redis
		ans.Cache = &stats
	}
	code := http.StatusOK
	if storeHealth.Status != StatusUp {
		ans.Status, code = StatusUnhealthy, http.StatusServiceUnavailable
		loggerFrom(ctx).Warn("health: store down", "store", h.store.Kind(), "err", storeHealth.Error)
		if !hasToken(r, h.token) {
			storeHealth.Error = "unreachable (details in the server log, or here with the bearer token)"
			ans.Services[h.store.Kind()] = storeHealth
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, code, ans)
}
