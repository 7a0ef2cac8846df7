package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
	"github.com/stockdatasource/stockd/internal/tracing/langfusetest"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// serve wired from the configuration: OPENAI_* reach the model, LANGFUSE_*
// the trace endpoint; a run left running by the previous server is marked
// failed at start; a run through the served API streams, is stored, is
// traced and counted in /metrics.
func TestServeRunsWorkflows(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "stock.db")
	host, _ := os.Hostname()

	// The previous server's run, cut short by a crash.
	st, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(agent.Record{ID: "run_00000000000000aa", WorkflowID: workflow.TemplateSectorScan, Status: agent.StatusRunning,
		Model: "m", Rounds: []agent.Round{}, Variables: map[string]any{}, StartedAt: time.Now().UTC()})
	if err := st.PutRun(context.Background(), market.RunRecord{ID: "run_00000000000000aa", WorkflowID: workflow.TemplateSectorScan,
		Status: "running", Instance: host, StartedAt: time.Now().UTC(), Doc: doc}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	model := llmtest.New(t, llmtest.Turn{
		Expect: func(tb testing.TB, r *llmtest.Request) {
			if r.Header.Get("Authorization") != "Bearer sk-serve" || r.Model != "qwen-plus" || r.MaxTokens != 1000 {
				tb.Errorf("model request: auth %q model %q max_tokens %d", r.Header.Get("Authorization"), r.Model, r.MaxTokens)
			}
		},
		Content: []string{"市场", "扫描"}, Usage: llmtest.Usage{Prompt: 50, Completion: 2},
	})
	lf := langfusetest.New(t, "pk-lf-serve", "sk-lf-serve")
	port := freePort(t)
	cfg := serveConfig(t, map[string]string{
		"SQLITE_PATH": dbPath, "HTTP_ADDR": "127.0.0.1:" + strconv.Itoa(port), "SHUTDOWN_TIMEOUT": "5s",
		"OPENAI_BASE_URL": model.URL, "OPENAI_API_KEY": "sk-serve", "OPENAI_MODEL": "qwen-plus", "OPENAI_PROVIDER": "dashscope",
		"AGENT_MAX_OUTPUT_TOKENS": "1000",
		"LANGFUSE_HOST":           lf.URL, "LANGFUSE_PUBLIC_KEY": "pk-lf-serve", "LANGFUSE_SECRET_KEY": "sk-lf-serve",
		"LANGFUSE_PUBLIC_URL": "http://localhost:3000",
	})
	a := app{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, nil) }()
	waitHealthy(t, a, done)
	base := "http://" + cfg.HTTPAddr

	get := func(path string) string {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if old := get("/api/runs/run_00000000000000aa"); !strings.Contains(old, `"status":"failed"`) || !strings.Contains(old, `"code":"interrupted"`) {
		t.Errorf("the interrupted run was not marked: %s", old)
	}

	resp, err := http.Post(base+"/api/workflows/"+workflow.TemplateSectorScan+"/run", "application/json", strings.NewReader(`{"variables":{"top_n":10}}`))
	if err != nil {
		t.Fatal(err)
	}
	stream, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(stream), "event: done") || !strings.Contains(string(stream), `"text":"扫描"`) {
		t.Fatalf("run: %d %s", resp.StatusCode, stream)
	}
	var start agent.RunStart
	for _, line := range strings.Split(string(stream), "\n") {
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, `"run_id"`) {
			json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &start)
			break
		}
	}
	if start.TraceURL != "http://localhost:3000/trace/"+start.TraceID || start.Model != "qwen-plus" {
		t.Errorf("run event %+v", start)
	}
	if run := get("/api/runs/" + start.RunID); !strings.Contains(run, `"status":"succeeded"`) || !strings.Contains(run, `"output":"市场扫描"`) {
		t.Errorf("stored run: %s", run)
	}
	spans := lf.WaitSpans(2, 10*time.Second, func(s langfusetest.Span) bool { return s.TraceID == start.TraceID })
	if len(spans) != 2 {
		t.Errorf("%d spans of the run arrived at Langfuse, want 2 (root and model call)", len(spans))
	}
	for _, s := range spans {
		if s.Name == "chat qwen-plus" && s.Str("gen_ai.provider.name") != "dashscope" {
			t.Errorf("model span attributes %v", s.Attrs)
		}
	}
	metrics := get("/metrics")
	for _, want := range []string{`stockd_workflow_runs_total{status="succeeded"} 1`, "stockd_trace_enabled 1", `stockd_workflow_run_tokens_total{kind="input"} 50`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// Without OPENAI_MODEL the server starts, says runs are off with 503
// llm_not_configured, and serves the rest.
func TestServeWithoutModel(t *testing.T) {
	port := freePort(t)
	cfg := serveConfig(t, map[string]string{"SQLITE_PATH": filepath.Join(t.TempDir(), "stock.db"), "HTTP_ADDR": "127.0.0.1:" + strconv.Itoa(port)})
	a := app{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, nil) }()
	waitHealthy(t, a, done)
	resp, err := http.Post("http://"+cfg.HTTPAddr+"/api/workflows/"+workflow.TemplateSectorScan+"/run", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), `"llm_not_configured"`) || !strings.Contains(string(b), "OPENAI_MODEL") {
		t.Errorf("run without a model: %d %s", resp.StatusCode, b)
	}
	cancel()
	<-done
}

func waitHealthy(t *testing.T, a app, done chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for a.healthcheck(context.Background(), nil) != nil {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("healthcheck never passed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
