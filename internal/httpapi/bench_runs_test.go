package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRunRound is the server's time per agent round with the model
// excluded, through the whole HTTP stack: a client POSTs 单股深度分析 of
// 600519.SH (variables checked against the store, the run stored when it
// starts and ends in SQLite) and reads the SSE stream to its end; the
// model is in memory (round 1: thinking and two tool calls in 4-byte
// argument fragments; round 2: a 200-piece answer), the tools read the
// real snapshot through the cache. ns/round is wall time per round (two
// per run), cpu-ns/round the process's CPU (client included); goal < 2 ms.
func BenchmarkRunRound(b *testing.B) {
	st := openSQLite(b)
	readSnapshot(b).load(b, st)
	answer := make([]string, 200)
	for i := range answer {
		answer[i] = "分析"
	}
	model := &llmtest.Instant{
		ToolRound: llmtest.Recorded(b, llmtest.Turn{Reasoning: []string{"先查", "基本信息"}, Calls: []llmtest.Call{
			{Name: "get_stock_basic", Args: `{"code":"600519.SH"}`},
			{Name: "get_stock_daily", Args: `{"code":"600519.SH","adjust":"qfq"}`},
		}, Usage: llmtest.Usage{Prompt: 800, Completion: 60}}),
		AnswerRound: llmtest.Recorded(b, llmtest.Turn{Content: answer, Usage: llmtest.Usage{Prompt: 2400, Completion: 200}}),
	}
	e := newRunEnv(b, st, nil, runEnvOptions{raw: true, maxConcurrent: 4, agent: func(c *agent.Config) {
		c.HTTPClient = &http.Client{Transport: model}
	}})
	client := &http.Client{}
	run := func() {
		resp, err := client.Post(e.url+singleStock+"/run", "application/json", strings.NewReader(`{"variables":{"stock_code":"600519.SH"}}`))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"status":"succeeded"`)) {
			b.Fatalf("run: %d %.300s", resp.StatusCode, body)
		}
	}
	run() // warm the cache and the connections
	cpu0 := cpuNow()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/round")
	b.ReportMetric(float64((cpuNow()-cpu0).Nanoseconds())/float64(2*b.N), "cpu-ns/round")
}

// BenchmarkRunFirstToken is the delay the server adds to the model's first
// token, over real loopback HTTP on both sides of the whole stack: setup is
// from the client's POST to the model receiving its request (variables
// checked, the run stored, the request built); relay is from the model
// flushing its first content chunk to the client reading the content event
// (decoding, the event, SSE write and flush, two loopback hops). Goal:
// setup + relay < 10 ms.
func BenchmarkRunFirstToken(b *testing.B) {
	st := openSQLite(b)
	readSnapshot(b).load(b, st)
	llmtest.BenchFirstToken(b, func(modelURL string) func() (*http.Response, error) {
		e := newRunEnv(b, st, nil, runEnvOptions{raw: true, agent: func(c *agent.Config) { c.BaseURL = modelURL }})
		client := &http.Client{}
		b.Cleanup(client.CloseIdleConnections)
		return func() (*http.Response, error) {
			return client.Post(e.url+singleStock+"/run", "application/json", strings.NewReader(`{"variables":{"stock_code":"600519.SH"}}`))
		}
	})
}
