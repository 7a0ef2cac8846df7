package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
	"github.com/stockdatasource/stockd/internal/cache"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
	"github.com/stockdatasource/stockd/internal/runs"
	"github.com/stockdatasource/stockd/internal/tracing"
	"github.com/stockdatasource/stockd/internal/tracing/langfusetest"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// runEnv is the API as serve wires it, with an agent talking to a fake
// model and, when asked, tracing to a fake Langfuse.
type runEnv struct {
	url    string
	model  *llmtest.Server
	lf     *langfusetest.Receiver // nil without tracing
	tracer *tracing.Tracer
	runs   *runs.Service
	q      *query.Queries
	reg    *prometheus.Registry
}

type runEnvOptions struct {
	raw           bool // no contract checks (they buffer the answer: no streaming)
	trace         bool
	maxConcurrent int
	agent         func(*agent.Config)
}

// newRunEnv serves the API; a nil model leaves the agent's transport to
// o.agent.
func newRunEnv(t testing.TB, st market.Store, model *llmtest.Server, o runEnvOptions) *runEnv {
	t.Helper()
	e := &runEnv{model: model, reg: prometheus.NewRegistry()}
	c, err := cache.New(cache.Options{L1Size: 10000, Logger: quietLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e.tracer, _ = tracing.New(tracing.Config{})
	if o.trace {
		e.lf = langfusetest.New(t, "pk-lf-test", "sk-lf-test")
		e.tracer, err = tracing.New(tracing.Config{Host: e.lf.URL, PublicKey: "pk-lf-test", SecretKey: "sk-lf-test",
			PublicURL: "http://langfuse.example:3000", BatchTimeout: 50 * time.Millisecond, Logger: quietLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.tracer.Shutdown(context.Background()) })
	}
	s := setup{store: st, cache: c, registry: e.reg, runs: func(q *query.Queries, wf *workflow.Service) Runs {
		e.q = q
		tools, err := runs.Tools(workflow.Tools(), q.Tools(), quietLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		base := "http://model.invalid/v1"
		if model != nil {
			base = model.URL
		}
		cfg := agent.Config{BaseURL: base, APIKey: "sk-test", Model: "deepseek-chat", Provider: "deepseek", Tools: tools,
			Tracer: e.tracer.Tracer(), TraceURL: e.tracer.TraceURL, Logger: quietLogger(t), MaxRetryDelay: time.Second}
		if o.agent != nil {
			o.agent(&cfg)
		}
		a, err := agent.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
		e.runs = runs.New(runs.Options{Agent: a, Workflows: wf, Store: st, KnownCode: q.KnownCode, MaxConcurrent: o.maxConcurrent,
			TraceURL: e.tracer.TraceURL, Metrics: runs.NewMetrics(e.reg), Logger: quietLogger(t)})
		return e.runs
	}}
	h := newRawHandler(t, s)
	if !o.raw {
		h = checked(t, h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// post sends a JSON body and returns the answer, read whole.
func post(t *testing.T, url, body string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func getURL(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// sseEvent is one event of a run stream.
type sseEvent struct {
	name string
	data json.RawMessage
}

// readEvents parses a whole stream; each event must be one data line of
// valid JSON.
func readEvents(t *testing.T, body []byte) []sseEvent {
	t.Helper()
	var out []sseEvent
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = json.RawMessage(strings.TrimPrefix(line, "data: "))
			if !json.Valid(cur.data) {
				t.Errorf("event %s: data is not JSON: %s", cur.name, cur.data)
			}
		case line == "" && cur.name != "":
			out = append(out, cur)
			cur = sseEvent{}
		}
	}
	return out
}

// eventNames lists the events, consecutive deltas of one kind merged into
// one "content*" or "thinking*".
func eventNames(evs []sseEvent) string {
	var out []string
	for _, e := range evs {
		n := e.name
		if n == "content" || n == "thinking" {
			n += "*"
			if len(out) > 0 && out[len(out)-1] == n {
				continue
			}
		}
		out = append(out, n)
	}
	return strings.Join(out, " ")
}

func find(evs []sseEvent, name string) []json.RawMessage {
	var out []json.RawMessage
	for _, e := range evs {
		if e.name == name {
			out = append(out, e.data)
		}
	}
	return out
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T from %.300s: %v", v, b, err)
	}
	return v
}

// apiRun is the run document as the API answers it.
type apiRun struct {
	ID         string         `json:"id"`
	WorkflowID string         `json:"workflow_id"`
	Status     string         `json:"status"`
	Model      string         `json:"model"`
	Variables  map[string]any `json:"variables"`
	Output     string         `json:"output"`
	Usage      agent.Usage    `json:"usage"`
	TraceID    string         `json:"trace_id"`
	TraceURL   string         `json:"trace_url"`
	FinishedAt *time.Time     `json:"finished_at"`
	Error      *struct {
		Code, Message string
	} `json:"error"`
	Rounds []struct {
		ToolCalls []struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
			OK        bool            `json:"ok"`
			Error     string          `json:"error"`
			Cached    bool            `json:"cached"`
		} `json:"tool_calls"`
	} `json:"rounds"`
}

type apiRunList struct {
	Runs []struct {
		ID        string         `json:"id"`
		Status    string         `json:"status"`
		Variables map[string]any `json:"variables"`
		Usage     agent.Usage    `json:"usage"`
		TraceURL  string         `json:"trace_url"`
		ErrorCode string         `json:"error_code"`
	} `json:"runs"`
	Total int `json:"total"`
}

type apiErr struct {
	Error struct {
		Code    string       `json:"code"`
		Message string       `json:"message"`
		Details []FieldError `json:"details"`
	} `json:"error"`
}
