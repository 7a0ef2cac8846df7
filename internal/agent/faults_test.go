package agent_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
)

var answer = llmtest.Turn{Content: []string{"好的。"}, Usage: llmtest.Usage{Prompt: 10, Completion: 2}}

// 429 with Retry-After: 1 — the agent waits the second out (the gap is a
// lower bound, which a busy machine cannot break) and the run succeeds.
func TestRateLimitHonoursRetryAfter(t *testing.T) {
	srv := llmtest.New(t,
		llmtest.Turn{Status: 429, ErrorMessage: "Rate limit reached for requests", Header: llmtest.RetryAfter(1)},
		answer)
	a := newAgent(t, srv, &toolCalls{}, nil)
	rec, err := a.Run(context.Background(), request(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	gap := reqs[1].At.Sub(reqs[0].At)
	if gap < 950*time.Millisecond {
		t.Errorf("retried after %v, Retry-After said 1s", gap)
	}
	if rec.Rounds[0].Attempts != 2 || reqs[1].Header.Get("X-Stainless-Retry-Count") != "1" {
		t.Errorf("attempts %d, retry header %q", rec.Rounds[0].Attempts, reqs[1].Header.Get("X-Stainless-Retry-Count"))
	}
	t.Logf("Retry-After 1 → retried after %v", gap.Round(time.Millisecond))
}

// A Retry-After beyond MaxRetryDelay is not waited for: the run fails at
// once, naming the rate limit.
func TestRateLimitBeyondBoundFailsFast(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Status: 429, ErrorMessage: "quota exceeded", Header: llmtest.RetryAfter(3600)})
	a := newAgent(t, srv, &toolCalls{}, func(c *agent.Config) { c.MaxRetryDelay = time.Second })
	start := time.Now()
	rec, err := a.Run(context.Background(), request(t), nil)
	e := mustError(t, rec, err, agent.StatusFailed, agent.CodeRateLimited)
	if !strings.Contains(e.Message, "429") || !strings.Contains(e.Message, "quota exceeded") || e.Status != 429 {
		t.Errorf("message %q status %d", e.Message, e.Status)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v: the hour-long Retry-After was waited for", d)
	}
}

// 500 is retried with backoff; when it persists past MaxRetries the run
// fails as llm_unavailable after exactly 1+MaxRetries attempts.
func TestServerErrorRetried(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Status: 500, ErrorMessage: "upstream overloaded"}, answer)
	a := newAgent(t, srv, &toolCalls{}, nil)
	rec, err := a.Run(context.Background(), request(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || rec.Rounds[0].Attempts != 2 {
		t.Fatalf("%d requests, %d attempts", len(reqs), rec.Rounds[0].Attempts)
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 300*time.Millisecond {
		t.Errorf("500 retried after %v: no backoff", gap)
	}

	srv = llmtest.New(t,
		llmtest.Turn{Status: 503, ErrorMessage: "down"},
		llmtest.Turn{Status: 502, ErrorMessage: "bad gateway"})
	a = newAgent(t, srv, &toolCalls{}, func(c *agent.Config) { c.MaxRetries = 1 })
	rec, err = a.Run(context.Background(), request(t), nil)
	e := mustError(t, rec, err, agent.StatusFailed, agent.CodeUnavailable)
	if !strings.Contains(e.Message, "502") || !strings.Contains(e.Message, "2 attempts") || len(srv.Requests()) != 2 {
		t.Errorf("message %q after %d requests", e.Message, len(srv.Requests()))
	}
}

func TestMalformedChunk(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Content: []string{"一", "二", "三"}, MalformedAt: 3})
	a := newAgent(t, srv, &toolCalls{}, nil)
	col := &agent.Collector{}
	rec, err := a.Run(context.Background(), request(t), col)
	e := mustError(t, rec, err, agent.StatusFailed, agent.CodeBadStream)
	if !strings.Contains(e.Message, "not valid chat.completion.chunk JSON") {
		t.Errorf("message %q", e.Message)
	}
	// Chunk 1 is the role, 2 is "一": what came before the bad chunk was streamed.
	if rec.Output != "一" || col.Text(agent.EventContent) != "一" {
		t.Errorf("output %q", rec.Output)
	}
	evs := eventTypes(col.Events())
	if evs[len(evs)-2] != "error" || evs[len(evs)-1] != "done" {
		t.Errorf("events end %v", evs)
	}
	ev := col.Events()[len(col.Events())-2].Data.(*agent.ErrorEvent)
	if ev.Code != agent.CodeBadStream || ev.Status != agent.StatusFailed {
		t.Errorf("error event %+v", ev)
	}
}

// The connection dies mid-stream (no terminating chunk, no [DONE]): the
// run fails with a message that says so, keeping what was streamed; a
// half-received answer is not retried (it would stream twice).
func TestDroppedConnection(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Content: []string{"第一段", "第二段", "第三段"}, DropAfter: 3})
	a := newAgent(t, srv, &toolCalls{}, nil)
	rec, err := a.Run(context.Background(), request(t), nil)
	e := mustError(t, rec, err, agent.StatusFailed, agent.CodeStreamBroken)
	if !strings.Contains(e.Message, "dropped mid-stream") {
		t.Errorf("message %q", e.Message)
	}
	if rec.Output != "第一段第二段" || len(srv.Requests()) != 1 {
		t.Errorf("output %q, %d requests", rec.Output, len(srv.Requests()))
	}
}

// A stream that ends cleanly but never says it finished is broken too.
func TestStreamWithoutFinish(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Content: []string{"半句"}, FinishReason: "", DropAfter: 2})
	a := newAgent(t, srv, &toolCalls{}, nil)
	rec, err := a.Run(context.Background(), request(t), nil)
	mustError(t, rec, err, agent.StatusFailed, agent.CodeStreamBroken)
}

// Tokens reach the sink as the model sends them: the server sends chunk
// k+1 only after the sink has seen delta k. No clock is involved, so a
// slow machine cannot make this pass or fail by accident.
func TestTokensStreamAsTheyCome(t *testing.T) {
	words := []string{"一", "二", "三", "四", "五"}
	seen := make(chan int, len(words))
	var mu sync.Mutex
	var held []int
	srv := llmtest.New(t, llmtest.Turn{
		Content: words,
		Delay:   20 * time.Millisecond, // slow tokens as well
		Pace: func(ctx context.Context, i int) {
			// data chunk 1 is the role; content word k is chunk k+1.
			if i < 3 || i > len(words)+1 {
				return
			}
			select {
			case k := <-seen:
				mu.Lock()
				held = append(held, k)
				mu.Unlock()
			case <-time.After(20 * time.Second):
				t.Errorf("chunk %d: the sink never saw the previous delta", i)
			case <-ctx.Done():
			}
		},
	})
	a := newAgent(t, srv, &toolCalls{}, nil)
	n := 0
	sink := agent.SinkFunc(func(e agent.Event) {
		if e.Type == agent.EventContent {
			n++
			seen <- n
		}
	})
	rec, err := a.Run(context.Background(), request(t), sink)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if rec.Output != "一二三四五" || len(held) != len(words)-1 {
		t.Fatalf("output %q, paced %v", rec.Output, held)
	}
	for i, k := range held {
		if k != i+1 {
			t.Errorf("before chunk %d the sink had seen delta %d", i+3, k)
		}
	}
}

// Providers that do not do tools answer 400 with various wordings; the
// run fails with a message that names the model and the problem.
func TestProviderWithoutTools(t *testing.T) {
	for _, msg := range []string{
		"registry.ollama.ai/library/gemma:2b does not support tools",
		`"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set`,
	} {
		srv := llmtest.New(t, llmtest.Turn{Status: 400, ErrorMessage: msg})
		a := newAgent(t, srv, &toolCalls{}, func(c *agent.Config) { c.Model = "gemma:2b" })
		rec, err := a.Run(context.Background(), request(t), nil)
		e := mustError(t, rec, err, agent.StatusFailed, agent.CodeToolsUnsupported)
		if !strings.Contains(e.Message, `"gemma:2b" does not accept tool definitions`) || !strings.Contains(e.Message, msg) {
			t.Errorf("message %q", e.Message)
		}
		if len(srv.Requests()) != 1 {
			t.Errorf("a 400 was retried: %d requests", len(srv.Requests()))
		}
	}
}

func TestProviderAuthAndModelErrors(t *testing.T) {
	srv := llmtest.New(t)
	srv.APIKey = "sk-right"
	a := newAgent(t, srv, &toolCalls{}, nil) // sends sk-test
	rec, err := a.Run(context.Background(), request(t), nil)
	if e := mustError(t, rec, err, agent.StatusFailed, agent.CodeAuth); !strings.Contains(e.Message, "OPENAI_API_KEY") {
		t.Errorf("auth message %q", e.Message)
	}
	srv = llmtest.New(t, llmtest.Turn{Status: 404, ErrorMessage: "Model Not Exist"})
	a = newAgent(t, srv, &toolCalls{}, nil)
	rec, err = a.Run(context.Background(), request(t), nil)
	if e := mustError(t, rec, err, agent.StatusFailed, agent.CodeModelNotFound); !strings.Contains(e.Message, "Model Not Exist") {
		t.Errorf("404 message %q", e.Message)
	}
	// Nothing listens: unreachable after the retries.
	a, _ = agent.New(agent.Config{BaseURL: "http://127.0.0.1:1/v1", Model: "m", MaxRetries: -1, Logger: quiet()})
	rec, err = a.Run(context.Background(), agent.Request{UserPrompt: "hi"}, nil)
	if e := mustError(t, rec, err, agent.StatusFailed, agent.CodeUnavailable); !strings.Contains(e.Message, "cannot be reached") {
		t.Errorf("unreachable message %q", e.Message)
	}
}

// cancelMidStream runs until the first content delta, cancels the run with
// cancel, and measures how long the fake model takes to see its
// connection closed.
func cancelMidStream(t *testing.T, cancel func(a *agent.Agent, runID string, ctxCancel context.CancelFunc)) time.Duration {
	srv := llmtest.New(t, llmtest.Turn{Content: []string{"开始分析"}, Hang: true})
	a := newAgent(t, srv, &toolCalls{}, nil)
	ctx, ctxCancel := context.WithCancel(context.Background())
	defer ctxCancel()
	var canceledAt time.Time
	var runID string
	sink := agent.SinkFunc(func(e agent.Event) {
		switch d := e.Data.(type) {
		case *agent.RunStart:
			runID = d.RunID
		case *agent.Delta:
			if canceledAt.IsZero() {
				canceledAt = time.Now()
				cancel(a, runID, ctxCancel)
			}
		}
	})
	rec, err := a.Run(ctx, request(t), sink)
	returned := time.Since(canceledAt)
	mustError(t, rec, err, agent.StatusCanceled, agent.CodeCanceled)
	closedAt, ok := srv.WaitClosed(0, 5*time.Second)
	if !ok {
		t.Fatal("the fake model never saw its connection closed")
	}
	d := closedAt.Sub(canceledAt)
	if d > time.Second {
		t.Errorf("the model connection closed %v after the cancel, want within 1s", d)
	}
	if rec.Output != "开始分析" || a.Active() != 0 {
		t.Errorf("output %q, %d runs still active", rec.Output, a.Active())
	}
	t.Logf("cancel → model connection closed in %v; Run returned in %v", d, returned)
	return d
}

func TestCancelThroughAPI(t *testing.T) {
	cancelMidStream(t, func(a *agent.Agent, runID string, _ context.CancelFunc) {
		if !a.Cancel(runID) {
			t.Error("Cancel did not find the running run")
		}
	})
}

func TestCancelWhenClientLeaves(t *testing.T) {
	cancelMidStream(t, func(_ *agent.Agent, _ string, ctxCancel context.CancelFunc) { ctxCancel() })
}

func TestRunTimeout(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Content: []string{"…"}, Hang: true})
	a := newAgent(t, srv, &toolCalls{}, func(c *agent.Config) { c.RunTimeout = 300 * time.Millisecond })
	rec, err := a.Run(context.Background(), request(t), nil)
	if e := mustError(t, rec, err, agent.StatusFailed, agent.CodeRunTimeout); !strings.Contains(e.Message, "300ms") {
		t.Errorf("message %q", e.Message)
	}
	if _, ok := srv.WaitClosed(0, 5*time.Second); !ok {
		t.Error("the model connection stayed open after the timeout")
	}
	if a.Cancel(rec.ID) {
		t.Error("a finished run can still be canceled")
	}
}
