package agent

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/stockdatasource/stockd/internal/workflow"
)

// Status is where a run stands.
type Status string

// Run statuses. A run is running until it ends in one of the other three;
// a run found running at start-up was cut short by a crash.
const (
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCanceled  Status = "canceled"
)

// Usage counts tokens as the provider reported them.
type Usage struct {
	InputTokens     int64 `json:"input_tokens"`
	OutputTokens    int64 `json:"output_tokens"`
	TotalTokens     int64 `json:"total_tokens"`
	ReasoningTokens int64 `json:"reasoning_tokens,omitempty"`
	CachedTokens    int64 `json:"cached_tokens,omitempty"`
}

// Add sums u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens: u.InputTokens + v.InputTokens, OutputTokens: u.OutputTokens + v.OutputTokens,
		TotalTokens: u.TotalTokens + v.TotalTokens, ReasoningTokens: u.ReasoningTokens + v.ReasoningTokens,
		CachedTokens: u.CachedTokens + v.CachedTokens,
	}
}

// Record is everything kept about a run: what ran (the workflow as it was,
// the variables), how (model, each round's tool calls), and how it ended.
// It is the stored row, the answer of GET /api/runs/{id} and of a run with
// stream: false, and the payload of the done event.
type Record struct {
	ID         string            `json:"id"`
	WorkflowID string            `json:"workflow_id"`
	Workflow   workflow.Workflow `json:"workflow"` // definition snapshot
	Variables  map[string]any    `json:"variables"`
	Status     Status            `json:"status"`
	Model      string            `json:"model"`
	Rounds     []Round           `json:"rounds"`
	Output     string            `json:"output"` // markdown, every round's content as streamed
	Usage      Usage             `json:"usage"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt *time.Time        `json:"finished_at,omitempty"`
	LatencyMs  int64             `json:"latency_ms"`
	Error      *RunError         `json:"error,omitempty"`
	TraceID    string            `json:"trace_id,omitempty"`
}

// RunError is why a run failed or was canceled.
type RunError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Round is one model call and the tool calls it asked for.
type Round struct {
	Index        int        `json:"index"` // 1-based
	FinishReason string     `json:"finish_reason,omitempty"`
	ResponseID   string     `json:"response_id,omitempty"`
	Model        string     `json:"model,omitempty"` // as the provider answered
	Attempts     int        `json:"attempts"`        // HTTP attempts, retries included
	FirstTokenMs int64      `json:"first_token_ms"`  // from request to first delta
	LatencyMs    int64      `json:"latency_ms"`
	Usage        Usage      `json:"usage"`
	Thinking     string     `json:"thinking,omitempty"`
	Content      string     `json:"content,omitempty"`
	ToolCalls    []ToolCall `json:"tool_calls,omitempty"`
}

// ToolCall is one tool call of a round and how it went. The result itself
// is not kept (it is data any later call can fetch again), only its size.
type ToolCall struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Arguments   json.RawMessage `json:"arguments"` // as the model sent them; a JSON string when not valid JSON
	OK          bool            `json:"ok"`
	Error       string          `json:"error,omitempty"`
	Cached      bool            `json:"cached"`
	ResultBytes int             `json:"result_bytes"`
	Truncated   bool            `json:"truncated,omitempty"`
	DurationMs  float64         `json:"duration_ms"`
}

// NewRunID returns a fresh run id, run_ and 16 hex digits, in the style of
// workflow ids.
func NewRunID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return "run_" + hex.EncodeToString(b[:])
}

// rawArgs keeps the model's arguments as JSON when they are, else as a
// JSON string, so a record always encodes.
func rawArgs(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("{}")
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}
