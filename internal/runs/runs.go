// Package runs runs workflows for the API: it checks a run's variables
// against the workflow, renders the prompts, stores the run when it starts
// and again before its last event goes out, hands it to the agent, cancels
// it on request, lists a workflow's history, and marks the runs a crash
// left running. It also binds the workflow tools to the market questions
// (tools.go).
package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// Error codes of the API for what this package refuses.
const (
	CodeNotConfigured = "llm_not_configured"
	CodeBusy          = "too_many_runs"
	CodeInterrupted   = "interrupted"
)

// Errors of the service; the HTTP layer maps them to statuses.
var (
	// ErrNotConfigured: no model is configured; runs and generation are
	// off, everything else works.
	ErrNotConfigured = errors.New("no model is configured for workflow runs: set OPENAI_MODEL (and OPENAI_BASE_URL, OPENAI_API_KEY for the provider)")
	// ErrBusy: the server runs as many workflows as it may at once.
	ErrBusy = errors.New("too many workflow runs at once")
	// ErrNotFound: no run has this id.
	ErrNotFound = errors.New("run not found")
)

// NotRunningError is a cancel of a run that is not running on this
// server: finished, or (Elsewhere) running on another instance.
type NotRunningError struct {
	ID        string
	Status    agent.Status
	Elsewhere string // the instance that runs it
}

func (e *NotRunningError) Error() string {
	if e.Elsewhere != "" {
		return fmt.Sprintf("run %s is running on another server (%s); cancel it there", e.ID, e.Elsewhere)
	}
	return fmt.Sprintf("run %s is not running: it ended %s", e.ID, e.Status)
}

// Workflows finds the workflow a run runs; *workflow.Service satisfies it.
type Workflows interface {
	Get(ctx context.Context, id string) (workflow.Workflow, error)
}

// Options wire a Service.
type Options struct {
	// Agent runs the workflows; nil means no model is configured (runs and
	// generation answer ErrNotConfigured, history still reads).
	Agent     *agent.Agent
	Workflows Workflows           // required
	Store     market.RunRepo      // required
	KnownCode workflow.CodeLookup // checks stock_code variables; nil: form only
	// MaxConcurrent caps the runs in progress on this server (default 32);
	// one more is refused with ErrBusy.
	MaxConcurrent int
	// Instance names this server in the runs it stores (default: the host
	// name), so that a restart marks only its own runs interrupted.
	Instance string
	// TraceURL links a trace id to its Langfuse page; nil: no links.
	TraceURL func(traceID string) string
	Metrics  *Metrics // nil: none
	Logger   *slog.Logger
}

// DefaultMaxConcurrent is the default of Options.MaxConcurrent.
const DefaultMaxConcurrent = 32

// Service runs workflows and keeps their records. It is safe for concurrent
// use.
type Service struct {
	agent     *agent.Agent
	workflows Workflows
	store     market.RunRepo
	knownCode workflow.CodeLookup
	instance  string
	traceURL  func(string) string
	metrics   *Metrics
	logger    *slog.Logger
	slots     chan struct{}

	mu     sync.Mutex
	active map[string]context.CancelCauseFunc
	wg     sync.WaitGroup
}

// New returns a service; it makes no call.
func New(o Options) *Service {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.Instance == "" {
		o.Instance, _ = os.Hostname()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Service{
		agent: o.Agent, workflows: o.Workflows, store: o.Store, knownCode: o.KnownCode, instance: o.Instance,
		traceURL: o.TraceURL, metrics: o.Metrics, logger: o.Logger,
		slots: make(chan struct{}, o.MaxConcurrent), active: map[string]context.CancelCauseFunc{},
	}
	if s.metrics != nil {
		s.metrics.active = s.Active
	}
	return s
}

// Configured reports whether a model is configured.
func (s *Service) Configured() bool { return s.agent != nil }

// Active is the number of runs in progress on this server.
func (s *Service) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.active)
}

// Prepare turns a run request into what the agent runs: the workflow as it
// is now, its variables resolved (*workflow.ValidationError naming each
// bad one), the prompts rendered, the request checked (*agent.Error with
// code invalid_run). Nothing is stored or called.
func (s *Service) Prepare(ctx context.Context, workflowID string, values map[string]any) (agent.Request, error) {
	if s.agent == nil {
		return agent.Request{}, ErrNotConfigured
	}
	w, err := s.workflows.Get(ctx, workflowID)
	if err != nil {
		return agent.Request{}, err
	}
	vars, err := workflow.Resolve(ctx, w, values, s.knownCode)
	if err != nil {
		return agent.Request{}, err
	}
	req := agent.Request{
		RunID: agent.NewRunID(), Workflow: w, Variables: vars,
		SystemPrompt: workflow.Render(w.SystemPrompt, vars),
		UserPrompt:   workflow.Render(w.UserPromptTemplate, vars),
	}
	if err := s.agent.Check(req); err != nil {
		return agent.Request{}, err
	}
	return req, nil
}

// Run is a started run: stored as running, counted, cancelable. Execute
// must follow.
type Run struct {
	s      *Service
	req    agent.Request
	rec    *agent.Record
	ctx    context.Context
	cancel context.CancelCauseFunc
	saved  sync.Once
}

// ID is the run's id.
func (r *Run) ID() string { return r.req.RunID }

// Start takes a slot (ErrBusy when none is free) and stores req as a
// running run. ctx is the client's request: when it ends, the run is
// canceled.
func (s *Service) Start(ctx context.Context, req agent.Request) (*Run, error) {
	if s.agent == nil {
		return nil, ErrNotConfigured
	}
	select {
	case s.slots <- struct{}{}:
	default:
		s.metrics.rejected()
		return nil, ErrBusy
	}
	rec := s.agent.NewRecord(req)
	rec.StartedAt = rec.StartedAt.Truncate(time.Millisecond)
	if err := s.save(ctx, rec, s.instance); err != nil {
		<-s.slots
		return nil, err
	}
	r := &Run{s: s, req: req, rec: rec}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	s.mu.Lock()
	s.active[req.RunID] = r.cancel
	s.mu.Unlock()
	s.wg.Add(1)
	return r, nil
}

// Timeout is the longest the run can take (AGENT_RUN_TIMEOUT).
func (r *Run) Timeout() time.Duration { return r.s.agent.Config().RunTimeout }

// Execute runs to the end and returns the final record as the API shows it.
// The record is stored before the done event reaches sink, so a client that
// reads the run after done finds it finished.
func (r *Run) Execute(sink agent.Sink) *View {
	s := r.s
	defer func() {
		r.cancel(nil)
		s.mu.Lock()
		delete(s.active, r.req.RunID)
		s.mu.Unlock()
		<-s.slots
		s.wg.Done()
	}()
	if sink == nil {
		sink = agent.Discard
	}
	final := agent.SinkFunc(func(e agent.Event) {
		if rec, ok := e.Data.(*agent.Record); ok && e.Type == agent.EventDone {
			r.finish(rec)
		}
		sink.Emit(e)
	})
	rec, _ := s.agent.Run(r.ctx, r.req, final)
	r.finish(rec)
	return &View{Record: rec, TraceURL: s.link(rec.TraceID)}
}

// finish stores the final record once and counts it.
func (r *Run) finish(rec *agent.Record) {
	r.saved.Do(func() {
		rec.StartedAt = rec.StartedAt.Truncate(time.Millisecond)
		if rec.FinishedAt != nil {
			t := rec.FinishedAt.Truncate(time.Millisecond)
			rec.FinishedAt = &t
		}
		// The client may be gone (that is how a run gets canceled): the
		// record is stored all the same.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 15*time.Second)
		defer cancel()
		if err := r.s.save(ctx, rec, r.s.instance); err != nil {
			r.s.logger.Error("run finished but its record was not stored; it will be marked interrupted at the next start",
				"run_id", rec.ID, "status", rec.Status, "err", err)
			r.s.metrics.saveFailed()
		}
		r.s.metrics.finished(rec)
	})
}

// Cancel stops a run of this server at once (its model call is closed); it
// ends as canceled. ErrNotFound for an unknown id, *NotRunningError when it
// is not running here.
func (s *Service) Cancel(ctx context.Context, id string) error {
	s.mu.Lock()
	cancel := s.active[id]
	s.mu.Unlock()
	if cancel != nil {
		cancel(agent.ErrCanceled)
		return nil
	}
	r, err := s.store.GetRun(ctx, id)
	if errors.Is(err, market.ErrNotFound) {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return err
	}
	e := &NotRunningError{ID: id, Status: agent.Status(r.Status)}
	if e.Status == agent.StatusRunning {
		e.Elsewhere = r.Instance
	}
	return e
}

// Wait blocks until the runs in progress have ended and been stored, or
// ctx ends. The server calls it after its last request, before it closes
// the store.
func (s *Service) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Generate drafts a workflow from a description (see agent.Generate).
func (s *Service) Generate(ctx context.Context, description string) (*agent.Draft, error) {
	if s.agent == nil {
		return nil, ErrNotConfigured
	}
	return s.agent.Generate(ctx, description)
}

// save stores rec as run by instance.
func (s *Service) save(ctx context.Context, rec *agent.Record, instance string) error {
	doc, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode run %s: %w", rec.ID, err)
	}
	vars, err := json.Marshal(rec.Variables)
	if err != nil {
		return fmt.Errorf("encode run %s: %w", rec.ID, err)
	}
	row := market.RunRecord{
		ID: rec.ID, WorkflowID: rec.WorkflowID, Status: string(rec.Status), Model: rec.Model, Instance: instance,
		StartedAt: rec.StartedAt, LatencyMs: rec.LatencyMs,
		InputTokens: rec.Usage.InputTokens, OutputTokens: rec.Usage.OutputTokens,
		TraceID: rec.TraceID, Variables: vars, Doc: doc,
	}
	if rec.FinishedAt != nil {
		row.FinishedAt = *rec.FinishedAt
	}
	if rec.Error != nil {
		row.ErrorCode = rec.Error.Code
	}
	if err := s.store.PutRun(ctx, row); err != nil {
		return fmt.Errorf("store run %s: %w", rec.ID, err)
	}
	return nil
}

// MarkInterrupted ends as failed (code interrupted) the runs a stopped
// server left running: this instance's own, and any other's that has
// outlived the run timeout, which no live run can. It returns how many it
// marked.
func (s *Service) MarkInterrupted(ctx context.Context) (int, error) {
	rows, err := s.store.RunningRuns(ctx)
	if err != nil {
		return 0, fmt.Errorf("find interrupted runs: %w", err)
	}
	timeout := agent.DefaultRunTimeout
	if s.agent != nil {
		timeout = s.agent.Config().RunTimeout
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	n := 0
	for _, row := range rows {
		s.mu.Lock()
		live := s.active[row.ID] != nil
		s.mu.Unlock()
		if live || row.Instance != s.instance && now.Sub(row.StartedAt) < timeout+time.Minute {
			continue
		}
		var rec agent.Record
		if err := json.Unmarshal(row.Doc, &rec); err != nil || rec.ID != row.ID {
			rec = agent.Record{ID: row.ID, WorkflowID: row.WorkflowID, Model: row.Model, StartedAt: row.StartedAt, Rounds: []agent.Round{}, Variables: map[string]any{}}
		}
		rec.Status = agent.StatusFailed
		rec.FinishedAt = &now
		rec.Error = &agent.RunError{Code: CodeInterrupted, Message: "the server stopped before the run finished"}
		if err := s.save(ctx, &rec, row.Instance); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Get returns one run as stored, with its Langfuse link when tracing is on.
func (s *Service) Get(ctx context.Context, id string) (*View, error) {
	row, err := s.store.GetRun(ctx, id)
	if errors.Is(err, market.ErrNotFound) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	var rec agent.Record
	if err := json.Unmarshal(row.Doc, &rec); err != nil {
		return nil, fmt.Errorf("run %s: stored document is corrupt: %w", id, err)
	}
	return &View{Record: &rec, TraceURL: s.link(rec.TraceID)}, nil
}

// View is a stored run as the API shows it.
type View struct {
	*agent.Record
	TraceURL string `json:"trace_url,omitempty"`
}

func (s *Service) link(traceID string) string {
	if s.traceURL == nil || traceID == "" {
		return ""
	}
	return s.traceURL(traceID)
}

// Summary is a run in a workflow's history.
type Summary struct {
	ID         string          `json:"id"`
	WorkflowID string          `json:"workflow_id"`
	Status     string          `json:"status"`
	Model      string          `json:"model"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	LatencyMs  int64           `json:"latency_ms"`
	Usage      SummaryUsage    `json:"usage"`
	Variables  json.RawMessage `json:"variables"`
	TraceID    string          `json:"trace_id,omitempty"`
	TraceURL   string          `json:"trace_url,omitempty"`
	ErrorCode  string          `json:"error_code,omitempty"`
}

// SummaryUsage is a run's token count.
type SummaryUsage struct {
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
}

// List is a page of a workflow's history.
type List struct {
	Runs   []Summary `json:"runs"`
	Total  int       `json:"total"`
	Limit  int       `json:"limit"`
	Offset int       `json:"offset"`
}

// Page sizes of a history.
const (
	DefaultPage = 20
	MaxPage     = 100
)

// List returns a page of the runs of a workflow (which must exist), newest
// first.
func (s *Service) List(ctx context.Context, workflowID string, limit, offset int) (*List, error) {
	if _, err := s.workflows.Get(ctx, workflowID); err != nil {
		return nil, err
	}
	rows, total, err := s.store.ListRuns(ctx, workflowID, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list runs of %s: %w", workflowID, err)
	}
	out := &List{Runs: make([]Summary, len(rows)), Total: total, Limit: limit, Offset: offset}
	for i, r := range rows {
		sum := Summary{
			ID: r.ID, WorkflowID: r.WorkflowID, Status: r.Status, Model: r.Model, StartedAt: r.StartedAt,
			LatencyMs: r.LatencyMs, Usage: SummaryUsage{r.InputTokens, r.OutputTokens}, Variables: r.Variables,
			TraceID: r.TraceID, TraceURL: s.link(r.TraceID), ErrorCode: r.ErrorCode,
		}
		if !r.FinishedAt.IsZero() {
			t := r.FinishedAt
			sum.FinishedAt = &t
		}
		if !json.Valid(sum.Variables) {
			sum.Variables = json.RawMessage("{}")
		}
		out.Runs[i] = sum
	}
	return out, nil
}
