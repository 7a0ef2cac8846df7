// Package agent runs a workflow with an LLM: it sends the workflow's prompts
// to an OpenAI-compatible chat-completions API (DeepSeek, Qwen/DashScope,
// Moonshot, Zhipu, Ollama, vLLM, OpenAI), streams the answer, executes the
// tool calls the model makes against the service's own data, and loops
// until the model answers without tools or a limit is reached.
//
// A run reports itself as a stream of Events (run, thinking, content,
// tool_call, tool_result, usage, error, done) to a Sink — SSEWriter for
// text/event-stream, Collector for one JSON answer — and ends as a Record,
// the document that is stored. Each run is one trace: a root span, a span
// per model call with the OpenTelemetry GenAI attributes and a span per
// tool call, in the shape Langfuse reads.
//
// Generate drafts a workflow from a description and checks it with the
// same validator as saved workflows.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/stockdatasource/stockd/internal/tracing"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// Defaults of the limits.
const (
	DefaultMaxRounds          = 8
	DefaultRunTimeout         = 5 * time.Minute
	DefaultMaxOutputTokens    = 4096
	DefaultToolTimeout        = 15 * time.Second
	DefaultMaxToolResultBytes = 16 << 10
	DefaultMaxRetries         = 2
	DefaultMaxRetryDelay      = 20 * time.Second
	DefaultToolConcurrency    = 4
)

// Config is the model, the tools and the limits of every run.
type Config struct {
	// BaseURL of the OpenAI-compatible API (OPENAI_BASE_URL), e.g.
	// https://api.deepseek.com/v1; empty means OpenAI's. APIKey
	// (OPENAI_API_KEY) may be empty for local servers. Model
	// (OPENAI_MODEL) is required.
	BaseURL, APIKey, Model string
	// Provider is gen_ai.provider.name on the model spans (deepseek,
	// openai, ollama…); default "openai", the API the calls speak.
	Provider string

	// Tools the runs may use; each run picks the workflow's selection.
	Tools []Tool

	MaxRounds          int           // model calls per run; default 8
	RunTimeout         time.Duration // whole run; default 5m
	MaxOutputTokens    int           // max_tokens of each model call; default 4096
	ToolTimeout        time.Duration // one tool call; default 15s
	MaxToolResultBytes int           // what the model sees of one result; default 16 KiB
	ToolConcurrency    int           // tool calls of one round run at once; default 4
	Temperature        *float64      // nil leaves the provider's default

	// MaxRetries is how often a 408/409/429/5xx answer or a connection
	// failure is retried (default 2; negative: never), with exponential
	// backoff from 0.5 s or the server's Retry-After / Retry-After-Ms.
	// MaxRetryDelay bounds every wait (default 20 s): a Retry-After
	// beyond it fails the call at once instead of holding the run.
	MaxRetries    int
	MaxRetryDelay time.Duration

	// HTTPClient talks to the provider; nil makes one with its own
	// connection pool (see Close).
	HTTPClient *http.Client
	// Tracer starts the run's spans (tracing.Tracer.Tracer()); nil traces
	// nothing. TraceURL, when set, gives the Langfuse link put in the run
	// event.
	Tracer   trace.Tracer
	TraceURL func(traceID string) string
	Logger   *slog.Logger
}

// Agent runs workflows. It is safe for concurrent use.
type Agent struct {
	cfg      Config
	client   openai.Client
	http     *http.Client
	ownHTTP  bool
	tools    map[string]*boundTool
	toolDefs map[string]openai.ChatCompletionToolUnionParam
	tracer   trace.Tracer
	logger   *slog.Logger

	mu     sync.Mutex
	active map[string]context.CancelCauseFunc
}

// New checks cfg, compiles the tools' schemas and returns an agent. It
// makes no network call.
func New(cfg Config) (*Agent, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("agent: no model: set OPENAI_MODEL")
	}
	setDefault(&cfg.MaxRounds, DefaultMaxRounds)
	setDefault(&cfg.RunTimeout, DefaultRunTimeout)
	setDefault(&cfg.MaxOutputTokens, DefaultMaxOutputTokens)
	setDefault(&cfg.ToolTimeout, DefaultToolTimeout)
	setDefault(&cfg.MaxToolResultBytes, DefaultMaxToolResultBytes)
	setDefault(&cfg.ToolConcurrency, DefaultToolConcurrency)
	setDefault(&cfg.MaxRetryDelay, DefaultMaxRetryDelay)
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.Provider == "" {
		cfg.Provider = "openai"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &Agent{cfg: cfg, http: cfg.HTTPClient, tracer: cfg.Tracer, logger: cfg.Logger, active: map[string]context.CancelCauseFunc{}}
	if a.tracer == nil {
		a.tracer = noop.NewTracerProvider().Tracer(tracing.ScopeName)
	}
	if a.http == nil {
		a.http, a.ownHTTP = newHTTPClient(), true
	}
	var err error
	if a.tools, err = bindTools(cfg.Tools); err != nil {
		return nil, err
	}
	a.toolDefs = make(map[string]openai.ChatCompletionToolUnionParam, len(a.tools))
	for name, t := range a.tools {
		a.toolDefs[name] = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: name, Description: openai.String(t.Description()), Parameters: shared.FunctionParameters(t.Parameters()),
		})
	}
	opts := []option.RequestOption{
		option.WithHTTPClient(a.http),
		option.WithMaxRetries(cfg.MaxRetries),
		option.WithMaxRetryDelay(cfg.MaxRetryDelay),
		// Local servers take any key; the SDK insists on one.
		option.WithAPIKey(cmpOr(cfg.APIKey, "none")),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	a.client = openai.NewClient(opts...)
	return a, nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

func cmpOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// newHTTPClient has no overall timeout (streams last as long as the run
// allows, through ctx) but bounds connecting and the wait for headers.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 3 * time.Minute, // a non-streamed generation answers only when done
	}}
}

// Model is the configured model name.
func (a *Agent) Model() string { return a.cfg.Model }

// Config returns the configuration with its defaults filled in.
func (a *Agent) Config() Config { return a.cfg }

// ToolNames lists the tools runs may use, sorted.
func (a *Agent) ToolNames() []string {
	out := make([]string, 0, len(a.tools))
	for n := range a.tools {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Close drops the idle connections of the agent's own HTTP client.
func (a *Agent) Close() {
	if a.ownHTTP {
		a.http.CloseIdleConnections()
	}
}

// Request is one run: the workflow as it is now and its rendered prompts.
type Request struct {
	RunID        string            // default NewRunID()
	Workflow     workflow.Workflow // snapshot stored with the run
	Variables    map[string]any    // as the caller resolved them (defaults applied)
	SystemPrompt string            // default Workflow.SystemPrompt
	UserPrompt   string            // rendered user_prompt_template; required
	Tools        []string          // default Workflow.SelectedTools
}

// Check reports what makes req impossible to run, as an *Error with code
// invalid_run, before anything is stored or called.
func (a *Agent) Check(req Request) error {
	if strings.TrimSpace(req.UserPrompt) == "" {
		return &Error{Code: CodeInvalidRun, Message: "the rendered user prompt is empty"}
	}
	for _, name := range a.toolsOf(req) {
		if a.tools[name] == nil {
			return &Error{Code: CodeInvalidRun, Message: fmt.Sprintf("tool %q of the workflow is not available to runs (available: %s)", name, strings.Join(a.ToolNames(), ", "))}
		}
	}
	return nil
}

func (a *Agent) toolsOf(req Request) []string {
	if req.Tools != nil {
		return req.Tools
	}
	return req.Workflow.SelectedTools
}

// Cancel stops the run with this id, if it is running here; the model
// connection is closed at once and the run ends as canceled.
func (a *Agent) Cancel(runID string) bool {
	a.mu.Lock()
	cancel := a.active[runID]
	a.mu.Unlock()
	if cancel != nil {
		cancel(ErrCanceled)
	}
	return cancel != nil
}

// Active is the number of runs in progress.
func (a *Agent) Active() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.active)
}

// NewRecord is the running record of req, as Run starts it: what the
// caller stores before calling Run (req.RunID must be set, e.g. with
// NewRunID, so both agree on the id).
func (a *Agent) NewRecord(req Request) *Record {
	rec := &Record{
		ID: req.RunID, WorkflowID: req.Workflow.ID, Workflow: req.Workflow, Variables: req.Variables,
		Status: StatusRunning, Model: a.cfg.Model, Rounds: []Round{}, StartedAt: time.Now().UTC(),
	}
	if rec.Variables == nil {
		rec.Variables = map[string]any{}
	}
	return rec
}

// run is the state of one Run.
type run struct {
	a        *Agent
	rec      *Record
	sink     Sink
	emitMu   sync.Mutex
	names    []string
	defs     []openai.ChatCompletionToolUnionParam
	messages []openai.ChatCompletionMessageParamUnion
	trace    []map[string]any // the conversation as spans show it
}

func (r *run) emit(t EventType, data any) {
	r.emitMu.Lock()
	defer r.emitMu.Unlock()
	r.sink.Emit(Event{Type: t, Data: data})
}

// Run executes req and returns its record; the error is nil when the run
// succeeded, else an *Error (also in rec.Error). Events go to sink (nil:
// discarded). Canceling ctx — the client leaving — cancels the run at
// once. The record is complete when Run returns, whatever happened.
func (a *Agent) Run(ctx context.Context, req Request, sink Sink) (*Record, error) {
	if sink == nil {
		sink = Discard
	}
	start := time.Now()
	if req.RunID == "" {
		req.RunID = NewRunID()
	}
	if req.SystemPrompt == "" {
		req.SystemPrompt = req.Workflow.SystemPrompt
	}
	rec := a.NewRecord(req)
	rec.StartedAt = start.UTC()
	r := &run{a: a, rec: rec, sink: sink, names: a.toolsOf(req)}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	a.mu.Lock()
	a.active[rec.ID] = cancel
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.active, rec.ID)
		a.mu.Unlock()
	}()
	ctx, stop := context.WithTimeoutCause(ctx, a.cfg.RunTimeout, errRunTimeout)
	defer stop()

	name := cmpOr(req.Workflow.Name, "workflow run")
	input := map[string]any{"workflow_id": req.Workflow.ID, "variables": rec.Variables, "prompt": req.UserPrompt}
	ctx, root := a.tracer.Start(ctx, "workflow "+name, trace.WithAttributes(
		attribute.String(tracing.TraceName, name),
		tracing.JSON(tracing.TraceInput, input),
		tracing.JSON(tracing.ObservationInput, input),
		attribute.StringSlice(tracing.TraceTags, []string{"workflow", cmpOr(req.Workflow.Category, "custom")}),
		attribute.String(tracing.TraceMetadataPrefix+"run_id", rec.ID),
		attribute.String(tracing.TraceMetadataPrefix+"workflow_id", req.Workflow.ID),
		attribute.String(tracing.TraceMetadataPrefix+"model", a.cfg.Model),
		// A Langfuse session per workflow: its runs line up there.
		attribute.String(tracing.SessionID, cmpOr(req.Workflow.ID, rec.ID)),
		attribute.String(tracing.ObservationType, "agent"),
		attribute.String(tracing.GenAIOperation, tracing.OpInvokeAgent),
		attribute.String(tracing.GenAIAgentName, name),
		attribute.String(tracing.GenAIAgentID, req.Workflow.ID),
		attribute.String(tracing.GenAIConversationID, rec.ID),
	))
	if sc := root.SpanContext(); sc.HasTraceID() {
		rec.TraceID = sc.TraceID().String()
	}
	started := &RunStart{RunID: rec.ID, TraceID: rec.TraceID, WorkflowID: rec.WorkflowID, Model: rec.Model}
	if a.cfg.TraceURL != nil && rec.TraceID != "" {
		started.TraceURL = a.cfg.TraceURL(rec.TraceID)
	}
	r.emit(EventRun, started)

	err := a.Check(req)
	if err == nil {
		err = r.loop(ctx, req)
	}
	r.finish(err, start, root)
	if rec.Error != nil {
		return rec, err
	}
	return rec, nil
}

// loop alternates model calls and tool calls until an answer without
// tools, an error or the round limit.
func (r *run) loop(ctx context.Context, req Request) error {
	a := r.a
	for _, n := range r.names {
		r.defs = append(r.defs, a.toolDefs[n])
	}
	if req.SystemPrompt != "" {
		r.messages = append(r.messages, openai.SystemMessage(req.SystemPrompt))
		r.trace = append(r.trace, map[string]any{"role": "system", "content": req.SystemPrompt})
	}
	r.messages = append(r.messages, openai.UserMessage(req.UserPrompt))
	r.trace = append(r.trace, map[string]any{"role": "user", "content": req.UserPrompt})

	for round := 1; round <= a.cfg.MaxRounds; round++ {
		last := round == a.cfg.MaxRounds
		params := openai.ChatCompletionNewParams{Model: a.cfg.Model, Messages: r.messages}
		if len(r.defs) > 0 {
			params.Tools = r.defs
			if last {
				// The last round must answer: the model is told so and
				// offered no tool.
				params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("none")}
			}
		}
		site := callSite{round: round, onDelta: func(kind EventType, text string) {
			r.emit(kind, &Delta{Round: round, Text: text})
		}}
		t, err := a.stream(ctx, site, params, r.trace)
		rd := Round{
			Index: round, FinishReason: t.finish, ResponseID: t.responseID, Model: t.model, Attempts: t.attempts,
			FirstTokenMs: t.firstToken.Milliseconds(), LatencyMs: t.latency.Milliseconds(), Usage: t.usage,
			Thinking: t.thinking.String(), Content: t.content.String(),
		}
		r.rec.Usage = r.rec.Usage.Add(t.usage)
		r.rec.Output += rd.Content
		if t.usage != (Usage{}) {
			r.emit(EventUsage, &UsageEvent{Round: round, Usage: t.usage, Total: r.rec.Usage})
		}
		if err != nil {
			r.rec.Rounds = append(r.rec.Rounds, rd)
			return err
		}
		if len(t.calls) == 0 {
			r.rec.Rounds = append(r.rec.Rounds, rd)
			return nil
		}
		if last {
			r.rec.Rounds = append(r.rec.Rounds, rd)
			return &Error{Code: CodeTooManyRounds, Message: fmt.Sprintf("the model still asked for tools after %d rounds (AGENT_MAX_ROUNDS)", a.cfg.MaxRounds)}
		}
		r.messages = append(r.messages, t.assistantMessage())
		r.trace = append(r.trace, map[string]any{"role": "assistant", "content": t.content.String(), "tool_calls": t.wireCalls()})
		rd.ToolCalls = r.callTools(ctx, round, t.calls)
		r.rec.Rounds = append(r.rec.Rounds, rd)
		if err := contextError(ctx, a.cfg.RunTimeout); err != nil {
			return err
		}
	}
	return nil // not reached: the last round returns
}

// callTools runs one round's tool calls, several at once, and appends
// their answers to the conversation in the order the model asked.
func (r *run) callTools(ctx context.Context, round int, calls []*pendingCall) []ToolCall {
	a := r.a
	outcomes := make([]toolOutcome, len(calls))
	for _, c := range calls {
		r.emit(EventToolCall, &ToolCallEvent{Round: round, ID: c.id, Name: c.name, Arguments: c.args.String()})
	}
	sem := make(chan struct{}, a.cfg.ToolConcurrency)
	var wg sync.WaitGroup
	for i, c := range calls {
		var bt *boundTool
		if slices.Contains(r.names, c.name) {
			bt = a.tools[c.name]
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, span := a.tracer.Start(ctx, "execute_tool "+c.name, trace.WithAttributes(
				attribute.String(tracing.GenAIOperation, tracing.OpExecuteTool),
				attribute.String(tracing.ObservationType, "tool"),
				attribute.String(tracing.GenAIToolName, c.name),
				attribute.String(tracing.GenAIToolCallID, c.id),
				attribute.String(tracing.GenAIToolType, "function"),
				tracing.Text(tracing.GenAIToolCallArgs, c.args.String()),
				attribute.Int("stockd.round", round),
			))
			o := a.runTool(ctx, bt, c.id, c.name, c.args.String(), r.names)
			outcomes[i] = o
			span.SetAttributes(
				tracing.Text(tracing.GenAIToolCallResult, o.content),
				attribute.Bool("stockd.tool.cached", o.call.Cached),
				attribute.Int("stockd.tool.result_bytes", o.call.ResultBytes),
				attribute.Bool("stockd.tool.truncated", o.call.Truncated),
			)
			if !o.call.OK {
				span.SetStatus(codes.Error, o.call.Error)
				span.SetAttributes(attribute.String(tracing.ObservationLevel, "WARNING"))
			}
			span.End()
			r.emit(EventToolResult, &ToolResultEvent{
				Round: round, ID: c.id, Name: c.name, OK: o.call.OK, Error: o.call.Error, Ms: o.call.DurationMs,
				Cached: o.call.Cached, Size: o.call.ResultBytes, Truncated: o.call.Truncated,
			})
		}()
	}
	wg.Wait()
	out := make([]ToolCall, len(calls))
	for i, o := range outcomes {
		out[i] = o.call
		r.messages = append(r.messages, openai.ToolMessage(o.content, o.call.ID))
		r.trace = append(r.trace, map[string]any{"role": "tool", "tool_call_id": o.call.ID, "content": o.content})
	}
	return out
}

// finish settles the record, closes the trace and ends the stream.
func (r *run) finish(err error, start time.Time, root trace.Span) {
	rec := r.rec
	now := time.Now()
	rec.FinishedAt = &[]time.Time{now.UTC()}[0]
	rec.LatencyMs = now.Sub(start).Milliseconds()
	rec.Status = StatusSucceeded
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Code: CodeStreamBroken, Message: err.Error(), Err: err}
		}
		rec.Status = StatusFailed
		if e.Code == CodeCanceled {
			rec.Status = StatusCanceled
		}
		rec.Error = &RunError{Code: e.Code, Message: e.Message}
	}
	if root.IsRecording() {
		root.SetAttributes(
			tracing.Text(tracing.TraceOutput, rec.Output),
			tracing.Text(tracing.ObservationOutput, rec.Output),
			attribute.String(tracing.TraceMetadataPrefix+"status", string(rec.Status)),
			// Totals under our own names: gen_ai.usage.* here would make
			// Langfuse count the model spans' tokens twice.
			attribute.Int64("stockd.usage.input_tokens", rec.Usage.InputTokens),
			attribute.Int64("stockd.usage.output_tokens", rec.Usage.OutputTokens),
			attribute.Int("stockd.rounds", len(rec.Rounds)),
		)
		if rec.Error != nil {
			root.SetStatus(codes.Error, rec.Error.Message)
			root.SetAttributes(attribute.String(tracing.ErrorType, rec.Error.Code))
		} else {
			root.SetStatus(codes.Ok, "")
		}
	}
	root.End()
	if rec.Error != nil {
		r.emit(EventError, &ErrorEvent{Status: rec.Status, Code: rec.Error.Code, Message: rec.Error.Message})
	}
	r.emit(EventDone, rec)
}
