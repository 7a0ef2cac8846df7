package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/cache"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/testenv"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// The tests of issue 13: what a black-box attack and a loaded machine
// found, one test per finding.

// levelLog records the level of every log line, so a test can say that a
// client's fault logged no ERROR.
type levelLog struct {
	mu     sync.Mutex
	errors []string
}

func (l *levelLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *levelLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		l.mu.Lock()
		l.errors = append(l.errors, r.Message)
		l.mu.Unlock()
	}
	return nil
}
func (l *levelLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *levelLog) WithGroup(string) slog.Handler      { return l }

func (l *levelLog) errorLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errors...)
}

// raw sends bytes as they are on a new connection and reads one answer.
func raw(t *testing.T, addr, request string, closeWrite bool) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	if closeWrite {
		conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to %q: %v", request[:min(len(request), 60)], err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// Finding 1: a body the server cannot read is the client's fault — 400,
// not a store outage, and no ERROR in the log.
func TestMalformedBodyIsTheClientsFault(t *testing.T) {
	st := openSQLite(t)
	logs := &levelLog{}
	srv := httptest.NewServer(newHandler(t, setup{store: st, token: testToken, logger: slog.New(logs)}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, created := call(t, "POST", srv.URL+"/api/workflows", goodWorkflow, true)
	id, _ := created["id"].(string)
	if id == "" {
		t.Fatalf("create: %v", created)
	}
	head := func(method, path, framing string) string {
		return method + " " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n" +
			"Authorization: Bearer " + testToken + "\r\nConnection: close\r\n" + framing + "\r\n"
	}
	for _, target := range []struct{ method, path string }{
		{"POST", "/api/workflows"}, {"PUT", "/api/workflows/" + id}, {"POST", "/api/workflows/" + id + "/clone"},
	} {
		for _, c := range []struct {
			name, request string
			closeWrite    bool
		}{
			{"chunk size zz", head(target.method, target.path, "Transfer-Encoding: chunked\r\n") + "zz\r\n{}\r\n0\r\n\r\n", false},
			{"body shorter than Content-Length", head(target.method, target.path, "Content-Length: 500\r\n") + `{"name":"x"`, true},
		} {
			resp, body := raw(t, addr, c.request, c.closeWrite)
			var e apiError
			if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || e.Error.Code != CodeBadRequest ||
				!strings.Contains(e.Error.Message, "request body") {
				t.Errorf("%s %s, %s: %d %s; want 400 bad_request naming the body", target.method, target.path, c.name, resp.StatusCode, body)
			}
		}
	}
	if lines := logs.errorLines(); len(lines) > 0 {
		t.Errorf("client faults logged at ERROR: %q", lines)
	}
}

// WriteError maps each kind of error to its answer; only an unknown error
// (a dependency's failure) is 503 and logged at ERROR.
func TestWriteErrorMapping(t *testing.T) {
	var syntaxErr error
	{
		var v any
		syntaxErr = json.Unmarshal([]byte(`{"a":`), &v)
		syntaxErr = json.Unmarshal([]byte(`{x}`), &v)
	}
	var typeErr error
	{
		var v struct{ Pattern string }
		typeErr = json.Unmarshal([]byte(`{"Pattern":5}`), &v)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name   string
		err    error
		ctx    context.Context
		status int
		code   string
		logged bool
	}{
		{"over the body limit", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: maxBodyBytes}), nil, 413, CodeTooLarge, false},
		{"unreadable body", &bodyError{err: errors.New("invalid byte in chunk length")}, nil, 400, CodeBadRequest, false},
		{"JSON syntax", fmt.Errorf("decode: %w", syntaxErr), nil, 400, CodeBadRequest, false},
		{"JSON type", typeErr, nil, 400, CodeBadRequest, false},
		{"client went away", context.Canceled, canceled, 499, CodeCanceled, false},
		{"store down", errors.New("dial tcp 10.0.0.7:9000: connection refused"), nil, 503, CodeStoreUnavailable, true},
		{"store timeout, client still there", context.DeadlineExceeded, nil, 503, CodeStoreUnavailable, true},
	}
	for _, c := range cases {
		logs := &levelLog{}
		rec := &recorder{logger: slog.New(logs)}
		req := httptest.NewRequest("POST", "/api/x", nil)
		ctx := c.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		req = req.WithContext(context.WithValue(ctx, requestKey, rec))
		w := httptest.NewRecorder()
		WriteError(w, req, c.err)
		var e apiError
		if w.Code != c.status || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, w.Code, w.Body, c.status, c.code)
		}
		if got := len(logs.errorLines()) > 0; got != c.logged {
			t.Errorf("%s: logged at ERROR %v, want %v", c.name, got, c.logged)
		}
		for _, leak := range []string{"Go ", "struct", "10.0.0.7", "json:"} {
			if strings.Contains(e.Error.Message, leak) {
				t.Errorf("%s: message %q leaks %q", c.name, e.Error.Message, leak)
			}
		}
	}
}

// Finding 2: validation stops at the limits and lists a bounded number of
// problems, however many the body holds.
func TestValidationStopsAtLimits(t *testing.T) {
	srv := workflowServer(t, openSQLite(t))
	tags := strings.Repeat(`"",`, 85000)
	body := `{"name":"x","user_prompt_template":"y","tags":[` + tags[:len(tags)-1] + `]}`
	if len(body) > maxBodyBytes {
		t.Fatalf("test body %d bytes is over the body limit", len(body))
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/workflows", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct {
			Code           string       `json:"code"`
			Message        string       `json:"message"`
			Details        []FieldError `json:"details"`
			DetailsOmitted int          `json:"details_omitted"`
		} `json:"error"`
	}
	if resp.StatusCode != 422 || json.Unmarshal(answer, &e) != nil {
		t.Fatalf("85,000 empty tags: %d, %d bytes", resp.StatusCode, len(answer))
	}
	if len(answer) > 8<<10 || len(e.Error.Details) > workflow.MaxDetails {
		t.Errorf("answer %d bytes with %d details; want a small answer with at most %d", len(answer), len(e.Error.Details), workflow.MaxDetails)
	}
	if !strings.Contains(e.Error.Message, "at most 20 tags, got 85000") || e.Error.Details[0].Field != "tags" {
		t.Errorf("the count problem is not named first: %s", e.Error.Message)
	}
	// Only the first MaxTags tags are checked: 1 count + 20 empty tags.
	if got := len(e.Error.Details) + e.Error.DetailsOmitted; got != 1+workflow.MaxTags {
		t.Errorf("%d problems reported, want %d (the count, then the first %d tags)", got, 1+workflow.MaxTags, workflow.MaxTags)
	}
}

// pageCounter counts the store's page reads: a cached list reads none.
type pageCounter struct {
	market.Store
	pages atomic.Int64
}

func (s *pageCounter) WorkflowPage(ctx context.Context, category string, limit, offset int) ([]market.WorkflowRecord, int, error) {
	s.pages.Add(1)
	return s.Store.WorkflowPage(ctx, category, limit, offset)
}

type listJSON struct {
	Workflows []struct {
		ID         string `json:"id"`
		IsTemplate bool   `json:"is_template"`
	} `json:"workflows"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// Finding 3: the list is paged and capped, every workflow is bounded in
// size, and every page fits the cache.
func TestWorkflowListIsPaged(t *testing.T) {
	st := &pageCounter{Store: openSQLite(t)}
	c, err := cache.New(cache.Options{L1Size: 1000, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := newHandler(t, setup{store: st, wfCache: c, token: testToken})
	write := func(method, path, body string) (int, map[string]any) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testToken)
		code, _, b := do(t, h, req)
		var out map[string]any
		json.Unmarshal(b, &out)
		return code, out
	}
	var ids []string // newest first
	for i := range 7 {
		code, out := write("POST", "/api/workflows", fmt.Sprintf(`{"name":"wf %d","user_prompt_template":"p"}`, i))
		if code != 201 {
			t.Fatalf("create %d: %d %v", i, code, out)
		}
		ids = append([]string{out["id"].(string)}, ids...)
		time.Sleep(2 * time.Millisecond) // distinct updated_at
	}
	templates := workflow.Templates()
	var all []string
	for offset := 0; ; offset += 3 {
		var page listJSON
		getJSON(t, h, fmt.Sprintf("/api/workflows?limit=3&offset=%d", offset), &page)
		if page.Total != 7+len(templates) || page.Limit != 3 || page.Offset != offset || len(page.Workflows) > 3 {
			t.Fatalf("offset %d: total %d limit %d offset %d, %d rows", offset, page.Total, page.Limit, page.Offset, len(page.Workflows))
		}
		for _, w := range page.Workflows {
			all = append(all, w.ID)
		}
		if len(page.Workflows) < 3 {
			break
		}
	}
	want := append([]string{}, ids...)
	for _, tpl := range templates {
		want = append(want, tpl.ID)
	}
	if strings.Join(all, ",") != strings.Join(want, ",") {
		t.Errorf("pages walk %v\nwant (user workflows newest first, then the templates) %v", all, want)
	}
	// Templates only, and a category.
	var page listJSON
	getJSON(t, h, "/api/workflows?include_templates=false", &page)
	if page.Total != 7 || page.Limit != workflow.DefaultPageSize || len(page.Workflows) != 7 {
		t.Errorf("default page: %+v", page)
	}
	for _, bad := range []string{"limit=0", "limit=101", "offset=-1", "limit=x", "offset=100001"} {
		expectError(t, h, "GET", "/api/workflows?"+bad, 400, CodeBadRequest)
	}

	// A page is read once, then served from the cache until a write.
	before := st.pages.Load()
	getJSON(t, h, "/api/workflows?limit=2&offset=1", &page)
	getJSON(t, h, "/api/workflows?limit=2&offset=1", &page)
	if n := st.pages.Load() - before; n != 1 {
		t.Errorf("two reads of one page read the store %d times, want 1 (cached)", n)
	}

	// Every workflow is bounded, so the largest page stays under the
	// cache's 8 MiB entry limit (with room for the JSON around it).
	if workflow.MaxPageSize*workflow.MaxDocBytes > 7<<20 {
		t.Fatalf("a page of %d workflows of %d bytes can pass the cache's entry limit", workflow.MaxPageSize, workflow.MaxDocBytes)
	}
	huge := fmt.Sprintf(`{"name":"big","system_prompt":%q,"user_prompt_template":%q}`,
		strings.Repeat("长", workflow.MaxPromptLen), strings.Repeat("文", 3000))
	if code, out := write("POST", "/api/workflows", huge); code != 422 || !strings.Contains(fmt.Sprint(out), "bytes as JSON") {
		t.Errorf("a workflow of %d bytes: %d %v, want 422 naming the size", len(huge), code, out)
	}

	// At most MaxWorkflows exist: creates and clones past it are refused.
	ctx := context.Background()
	now := time.Now().UTC()
	for i := len(ids); i < workflow.MaxWorkflows; i++ {
		id := fmt.Sprintf("wf_fill%04d", i)
		doc := fmt.Sprintf(`{"id":%q,"name":"fill","user_prompt_template":"p","tags":[],"variables":[],"selected_tools":[]}`, id)
		if err := st.PutWorkflow(ctx, market.WorkflowRecord{ID: id, Name: "fill", Category: "custom", Doc: []byte(doc), CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if code, out := write("POST", "/api/workflows", goodWorkflow); code != 409 || !strings.Contains(fmt.Sprint(out), CodeLimitReached) {
		t.Errorf("create past the cap: %d %v, want 409 limit_reached", code, out)
	}
	if code, out := write("POST", "/api/workflows/"+workflow.TemplateValueScreen+"/clone", `{}`); code != 409 {
		t.Errorf("clone past the cap: %d %v, want 409", code, out)
	}
	if code, _ := write("DELETE", "/api/workflows/"+ids[0], ""); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code, out := write("POST", "/api/workflows", goodWorkflow); code != 201 {
		t.Errorf("create after a delete: %d %v", code, out)
	}
	// The five templates stay reachable with a full store.
	getJSON(t, h, fmt.Sprintf("/api/workflows?limit=5&offset=%d", workflow.MaxWorkflows), &page)
	if len(page.Workflows) != len(templates) || !page.Workflows[0].IsTemplate {
		t.Errorf("templates after %d workflows: %+v", workflow.MaxWorkflows, page)
	}
}

// Finding 4: writes need a JSON body, are refused across sites, and a
// server without a token takes writes from its own machine only.
func TestWriteGuards(t *testing.T) {
	st := openSQLite(t)
	withToken := newHandler(t, setup{store: st, token: testToken})
	open := newHandler(t, setup{store: st})
	send := func(h http.Handler, method, path, body string, hdr map[string]string, remote string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if remote != "" {
			req.RemoteAddr = remote
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		code, _, b := do(t, h, req)
		var e apiError
		json.Unmarshal(b, &e)
		return code, e.Error.Code
	}
	auth := "Bearer " + testToken
	cases := []struct {
		name   string
		h      http.Handler
		hdr    map[string]string
		remote string
		status int
		code   string
	}{
		{"text/plain", withToken, map[string]string{"Authorization": auth, "Content-Type": "text/plain"}, "", 415, CodeUnsupportedType},
		{"form", withToken, map[string]string{"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}, "", 415, CodeUnsupportedType},
		{"no content type", withToken, map[string]string{"Authorization": auth}, "", 415, CodeUnsupportedType},
		{"JSON in another charset", withToken, map[string]string{"Authorization": auth, "Content-Type": "application/json; charset=latin1"}, "", 415, CodeUnsupportedType},
		{"JSON", withToken, map[string]string{"Authorization": auth, "Content-Type": "application/json; charset=utf-8"}, "", 201, ""},
		{"cross-site fetch", withToken, map[string]string{"Authorization": auth, "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, "", 403, CodeForbidden},
		{"same-site fetch", withToken, map[string]string{"Authorization": auth, "Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, "", 403, CodeForbidden},
		{"same-origin fetch", withToken, map[string]string{"Authorization": auth, "Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}, "", 201, ""},
		{"foreign Origin", withToken, map[string]string{"Authorization": auth, "Content-Type": "application/json", "Origin": "http://evil.example"}, "", 403, CodeForbidden},
		{"own Origin", withToken, map[string]string{"Authorization": auth, "Content-Type": "application/json", "Origin": "http://example.com"}, "", 201, ""},
		{"cross-site text/plain without token (the attack)", open, map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, "127.0.0.1:5555", 403, CodeForbidden},
		{"no token, from the network", open, map[string]string{"Content-Type": "application/json"}, "192.0.2.1:1234", 403, CodeForbidden},
		{"no token, loopback", open, map[string]string{"Content-Type": "application/json"}, "127.0.0.1:5555", 201, ""},
		{"no token, IPv6 loopback", open, map[string]string{"Content-Type": "application/json"}, "[::1]:5555", 201, ""},
		{"no token, a local proxy for a remote client", open, map[string]string{"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"}, "127.0.0.1:5555", 403, CodeForbidden},
		{"no token, Forwarded for a remote client", open, map[string]string{"Content-Type": "application/json", "Forwarded": `for="[2001:db8::1]:4711"`}, "127.0.0.1:5555", 403, CodeForbidden},
		{"no token, a local proxy for a local client", open, map[string]string{"Content-Type": "application/json", "X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}, "127.0.0.1:5555", 201, ""},
	}
	for _, c := range cases {
		if code, errCode := send(c.h, "POST", "/api/workflows", goodWorkflow, c.hdr, c.remote); code != c.status || errCode != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, errCode, c.status, c.code)
		}
	}
	// A DELETE without a body needs no content type.
	if code, _ := send(withToken, "DELETE", "/api/workflows/wf_none", "", map[string]string{"Authorization": auth}, ""); code != 404 {
		t.Errorf("DELETE without a body: %d, want 404 (it passes the guards)", code)
	}
	// Every write of the route table gets the guards, including routes
	// added later: a text/plain body is refused whatever the route.
	a := &api{}
	for _, rt := range a.routes() {
		method, pattern, ok := strings.Cut(rt.pattern, " ")
		if !ok || safeMethod(method) {
			continue
		}
		p := strings.NewReplacer("{id}", "wf_x", "{code}", "600519.SH").Replace(pattern)
		for _, h := range []http.Handler{withToken, open} {
			if code, errCode := send(h, method, p, "x=1", map[string]string{"Authorization": auth, "Content-Type": "text/plain"}, "127.0.0.1:1"); code != 415 {
				t.Errorf("%s with text/plain: %d %s, want 415", rt.pattern, code, errCode)
			}
			if code, _ := send(h, method, p, "{}", map[string]string{"Authorization": auth, "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, "127.0.0.1:1"); code != 403 {
				t.Errorf("%s cross-site: %d, want 403", rt.pattern, code)
			}
		}
	}
}

// Finding 5: only regular files inside WEB_DIR are served; no dotfiles,
// no links leading out.
func TestStaticFilesStayInside(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "web")
	outside := filepath.Join(base, "outside")
	writeFile(t, dir, "index.html", []byte("<!doctype html><title>stockd</title>"))
	writeFile(t, dir, "assets/app-1.js", []byte("console.log(1)"))
	writeFile(t, dir, ".env", []byte("API_TOKEN=TOPSECRET"))
	writeFile(t, dir, ".git/config", []byte("TOPSECRET"))
	writeFile(t, outside, "secret.txt", []byte("TOPSECRET"))
	for link, target := range map[string]string{
		"leak.txt":             filepath.Join(outside, "secret.txt"),
		"assets/leak.js":       filepath.Join(outside, "secret.txt"),
		"linked":               outside,
		"assets/alias-1.js":    "app-1.js",
		"assets/relative-1.js": "../../outside/secret.txt",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	h := newHandler(t, setup{store: openSQLite(t), webDir: dir})
	for _, p := range []string{"/leak.txt", "/assets/leak.js", "/linked/secret.txt", "/assets/relative-1.js", "/.env", "/.git/config", "/assets/.env"} {
		code, hdr, body := get(t, h, p)
		if strings.Contains(string(body), "TOPSECRET") {
			t.Errorf("%s served a file outside WEB_DIR or a dotfile: %d %s", p, code, body)
		}
		if code == 200 && !strings.Contains(string(body), "<title>stockd</title>") {
			t.Errorf("%s: 200 but not the app shell: %s", p, body)
		}
		if code != 200 && !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d as %q, want JSON", p, code, hdr.Get("Content-Type"))
		}
	}
	for _, p := range []string{"/assets/leak.js", "/.env", "/.git/config"} {
		expectError(t, h, "GET", p, 404, CodeNotFound)
	}
	// A relative link that stays inside the folder is fine.
	if code, _, body := get(t, h, "/assets/alias-1.js"); code != 200 || string(body) != "console.log(1)" {
		t.Errorf("link inside WEB_DIR: %d %s", code, body)
	}
}

// Finding 6: dates outside the exchange era are refused everywhere a date
// is read.
func TestDatesBoundedToTheEra(t *testing.T) {
	h := newHandler(t, setup{store: openSQLite(t)})
	for _, target := range []string{
		"/api/overview/market-stats?date=00010101",
		"/api/overview/hot-stocks?date=0001-01-01",
		"/api/overview/hot-etfs?date=19891231",
		"/api/stock/600519.SH/daily?end=00000101",
		"/api/stock/600519.SH/daily?start=21000101",
		"/api/stock/600519.SH/kline?period=week&start=99991231",
	} {
		expectError(t, h, "GET", target, 400, CodeInvalidDate, "exchange era")
	}
	// The era's own ends are dates like any other (no data: 404, not 400).
	for _, target := range []string{"/api/overview/market-stats?date=19900101", "/api/overview/market-stats?date=2099-12-31"} {
		expectError(t, h, "GET", target, 404, CodeNoData)
	}
}

// Finding 7: every error is the JSON shape, with nosniff, and no
// redirect; no message names a Go type; /health keeps the store's error
// for the token holder.
func TestEveryErrorIsJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "index.html", []byte("<!doctype html><title>stockd</title>"))
	writeFile(t, dir, "assets/app-1.js", []byte("console.log(1)"))
	h := newHandler(t, setup{store: openSQLite(t), webDir: dir, token: testToken, admin: noCache{}})
	type req struct {
		method, target, body string
		hdr                  map[string]string
		status               int
	}
	jsonAuth := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + testToken}
	for _, c := range []req{
		{"GET", "/api/../health", "", nil, 404},
		{"GET", "//api/workflows", "", nil, 404},
		{"GET", "/api//workflows", "", nil, 404},
		{"GET", "/api/./workflows", "", nil, 404},
		{"GET", "/x/../../etc/passwd", "", nil, 404},
		{"GET", "/api/stock/%2e%2e/basic", "", nil, 404},
		{"GET", "/api", "", nil, 404},
		{"GET", "/assets/missing.js", "", nil, 404},
		{"GET", "/assets/app-1.js", "", map[string]string{"Range": "bytes=9999-"}, 416},
		{"POST", "/health", "", nil, 405},
		{"PUT", "/health", "", nil, 405},
		{"DELETE", "/health", "", nil, 405},
		{"POST", "/metrics", "", nil, 405},
		{"POST", "/openapi.json", "", nil, 405},
		{"POST", "/api/cache/invalidate", `{"pattern":"` + strings.Repeat("x", maxBodyBytes) + `"}`, jsonAuth, 413},
		{"POST", "/api/cache/invalidate", `{"pattern":5}`, jsonAuth, 400},
		{"POST", "/api/cache/invalidate", `{"pattern":"a"} {"x":1}`, jsonAuth, 400},
		{"POST", "/api/workflows", `{"name":5,"user_prompt_template":"x"}`, jsonAuth, 422},
		{"POST", "/api/workflows", `[1,2]`, jsonAuth, 422},
		{"POST", "/api/workflows/" + workflow.TemplateValueScreen + "/clone", `{"name":["x"]}`, jsonAuth, 422},
	} {
		r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		for k, v := range c.hdr {
			r.Header.Set(k, v)
		}
		code, hdr, body := do(t, h, r)
		what := c.method + " " + c.target[:min(len(c.target), 60)]
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Details []struct {
					Message string `json:"message"`
				} `json:"details"`
			} `json:"error"`
		}
		if code != c.status || json.Unmarshal(body, &e) != nil || e.Error.Code == "" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %q %.200s; want %d and the JSON error shape", what, code, hdr.Get("Content-Type"), body, c.status)
			continue
		}
		if hdr.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no X-Content-Type-Options: nosniff", what)
		}
		if code == 405 && !strings.Contains(strings.Join(hdr.Values("Allow"), ","), "GET") {
			t.Errorf("%s: 405 with Allow %q", what, hdr.Values("Allow"))
		}
		texts := []string{e.Error.Message}
		for _, d := range e.Error.Details {
			texts = append(texts, d.Message)
		}
		for _, text := range texts {
			for _, leak := range []string{"Go struct", "Go value", "json:", "workflow.", "[]string", "*string"} {
				if strings.Contains(text, leak) {
					t.Errorf("%s: message %q names a Go type (%q)", what, text, leak)
				}
			}
		}
	}
	if code, hdr, _ := get(t, h, "/api/workflows/templates"); code != 200 || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a JSON answer: %d without nosniff", code)
	}
}

// downStore is a store whose Ping fails with an error naming a host.
type downStore struct{ market.Store }

func (downStore) Ping(context.Context) error {
	return errors.New("dial tcp 10.9.8.7:9000: connect: connection refused")
}

// /health tells an anonymous caller that the store is down, not where it
// is; the token holder sees the store's own error.
func TestHealthHidesStoreErrors(t *testing.T) {
	h := newHandler(t, setup{store: downStore{openSQLite(t)}, token: testToken})
	code, got := getHealth(t, h)
	if e := got.Services["sqlite"].Error; code != 503 || e == "" || strings.Contains(e, "10.9.8.7") {
		t.Errorf("anonymous: %d error %q, want 503 without the address", code, e)
	}
	req := httptest.NewRequest("GET", "/health", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	_, _, body := do(t, h, req)
	if !strings.Contains(string(body), "10.9.8.7:9000") {
		t.Errorf("with the token: %s, want the store's own error", body)
	}
}

// Finding 8: a write the store saved answers success, also when the cache
// cannot take the invalidation (here: it is closed, the one case where
// DeletePattern fails).
func TestSavedWriteAnswersSuccess(t *testing.T) {
	st := openSQLite(t)
	addr, password := testenv.Redis(t)
	c, err := cache.New(cache.Options{Prefix: "stockd_harden_test:", RedisAddr: addr, RedisPassword: password, RedisDB: 1, L1Size: 100, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.DeletePattern(context.Background(), "workflow:*"); !errors.Is(err, cache.ErrDropped) {
		t.Fatalf("a closed cache's DeletePattern: %v, want ErrDropped", err)
	}
	srv := workflowServer(t, st, c)
	s, created := call(t, "POST", srv.URL+"/api/workflows", goodWorkflow, true)
	if s != 201 {
		t.Fatalf("create: %d %v, want 201 (the store has it)", s, created)
	}
	id := created["id"].(string)
	if _, err := st.GetWorkflow(context.Background(), id); err != nil {
		t.Fatalf("created workflow not in the store: %v", err)
	}
	if s, out := call(t, "PUT", srv.URL+"/api/workflows/"+id, `{"description":"d"}`, true); s != 200 {
		t.Errorf("update: %d %v", s, out)
	}
	if s, out := call(t, "POST", srv.URL+"/api/workflows/"+id+"/clone", `{}`, true); s != 201 {
		t.Errorf("clone: %d %v", s, out)
	}
	if s, out := call(t, "DELETE", srv.URL+"/api/workflows/"+id, "", true); s != 200 {
		t.Errorf("delete: %d %v", s, out)
	}
}
