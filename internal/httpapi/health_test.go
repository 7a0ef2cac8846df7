package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
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

// testHealth checks /health on a live store, with a reporter in each state.
func testHealth(t *testing.T, st Store) {
	redis := ServiceHealth{Status: StatusUp, LatencyMS: 0.1}
	reporter := HealthFunc(func(ctx context.Context) HealthReport {
		return HealthReport{
			Services: map[string]ServiceHealth{"redis": redis},
			Section:  "cache",
			Detail:   map[string]any{"available": redis.Status == StatusUp, "hits": 3},
		}
	})
	h := newHandler(t, Deps{Store: st, Health: []HealthReporter{reporter}})

	code, got := getHealth(t, h)
	if code != 200 || got.Status != StatusHealthy || got.Services[st.Kind()].Status != StatusUp ||
		got.Services["redis"].Status != StatusUp || got.Cache["hits"] != 3.0 {
		t.Errorf("all up: %d %+v", code, got)
	}
	if got.Services[st.Kind()].LatencyMS <= 0 {
		t.Errorf("store latency %v, want > 0", got.Services[st.Kind()].LatencyMS)
	}

	redis = ServiceHealth{Status: StatusDown, Error: "dial tcp: connection refused"}
	code, got = getHealth(t, h)
	if code != 200 || got.Status != StatusDegraded || got.Cache["available"] != false {
		t.Errorf("redis down: %d %+v, want 200 degraded", code, got)
	}
}

// testStoreDown checks the answers when the store itself fails: a closed
// store is as down as a real one gets.
func testStoreDown(t *testing.T, closed Store) {
	h := newHandler(t, Deps{Store: closed})
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
