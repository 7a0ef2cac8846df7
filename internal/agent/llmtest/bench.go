package llmtest

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Recorded is turn as the bytes of a streamed answer, taken from a server
// of this package, so a benchmark replaying it sends the tested format.
func Recorded(t testing.TB, turn Turn) []byte {
	srv := New(t, turn)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return out
}

// Instant is an http.RoundTripper that answers every chat completion from
// memory with recorded streams: ToolRound until the request carries a tool
// result, then AnswerRound. The model costs nothing and there is no network
// on its side, so a benchmark measures the client's own work.
type Instant struct {
	ToolRound, AnswerRound []byte
}

// RoundTrip answers r.
func (m *Instant) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	stream := m.AnswerRound
	if !bytes.Contains(body, []byte(`"role":"tool"`)) {
		stream = m.ToolRound
	}
	return &http.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
		Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body:   io.NopCloser(bytes.NewReader(stream)),
	}, nil
}

// BenchFirstToken measures the delay a server in front of the model adds
// to its first token, over real loopback HTTP on both sides. It starts a
// model that streams "首", "个", "回答" and notes when the first content
// chunk left it; start gets the model's base URL and returns the request
// that runs one answer through the server under test (an SSE stream of
// the run's events). relay is from the model flushing its first content
// chunk to the client reading the content event; setup from the client's
// request to the model receiving its own. Both are reported as p50 and
// p99 in µs.
func BenchFirstToken(b *testing.B, start func(modelURL string) (run func() (*http.Response, error))) {
	sent := make(chan time.Time, 1)
	model := NewScript(b, func(*Request) Turn {
		return Turn{Content: []string{"首", "个", "回答"}, AfterChunk: func(i int) {
			if i == 2 { // chunk 1 is the role, 2 the first token
				sent <- time.Now()
			}
		}}
	})
	run := start(model.URL)
	relay := make([]time.Duration, 0, b.N)
	setup := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := len(model.Requests())
		posted := time.Now()
		resp, err := run()
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
