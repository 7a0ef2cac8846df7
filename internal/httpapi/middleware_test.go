package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stockdatasource/stockd/internal/query"
)

// Most of these tests put the middleware around routes of their own: what
// it does holds whatever the route. Unmatched /api paths get the API's
// JSON fallback.

func ownRoutes(t *testing.T, reg *prometheus.Registry, routes map[string]http.HandlerFunc) http.Handler {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	a := &api{mux: http.NewServeMux()}
	for pattern, h := range routes {
		a.mux.Handle(pattern, h)
	}
	a.mux.HandleFunc("/api/", a.unmatched)
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return instrument(a.mux, quietLogger(t), newMetrics(reg))
}

func TestRequestID(t *testing.T) {
	var seen string
	h := ownRoutes(t, nil, map[string]http.HandlerFunc{
		"GET /api/echo": func(w http.ResponseWriter, r *http.Request) {
			seen = RequestID(r.Context())
			WriteJSON(w, 200, map[string]string{"ok": "yes"})
		},
	})
	cases := []struct {
		name, sent string
		keep       bool
	}{
		{"sane id is honoured", "abc-123_DEF.9:x", true},
		{"absent id is generated", "", false},
		{"id with spaces is replaced", "a b", false},
		{"id with a newline escape is replaced", "a\\nb", false},
		{"overlong id is replaced", strings.Repeat("a", 129), false},
	}
	ids := map[string]bool{}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/api/echo", nil)
		if c.sent != "" {
			req.Header.Set("X-Request-ID", c.sent)
		}
		_, hdr, _ := do(t, h, req)
		got := hdr.Get("X-Request-ID")
		if got != seen {
			t.Errorf("%s: header %q but the handler saw %q", c.name, got, seen)
		}
		if c.keep && got != c.sent {
			t.Errorf("%s: echoed %q, want %q", c.name, got, c.sent)
		}
		if !c.keep && (got == c.sent || !saneRequestID(got)) {
			t.Errorf("%s: generated %q", c.name, got)
		}
		if ids[got] && !c.keep {
			t.Errorf("%s: id %q reused", c.name, got)
		}
		ids[got] = true
	}
}

func TestPanicAnswers500JSON(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := ownRoutes(t, reg, map[string]http.HandlerFunc{
		"GET /api/boom": func(w http.ResponseWriter, r *http.Request) { panic("boom") },
	})
	expectError(t, h, "GET", "/api/boom", 500, CodeInternal)
	// The server still answers afterwards, and the panic was counted.
	expectError(t, h, "GET", "/api/nope", 404, CodeNotFound)
	if n := counterValue(t, reg, "stockd_http_requests_total", map[string]string{"route": "GET /api/boom", "status": "500"}); n != 1 {
		t.Errorf("500s counted %v, want 1", n)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := ownRoutes(t, reg, map[string]http.HandlerFunc{
		"GET /api/thing/{id}": func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, r.PathValue("id")) },
	})
	for _, id := range []string{"a", "b", "c"} {
		get(t, h, "/api/thing/"+id)
	}
	get(t, h, "/api/missing")
	code, hdr, body := get(t, h, "/metrics")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", code, hdr.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{
		// One series per route pattern, not per path.
		`stockd_http_requests_total{method="GET",route="GET /api/thing/{id}",status="200"} 3`,
		`stockd_http_requests_total{method="GET",route="/api/",status="404"} 1`,
		`stockd_http_request_duration_seconds_bucket{route="GET /api/thing/{id}",le="0.0005"}`,
		`stockd_http_request_duration_seconds_count{route="GET /api/thing/{id}"} 3`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(text, "/api/thing/a") {
		t.Error("a raw path leaked into a label")
	}
}

// counterValue reads one counter series from a registry.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestErrorShapes(t *testing.T) {
	h := ownRoutes(t, nil, map[string]http.HandlerFunc{
		"GET /api/storefail": func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, r, fmt.Errorf("query hot stocks: %w", errors.New("dial tcp 10.0.0.7:9000: connection refused")))
		},
		"GET /api/wrapped": func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, r, fmt.Errorf("loader: %w", Errorf(404, CodeNoData, "no stock data for 2025-12-19")))
		},
		"GET /api/queryerr": func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, r, fmt.Errorf("hot list: %w", &query.Error{Code: query.CodeNoData, Message: "no ETF data for 2025-12-17"}))
		},
		"POST /api/body": func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadAll(r.Body); err != nil {
				WriteError(w, r, err)
				return
			}
			WriteJSON(w, 200, "ok")
		},
	})
	code, _, body := get(t, h, "/api/storefail")
	if code != 503 || !strings.Contains(string(body), CodeStoreUnavailable) || strings.Contains(string(body), "10.0.0.7") {
		t.Errorf("store failure: %d %s (must be 503 without internal details)", code, body)
	}
	expectError(t, h, "GET", "/api/wrapped", 404, CodeNoData, "2025-12-19")
	expectError(t, h, "GET", "/api/queryerr", 404, CodeNoData, "2025-12-17")
	expectError(t, h, "GET", "/api/body", 405, CodeMethodNotAllowed, "GET")
	// Unknown paths and wrong methods of the API answer JSON too.
	api := newHandler(t, setup{store: openSQLite(t)})
	expectError(t, api, "GET", "/api/overview/nothing", 404, CodeNotFound, "/api/overview/nothing")
	expectError(t, api, "DELETE", "/api/overview/hot-stocks", 405, CodeMethodNotAllowed, "DELETE")
	if _, hdr, _ := do(t, api, httptest.NewRequest("PATCH", "/api/workflows/wf_x", nil)); strings.Join(hdr.Values("Allow"), ",") != "GET,PUT,DELETE" {
		t.Errorf("PATCH a workflow: Allow %q, want GET,PUT,DELETE", hdr.Values("Allow"))
	}

	big := strings.NewReader(strings.Repeat("x", maxBodyBytes+1))
	st, _, body := do(t, h, httptest.NewRequest("POST", "/api/body", big))
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), CodeTooLarge) {
		t.Errorf("oversized body: %d %s", st, body)
	}
	st, _, _ = do(t, h, httptest.NewRequest("POST", "/api/body", strings.NewReader(strings.Repeat("x", maxBodyBytes))))
	if st != 200 {
		t.Errorf("body at the limit: %d", st)
	}
}

func TestRequireToken(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, "ok") })
	cases := []struct {
		name, token, auth string
		status            int
	}{
		{"right token", "s3cret", "Bearer s3cret", 200},
		{"wrong token", "s3cret", "Bearer nope", 401},
		{"no header", "s3cret", "", 401},
		{"basic scheme", "s3cret", "Basic s3cret", 401},
		{"prefix of the token", "s3cret", "Bearer s3c", 401},
		{"server without token refuses all", "", "Bearer ", 403},
	}
	for _, c := range cases {
		req := httptest.NewRequest("POST", "/api/cache/invalidate", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		rec := httptest.NewRecorder()
		RequireToken(c.token, ok).ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("%s: %d, want %d (%s)", c.name, rec.Code, c.status, rec.Body)
		}
		if c.status != 200 {
			var e apiError
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" {
				t.Errorf("%s: not the error shape: %s", c.name, rec.Body)
			}
		}
	}
}

func TestWebUI(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", "<!doctype html><title>stockd</title>")
	write("assets/app-1a2b3c.js", "console.log(1)")
	write("favicon.svg", "<svg/>")
	os.WriteFile(filepath.Join(filepath.Dir(dir), "secret.txt"), []byte("TOPSECRET"), 0o644)

	st := openSQLite(t)
	h := newHandler(t, setup{store: st, webDir: dir})
	cases := []struct {
		path, status, body, cacheControl, contentType string
	}{
		{"/", "200", "<title>stockd</title>", "no-cache", "text/html"},
		{"/index.html", "200", "<title>stockd</title>", "no-cache", "text/html"},
		{"/stock/600519.SH", "200", "<title>stockd</title>", "no-cache", "text/html"},
		{"/workflows/new", "200", "<title>stockd</title>", "no-cache", "text/html"},
		{"/assets/app-1a2b3c.js", "200", "console.log(1)", "public, max-age=31536000, immutable", "text/javascript"},
		{"/favicon.svg", "200", "<svg/>", "no-cache", "image/svg+xml"},
		{"/assets/gone.js", "404", "", "", ""},
		// The mux cleans /../secret.txt to this; it must not reach the parent.
		{"/secret.txt", "200", "<title>stockd</title>", "no-cache", "text/html"},
		{"/api/unknown", "404", `"not_found"`, "", "application/json"},
	}
	for _, c := range cases {
		code, hdr, body := get(t, h, c.path)
		if fmt.Sprint(code) != c.status || !strings.Contains(string(body), c.body) || hdr.Get("Cache-Control") != c.cacheControl ||
			!strings.HasPrefix(hdr.Get("Content-Type"), c.contentType) {
			t.Errorf("%s: %d %q cache %q type %q", c.path, code, body, hdr.Get("Cache-Control"), hdr.Get("Content-Type"))
		}
		if strings.Contains(string(body), "TOPSECRET") {
			t.Errorf("%s escaped the web folder", c.path)
		}
	}

	// Without the folder, every non-API path is a JSON 404.
	h = newHandler(t, setup{store: st, webDir: filepath.Join(dir, "missing")})
	expectError(t, h, "GET", "/", 404, CodeNotFound)
}

func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	h := ownRoutes(t, nil, map[string]http.HandlerFunc{
		"GET /api/slow": func(w http.ResponseWriter, r *http.Request) {
			close(started)
			time.Sleep(300 * time.Millisecond)
			WriteJSON(w, 200, map[string]string{"done": "yes"})
		},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := NewServer(h, quietLogger(t))
	runErr := make(chan error, 1)
	go func() { runErr <- Run(ctx, srv, ln, 5*time.Second) }()

	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/api/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-started
	cancel() // SIGTERM arrives while the request is in flight

	r := <-res
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, "done") {
		t.Errorf("in-flight request: %+v, want it finished with 200", r)
	}
	if err := <-runErr; err != nil {
		t.Errorf("Run: %v", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still accepting connections after shutdown")
	}
}

func TestShutdownGivesUpAfterWait(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	h := ownRoutes(t, nil, map[string]http.HandlerFunc{
		"GET /api/stuck": func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
		},
	})
	defer close(release)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- Run(ctx, NewServer(h, quietLogger(t)), ln, 100*time.Millisecond) }()
	go http.Get("http://" + ln.Addr().String() + "/api/stuck")
	<-started
	cancel()
	select {
	case err := <-runErr:
		if err == nil || !strings.Contains(err.Error(), "shutdown") {
			t.Errorf("Run = %v, want a shutdown timeout error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not give up on the stuck request")
	}
}

func TestMetricsBoundMethodLabel(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := ownRoutes(t, reg, nil)
	for _, m := range []string{"FOO", "BAR", "GET"} {
		do(t, h, httptest.NewRequest(m, "/api/nope", nil))
	}
	if n := counterValue(t, reg, "stockd_http_requests_total", map[string]string{"method": "other", "route": "/api/"}); n != 2 {
		t.Errorf("unknown methods counted %v under method=other, want 2", n)
	}
	if n := counterValue(t, reg, "stockd_http_requests_total", map[string]string{"method": "FOO"}); n != 0 {
		t.Errorf("a client's method token became a series (%v)", n)
	}
}

func TestGeneratedRequestIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := newRequestID()
		if seen[id] || !saneRequestID(id) || len(id) != 24 {
			t.Fatalf("generated id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
}
