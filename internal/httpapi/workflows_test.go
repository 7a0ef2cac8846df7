package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/cache"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/clickhouse"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
	"github.com/stockdatasource/stockd/internal/testenv"
	"github.com/stockdatasource/stockd/internal/workflow"
)

const testToken = "wf-test-token"

func workflowServer(t *testing.T, st market.Store, c ...workflow.Cache) *httptest.Server {
	t.Helper()
	var wc workflow.Cache
	if len(c) > 0 {
		wc = c[0]
	}
	srv := httptest.NewServer(newHandler(t, setup{store: st, wfCache: wc, token: testToken}))
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, method, url, body string, auth bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" || method == http.MethodPost || method == http.MethodPut {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+testToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

const goodWorkflow = `{"name":"测试流程","user_prompt_template":"分析 {{code}}","variables":[{"name":"code","type":"stock_code"}],"selected_tools":["get_stock_basic"]}`

// listIDs pages through the user's workflows; with no write in flight the
// pages must add up to the total.
func listIDs(t *testing.T, base string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for offset := 0; ; offset += 100 {
		status, out := call(t, "GET", fmt.Sprintf("%s/api/workflows?include_templates=false&limit=100&offset=%d", base, offset), "", false)
		if status != 200 {
			t.Fatalf("list: %d %v", status, out)
		}
		page := out["workflows"].([]any)
		for _, w := range page {
			ids[w.(map[string]any)["id"].(string)] = true
		}
		if len(page) < 100 {
			if int(out["total"].(float64)) != len(ids) {
				t.Fatalf("total %v != %d", out["total"], len(ids))
			}
			return ids
		}
	}
}

func TestWorkflowLifecycleSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wf.db")
	testWorkflowLifecycle(t, func(t *testing.T) market.Store {
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func TestWorkflowLifecycleClickHouse(t *testing.T) {
	addr, db := testenv.ClickHouseDatabase(t, "stockd_wf_test_")
	testWorkflowLifecycle(t, func(t *testing.T) market.Store {
		st, err := clickhouse.Open(context.Background(), clickhouse.Options{Addr: addr, Database: db})
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// testWorkflowLifecycle runs the whole API on a store, then restarts: open
// must open the same store every time it is called.
func testWorkflowLifecycle(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	srv := workflowServer(t, st)

	if s, out := call(t, "POST", srv.URL+"/api/workflows", goodWorkflow, false); s != 401 {
		t.Fatalf("write without token: %d %v", s, out)
	}
	s, created := call(t, "POST", srv.URL+"/api/workflows", goodWorkflow, true)
	if s != 201 {
		t.Fatalf("create: %d %v", s, created)
	}
	id := created["id"].(string)
	if !listIDs(t, srv.URL)[id] {
		t.Fatal("created workflow missing from the next list")
	}
	if s, out := call(t, "PUT", srv.URL+"/api/workflows/"+id, `{"description":"改过"}`, true); s != 200 || out["description"] != "改过" || out["name"] != "测试流程" {
		t.Fatalf("partial update: %d %v", s, out)
	}
	if s, out := call(t, "GET", srv.URL+"/api/workflows/"+id, "", false); s != 200 || out["description"] != "改过" {
		t.Fatalf("get after update: %d %v", s, out)
	}
	// Invalid input is refused with the field named, and nothing is stored.
	before := listIDs(t, srv.URL)
	s, bad := call(t, "POST", srv.URL+"/api/workflows", `{"name":"x","user_prompt_template":"{{nope}}"}`, true)
	if s != 422 || !strings.Contains(fmt.Sprint(bad["error"]), "placeholder {{nope}} is not a declared variable") {
		t.Fatalf("invalid create: %d %v", s, bad)
	}
	if s, _ := call(t, "POST", srv.URL+"/api/workflows", strings.Repeat(" ", 300<<10)+"{}", true); s != 413 {
		t.Fatalf("oversized body: %d", s)
	}
	if len(listIDs(t, srv.URL)) != len(before) {
		t.Fatal("an invalid workflow was stored")
	}
	// Templates are read-only; unknown ids are 404.
	if s, _ := call(t, "DELETE", srv.URL+"/api/workflows/"+workflow.TemplateSectorScan, "", true); s != 409 {
		t.Fatalf("delete template: %d", s)
	}
	if s, _ := call(t, "PUT", srv.URL+"/api/workflows/"+workflow.TemplateValueScreen, `{"name":"x"}`, true); s != 409 {
		t.Fatalf("update template: %d", s)
	}
	if s, _ := call(t, "GET", srv.URL+"/api/workflows/wf_nope", "", false); s != 404 {
		t.Fatalf("unknown id: %d", s)
	}
	s, clone := call(t, "POST", srv.URL+"/api/workflows/"+workflow.TemplateValueScreen+"/clone", `{"name":"我的价值筛选"}`, true)
	if s != 201 || clone["is_template"] != false || clone["name"] != "我的价值筛选" {
		t.Fatalf("clone: %d %v", s, clone)
	}
	s, all := call(t, "GET", srv.URL+"/api/workflows?include_templates=true", "", false)
	if s != 200 || int(all["total"].(float64)) != 2+len(workflow.Templates()) {
		t.Fatalf("list with templates: %d %v", s, all["total"])
	}
	if s, out := call(t, "GET", srv.URL+"/api/workflows/tools", "", false); s != 200 || len(out["tools"].([]any)) != len(workflow.Tools()) {
		t.Fatalf("tools: %d", s)
	}

	// A restart (the store closed and opened again, a new server) loses
	// nothing.
	srv.Close()
	st.Close()
	st2 := open(t)
	defer st2.Close()
	srv2 := workflowServer(t, st2)
	ids := listIDs(t, srv2.URL)
	if !ids[id] || !ids[clone["id"].(string)] {
		t.Fatalf("after restart: %v", ids)
	}
	if s, _ := call(t, "DELETE", srv2.URL+"/api/workflows/"+id, "", true); s != 200 {
		t.Fatalf("delete: %d", s)
	}
	if listIDs(t, srv2.URL)[id] {
		t.Fatal("deleted workflow still listed")
	}
	if s, _ := call(t, "DELETE", srv2.URL+"/api/workflows/"+id, "", true); s != 404 {
		t.Fatalf("second delete: %d", s)
	}
}

// 50 concurrent creates and deletes leave a list that matches the store.
func TestWorkflowConcurrentWritesSQLite(t *testing.T) {
	st := openSQLite(t)
	concurrentWrites(t, st)
}

func TestWorkflowConcurrentWritesClickHouse(t *testing.T) {
	st := openClickHouse(t)
	concurrentWrites(t, st)
}

func concurrentWrites(t *testing.T, st market.Store) {
	srv := workflowServer(t, st, replicaCache(t, "conc"))
	var (
		mu   sync.Mutex
		kept = map[string]bool{}
		wg   sync.WaitGroup
	)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, out := call(t, "POST", srv.URL+"/api/workflows", goodWorkflow, true)
			if s != 201 {
				t.Errorf("create %d: %d %v", i, s, out)
				return
			}
			id := out["id"].(string)
			// Reads racing the writes fill the cache (a page and its
			// total may then disagree: writes land between them).
			if s, _ := call(t, "GET", srv.URL+"/api/workflows?include_templates=false", "", false); s != 200 {
				t.Errorf("list while writing: %d", s)
			}
			if i%2 == 0 {
				if s, _ := call(t, "DELETE", srv.URL+"/api/workflows/"+id, "", true); s != 200 {
					t.Errorf("delete %s: %d", id, s)
				}
				return
			}
			mu.Lock()
			kept[id] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	got := listIDs(t, srv.URL)
	recs, err := st.ListWorkflows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(kept) || len(recs) != len(kept) {
		t.Fatalf("list %d, store %d, want %d", len(got), len(recs), len(kept))
	}
	for id := range kept {
		if !got[id] {
			t.Errorf("%s missing from the list", id)
		}
	}
}

// replicaCache is a two-tier cache on the test Redis; caches made with the
// same name share their keys, like replicas of one deployment.
func replicaCache(t *testing.T, name string) *cache.Cache {
	t.Helper()
	addr, password := testenv.Redis(t)
	prefix := "stockd_wf_test_" + name + "_" + t.Name() + ":"
	c, err := cache.New(cache.Options{Prefix: prefix, RedisAddr: addr, RedisPassword: password, RedisDB: 1, L1Size: 1000, L1TTL: time.Minute, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.DeletePattern(context.Background(), "*")
		c.Close()
	})
	return c
}

// Two replicas on one store and one Redis: a write through one is seen by
// the other's next list, although both keep lists in their in-process tier.
func TestWorkflowInvalidationAcrossReplicas(t *testing.T) {
	st := openSQLite(t)
	ca, cb := replicaCache(t, "shared"), replicaCache(t, "shared")
	listening(t, ca, cb)
	listening(t, cb, ca)
	a := workflowServer(t, st, ca)
	b := workflowServer(t, st, cb)
	listIDs(t, a.URL) // warm both tiers on both replicas
	listIDs(t, b.URL)
	_, created := call(t, "POST", a.URL+"/api/workflows", goodWorkflow, true)
	id := created["id"].(string)
	waitFor(t, func() bool { return listIDs(t, b.URL)[id] })
	if s, _ := call(t, "DELETE", b.URL+"/api/workflows/"+id, "", true); s != 200 {
		t.Fatalf("delete via b: %d", s)
	}
	waitFor(t, func() bool { return !listIDs(t, a.URL)[id] })
}

// listening waits until to hears the invalidations from publishes: a new
// cache subscribes in the background, and a message sent before that
// would be lost (the test would then see the L1 TTL, not the channel).
func listening(t *testing.T, from, to *cache.Cache) {
	t.Helper()
	ctx := context.Background()
	for range 500 {
		to.Set(ctx, "probe", []byte("x"), time.Minute)
		from.DeletePattern(ctx, "probe")
		if _, ok := to.Get(ctx, "probe"); !ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the replica's invalidation channel never came up")
}

// waitFor allows the pub/sub message to cross replicas (sub-millisecond on
// loopback); it fails long before any TTL could hide a missed invalidation.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for i := 0; i < 50; i++ {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the other replica still serves the stale list after 500 ms (L1 TTL is 1 minute)")
}
