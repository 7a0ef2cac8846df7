package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/stockdatasource/stockd/internal/workflow"
)

// WorkflowRoutes mounts the workflow API. Writes need the bearer token when
// apiToken is set; without one they are open (logged at start).
func WorkflowRoutes(svc *workflow.Service, apiToken string) func(*http.ServeMux) {
	write := func(h http.HandlerFunc) http.Handler {
		if apiToken == "" {
			return h
		}
		return RequireToken(apiToken, h)
	}
	return func(mux *http.ServeMux) {
		mux.HandleFunc("GET /api/workflows/tools", func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, http.StatusOK, map[string]any{"tools": workflow.Tools()})
		})
		mux.HandleFunc("GET /api/workflows/templates", func(w http.ResponseWriter, r *http.Request) {
			t := workflow.Templates()
			WriteJSON(w, http.StatusOK, workflow.List{Workflows: t, Total: len(t)})
		})
		mux.HandleFunc("GET /api/workflows", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			include := true
			switch v := q.Get("include_templates"); v {
			case "", "true", "1":
			case "false", "0":
				include = false
			default:
				WriteError(w, r, badParam(CodeBadRequest, "include_templates", v, "want true or false"))
				return
			}
			category := strings.TrimSpace(q.Get("category"))
			if len(category) > workflow.MaxCategoryLen*4 {
				WriteError(w, r, badParam(CodeBadRequest, "category", category[:20]+"…", "too long"))
				return
			}
			body, err := svc.ListJSON(r.Context(), include, category)
			respondWorkflow(w, r, http.StatusOK, body, err)
		})
		mux.HandleFunc("GET /api/workflows/{id}", func(w http.ResponseWriter, r *http.Request) {
			body, err := svc.GetJSON(r.Context(), r.PathValue("id"))
			respondWorkflow(w, r, http.StatusOK, body, err)
		})
		mux.Handle("POST /api/workflows", write(func(w http.ResponseWriter, r *http.Request) {
			in, err := decodeWorkflowInput(r)
			if err != nil {
				WriteError(w, r, workflowError(err))
				return
			}
			wf, err := svc.Create(r.Context(), in)
			respondWorkflowValue(w, r, http.StatusCreated, wf, err)
		}))
		mux.Handle("PUT /api/workflows/{id}", write(func(w http.ResponseWriter, r *http.Request) {
			in, err := decodeWorkflowInput(r)
			if err != nil {
				WriteError(w, r, workflowError(err))
				return
			}
			wf, err := svc.Update(r.Context(), r.PathValue("id"), in)
			respondWorkflowValue(w, r, http.StatusOK, wf, err)
		}))
		mux.Handle("DELETE /api/workflows/{id}", write(func(w http.ResponseWriter, r *http.Request) {
			if err := svc.Delete(r.Context(), r.PathValue("id")); err != nil {
				WriteError(w, r, workflowError(err))
				return
			}
			WriteJSON(w, http.StatusOK, map[string]any{"deleted": r.PathValue("id")})
		}))
		mux.Handle("POST /api/workflows/{id}/clone", write(func(w http.ResponseWriter, r *http.Request) {
			var body struct {
				Name string `json:"name"`
			}
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				WriteError(w, r, err)
				return
			}
			if len(strings.TrimSpace(string(raw))) > 0 {
				dec := json.NewDecoder(strings.NewReader(string(raw)))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&body); err != nil {
					WriteError(w, r, &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
						Message: "clone body must be {\"name\": …}: " + err.Error(),
						Details: []FieldError{{Field: "body", Message: err.Error()}}})
					return
				}
			}
			wf, err := svc.Clone(r.Context(), r.PathValue("id"), body.Name)
			respondWorkflowValue(w, r, http.StatusCreated, wf, err)
		}))
	}
}

func decodeWorkflowInput(r *http.Request) (workflow.Input, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return workflow.Input{}, err
	}
	return workflow.DecodeInput(raw)
}

func respondWorkflow(w http.ResponseWriter, r *http.Request, status int, body []byte, err error) {
	if err != nil {
		WriteError(w, r, workflowError(err))
		return
	}
	writeRaw(w, status, body)
}

func respondWorkflowValue(w http.ResponseWriter, r *http.Request, status int, wf workflow.Workflow, err error) {
	if err != nil {
		WriteError(w, r, workflowError(err))
		return
	}
	WriteJSON(w, status, wf)
}

// workflowError maps the service's errors to answers: 422 with every field
// problem, 404, 409 for the read-only templates.
func workflowError(err error) error {
	var ve *workflow.ValidationError
	switch {
	case errors.As(err, &ve):
		details := make([]FieldError, len(ve.Fields))
		for i, f := range ve.Fields {
			details[i] = FieldError{Field: f.Field, Message: f.Message}
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: ve.Error(), Details: details}
	case errors.Is(err, workflow.ErrNotFound):
		return Errorf(http.StatusNotFound, CodeNotFound, "%v", err)
	case errors.Is(err, workflow.ErrReadOnly):
		return Errorf(http.StatusConflict, "read_only", "%v", err)
	}
	return err
}

// CacheAdmin is the part of the cache the admin endpoints use.
type CacheAdmin interface {
	DeletePattern(ctx context.Context, pattern string) (int64, error)
}

// CacheRoutes mounts GET /api/cache/stats and POST /api/cache/invalidate;
// invalidation always needs the bearer token (no token configured → 403).
func CacheRoutes(c CacheAdmin, stats func(context.Context) any, apiToken string) func(*http.ServeMux) {
	return func(mux *http.ServeMux) {
		mux.HandleFunc("GET /api/cache/stats", func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, http.StatusOK, stats(r.Context()))
		})
		mux.Handle("POST /api/cache/invalidate", RequireToken(apiToken, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body struct {
				Pattern string `json:"pattern"`
			}
			dec := json.NewDecoder(r.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil {
				WriteError(w, r, Errorf(http.StatusBadRequest, CodeBadRequest, "body must be {\"pattern\": \"overview:*\"}: %v", err))
				return
			}
			if strings.TrimSpace(body.Pattern) == "" || len(body.Pattern) > 200 {
				WriteError(w, r, Errorf(http.StatusBadRequest, CodeBadRequest, "invalid pattern %q: want 1 to 200 characters, e.g. overview:*", body.Pattern))
				return
			}
			n, err := c.DeletePattern(r.Context(), body.Pattern)
			if err != nil {
				WriteError(w, r, err)
				return
			}
			WriteJSON(w, http.StatusOK, map[string]any{"deleted": n, "pattern": body.Pattern})
		})))
	}
}
