package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// testRuns: a run is written when it starts and replaced when it ends; every
// read sees the newest write only (never both versions, whatever the
// engine's merges have done), lists are newest first and paged, and the
// runs still running are found at start-up.
func testRuns(t *testing.T, open func(t *testing.T) market.Store) {
	ctx := context.Background()
	st := open(t)
	t0 := time.Date(2025, 12, 18, 9, 30, 0, 123e6, time.UTC)

	if _, err := st.GetRun(ctx, "run_none"); !errors.Is(err, market.ErrNotFound) {
		t.Errorf("GetRun on an empty store: err = %v, want ErrNotFound", err)
	}
	if rs, n, err := st.ListRuns(ctx, "wf-a", 10, 0); err != nil || len(rs) != 0 || n != 0 {
		t.Errorf("ListRuns on an empty store = %v, %d, %v", rs, n, err)
	}
	if rs, err := st.RunningRuns(ctx); err != nil || len(rs) != 0 {
		t.Errorf("RunningRuns on an empty store = %v, %v", rs, err)
	}

	big := bytes.Repeat([]byte(`{"text":"分析\n\"quoted\"\\ <b>&</b>"},`), 3000)
	running := func(id, wf string, at time.Time) market.RunRecord {
		return market.RunRecord{ID: id, WorkflowID: wf, Status: "running", Model: "deepseek-chat", Instance: "host-1", StartedAt: at,
			Variables: []byte(`{"stock_code":"600519.SH","days":60}`), Doc: []byte(`{"id":"` + id + `","status":"running"}`)}
	}
	r1 := running("run_1", "wf-a", t0)
	r2 := running("run_2", "wf-a", t0.Add(time.Minute))
	r3 := running("run_3", "wf-b", t0.Add(2*time.Minute))
	r4 := running("run_4", "wf-a", t0.Add(time.Minute)) // same start as run_2: ties by id
	r4.Doc = big
	for _, r := range []market.RunRecord{r1, r2, r3, r4} {
		must(t, st.PutRun(ctx, r), "PutRun "+r.ID)
	}
	checkRun(t, st, "GetRun run_4", r4)
	checkRun(t, st, "GetRun run_1", r1)
	listRuns(t, st, "wf-a", 10, 0, 3, "run_4", "run_2", "run_1")
	listRuns(t, st, "wf-a", 2, 1, 3, "run_2", "run_1")
	listRuns(t, st, "wf-a", 2, 3, 3)
	listRuns(t, st, "wf-b", 10, 0, 1, "run_3")
	runningRuns(t, st, "run_1", "run_2", "run_4", "run_3")

	// The end of a run replaces its start.
	done := r1
	done.Status, done.FinishedAt, done.LatencyMs = "succeeded", t0.Add(3*time.Second+450*time.Millisecond), 3450
	done.InputTokens, done.OutputTokens, done.TraceID = 1200, 345, "0af7651916cd43dd8448eb211c80319c"
	done.Doc = []byte(`{"id":"run_1","status":"succeeded","output":"## 结论"}`)
	must(t, st.PutRun(ctx, done), "PutRun run_1 finished")
	failed := r3
	failed.Status, failed.FinishedAt, failed.ErrorCode, failed.Doc = "failed", t0.Add(3*time.Minute), "llm_unavailable", []byte(`{}`)
	must(t, st.PutRun(ctx, failed), "PutRun run_3 failed")
	checkRun(t, st, "GetRun run_1 after its end", done)
	checkRun(t, st, "GetRun run_3 after its end", failed)
	listRuns(t, st, "wf-a", 10, 0, 3, "run_4", "run_2", "run_1")
	listRuns(t, st, "wf-b", 10, 0, 1, "run_3")
	runningRuns(t, st, "run_2", "run_4")
	rs, _, err := st.ListRuns(ctx, "wf-a", 10, 0)
	must(t, err, "ListRuns")
	for _, r := range rs {
		if r.ID == "run_1" {
			want := done
			want.Doc = nil
			if msg := runDiff(r, want); msg != "" {
				t.Errorf("listed run_1: %s", msg)
			}
		}
		if len(r.Doc) != 0 {
			t.Errorf("ListRuns returned the document of %s (%d bytes); lists leave it out", r.ID, len(r.Doc))
		}
	}
	// Rewriting the same end again changes nothing.
	must(t, st.PutRun(ctx, done), "PutRun run_1 again")
	listRuns(t, st, "wf-a", 10, 0, 3, "run_4", "run_2", "run_1")
	if err := st.PutRun(ctx, market.RunRecord{ID: "", WorkflowID: "wf-a", StartedAt: t0}); err == nil {
		t.Error("PutRun without an id succeeded")
	}
}

func checkRun(t *testing.T, st market.Store, label string, want market.RunRecord) {
	t.Helper()
	got, err := st.GetRun(context.Background(), want.ID)
	if err != nil {
		t.Errorf("%s: %v", label, err)
		return
	}
	if msg := runDiff(got, want); msg != "" {
		t.Errorf("%s: %s", label, msg)
	}
}

func runDiff(got, want market.RunRecord) string {
	g, w := got, want
	g.Doc, w.Doc, g.Variables, w.Variables = nil, nil, nil, nil
	if !bytes.Equal(got.Doc, want.Doc) {
		return fmt.Sprintf("doc of %d bytes, want %d: %.80s", len(got.Doc), len(want.Doc), got.Doc)
	}
	if !bytes.Equal(got.Variables, want.Variables) {
		return fmt.Sprintf("variables %s, want %s", got.Variables, want.Variables)
	}
	if !g.StartedAt.Equal(w.StartedAt) || !g.FinishedAt.Equal(w.FinishedAt) {
		return fmt.Sprintf("times %s–%s, want %s–%s", g.StartedAt, g.FinishedAt, w.StartedAt, w.FinishedAt)
	}
	g.StartedAt, w.StartedAt, g.FinishedAt, w.FinishedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		return fmt.Sprintf("\n got %+v\nwant %+v", g, w)
	}
	return ""
}

func listRuns(t *testing.T, st market.Store, wf string, limit, offset, total int, want ...string) {
	t.Helper()
	rs, n, err := st.ListRuns(context.Background(), wf, limit, offset)
	if err != nil {
		t.Errorf("ListRuns(%s, %d, %d): %v", wf, limit, offset, err)
		return
	}
	ids := []string{}
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	if want == nil {
		want = []string{}
	}
	if !equalStrings(ids, want) || n != total {
		t.Errorf("ListRuns(%s, %d, %d) = %v of %d, want %v of %d", wf, limit, offset, ids, n, want, total)
	}
}

func runningRuns(t *testing.T, st market.Store, want ...string) {
	t.Helper()
	rs, err := st.RunningRuns(context.Background())
	if err != nil {
		t.Errorf("RunningRuns: %v", err)
		return
	}
	ids := []string{}
	for _, r := range rs {
		ids = append(ids, r.ID)
		if r.Status != "running" || len(r.Doc) == 0 {
			t.Errorf("RunningRuns: %s has status %q and %d bytes of document", r.ID, r.Status, len(r.Doc))
		}
	}
	if !equalStrings(ids, want) {
		t.Errorf("RunningRuns = %v, want %v", ids, want)
	}
}
