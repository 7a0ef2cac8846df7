// Package llmtest is a scripted OpenAI-compatible chat-completions server
// for tests. It speaks the real wire format: streamed answers are
// text/event-stream `data:` chunks (chat.completion.chunk objects) with
// choices[].delta.content, delta.reasoning_content, delta.tool_calls[] split
// into argument fragments by index, a finish_reason chunk, the usage chunk
// that stream_options.include_usage asks for, and `data: [DONE]`; other
// requests get one chat.completion JSON object.
//
// Each request takes the next Turn of the script (or asks a Script
// function), may assert on what it received, and can be made to fail:
// an error status with Retry-After, a malformed chunk, a connection dropped
// mid-stream, slow or paced tokens, a stream left open until the client
// goes away. The server records every request and when a client closed its
// connection.
package llmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is a tool call the scripted model makes.
type Call struct {
	ID   string // default call_<turn>_<i>
	Name string
	Args string // JSON text, sent in fragments
}

// Usage is the token count a turn reports.
type Usage struct {
	Prompt, Completion int
}

// Turn is one scripted answer.
type Turn struct {
	// Expect, when set, checks the request this turn answers.
	Expect func(t testing.TB, r *Request)

	Reasoning []string // reasoning_content deltas (DeepSeek-R1 style)
	Content   []string // content deltas
	Calls     []Call
	// ArgChunk is the size of the argument fragments (default 4 bytes);
	// Interleave sends the calls' fragments alternately, as the index
	// field allows, instead of one call after the other.
	ArgChunk   int
	Interleave bool
	// FinishReason defaults to "tool_calls" with Calls, else "stop".
	FinishReason string
	Usage        Usage
	Model        string // answered model name; default the requested one

	// Status answers with this HTTP status and an OpenAI error body
	// carrying ErrorMessage; Header adds headers (Retry-After…).
	Status       int
	ErrorMessage string
	Header       map[string]string

	// MalformedAt replaces the n-th data chunk (1-based) with broken JSON.
	MalformedAt int
	// DropAfter aborts the connection after n data chunks, mid-stream.
	DropAfter int
	// Delay is slept before each data chunk (slow tokens).
	Delay time.Duration
	// Pace is called before data chunk i (1-based) is written; it may
	// block to hold the stream. AfterChunk is called once chunk i is
	// flushed to the socket.
	Pace       func(ctx context.Context, i int)
	AfterChunk func(i int)
	// Hang keeps the stream open after the last chunk, without [DONE],
	// until the client closes the connection.
	Hang bool
}

// Request is what the server received.
type Request struct {
	Index  int // 0-based, in arrival order
	At     time.Time
	Header http.Header
	Body   []byte

	Model         string          `json:"model"`
	Messages      []Message       `json:"messages"`
	Tools         []Tool          `json:"tools"`
	ToolChoice    json.RawMessage `json:"tool_choice"`
	Stream        bool            `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens      int             `json:"max_tokens"`
	ResponseFormat json.RawMessage `json:"response_format"`

	closed   chan struct{}
	closedAt time.Time
	finished bool
}

// Message is a chat message of a request.
type Message struct {
	Role             string     `json:"role"`
	Content          Content    `json:"content"`
	Name             string     `json:"name"`
	ToolCalls        []ToolCall `json:"tool_calls"`
	ToolCallID       string     `json:"tool_call_id"`
	ReasoningContent string     `json:"reasoning_content"`
}

// Content is a message's text, whether sent as a string or as text parts.
type Content string

// UnmarshalJSON accepts "text", [{"type":"text","text":…}] and null.
func (c *Content) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*c = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Content(s)
		return nil
	}
	var parts []struct {
		Type, Text string
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("content is neither a string nor text parts: %s", b)
	}
	var sb strings.Builder
	for _, p := range parts {
		sb.WriteString(p.Text)
	}
	*c = Content(sb.String())
	return nil
}

// ToolCall is an assistant message's tool call.
type ToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// Tool is a tool definition of a request.
type Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// ToolNames lists the request's tool names.
func (r *Request) ToolNames() []string {
	out := make([]string, len(r.Tools))
	for i, t := range r.Tools {
		out[i] = t.Function.Name
	}
	return out
}

// Last returns the request's last message.
func (r *Request) Last() Message {
	if len(r.Messages) == 0 {
		return Message{}
	}
	return r.Messages[len(r.Messages)-1]
}

// ToolResults maps tool_call_id to the content of the tool messages.
func (r *Request) ToolResults() map[string]string {
	out := map[string]string{}
	for _, m := range r.Messages {
		if m.Role == "tool" {
			out[m.ToolCallID] = string(m.Content)
		}
	}
	return out
}

// Server is a running fake model.
type Server struct {
	// URL is the base URL to give the client (…/v1).
	URL string
	// APIKey, when set, is required as the bearer token.
	APIKey string

	t      testing.TB
	srv    *httptest.Server
	script func(*Request) Turn

	mu       sync.Mutex
	turns    []Turn
	next     int
	requests []*Request
}

// New starts a server answering the turns in order; a request beyond the
// script fails the test. It stops when t ends.
func New(t testing.TB, turns ...Turn) *Server {
	s := &Server{t: t, turns: turns}
	s.start()
	return s
}

// NewScript starts a server whose answers come from fn, called for each
// request (concurrently when requests are).
func NewScript(t testing.TB, fn func(*Request) Turn) *Server {
	s := &Server{t: t, script: fn}
	s.start()
	return s
}

func (s *Server) start() {
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/v1"
	s.t.Cleanup(s.Close)
}

// Handler is the server's handler, for serving the same fake on an
// address of one's choosing (see the fakellm command).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Close stops the server and drops idle connections.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Requests returns the requests received so far.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.requests...)
}

// Remaining is the number of scripted turns not yet used.
func (s *Server) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.turns) - s.next
}

// WaitClosed waits until the client of request i closed its connection
// before the answer was complete, and returns when the server noticed.
func (s *Server) WaitClosed(i int, timeout time.Duration) (time.Time, bool) {
	s.mu.Lock()
	if i >= len(s.requests) {
		s.mu.Unlock()
		return time.Time{}, false
	}
	r := s.requests[i]
	s.mu.Unlock()
	select {
	case <-r.closed:
		s.mu.Lock()
		defer s.mu.Unlock()
		return r.closedAt, true
	case <-time.After(timeout):
		return time.Time{}, false
	}
}

func (s *Server) serve(w http.ResponseWriter, hr *http.Request) {
	body, _ := io.ReadAll(hr.Body)
	req := &Request{At: time.Now(), Header: hr.Header.Clone(), Body: body, closed: make(chan struct{})}
	if err := json.Unmarshal(body, req); err != nil {
		s.t.Errorf("llmtest: request body is not a chat completion request: %v\n%s", err, body)
		writeError(w, http.StatusBadRequest, "invalid JSON body", nil)
		return
	}
	// Route and key are checked before a turn is used, as a real server
	// refuses them before any model work.
	if hr.Method != http.MethodPost || !strings.HasSuffix(hr.URL.Path, "/chat/completions") {
		s.t.Errorf("llmtest: %s %s, want POST …/chat/completions", hr.Method, hr.URL.Path)
		writeError(w, http.StatusNotFound, "unknown route", nil)
		return
	}
	if s.APIKey != "" && hr.Header.Get("Authorization") != "Bearer "+s.APIKey {
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided", nil)
		return
	}
	s.mu.Lock()
	req.Index = len(s.requests)
	s.requests = append(s.requests, req)
	var turn Turn
	scripted := s.script != nil
	if !scripted {
		if s.next >= len(s.turns) {
			s.mu.Unlock()
			s.t.Errorf("llmtest: request %d beyond the script of %d turns", req.Index, len(s.turns))
			writeError(w, http.StatusInternalServerError, "no scripted turn left", nil)
			return
		}
		turn = s.turns[s.next]
		s.next++
	}
	s.mu.Unlock()
	if scripted {
		turn = s.script(req)
	}

	if turn.Expect != nil {
		turn.Expect(s.t, req)
	}
	if turn.Status != 0 {
		writeError(w, turn.Status, turn.ErrorMessage, turn.Header)
		return
	}
	for k, v := range turn.Header {
		w.Header().Set(k, v)
	}
	if req.Model == "" {
		s.t.Errorf("llmtest: request %d has no model", req.Index)
	}
	model := turn.Model
	if model == "" {
		model = req.Model
	}
	id := fmt.Sprintf("chatcmpl-%d", req.Index)
	if !req.Stream {
		s.answerJSON(w, turn, id, model)
		req.finished = true
		return
	}
	s.stream(w, hr.Context(), req, turn, id, model)
}

func writeError(w http.ResponseWriter, status int, msg string, header map[string]string) {
	for k, v := range header {
		w.Header().Set(k, v)
	}
	typ := "invalid_request_error"
	switch {
	case status == http.StatusTooManyRequests:
		typ = "rate_limit_exceeded"
	case status >= 500:
		typ = "server_error"
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}})
	w.Write(b)
}

func (turn Turn) finish() string {
	if turn.FinishReason != "" {
		return turn.FinishReason
	}
	if len(turn.Calls) > 0 {
		return "tool_calls"
	}
	return "stop"
}

func (turn Turn) callID(i int) string {
	if turn.Calls[i].ID != "" {
		return turn.Calls[i].ID
	}
	return fmt.Sprintf("call_%d", i)
}

func usageJSON(u Usage) map[string]any {
	return map[string]any{"prompt_tokens": u.Prompt, "completion_tokens": u.Completion, "total_tokens": u.Prompt + u.Completion}
}

func (s *Server) answerJSON(w http.ResponseWriter, turn Turn, id, model string) {
	msg := map[string]any{"role": "assistant", "content": strings.Join(turn.Content, "")}
	if len(turn.Reasoning) > 0 {
		msg["reasoning_content"] = strings.Join(turn.Reasoning, "")
	}
	if len(turn.Calls) > 0 {
		var calls []map[string]any
		for i, c := range turn.Calls {
			calls = append(calls, map[string]any{"id": turn.callID(i), "type": "function",
				"function": map[string]any{"name": c.Name, "arguments": c.Args}})
		}
		msg["tool_calls"] = calls
		msg["content"] = nil
	}
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "chat.completion", "created": time.Now().Unix(), "model": model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": turn.finish(), "logprobs": nil}},
		"usage":   usageJSON(turn.Usage),
	})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// chunks builds the data payloads of a streamed answer, [DONE] excluded.
func (turn Turn) chunks(id, model string, includeUsage bool) [][]byte {
	created := time.Now().Unix()
	var out [][]byte
	add := func(delta map[string]any, finish any) {
		c := map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"system_fingerprint": "fp_llmtest",
			"choices":            []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
		}
		if includeUsage {
			c["usage"] = nil
		}
		b, _ := json.Marshal(c)
		out = append(out, b)
	}
	add(map[string]any{"role": "assistant", "content": ""}, nil)
	for _, r := range turn.Reasoning {
		add(map[string]any{"reasoning_content": r}, nil)
	}
	for _, c := range turn.Content {
		add(map[string]any{"content": c}, nil)
	}
	size := turn.ArgChunk
	if size <= 0 {
		size = 4
	}
	// frags[i] are call i's deltas: the head (id, name), then argument pieces.
	frags := make([][]map[string]any, len(turn.Calls))
	for i, c := range turn.Calls {
		frags[i] = append(frags[i], map[string]any{"index": i, "id": turn.callID(i), "type": "function",
			"function": map[string]any{"name": c.Name, "arguments": ""}})
		for a := 0; a < len(c.Args); a += size {
			end := min(a+size, len(c.Args))
			frags[i] = append(frags[i], map[string]any{"index": i, "function": map[string]any{"arguments": c.Args[a:end]}})
		}
	}
	if turn.Interleave {
		for k := 0; ; k++ {
			sent := false
			for i := range frags {
				if k < len(frags[i]) {
					add(map[string]any{"tool_calls": []any{frags[i][k]}}, nil)
					sent = true
				}
			}
			if !sent {
				break
			}
		}
	} else {
		for i := range frags {
			for _, f := range frags[i] {
				add(map[string]any{"tool_calls": []any{f}}, nil)
			}
		}
	}
	add(map[string]any{}, turn.finish())
	if includeUsage {
		b, _ := json.Marshal(map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"system_fingerprint": "fp_llmtest", "choices": []any{}, "usage": usageJSON(turn.Usage),
		})
		out = append(out, b)
	}
	return out
}

func (s *Server) stream(w http.ResponseWriter, ctx context.Context, req *Request, turn Turn, id, model string) {
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	chunks := turn.chunks(id, model, includeUsage)
	flusher := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()

	gone := func() bool {
		if ctx.Err() == nil {
			return false
		}
		s.noteClosed(req)
		return true
	}
	for i, c := range chunks {
		n := i + 1
		if turn.Pace != nil {
			turn.Pace(ctx, n)
		}
		if turn.Delay > 0 {
			select {
			case <-time.After(turn.Delay):
			case <-ctx.Done():
			}
		}
		if gone() {
			return
		}
		if n == turn.MalformedAt {
			c = []byte(`{"id":"` + id + `","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"oops"`)
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", c); err != nil {
			s.noteClosed(req)
			return
		}
		flusher.Flush()
		if turn.AfterChunk != nil {
			turn.AfterChunk(n)
		}
		if n == turn.DropAfter {
			// Closes the connection without the terminating chunk: the
			// client reads an unexpected EOF, as when a proxy dies.
			panic(http.ErrAbortHandler)
		}
	}
	if turn.Hang {
		<-ctx.Done()
		s.noteClosed(req)
		return
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
	s.mu.Lock()
	req.finished = true
	s.mu.Unlock()
}

func (s *Server) noteClosed(req *Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.closedAt.IsZero() {
		req.closedAt = time.Now()
		close(req.closed)
	}
}

// RetryAfter is a Header map with Retry-After in whole seconds.
func RetryAfter(seconds int) map[string]string {
	return map[string]string{"Retry-After": strconv.Itoa(seconds)}
}
