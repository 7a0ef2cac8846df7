package runs_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
	"github.com/stockdatasource/stockd/internal/runs"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
	"github.com/stockdatasource/stockd/internal/workflow"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func runningRow(t *testing.T, id, instance string, started time.Time) market.RunRecord {
	t.Helper()
	rec := agent.Record{ID: id, WorkflowID: "wf-a", Status: agent.StatusRunning, Model: "m", Rounds: []agent.Round{},
		Variables: map[string]any{"stock_code": "600519.SH"}, StartedAt: started}
	doc, _ := json.Marshal(rec)
	return market.RunRecord{ID: id, WorkflowID: "wf-a", Status: "running", Model: "m", Instance: instance, StartedAt: started,
		Variables: []byte(`{"stock_code":"600519.SH"}`), Doc: doc}
}

// At start-up the runs a stopped server left running end failed with code
// interrupted: this instance's own at once, another instance's only once
// no live run could still be going (older than the run timeout).
func TestMarkInterrupted(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, r := range []market.RunRecord{
		runningRow(t, "run_own", "host-a", now.Add(-time.Second)),
		runningRow(t, "run_other_young", "host-b", now.Add(-time.Minute)),
		runningRow(t, "run_other_old", "host-b", now.Add(-agent.DefaultRunTimeout-2*time.Minute)),
		{ID: "run_corrupt", WorkflowID: "wf-a", Status: "running", Instance: "host-a", StartedAt: now, Doc: []byte("{broken")},
	} {
		if err := st.PutRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	s := runs.New(runs.Options{Workflows: workflow.NewService(st, nil, 0), Store: st, Instance: "host-a"})
	n, err := s.MarkInterrupted(ctx)
	if err != nil || n != 3 {
		t.Fatalf("marked %d, %v; want 3", n, err)
	}
	left, _ := st.RunningRuns(ctx)
	if len(left) != 1 || left[0].ID != "run_other_young" {
		t.Errorf("still running: %+v", left)
	}
	for _, id := range []string{"run_own", "run_other_old", "run_corrupt"} {
		v, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if v.Status != agent.StatusFailed || v.Error == nil || v.Error.Code != runs.CodeInterrupted || v.FinishedAt == nil || v.WorkflowID != "wf-a" {
			t.Errorf("%s after marking: %+v", id, v.Record)
		}
		row, _ := st.GetRun(ctx, id)
		if row.Status != "failed" || row.ErrorCode != runs.CodeInterrupted || row.FinishedAt.IsZero() {
			t.Errorf("%s row: %+v", id, row)
		}
	}
	if v, _ := s.Get(ctx, "run_own"); v.Variables["stock_code"] != "600519.SH" {
		t.Errorf("the record lost its variables: %+v", v.Record)
	}
	if row, _ := st.GetRun(ctx, "run_other_old"); row.Instance != "host-b" {
		t.Errorf("the marked run changed hands: %q", row.Instance)
	}
	// Nothing left to mark: a second start changes nothing.
	if n, err := s.MarkInterrupted(ctx); err != nil || n != 0 {
		t.Errorf("second pass marked %d, %v", n, err)
	}
}

// Without a model, runs and generation are refused with ErrNotConfigured
// and the history still reads.
func TestNotConfigured(t *testing.T) {
	st := openStore(t)
	s := runs.New(runs.Options{Workflows: workflow.NewService(st, nil, 0), Store: st})
	if _, err := s.Prepare(context.Background(), workflow.TemplateSingleStock, nil); err != runs.ErrNotConfigured {
		t.Errorf("Prepare: %v", err)
	}
	if _, err := s.Generate(context.Background(), "x"); err != runs.ErrNotConfigured {
		t.Errorf("Generate: %v", err)
	}
	for _, v := range []string{"OPENAI_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY"} {
		if !strings.Contains(runs.ErrNotConfigured.Error(), v) {
			t.Errorf("the error does not name %s", v)
		}
	}
	if l, err := s.List(context.Background(), workflow.TemplateSingleStock, 10, 0); err != nil || l.Total != 0 || l.Runs == nil {
		t.Errorf("List: %+v %v", l, err)
	}
}

// The tools and the questions must match one to one.
func TestToolsBindEveryCatalogueEntry(t *testing.T) {
	q := query.New(openStore(t), nil, query.TTLs{})
	tools, err := runs.Tools(workflow.Tools(), q.Tools(), nil)
	if err != nil || len(tools) != len(workflow.Tools()) {
		t.Fatalf("%d tools, %v", len(tools), err)
	}
	funcs := q.Tools()
	delete(funcs, "get_stock_basic")
	if _, err := runs.Tools(workflow.Tools(), funcs, nil); err == nil || !strings.Contains(err.Error(), "get_stock_basic") {
		t.Errorf("a tool without a question: %v", err)
	}
	funcs = q.Tools()
	funcs["get_moon_phase"] = funcs["get_market_stats"]
	if _, err := runs.Tools(workflow.Tools(), funcs, nil); err == nil || !strings.Contains(err.Error(), "get_moon_phase") {
		t.Errorf("a question without a tool: %v", err)
	}
}
