package httpapi

import (
	"context"
	"net/http"
	"time"
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

// HealthReport is what a HealthReporter adds to /health.
type HealthReport struct {
	// Services are merged into the services map (e.g. "redis"). A service
	// that is down makes the server degraded, not unhealthy: only the
	// store is essential.
	Services map[string]ServiceHealth
	// Section and Detail add a top-level entry, e.g. "cache" with stats.
	Section string
	Detail  any
}

// HealthReporter is a dependency that reports on itself in /health; the
// cache implements it to show Redis and its hit rates.
type HealthReporter interface {
	ReportHealth(ctx context.Context) HealthReport
}

// HealthFunc adapts a function to HealthReporter.
type HealthFunc func(ctx context.Context) HealthReport

// ReportHealth calls f.
func (f HealthFunc) ReportHealth(ctx context.Context) HealthReport { return f(ctx) }

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

func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	storeHealth := CheckService(ctx, s.store.Ping)
	body := map[string]any{}
	services := map[string]ServiceHealth{s.store.Kind(): storeHealth}
	status := StatusHealthy
	for _, rep := range s.health {
		hr := rep.ReportHealth(ctx)
		for name, sh := range hr.Services {
			services[name] = sh
			if sh.Status == StatusDown {
				status = StatusDegraded
			}
		}
		if hr.Section != "" {
			body[hr.Section] = hr.Detail
		}
	}
	code := http.StatusOK
	if storeHealth.Status != StatusUp {
		status, code = StatusUnhealthy, http.StatusServiceUnavailable
		loggerFrom(ctx).Warn("health: store down", "store", s.store.Kind(), "err", storeHealth.Error)
	}
	body["status"] = status
	body["services"] = services
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, code, body)
}
