package httpapi

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
)

// instantModel answers chat completions from memory with pre-encoded SSE
// bodies: no model time and no network on the model's side, so what a
// benchmark measures is the server's own work.
type instantModel struct{ toolRound, answerRound []byte }

func (m *instantModel) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	stream := m.answerRound
	if !bytes.Contains(body, []byte(`"role":"tool"`)) {
		stream = m.toolRound
	}
	return &http.Response{StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
		Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(bytes.NewReader(stream))}, nil
}

// recorded is a turn of the fake model as the bytes it streams.
func recorded(b *testing.B, turn llmtest.Turn) []byte {
	srv := llmtest.New(b, turn)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return out
}

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
	model := &instantModel{
		toolRound: recorded(b, llmtest.Turn{Reasoning: []string{"先查", "基本信息"}, Calls: []llmtest.Call{
			{Name: "get_stock_basic", Args: `{"code":"600519.SH"}`},
			{Name: "get_stock_daily", Args: `{"code":"600519.SH","adjust":"qfq"}`},
		}, Usage: llmtest.Usage{Prompt: 800, Completion: 60}}),
		answerRound: recorded(b, llmtest.Turn{Content: answer, Usage: llmtest.Usage{Prompt: 2400, Completion: 200}}),
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
	sent := make(chan time.Time, 1)
	model := llmtest.NewScript(b, func(*llmtest.Request) llmtest.Turn {
		return llmtest.Turn{Content: []string{"首", "个", "回答"}, AfterChunk: func(i int) {
			if i == 2 { // chunk 1 is the role, 2 the first token
				sent <- time.Now()
			}
		}}
	})
	e := newRunEnv(b, st, model, runEnvOptions{raw: true})
	client := &http.Client{}
	defer client.CloseIdleConnections()
	relay := make([]time.Duration, 0, b.N)
	setup := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := len(model.Requests())
		posted := time.Now()
		resp, err := client.Post(e.url+singleStock+"/run", "application/json", strings.NewReader(`{"variables":{"stock_code":"600519.SH"}}`))
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
