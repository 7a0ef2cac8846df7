package deploy

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// requireTool: a missing server binary fails the test in CI and skips it elsewhere.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (CI must provide it: scripts/test-services.sh install)", name)
		}
		t.Skipf("%s not on PATH", name)
	}
	return path
}

// envsubstOnly renders a template the way the nginx image does: envsubst with an explicit list of
// variables, so nginx's own $variables are left alone.
func envsubstOnly(t *testing.T, template string, vars map[string]string) string {
	t.Helper()
	var names []string
	for k := range vars {
		names = append(names, "${"+k+"}")
	}
	sort.Strings(names)
	if path, err := exec.LookPath("envsubst"); err == nil {
		cmd := exec.Command(path, strings.Join(names, " "))
		cmd.Stdin = strings.NewReader(template)
		cmd.Env = []string{}
		for k, v := range vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("envsubst: %v", err)
		}
		return string(out)
	}
	return regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`).ReplaceAllStringFunc(template, func(m string) string {
		if v, ok := vars[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

type nginxSetup struct {
	dir, conf string
}

// renderNginx lays out a state dir: conf.d/default.conf from docker/nginx.conf (as the image
// renders its template) and nginx.conf from docker/nginx-local.conf (the image's main file's role).
func renderNginx(t *testing.T, vars map[string]string) nginxSetup {
	t.Helper()
	root := repoRoot(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	server := envsubstOnly(t, readFileT(t, filepath.Join(root, "docker", "nginx.conf")), vars)
	main := envsubstOnly(t, readFileT(t, filepath.Join(root, "docker", "nginx-local.conf")), map[string]string{"NGINX_STATE": dir})
	if err := os.WriteFile(filepath.Join(dir, "conf.d", "default.conf"), []byte(server), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	return nginxSetup{dir: dir, conf: conf}
}

func (n nginxSetup) args(extra ...string) []string {
	return append([]string{"-p", n.dir + "/", "-c", n.conf, "-e", filepath.Join(n.dir, "error.log")}, extra...)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestNginxTemplateVariables(t *testing.T) {
	text := readFileT(t, filepath.Join(repoRoot(t), "docker", "nginx.conf"))
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`).FindAllStringSubmatch(text, -1) {
		used[m[1]] = true
	}
	var got []string
	for k := range used {
		got = append(got, k)
	}
	if strings.Join(sortedCopy(got), ",") != strings.Join(sortedCopy(nginxTemplateVars), ",") {
		t.Errorf("template variables %v, want %v", sortedCopy(got), nginxTemplateVars)
	}
	rendered := envsubstOnly(t, text, map[string]string{"BACKEND_HOST": "backend", "BACKEND_PORT": "8000", "LISTEN_PORT": "3001", "RESOLVER": "127.0.0.11", "WEB_ROOT": "/usr/share/nginx/html"})
	for _, want := range []string{"$uri", "$http_host", "$remote_addr", "$proxy_add_x_forwarded_for", "set $stockd_backend http://backend:8000;",
		"resolver 127.0.0.11", "proxy_pass $stockd_backend;", "proxy_buffering off;", "listen 3001;"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("rendered config lacks %q", want)
		}
	}
	if strings.Contains(rendered, "${") {
		t.Error("rendered config still has ${...}")
	}
}

func TestNginxConfigValid(t *testing.T) {
	nginx := requireTool(t, "nginx")
	// As in Docker (a name resolved through 127.0.0.11) and as in the local stack.
	for _, vars := range []map[string]string{
		{"BACKEND_HOST": "backend", "BACKEND_PORT": "8000", "LISTEN_PORT": "3001", "RESOLVER": "127.0.0.11", "WEB_ROOT": "/usr/share/nginx/html"},
		{"BACKEND_HOST": "127.0.0.1", "BACKEND_PORT": "18000", "LISTEN_PORT": "13001", "RESOLVER": "127.0.0.1", "WEB_ROOT": t.TempDir()},
	} {
		n := renderNginx(t, vars)
		out, err := exec.Command(nginx, n.args("-t")...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "test is successful") {
			t.Errorf("nginx -t with %v: %v\n%s", vars, err, out)
		}
	}
}

// buildStockd builds ./cmd/stockd into a temp dir (flags as `make build`, so the build cache is
// shared), or uses STOCKD_BIN when set (e.g. bin/stockd after `make build`). A backend that does not build fails the test.
func buildStockd(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("STOCKD_BIN"); bin != "" { // relative to the repository root
		if !filepath.IsAbs(bin) {
			bin = filepath.Join(repoRoot(t), bin)
		}
		return bin
	}
	bin := filepath.Join(t.TempDir(), "stockd")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/stockd")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/stockd failed (the nginx proxy test needs the backend):\n%s", out)
	}
	return bin
}

func stockdEnv(dir string, port int) []string {
	var env []string
	for _, kv := range os.Environ() {
		k := kv[:strings.Index(kv, "=")]
		if strings.HasPrefix(k, "CLICKHOUSE_") || strings.HasPrefix(k, "REDIS_") || strings.HasPrefix(k, "CACHE_") ||
			k == "HTTP_ADDR" || k == "SQLITE_PATH" || k == "WEB_DIR" || k == "API_TOKEN" || strings.HasPrefix(k, "LANGFUSE_") || k == "TUSHARE_TOKEN" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", port), "SQLITE_PATH="+filepath.Join(dir, "stock.db"), "LOG_LEVEL=warn")
}

func waitHTTP(t *testing.T, url string, within time.Duration, alive func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if e := alive(); e != nil {
			t.Fatalf("waiting for %s: %v", url, e)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within %v (last error %v)", url, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startProcess runs cmd until the test ends (SIGTERM, then kill).
func startProcess(t *testing.T, cmd *exec.Cmd, logPath string) func() error {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return func() error {
		select {
		case err := <-done:
			done <- err
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("%s exited: %v\n%s", cmd.Path, err, log)
		default:
			return nil
		}
	}
}

// fixtureUI is a built-UI folder: an index.html and one hashed asset, both big enough to gzip.
func fixtureUI(t *testing.T) (dir, index, asset string) {
	t.Helper()
	dir = t.TempDir()
	index = "<!doctype html><html><head><meta charset=\"utf-8\"><title>stockd fixture</title>" +
		"<script type=\"module\" src=\"/assets/index-4f2a9c1b.js\"></script></head><body><div id=\"app\"></div>" +
		strings.Repeat("<!-- fixture padding so the page is worth compressing -->", 10) + "</body></html>\n"
	asset = "/assets/index-4f2a9c1b.js"
	js := "export const rows = [" + strings.Repeat("{code:'600519.SH',name:'fixture'},", 200) + "];\n"
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, asset), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	// What the build precompresses: a .gz beside the file. Its content is
	// told apart from the file's so the test sees which one nginx sent.
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write([]byte(precompressedJS))
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "assets", "pre-77aa00ff.js"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assets", "pre-77aa00ff.js.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, index, asset
}

// precompressedJS is the content of the fixture's .gz file (see fixtureUI).
const precompressedJS = "export const precompressed = true;\n"

type answer struct {
	status int
	header http.Header
	body   []byte
}

// get fetches a URL without Go's transparent gzip, optionally asking for gzip, and returns the
// decoded body.
func get(t *testing.T, url string, gz bool) answer {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	req, _ := http.NewRequest("GET", url, nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: bad gzip: %v", url, err)
		}
		r = zr
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return answer{resp.StatusCode, resp.Header, body}
}

func TestNginxServesUIAndProxiesStockd(t *testing.T) {
	nginx := requireTool(t, "nginx")
	bin := buildStockd(t)
	work := t.TempDir()

	demo := exec.Command(bin, "demo", "--stocks", "30", "--etfs", "5", "--days", "20")
	demo.Dir = work
	demo.Env = stockdEnv(work, 0)
	if out, err := demo.CombinedOutput(); err != nil {
		t.Fatalf("stockd demo: %v\n%s", err, out)
	}
	backendPort := freePort(t)
	serve := exec.Command(bin, "serve")
	serve.Dir = work
	serve.Env = stockdEnv(work, backendPort)
	alive := startProcess(t, serve, filepath.Join(work, "serve.log"))
	backend := fmt.Sprintf("http://127.0.0.1:%d", backendPort)
	waitHTTP(t, backend+"/health", 30*time.Second, alive)

	webRoot, index, asset := fixtureUI(t)
	port := freePort(t)
	n := renderNginx(t, map[string]string{"BACKEND_HOST": "127.0.0.1", "BACKEND_PORT": fmt.Sprint(backendPort),
		"LISTEN_PORT": fmt.Sprint(port), "RESOLVER": "127.0.0.1", "WEB_ROOT": webRoot})
	if out, err := exec.Command(nginx, n.args("-t")...).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	ngAlive := startProcess(t, exec.Command(nginx, n.args("-g", "daemon off;")...), filepath.Join(n.dir, "stdout.log"))
	front := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, front+"/", 10*time.Second, ngAlive)

	securityHeaders := func(where string, a answer) {
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "strict-origin-when-cross-origin"} {
			if got := a.header.Get(k); got != v {
				t.Errorf("%s: %s=%q, want %q", where, k, got, v)
			}
		}
	}

	// SPA fallback: unknown client routes get the app shell, never cached.
	for _, path := range []string{"/", "/some/route", "/stock/600519.SH"} {
		a := get(t, front+path, false)
		if a.status != 200 || string(a.body) != index {
			t.Errorf("GET %s: %d %q, want the index.html", path, a.status, a.body)
		}
		if cc := a.header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", path, cc)
		}
		securityHeaders(path, a)
	}
	// Hashed assets: a year, immutable, compressed.
	a := get(t, front+asset, true)
	if a.status != 200 || a.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("asset: %d Cache-Control %q", a.status, a.header.Get("Cache-Control"))
	}
	if a.header.Get("Content-Encoding") != "gzip" || !strings.Contains(a.header.Get("Content-Type"), "javascript") {
		t.Errorf("asset: Content-Encoding %q Content-Type %q, want gzip javascript", a.header.Get("Content-Encoding"), a.header.Get("Content-Type"))
	}
	if !bytes.HasPrefix(a.body, []byte("export const rows")) {
		t.Errorf("asset body %q", a.body[:min(40, len(a.body))])
	}
	securityHeaders("asset", a)
	if a := get(t, front+"/assets/missing-00000000.js", false); a.status != 404 {
		t.Errorf("missing asset: %d, want 404 (not the app shell)", a.status)
	}
	// gzip_static: the build's .gz is sent as it is to a client that takes
	// gzip; one that does not gets the plain file.
	if a := get(t, front+"/assets/pre-77aa00ff.js", true); a.header.Get("Content-Encoding") != "gzip" || string(a.body) != precompressedJS {
		t.Errorf("precompressed asset: Content-Encoding %q body %q, want the .gz file's content", a.header.Get("Content-Encoding"), a.body[:min(40, len(a.body))])
	}
	if a := get(t, front+"/assets/pre-77aa00ff.js", false); a.header.Get("Content-Encoding") != "" || !bytes.HasPrefix(a.body, []byte("export const rows")) {
		t.Errorf("asset without Accept-Encoding: Content-Encoding %q body %q, want the plain file", a.header.Get("Content-Encoding"), a.body[:min(40, len(a.body))])
	}
	if a := get(t, front+"/index.html", true); a.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("index.html not gzipped: %v", a.header)
	}

	// /health and /api go to stockd.
	h := get(t, front+"/health", false)
	var health struct {
		Status   string                     `json:"status"`
		Services map[string]json.RawMessage `json:"services"`
	}
	if h.status != 200 || json.Unmarshal(h.body, &health) != nil || health.Status == "" || health.Services == nil {
		t.Errorf("GET /health via nginx: %d %s", h.status, h.body)
	}
	if _, ok := health.Services["sqlite"]; !ok {
		t.Errorf("/health via nginx has no sqlite service: %s", h.body)
	}
	direct := get(t, backend+"/api/overview/market-stats", false)
	proxied := get(t, front+"/api/overview/market-stats", true)
	var stats map[string]any
	if proxied.status != 200 || !strings.HasPrefix(proxied.header.Get("Content-Type"), "application/json") || json.Unmarshal(proxied.body, &stats) != nil {
		t.Fatalf("GET /api/overview/market-stats via nginx: %d %q %s", proxied.status, proxied.header.Get("Content-Type"), proxied.body)
	}
	if _, ok := stats["trade_date"]; !ok {
		t.Errorf("market-stats without trade_date: %s", proxied.body)
	}
	if !bytes.Equal(direct.body, proxied.body) {
		t.Errorf("proxied body differs from stockd's:\n%s\n%s", proxied.body, direct.body)
	}
	// The OpenAPI document is stockd's, not the app shell.
	if a := get(t, front+"/openapi.json", true); a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") ||
		!bytes.Contains(a.body, []byte(`"openapi"`)) || !bytes.Equal(a.body, get(t, backend+"/openapi.json", false).body) {
		t.Errorf("GET /openapi.json via nginx: %d %q %.80s", a.status, a.header.Get("Content-Type"), a.body)
	}
	if a := get(t, front+"/api/overview/no-such-endpoint", false); a.status != 404 || !strings.Contains(string(a.body), "error") {
		t.Errorf("unknown API path via nginx: %d %s (want stockd's JSON 404, not the app shell)", a.status, a.body)
	}

	// Writes through nginx: stockd compares a browser's Origin with the Host
	// nginx passes on, so nginx must pass it with the port the browser used.
	// (A browser that sends Sec-Fetch-Site is judged by that; this is the
	// older one that only sends Origin.) The backend runs without a token,
	// and nginx forwards for a loopback client: writes are allowed.
	write := func(origin string) (int, string) {
		req, _ := http.NewRequest("POST", front+"/api/workflows", strings.NewReader(`{"name":"via nginx","user_prompt_template":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := write(front); code != 201 {
		t.Errorf("same-origin write via nginx: %d %s, want 201 (nginx must pass Host with its port)", code, body)
	}
	if code, body := write("http://evil.example"); code != 403 {
		t.Errorf("cross-site write via nginx: %d %s, want 403", code, body)
	}
}
