package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stockdatasource/stockd/internal/cache"
	"github.com/stockdatasource/stockd/internal/market"
)

type healthJSON struct {
	Status   string                   `json:"status"`
	Services map[string]ServiceHealth `json:"services"`
	Cache    map[string]any           `json:"cache"`
}

func getHealth(t *testing.T, h http.Handler) (int, healthJSON) {
	t.Helper()
	code, _, body := get(t, h, "/health")
	var got healthJSON
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("/health: %s: %v", body, err)
	}
	return code, got
}

// statsCache is a cache whose Redis is up or down as the test says.
type statsCache struct {
	noCache
	status string
}

func (c *statsCache) Stats(context.Context) cache.Stats {
	return cache.Stats{Status: c.status, Available: c.status == cache.StatusUp, Hits: 3}
}

// testHealth checks /health on a live store, with Redis in each state.
func testHealth(t *testing.T, st market.Store) {
	c := &statsCache{status: cache.StatusUp}
	h := newHandler(t, setup{store: st, admin: c})

	code, got := getHealth(t, h)
	if code != 200 || got.Status != StatusHealthy || got.Services[st.Kind()].Status != StatusUp ||
		got.Services["redis"].Status != StatusUp || got.Cache["hits"] != 3.0 {
		t.Errorf("all up: %d %+v", code, got)
	}
	if got.Services[st.Kind()].LatencyMS <= 0 {
		t.Errorf("store latency %v, want > 0", got.Services[st.Kind()].LatencyMS)
	}

	c.status = cache.StatusDown
	code, got = getHealth(t, h)
	if code != 200 || got.Status != StatusDegraded || got.Cache["available"] != false || got.Services["redis"].Error == "" {
		t.Errorf("redis down: %d %+v, want 200 degraded", code, got)
	}
	// Without a cache there is no redis to report.
	code, got = getHealth(t, newHandler(t, setup{store: st}))
	if _, ok := got.Services["redis"]; code != 200 || got.Status != StatusHealthy || ok || got.Cache != nil {
		t.Errorf("no cache: %d %+v", code, got)
	}
}

// testStoreDown checks the answers when the store itself fails: a closed
// store is as down as a real one gets.
func testStoreDown(t *testing.T, closed market.Store) {
	h := newHandler(t, setup{store: closed})
	code, got := getHealth(t, h)
	if code != 503 || got.Status != StatusUnhealthy || got.Services[closed.Kind()].Status != StatusDown || got.Services[closed.Kind()].Error == "" {
		t.Errorf("store down: %d %+v, want 503 unhealthy", code, got)
	}
	for _, path := range []string{
		"/api/overview/hot-stocks", "/api/overview/market-stats?date=20251218",
		"/api/stock/600519.SH/basic", "/api/stock/000001.SZ/daily", "/api/stock/search?q=6",
	} {
		expectError(t, h, "GET", path, 503, CodeStoreUnavailable, "unavailable")
		_, _, body := get(t, h, path)
		if strings.Contains(string(body), "closed") || strings.Contains(string(body), "sql") {
			t.Errorf("%s leaks internals: %s", path, body)
		}
	}
}
