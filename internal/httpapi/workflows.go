package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/stockdatasource/stockd/internal/workflow"
)

// Workflows stores the user's workflows behind the cache;
// *workflow.Service satisfies it.
type Workflows interface {
	ListJSON(ctx context.Context, a workflow.ListArgs) ([]byte, error)
	GetJSON(ctx context.Context, id string) ([]byte, error)
	Create(ctx context.Context, in workflow.Input) (workflow.Workflow, error)
	Update(ctx context.Context, id string, in workflow.Input) (workflow.Workflow, error)
	Delete(ctx context.Context, id string) error
	Clone(ctx context.Context, id, name string) (workflow.Workflow, error)
}

// workflowHandlers are the workflow API; the route table puts the bearer
// token in front of the writes.
type workflowHandlers struct {
	svc Workflows
}

type toolsAnswer struct {
	Tools []workflow.Tool `json:"tools"`
}

func (h workflowHandlers) tools(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, toolsAnswer{Tools: workflow.Tools()})
}

func (h workflowHandlers) templates(w http.ResponseWriter, r *http.Request) {
	t := workflow.Templates()
	WriteJSON(w, http.StatusOK, workflow.List{Workflows: t, Total: len(t), Limit: len(t)})
}

func (h workflowHandlers) list(w http.ResponseWriter, r *http.Request) {
	p := paramsOf(r)
	a := workflow.ListArgs{IncludeTemplates: true, Limit: p.int("limit", workflow.DefaultPageSize), Offset: p.int("offset", 0)}
	switch v := p.get("include_templates"); v {
	case "", "true", "1":
	case "false", "0":
		a.IncludeTemplates = false
	default:
		WriteError(w, r, badParam(CodeBadRequest, "include_templates", v, "want true or false"))
		return
	}
	if p.err != nil {
		WriteError(w, r, p.err)
		return
	}
	a.Category = strings.TrimSpace(p.get("category"))
	if len(a.Category) > workflow.MaxCategoryLen*4 {
		WriteError(w, r, badParam(CodeBadRequest, "category", a.Category[:20]+"…", "too long"))
		return
	}
	body, err := h.svc.ListJSON(r.Context(), a)
	respond(w, r, http.StatusOK, body, err)
}

func (h workflowHandlers) get(w http.ResponseWriter, r *http.Request) {
	body, err := h.svc.GetJSON(r.Context(), r.PathValue("id"))
	respond(w, r, http.StatusOK, body, err)
}

func (h workflowHandlers) create(w http.ResponseWriter, r *http.Request) {
	in, err := decodeWorkflowInput(r)
	if err != nil {
		WriteError(w, r, workflowError(r, err))
		return
	}
	wf, err := h.svc.Create(r.Context(), in)
	respondValue(w, r, http.StatusCreated, wf, err)
}

func (h workflowHandlers) update(w http.ResponseWriter, r *http.Request) {
	in, err := decodeWorkflowInput(r)
	if err != nil {
		WriteError(w, r, workflowError(r, err))
		return
	}
	wf, err := h.svc.Update(r.Context(), r.PathValue("id"), in)
	respondValue(w, r, http.StatusOK, wf, err)
}

type deletedAnswer struct {
	Deleted string `json:"deleted"`
}

func (h workflowHandlers) delete(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Delete(r.Context(), r.PathValue("id")); err != nil {
		WriteError(w, r, workflowError(r, err))
		return
	}
	WriteJSON(w, http.StatusOK, deletedAnswer{Deleted: r.PathValue("id")})
}

// clone copies a workflow or template; the body {"name": …} is optional.
func (h workflowHandlers) clone(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &body, true, `{"name": …}`); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusBadRequest {
			// A body of the wrong shape is a validation failure, as for
			// the other workflow writes.
			err = &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Message: e.Message,
				Details: []FieldError{{Field: "body", Message: e.Message}}}
		}
		WriteError(w, r, err)
		return
	}
	wf, err := h.svc.Clone(r.Context(), r.PathValue("id"), body.Name)
	respondValue(w, r, http.StatusCreated, wf, err)
}

func decodeWorkflowInput(r *http.Request) (workflow.Input, error) {
	raw, err := readBody(r)
	if err != nil {
		return workflow.Input{}, err
	}
	return workflow.DecodeInput(raw)
}

// respond writes an encoded workflow answer, or the service's error.
func respond(w http.ResponseWriter, r *http.Request, status int, body []byte, err error) {
	if err != nil {
		WriteError(w, r, workflowError(r, err))
		return
	}
	writeRaw(w, status, body)
}

// respondValue writes a workflow, or the service's error.
func respondValue(w http.ResponseWriter, r *http.Request, status int, wf workflow.Workflow, err error) {
	if err != nil {
		WriteError(w, r, workflowError(r, err))
		return
	}
	WriteJSON(w, status, wf)
}

// workflowError maps the service's errors to answers: 422 with the field
// problems, 404, 409 for the read-only templates and for a create past the
// cap on how many workflows may exist.
func workflowError(r *http.Request, err error) error {
	var ve *workflow.ValidationError
	switch {
	case errors.As(err, &ve):
		details := make([]FieldError, len(ve.Fields))
		for i, f := range ve.Fields {
			details[i] = FieldError{Field: f.Field, Message: f.Message}
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Message: ve.Error(), Details: details, Omitted: ve.Omitted}
	case errors.Is(err, workflow.ErrNotFound):
		return Errorf(http.StatusNotFound, CodeNotFound, "%v", err)
	case errors.Is(err, workflow.ErrReadOnly):
		return Errorf(http.StatusConflict, CodeReadOnly, "%v", err)
	case errors.Is(err, workflow.ErrTooMany):
		return Errorf(http.StatusConflict, CodeLimitReached, "%v", err)
	case errors.Is(err, workflow.ErrOutcomeUnknown):
		// Still the store's failure (503, logged), but the client must
		// know the write may have landed.
		loggerFrom(r.Context()).Error("request failed", "route", r.Pattern, "err", err)
		return Errorf(http.StatusServiceUnavailable, CodeStoreUnavailable, "%v", workflow.ErrOutcomeUnknown)
	}
	return err
}
