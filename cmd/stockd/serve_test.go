package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/config"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func serveConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.LoadFrom(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestServeAndHealthcheck runs the real command on an embedded store: it
// serves the API and the web UI, healthcheck passes against it, and a
// cancelled context (SIGTERM in main) stops it cleanly.
func TestServeAndHealthcheck(t *testing.T) {
	dir := t.TempDir()
	web := filepath.Join(dir, "web")
	os.MkdirAll(web, 0o755)
	os.WriteFile(filepath.Join(web, "index.html"), []byte("<title>stockd ui</title>"), 0o644)
	port := freePort(t)
	cfg := serveConfig(t, map[string]string{
		"SQLITE_PATH":      filepath.Join(dir, "stock.db"),
		"HTTP_ADDR":        "127.0.0.1:" + strconv.Itoa(port),
		"WEB_DIR":          web,
		"SHUTDOWN_TIMEOUT": "5s",
	})
	a := app{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, nil) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		err := a.healthcheck(context.Background(), nil)
		if err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthcheck never passed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	base := "http://" + cfg.HTTPAddr
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		// The fresh store has no bars yet.
		{"/api/overview/market-stats", 404, `"no_data"`},
		{"/api/stock/600519/basic", 404, `"not_found"`},
		{"/overview", 200, "stockd ui"},
		{"/health", 200, `"sqlite":{"status":"up"`},
		{"/metrics", 200, "stockd_http_requests_total"},
	} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.body) {
			t.Errorf("GET %s: %d %s, want %d with %s", c.path, resp.StatusCode, b, c.status, c.body)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if err := a.healthcheck(context.Background(), nil); err == nil {
		t.Error("healthcheck passed with the server stopped")
	}
}

func TestServeUsage(t *testing.T) {
	cfg := serveConfig(t, map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "stock.db")})
	a := app{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, args := range [][]string{{"--nope"}, {"extra"}} {
		err := a.serve(context.Background(), args)
		if _, ok := err.(usageError); !ok {
			t.Errorf("serve %v: %v, want a usage error", args, err)
		}
	}
	if _, ok := a.healthcheck(context.Background(), []string{"x"}).(usageError); !ok {
		t.Error("healthcheck x: want a usage error")
	}
}

func TestHealthURL(t *testing.T) {
	for _, c := range []struct{ addr, want string }{
		{":8000", "http://127.0.0.1:8000/health"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000/health"},
		{"[::]:8000", "http://127.0.0.1:8000/health"},
		{"127.0.0.1:18000", "http://127.0.0.1:18000/health"},
		{"10.1.2.3:8000", "http://10.1.2.3:8000/health"},
	} {
		got, err := healthURL(c.addr)
		if err != nil || got != c.want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", c.addr, got, err, c.want)
		}
	}
	if _, err := healthURL("8000"); err == nil || !strings.Contains(err.Error(), "HTTP_ADDR") {
		t.Errorf("healthURL(8000) = %v, want an error naming HTTP_ADDR", err)
	}
}
