package agent_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
	"github.com/stockdatasource/stockd/internal/tracing"
	"github.com/stockdatasource/stockd/internal/tracing/langfusetest"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// instantModel is an http.RoundTripper that answers chat completions from
// memory with pre-encoded SSE bodies: the model costs nothing and there is
// no network, so what a benchmark measures is the server's own work.
type instantModel struct {
	toolRound, answerRound []byte
}

func (m *instantModel) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	stream := m.answerRound
	if !bytes.Contains(body, []byte(`"role":"tool"`)) {
		stream = m.toolRound
	}
	return &http.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
		Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body:   io.NopCloser(bytes.NewReader(stream)),
	}, nil
}

// sseBody renders a scripted turn as the bytes of a streamed answer, using
// the fake server itself so the format is the tested one.
func sseBody(b *testing.B, turn llmtest.Turn) []byte {
	srv := llmtest.New(b, turn)
	resp, err := http.Post(srv.URL+"/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	srv.Close()
	return out
}

// discardWriter is a ResponseWriter that flushes into nothing.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Flush()                      {}

// BenchmarkAgentRound is the server's time per agent round, the model
// excluded: a two-round run (round 1: 20 thinking deltas and two tool
// calls in 4-byte argument fragments; round 2: a 200-delta answer) against
// an in-memory model, with the SSE writer as the sink. It covers request
// encoding, the SDK's chunk decoding, call assembly, schema validation,
// the tool calls (returning a 1.5 KB cached-style answer), the events and
// the spans. ns/round is the figure; goal < 2 ms.
func BenchmarkAgentRound(b *testing.B) {
	thinking := make([]string, 20)
	for i := range thinking {
		thinking[i] = "思考片段"
	}
	answer := make([]string, 200)
	for i := range answer {
		answer[i] = "分析"
	}
	model := &instantModel{
		toolRound: sseBody(b, llmtest.Turn{Reasoning: thinking, Calls: []llmtest.Call{
			{Name: "get_stock_basic", Args: `{"code":"600519.SH"}`},
			{Name: "get_stock_daily", Args: `{"code":"600519.SH","start":"20250901","end":"20251218","adjust":"qfq"}`},
		}, Usage: llmtest.Usage{Prompt: 800, Completion: 60}}),
		answerRound: sseBody(b, llmtest.Turn{Content: answer, Usage: llmtest.Usage{Prompt: 2400, Completion: 200}}),
	}
	result := []byte(`{"ts_code":"600519.SH","name":"贵州茅台","data":[` + strings.Repeat(`{"date":"2025-12-18","open":1440.0,"close":1431.0,"vol":31234.5},`, 24) + `{}]}`)
	var tools []agent.Tool
	for _, spec := range workflow.Tools() {
		tools = append(tools, agent.NewTool(spec, func(context.Context, json.RawMessage) ([]byte, bool, error) { return result, true, nil }))
	}

	for _, traced := range []bool{false, true} {
		b.Run(fmt.Sprintf("tracing=%v", traced), func(b *testing.B) {
			cfg := agent.Config{BaseURL: "http://model.invalid/v1", Model: "m", Tools: tools, Logger: quiet(),
				HTTPClient: &http.Client{Transport: model}}
			if traced {
				lf := langfusetest.New(b, "pk", "sk")
				tr, err := tracing.New(tracing.Config{Host: lf.URL, PublicKey: "pk", SecretKey: "sk", Logger: quiet()})
				if err != nil {
					b.Fatal(err)
				}
				defer tr.Shutdown(context.Background())
				cfg.Tracer = tr.Tracer()
			}
			a, err := agent.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			req := request(b)
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := &discardWriter{h: http.Header{}}
				sse := agent.NewSSEWriter(w, time.Minute)
				rec, err := a.Run(context.Background(), req, sse)
				sse.Close()
				if err != nil || len(rec.Rounds) != 2 {
					b.Fatalf("run: %v", err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/round")
			// Process CPU per round holds up better than wall time on a
			// shared machine; it includes the background span export
			// (and, traced, the in-process fake Langfuse decoding it).
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(2*b.N), "cpu-ns/round")
		})
	}
}

// BenchmarkFirstTokenDelay is the delay the server adds to the model's
// first token on the wire, over real loopback HTTP on both sides: a fake
// model streams the first content chunk at t0 (taken after its flush);
// the client of our SSE endpoint reads the content event at t1; t1−t0 is
// the relay delay (SDK decoding, event, SSE write and flush, two loopback
// hops). setup is the other part the server adds before the model can
// start: from the client's POST to the model receiving its request.
// Goal: relay + setup < 10 ms.
func BenchmarkFirstTokenDelay(b *testing.B) {
	sent := make(chan time.Time, 1)
	model := llmtest.NewScript(b, func(*llmtest.Request) llmtest.Turn {
		return llmtest.Turn{Content: []string{"首", "个", "回答"}, AfterChunk: func(i int) {
			if i == 2 { // chunk 1 is the role, 2 the first token
				sent <- time.Now()
			}
		}}
	})
	a, err := agent.New(agent.Config{BaseURL: model.URL, Model: "m", Tools: catalogueTools(&toolCalls{}, nil), Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	api := httptest.NewServer(runHandler(a, request(b), time.Minute))
	defer api.Close()
	client := &http.Client{}
	defer client.CloseIdleConnections()

	relay := make([]time.Duration, 0, b.N)
	setup := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := len(model.Requests())
		posted := time.Now()
		resp, err := client.Post(api.URL, "application/json", nil)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		var got time.Time
		for sc.Scan() {
			if sc.Text() == "event: content" {
				sc.Scan() // its data line: the token is on the wire here
				got = time.Now()
				break
			}
		}
		t0 := <-sent
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got.IsZero() {
			b.Fatal("no content event")
		}
		relay = append(relay, got.Sub(t0))
		setup = append(setup, model.Requests()[before].At.Sub(posted))
	}
	b.StopTimer()
	report := func(name string, ds []time.Duration) {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), name+"-p50-µs")
		b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), name+"-p99-µs")
	}
	report("relay", relay)
	report("setup", setup)
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
