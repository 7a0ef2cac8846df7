package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/stockdatasource/stockd/internal/query"
)

// Error codes of the JSON error body. Clients switch on them; messages are
// for people.
const (
	CodeBadRequest       = query.CodeBadRequest
	CodeInvalidCode      = query.CodeInvalidCode
	CodeInvalidDate      = "invalid_date"
	CodeNotFound         = query.CodeNotFound
	CodeNoData           = query.CodeNoData
	CodeMethodNotAllowed = "method_not_allowed"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeTooLarge         = "request_too_large"
	CodeStoreUnavailable = "store_unavailable"
	CodeInternal         = "internal_error"
	CodeValidation       = "validation_failed"
	CodeReadOnly         = "read_only"
	CodeCanceled         = "canceled"
	CodeLimitReached     = "limit_reached"
	CodeUnsupportedType  = "unsupported_media_type"
)

// FieldError names one invalid field of a request body.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an answer the client caused or must know about. Handlers return
// it (also through the cache loader, which must not cache it) and WriteError
// renders it as {"error":{"code","message","details"}}.
type Error struct {
	Status  int
	Code    string
	Message string
	Details []FieldError
	// Omitted counts the field problems found past those in Details.
	Omitted int
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Errorf builds an *Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// badParam is the 400 of a query or path parameter; the message names the
// parameter and the value, so a user can fix the URL without reading docs.
func badParam(code, name, value, why string) *Error {
	return Errorf(http.StatusBadRequest, code, "invalid %s %q: %s", name, value, why)
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code           string       `json:"code"`
	Message        string       `json:"message"`
	Details        []FieldError `json:"details,omitempty"`
	DetailsOmitted int          `json:"details_omitted,omitempty"`
}

// WriteJSON encodes v as the JSON answer with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := query.Encode(v)
	if err != nil {
		// Only a programming error (a channel, a NaN) gets here.
		slog.Error("encode JSON answer", "err", err)
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal_error","message":"internal error"}}`+"\n")
	}
	writeRaw(w, status, body)
}

// jsonContentType is shared by every answer; net/http only reads it.
var jsonContentType = []string{"application/json; charset=utf-8"}

// writeRaw writes an already encoded JSON body: cache hits take this path.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	// Direct assignment with canonical keys skips Header.Set's
	// canonicalisation: this is the path of every cache hit.
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// writeAnswer writes a query's answer: the bytes as the cache holds them,
// with X-Cache saying whether this request's loader ran (none when nothing
// was cached), or the error.
func writeAnswer(w http.ResponseWriter, r *http.Request, a query.Answer, err error) {
	if err != nil {
		WriteError(w, r, err)
		return
	}
	switch a.Cache {
	case query.Hit:
		w.Header()["X-Cache"] = xCacheHit
	case query.Miss:
		w.Header()["X-Cache"] = xCacheMiss
	}
	writeRaw(w, http.StatusOK, a.Body)
}

var xCacheHit, xCacheMiss = []string{"hit"}, []string{"miss"}

// queryStatus is the status of each error code of the queries.
var queryStatus = map[string]int{
	query.CodeBadRequest:  http.StatusBadRequest,
	query.CodeInvalidCode: http.StatusBadRequest,
	query.CodeNotFound:    http.StatusNotFound,
	query.CodeNoData:      http.StatusNotFound,
}

// WriteError answers err as JSON. An *Error or *query.Error (possibly
// wrapped) is shown as is. The client's own faults are 4xx and logged at
// most at debug level: a body over the limit (413), a body that could not
// be read or JSON that does not decode (400), a request the client gave up
// (499). Anything else is a failure of a dependency: it is logged with the
// request ID and answered 503 store_unavailable without internal details.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := clientError(r, err)
	if e == nil {
		loggerFrom(r.Context()).Error("request failed", "route", r.Pattern, "err", err)
		e = Errorf(http.StatusServiceUnavailable, CodeStoreUnavailable, "the data store is unavailable, try again later")
	}
	WriteJSON(w, e.Status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Details: e.Details, DetailsOmitted: e.Omitted}})
}

// clientError is the answer to err when the client caused it or must know
// about it, nil when err is the server's (a store outage).
func clientError(r *http.Request, err error) *Error {
	var (
		e        *Error
		qe       *query.Error
		tooLarge *http.MaxBytesError
		body     *bodyError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &qe):
		e = &Error{Status: queryStatus[qe.Code], Code: qe.Code, Message: qe.Message}
		if e.Status == 0 {
			e.Status = http.StatusBadRequest
		}
		return e
	case errors.As(err, &tooLarge):
		return Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body larger than %d bytes", tooLarge.Limit)
	case errors.As(err, &body):
		loggerFrom(r.Context()).Debug("unreadable request body", "err", err)
		return Errorf(http.StatusBadRequest, CodeBadRequest, "cannot read the request body: %s", bodyProblem(body.err))
	case errors.As(err, &syntax), errors.As(err, &typ):
		return Errorf(http.StatusBadRequest, CodeBadRequest, "invalid JSON body: %s", query.JSONProblem(err))
	case r.Context().Err() != nil:
		// The client went away; nobody reads this answer.
		return Errorf(499, CodeCanceled, "request canceled")
	}
	return nil
}

// RequireToken guards h with a bearer token: Authorization: Bearer <token>.
// An empty token refuses every request (403), so an unset API_TOKEN never
// opens an admin endpoint by accident; callers that want open access when
// unset (workflow writes) simply do not wrap.
func RequireToken(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			WriteError(w, r, Errorf(http.StatusForbidden, CodeForbidden, "this endpoint is disabled: the server has no API_TOKEN"))
			return
		}
		if !hasToken(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="stockd"`)
			WriteError(w, r, Errorf(http.StatusUnauthorized, CodeUnauthorized, "missing or wrong bearer token (Authorization: Bearer <API_TOKEN>)"))
			return
		}
		h.ServeHTTP(w, r)
	})
}
