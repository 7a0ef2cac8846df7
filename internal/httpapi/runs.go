package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/runs"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// Runs runs workflows and keeps their history; *runs.Service satisfies it.
type Runs interface {
	Prepare(ctx context.Context, workflowID string, values map[string]any) (agent.Request, error)
	Start(ctx context.Context, req agent.Request) (*runs.Run, error)
	Cancel(ctx context.Context, id string) error
	Get(ctx context.Context, id string) (*runs.View, error)
	List(ctx context.Context, workflowID string, limit, offset int) (*runs.List, error)
	Generate(ctx context.Context, description string) (*agent.Draft, error)
}

// Error codes of the run endpoints.
const (
	CodeNotConfigured = runs.CodeNotConfigured
	CodeBusy          = runs.CodeBusy
	CodeNotRunning    = "not_running"
	CodeInvalidDraft  = agent.CodeBadDraft
)

// runHandlers are the run API: run a workflow (streamed or whole), cancel,
// history, and drafting a workflow with the model.
type runHandlers struct {
	runs      Runs
	heartbeat time.Duration // SSE comment interval; 0: agent.DefaultHeartbeat
}

// runBody is the body of POST /api/workflows/{id}/run.
type runBody struct {
	Variables map[string]any `json:"variables"`
	Stream    *bool          `json:"stream"` // default true
}

func (h runHandlers) run(w http.ResponseWriter, r *http.Request) {
	var body runBody
	if err := decodeBody(r, &body); err != nil {
		WriteError(w, r, err)
		return
	}
	req, err := h.runs.Prepare(r.Context(), r.PathValue("id"), body.Variables)
	if err != nil {
		WriteError(w, r, runError(r, err))
		return
	}
	run, err := h.runs.Start(r.Context(), req)
	if err != nil {
		if errors.Is(err, runs.ErrBusy) {
			w.Header().Set("Retry-After", "10")
		}
		WriteError(w, r, runError(r, err))
		return
	}
	if body.Stream == nil || *body.Stream {
		sse := agent.NewSSEWriter(w, h.heartbeat)
		run.Execute(sse)
		sse.Close()
		return
	}
	// One JSON answer after the whole run: the server's write timeout must
	// not cut it.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(run.Timeout() + time.Minute))
	WriteJSON(w, http.StatusOK, run.Execute(&agent.Collector{}))
}

func (h runHandlers) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.runs.Cancel(r.Context(), id); err != nil {
		WriteError(w, r, runError(r, err))
		return
	}
	WriteJSON(w, http.StatusAccepted, cancelAnswer{ID: id, Status: "canceling"})
}

type cancelAnswer struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func (h runHandlers) get(w http.ResponseWriter, r *http.Request) {
	v, err := h.runs.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteError(w, r, runError(r, err))
		return
	}
	WriteJSON(w, http.StatusOK, v)
}

func (h runHandlers) list(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	limit, offset := p.int("limit", runs.DefaultPage), p.int("offset", 0)
	switch {
	case p.err != nil:
		WriteError(w, r, p.err)
		return
	case limit < 1 || limit > runs.MaxPage:
		WriteError(w, r, badParam(CodeBadRequest, "limit", strconv.Itoa(limit), "must be between 1 and "+strconv.Itoa(runs.MaxPage)))
		return
	case offset < 0 || offset > 1_000_000:
		WriteError(w, r, badParam(CodeBadRequest, "offset", strconv.Itoa(offset), "must be between 0 and 1000000"))
		return
	}
	l, err := h.runs.List(r.Context(), r.PathValue("id"), limit, offset)
	if err != nil {
		WriteError(w, r, runError(r, err))
		return
	}
	WriteJSON(w, http.StatusOK, l)
}

// generateBody is the body of POST /api/workflows/generate.
type generateBody struct {
	Description string `json:"description"`
}

func (h runHandlers) generate(w http.ResponseWriter, r *http.Request) {
	var body generateBody
	if err := decodeBody(r, &body); err != nil {
		WriteError(w, r, err)
		return
	}
	d, err := h.runs.Generate(r.Context(), body.Description)
	if err != nil {
		WriteError(w, r, runError(r, err))
		return
	}
	WriteJSON(w, http.StatusOK, d)
}

// decodeBody reads a JSON object strictly into v; an empty body leaves v
// as it is. A body that does not fit is a 422 naming the field.
func decodeBody(r *http.Request, v any) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	field, msg := "body", ""
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			field, msg = te.Field, "has the wrong type: want "+jsonKind(te.Type.Kind().String())+", got "+te.Value
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field, msg = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field"
		default:
			msg = "not a JSON object: " + err.Error()
		}
	} else if dec.More() {
		msg = "trailing data after the JSON object"
	}
	if msg == "" {
		return nil
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Message: "invalid request body: " + field + ": " + msg,
		Details: []FieldError{{Field: field, Message: msg}}}
}

func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "ptr", "bool":
		return "true or false"
	case "slice":
		return "an array"
	}
	return "a " + k
}

// runError maps the run service's and the agent's errors to answers.
func runError(r *http.Request, err error) error {
	var (
		ve *workflow.ValidationError
		de *agent.DraftError
		ae *agent.Error
		nr *runs.NotRunningError
	)
	switch {
	case errors.Is(err, runs.ErrNotConfigured):
		return Errorf(http.StatusServiceUnavailable, CodeNotConfigured, "%v", err)
	case errors.Is(err, runs.ErrBusy):
		return Errorf(http.StatusTooManyRequests, CodeBusy, "%v on this server (AGENT_MAX_CONCURRENT_RUNS); try again shortly", err)
	case errors.Is(err, runs.ErrNotFound):
		return Errorf(http.StatusNotFound, CodeNotFound, "%v", err)
	case errors.As(err, &nr):
		return Errorf(http.StatusConflict, CodeNotRunning, "%v", err)
	case errors.As(err, &ve):
		details := make([]FieldError, len(ve.Fields))
		msgs := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			details[i] = FieldError{Field: f.Field, Message: f.Message}
			msgs[i] = f.Field + ": " + f.Message
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Message: "invalid variables: " + strings.Join(msgs, "; "), Details: details}
	case errors.As(err, &de):
		details := make([]FieldError, len(de.Fields))
		for i, f := range de.Fields {
			details[i] = FieldError{Field: f.Field, Message: f.Message}
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeInvalidDraft, Message: de.Error(), Details: details}
	case errors.As(err, &ae):
		return Errorf(agentStatus(ae.Code), ae.Code, "%s", ae.Message)
	}
	return workflowError(r, err)
}

// agentStatus is the HTTP status of an agent error code: the caller's
// request (422, 400), the model provider's failure (502), the run's time
// limit (504).
func agentStatus(code string) int {
	switch code {
	case agent.CodeInvalidRun:
		return http.StatusUnprocessableEntity
	case agent.CodeInvalidDescription:
		return http.StatusBadRequest
	case agent.CodeRunTimeout:
		return http.StatusGatewayTimeout
	case agent.CodeCanceled:
		return 499
	}
	return http.StatusBadGateway
}
