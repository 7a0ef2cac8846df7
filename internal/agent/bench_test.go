package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	model := &llmtest.Instant{
		ToolRound: llmtest.Recorded(b, llmtest.Turn{Reasoning: thinking, Calls: []llmtest.Call{
			{Name: "get_stock_basic", Args: `{"code":"600519.SH"}`},
			{Name: "get_stock_daily", Args: `{"code":"600519.SH","start":"20250901","end":"20251218","adjust":"qfq"}`},
		}, Usage: llmtest.Usage{Prompt: 800, Completion: 60}}),
		AnswerRound: llmtest.Recorded(b, llmtest.Turn{Content: answer, Usage: llmtest.Usage{Prompt: 2400, Completion: 200}}),
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
	llmtest.BenchFirstToken(b, func(modelURL string) func() (*http.Response, error) {
		a, err := agent.New(agent.Config{BaseURL: modelURL, Model: "m", Tools: catalogueTools(&toolCalls{}, nil), Logger: quiet()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(a.Close)
		api := httptest.NewServer(runHandler(a, request(b), time.Minute))
		b.Cleanup(api.Close)
		client := &http.Client{}
		b.Cleanup(client.CloseIdleConnections)
		return func() (*http.Response, error) { return client.Post(api.URL, "application/json", nil) }
	})
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
