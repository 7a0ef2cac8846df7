package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// call sends one request and returns the status, the X-Cache header and
// the decoded JSON object of the answer.
func call(t *testing.T, method, url, contentType, body string) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	c := http.Client{Timeout: 15 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: status %d, not a JSON object: %.200s", method, url, resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header.Get("X-Cache"), out
}

// TestWriteThroughNginxReachesEveryReplica: a workflow written through
// nginx (the write guards let a loopback client through the proxy, and
// refuse a body not declared JSON) is read back changed from every replica
// at once after the write answered: the writer deleted the shared copy in
// Redis (Cluster mode: on the master of the key's slot) before it
// answered. A fourth replica outside the upstream, with an in-process tier
// that keeps copies a minute, drops its copy when the writer's
// invalidation message arrives over pub/sub — long before its own TTL.
func TestWriteThroughNginxReachesEveryReplica(t *testing.T) {
	s := upStack(t, "cluster")
	// A fourth replica with its in-process tier on and a long TTL.
	if out, err := s.run("start-backend", "4", "CACHE_L1_SIZE=10000", "CACHE_L1_TTL=60s"); err != nil {
		t.Fatalf("start-backend 4: %v\n%s", err, out)
	}
	defer func() {
		if out, err := s.run("kill-backend", "4"); err != nil {
			t.Errorf("kill-backend 4: %v\n%s", err, out)
		}
	}()
	u, err := url.Parse(s.backendURLs()[0]) // replica 1 listens on BASE+1, the fourth on BASE+4
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	fourth := fmt.Sprintf("http://%s:%d", u.Hostname(), port+3)
	readers := append(s.backendURLs(), fourth)

	const body = `{"name":"集群流程","description":"v1","user_prompt_template":"分析 {{code}}","variables":[{"name":"code","type":"stock_code"}],"selected_tools":["get_stock_basic"]}`
	if status, _, out := call(t, "POST", s.url()+"/api/workflows", "text/plain", body); status != http.StatusUnsupportedMediaType {
		t.Fatalf("POST with text/plain through nginx: %d %v, want 415", status, out)
	}
	status, _, created := call(t, "POST", s.url()+"/api/workflows", "application/json", body)
	if status != http.StatusCreated {
		t.Fatalf("POST through nginx: %d %v", status, created)
	}
	id, _ := created["id"].(string)
	if id == "" {
		t.Fatalf("created workflow without id: %v", created)
	}
	defer call(t, "DELETE", s.url()+"/api/workflows/"+id, "application/json", "")

	// Every replica reads v1; the fourth twice, the second time from its own tier.
	for _, r := range readers {
		if status, _, wf := call(t, "GET", r+"/api/workflows/"+id, "", ""); status != 200 || wf["description"] != "v1" {
			t.Fatalf("%s reads %d %v, want v1", r, status, wf)
		}
	}

	for v := 2; v <= 4; v++ {
		// The fourth holds the previous version in its own tier: a read
		// now is an in-process hit (no one else asks that replica).
		before := l1Hits(t, fourth)
		if _, _, wf := call(t, "GET", fourth+"/api/workflows/"+id, "", ""); wf["description"] != fmt.Sprintf("v%d", v-1) {
			t.Fatalf("the fourth replica reads %v before the PUT, want v%d", wf["description"], v-1)
		}
		if after := l1Hits(t, fourth); after != before+1 {
			t.Fatalf("the fourth replica's in-process hits went %v → %v on a read: its tier does not hold the workflow", before, after)
		}
		want := fmt.Sprintf("v%d", v)
		status, _, out := call(t, "PUT", s.url()+"/api/workflows/"+id, "application/json", `{"description":"`+want+`"}`)
		if status != 200 || out["description"] != want {
			t.Fatalf("PUT %s through nginx: %d %v", want, status, out)
		}
		// The replicas without an in-process tier: at once.
		for _, r := range s.backendURLs() {
			if status, _, wf := call(t, "GET", r+"/api/workflows/"+id, "", ""); status != 200 || wf["description"] != want {
				t.Errorf("%s reads %v right after the PUT answered, want %s", r, wf["description"], want)
			}
		}
		// The fourth: when the message arrived, well within its copy's 60 s.
		took := eventually(t, 15*time.Second, "the fourth replica drops its copy", func() bool {
			_, _, wf := call(t, "GET", fourth+"/api/workflows/"+id, "", "")
			return wf["description"] == want
		})
		t.Logf("%s: the fourth replica (in-process TTL 60 s) served it %s after the PUT answered", want, took.Round(time.Millisecond))
	}
}

// l1Hits is a replica's count of lookups its in-process tier answered.
func l1Hits(t *testing.T, base string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, `stockd_cache_hits_total{tier="l1"} `); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s/metrics: %q", base, line)
			}
			return f
		}
	}
	t.Fatalf("%s/metrics has no stockd_cache_hits_total{tier=\"l1\"}", base)
	return 0
}
