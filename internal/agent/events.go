package agent

import "sync"

// EventType names an event of a run's stream; it is the SSE event name.
type EventType string

// The events of a run, in the order they can come: run first; then per
// round thinking and content deltas, tool_call and tool_result pairs and
// usage; error when the run fails or is canceled; done last, always.
const (
	EventRun        EventType = "run"
	EventThinking   EventType = "thinking"
	EventContent    EventType = "content"
	EventToolCall   EventType = "tool_call"
	EventToolResult EventType = "tool_result"
	EventUsage      EventType = "usage"
	EventError      EventType = "error"
	EventDone       EventType = "done"
)

// Event is one item of a run's stream. Data is the JSON payload: *RunStart,
// *Delta, *ToolCallEvent, *ToolResultEvent, *UsageEvent, *ErrorEvent or,
// for done, the final *Record.
type Event struct {
	Type EventType
	Data any
}

// RunStart opens the stream.
type RunStart struct {
	RunID      string `json:"run_id"`
	TraceID    string `json:"trace_id,omitempty"`
	TraceURL   string `json:"trace_url,omitempty"`
	WorkflowID string `json:"workflow_id"`
	Model      string `json:"model"`
}

// Delta is a piece of thinking or content text as the model streamed it.
type Delta struct {
	Round int    `json:"round"`
	Text  string `json:"text"`
}

// ToolCallEvent says the model asked for a tool; Arguments are its raw
// JSON text, valid or not.
type ToolCallEvent struct {
	Round     int    `json:"round"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// ToolResultEvent says how a tool call went. Size is the result's length
// in bytes before the budget cut, Truncated whether the model got less.
type ToolResultEvent struct {
	Round     int     `json:"round"`
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	OK        bool    `json:"ok"`
	Error     string  `json:"error,omitempty"`
	Ms        float64 `json:"ms"`
	Cached    bool    `json:"cached"`
	Size      int     `json:"size"`
	Truncated bool    `json:"truncated,omitempty"`
}

// UsageEvent reports one model call's tokens and the run's totals so far.
type UsageEvent struct {
	Round int   `json:"round"`
	Usage Usage `json:"usage"`
	Total Usage `json:"total"`
}

// ErrorEvent says why a run failed or was canceled.
type ErrorEvent struct {
	Status  Status `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Sink receives a run's events. The agent calls Emit from one goroutine at
// a time, in order; Emit should not block for long (it holds up the run).
type Sink interface {
	Emit(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Emit calls f.
func (f SinkFunc) Emit(e Event) { f(e) }

// Discard drops every event.
var Discard Sink = SinkFunc(func(Event) {})

// Collector is the sink of a non-streaming run: it keeps the events and
// the final record, which is the whole result (stream: false answers it as
// JSON, the same document GET /api/runs/{id} serves).
type Collector struct {
	mu     sync.Mutex
	events []Event
	record *Record
}

// Emit keeps e.
func (c *Collector) Emit(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
	if e.Type == EventDone {
		if r, ok := e.Data.(*Record); ok {
			c.record = r
		}
	}
}

// Events returns the events received so far.
func (c *Collector) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// Result returns the run's final record, once done has arrived.
func (c *Collector) Result() (*Record, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.record, c.record != nil
}

// Text joins the deltas of one type (EventContent or EventThinking).
func (c *Collector) Text(t EventType) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b []byte
	for _, e := range c.events {
		if d, ok := e.Data.(*Delta); ok && e.Type == t {
			b = append(b, d.Text...)
		}
	}
	return string(b)
}
