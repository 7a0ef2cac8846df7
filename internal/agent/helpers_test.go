package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
	"github.com/stockdatasource/stockd/internal/workflow"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// toolCalls counts calls per tool and keeps their arguments.
type toolCalls struct {
	mu   sync.Mutex
	args map[string][]string
	n    atomic.Int64
}

func (c *toolCalls) add(name string, args json.RawMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.args == nil {
		c.args = map[string][]string{}
	}
	c.args[name] = append(c.args[name], string(args))
	c.n.Add(1)
}

func (c *toolCalls) of(name string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.args[name]...)
}

// basicJSON is the shape GET /api/stock/{code}/basic answers, with
// 贵州茅台's close of the 2025-12-18 snapshot.
const basicJSON = `{"ts_code":"600519.SH","name":"贵州茅台","industry":"白酒","close":1431,"pct_chg":-0.58,"pe_ttm":20.1}`

// catalogueTools binds the real catalogue's specs (names, descriptions,
// schemas) to fake data functions; get_stock_daily reports a cache hit.
func catalogueTools(calls *toolCalls, override map[string]agent.CallFunc) []agent.Tool {
	var out []agent.Tool
	for _, spec := range workflow.Tools() {
		name := spec.Name
		fn := func(ctx context.Context, args json.RawMessage) ([]byte, bool, error) {
			calls.add(name, args)
			switch name {
			case "get_stock_basic":
				return []byte(basicJSON), false, nil
			case "get_stock_daily":
				return []byte(`{"ts_code":"600519.SH","adjust":"qfq","data":[{"date":"2025-12-18","close":1431}]}`), true, nil
			}
			return []byte(`{"data":[]}`), false, nil
		}
		if f := override[name]; f != nil {
			fn = func(ctx context.Context, args json.RawMessage) ([]byte, bool, error) {
				calls.add(name, args)
				return f(ctx, args)
			}
		}
		out = append(out, agent.NewTool(spec, fn))
	}
	return out
}

func singleStock(t testing.TB) workflow.Workflow {
	for _, w := range workflow.Templates() {
		if w.ID == workflow.TemplateSingleStock {
			return w
		}
	}
	t.Fatal("no single-stock template")
	return workflow.Workflow{}
}

func request(t testing.TB) agent.Request {
	w := singleStock(t)
	return agent.Request{
		Workflow:   w,
		Variables:  map[string]any{"stock_code": "600519.SH", "days": 60.0},
		UserPrompt: strings.ReplaceAll(strings.ReplaceAll(w.UserPromptTemplate, "{{stock_code}}", "600519.SH"), "{{days}}", "60"),
	}
}

func newAgent(t testing.TB, srv *llmtest.Server, calls *toolCalls, mod func(*agent.Config)) *agent.Agent {
	cfg := agent.Config{BaseURL: srv.URL, APIKey: "sk-test", Model: "deepseek-chat", Provider: "deepseek",
		Tools: catalogueTools(calls, nil), Logger: quiet(), MaxRetryDelay: 3 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// eventTypes lists the types of events, merging consecutive deltas of one
// type so the order assertions do not depend on chunking.
func eventTypes(evs []agent.Event) []string {
	var out []string
	for _, e := range evs {
		s := string(e.Type)
		if (e.Type == agent.EventContent || e.Type == agent.EventThinking) && len(out) > 0 && out[len(out)-1] == s+"*" {
			continue
		}
		if e.Type == agent.EventContent || e.Type == agent.EventThinking {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

func sameStrings(a, b []string) bool { return slices.Equal(a, b) }

func mustError(t testing.TB, rec *agent.Record, err error, status agent.Status, code string) *agent.Error {
	t.Helper()
	var e *agent.Error
	if !asError(err, &e) {
		t.Fatalf("err = %v (%T), want *agent.Error %s", err, err, code)
	}
	if rec.Status != status || e.Code != code || rec.Error == nil || rec.Error.Code != code {
		t.Fatalf("status %s, code %s (record error %+v), want %s %s; message: %s", rec.Status, e.Code, rec.Error, status, code, e.Message)
	}
	if rec.FinishedAt == nil {
		t.Fatal("a finished run has no finished_at")
	}
	return e
}

func asError(err error, target **agent.Error) bool { return errors.As(err, target) }

func expectf(t testing.TB, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
}

func workflowTool(name string, params map[string]any) workflow.Tool {
	return workflow.Tool{Name: name, Description: "test tool", Parameters: params}
}
