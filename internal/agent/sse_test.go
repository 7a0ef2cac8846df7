package agent_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
)

// sseEvent is one parsed text/event-stream event.
type sseEvent struct {
	name string
	data string
}

// readSSE parses a stream the way EventSource does, counting comments.
func readSSE(t testing.TB, resp *http.Response) (events []sseEvent, comments int) {
	sc := bufio.NewScanner(resp.Body)
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name != "" || cur.data != "" {
				events = append(events, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"):
			comments++
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if cur.data != "" {
				t.Errorf("event %s has several data lines", cur.name)
			}
			cur.data += strings.TrimPrefix(line, "data: ")
		default:
			t.Errorf("unexpected SSE line %q", line)
		}
	}
	return events, comments
}

// runHandler is the shape the HTTP handler will have: an SSEWriter as the
// sink of a run bound to the request's context.
func runHandler(a *agent.Agent, req agent.Request, heartbeat time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sse := agent.NewSSEWriter(w, heartbeat)
		defer sse.Close()
		a.Run(r.Context(), req, sse)
	}
}

// Over real HTTP: headers, one event per model delta in wire order, valid
// JSON payloads, heartbeat comments while the model is slow, and the final
// record in done.
func TestSSEOverHTTP(t *testing.T) {
	srv := llmtest.New(t, append(twoRoundScript(t)[:1], llmtest.Turn{
		Content: []string{"慢", "慢", "来"}, Delay: 60 * time.Millisecond, Usage: llmtest.Usage{Prompt: 5, Completion: 3},
	})...)
	a := newAgent(t, srv, &toolCalls{}, nil)
	api := httptest.NewServer(runHandler(a, request(t), 20*time.Millisecond))
	defer api.Close()

	resp, err := http.Post(api.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" || resp.Header.Get("X-Accel-Buffering") != "no" ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "no-cache") {
		t.Errorf("headers %v", resp.Header)
	}
	events, comments := readSSE(t, resp)
	var names []string
	for _, e := range events {
		names = append(names, e.name)
		if !json.Valid([]byte(e.data)) {
			t.Errorf("event %s data is not JSON: %s", e.name, e.data)
		}
	}
	want := "run thinking thinking usage tool_call tool_call tool_result tool_result content content content usage done"
	if strings.Join(names, " ") != want {
		t.Errorf("events\n got %s\nwant %s", strings.Join(names, " "), want)
	}
	// The model took 4×60 ms for round 2; a ping goes every 20 ms.
	if comments < 3 {
		t.Errorf("%d comment lines (open + heartbeats), want several", comments)
	}
	var rec agent.Record
	if err := json.Unmarshal([]byte(events[len(events)-1].data), &rec); err != nil || rec.Status != agent.StatusSucceeded || rec.Output != "慢慢来" {
		t.Errorf("done event: %v %+v", err, rec)
	}
	var d agent.Delta
	json.Unmarshal([]byte(events[8].data), &d)
	if d.Round != 2 || d.Text != "慢" {
		t.Errorf("content event %s", events[8].data)
	}
}

// The browser closing the stream cancels the run and the model call.
func TestSSEClientLeaves(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Content: []string{"第一句"}, Hang: true})
	a := newAgent(t, srv, &toolCalls{}, nil)
	done := make(chan *agent.Record, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sse := agent.NewSSEWriter(w, time.Second)
		defer sse.Close()
		rec, _ := a.Run(r.Context(), request(t), sse)
		done <- rec
	}))
	defer api.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, api.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "event: content") {
	}
	cancel()
	resp.Body.Close()
	select {
	case rec := <-done:
		if rec.Status != agent.StatusCanceled {
			t.Errorf("status %s", rec.Status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run went on after the client left")
	}
	if _, ok := srv.WaitClosed(0, 5*time.Second); !ok {
		t.Error("the model connection stayed open")
	}
}

// 50 runs at once, each with a tool round; afterwards, once idle
// connections are closed, no goroutine is left.
func TestConcurrentRunsLeaveNoGoroutines(t *testing.T) {
	srv := llmtest.NewScript(t, func(r *llmtest.Request) llmtest.Turn {
		if len(r.ToolResults()) == 0 {
			return llmtest.Turn{Calls: []llmtest.Call{{Name: "get_stock_basic", Args: `{"code":"600519.SH"}`}}, Usage: llmtest.Usage{Prompt: 10, Completion: 5}}
		}
		return llmtest.Turn{Content: []string{"贵州茅台收盘 ", "1431"}, Usage: llmtest.Usage{Prompt: 20, Completion: 4}}
	})
	calls := &toolCalls{}
	a := newAgent(t, srv, calls, nil)
	before := runtime.NumGoroutine()

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, err := a.Run(context.Background(), request(t), &agent.Collector{})
			if err == nil && (rec.Output != "贵州茅台收盘 1431" || rec.Usage.TotalTokens != 39) {
				t.Errorf("run output %q usage %+v", rec.Output, rec.Usage)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := calls.n.Load(); got != n {
		t.Errorf("%d tool calls, want %d", got, n)
	}
	a.Close()
	srv.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	if a.Active() != 0 {
		t.Errorf("%d runs still registered", a.Active())
	}
}
