package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/stockdatasource/stockd/internal/query"
)

// maxBodyBytes caps request bodies (workflow documents are a few KiB).
const maxBodyBytes = 256 << 10

// bodyError is a request body the server could not read: the client's
// fault (a malformed chunk, a connection cut mid-body, a body sent too
// slowly), never the store's.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "read request body: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// readBody reads a request body whole; instrument caps it at maxBodyBytes.
// Every failure is the client's: a body over the cap is a
// *http.MaxBytesError (413), anything else a *bodyError (400). WriteError
// renders both.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, err
		}
		return nil, &bodyError{err: err}
	}
	return b, nil
}

// decodeJSON reads a body (readBody) and decodes it strictly into v:
// unknown fields and trailing data are refused. An empty body leaves v as
// it is when optional. Errors are *Error answers naming the problem in
// words (never Go type names); shape says what the body should look like.
func decodeJSON(r *http.Request, v any, optional bool, shape string) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if optional {
			return nil
		}
		return Errorf(http.StatusBadRequest, CodeBadRequest, "empty body: want %s", shape)
	}
	if err := query.DecodeStrict(raw, v); err != nil {
		return Errorf(http.StatusBadRequest, CodeBadRequest, "body must be %s: %s", shape, query.JSONProblem(err))
	}
	return nil
}

// bodyProblem says why a body could not be read, without the connection's
// addresses that a *net.OpError carries.
func bodyProblem(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "it was sent too slowly"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "it ended before its announced length"
	case errors.As(err, new(*net.OpError)):
		return "the connection failed"
	}
	// net/http's own reasons, e.g. "invalid byte in chunk length".
	return err.Error()
}

// safeMethod reports whether a method only reads (RFC 9110 §9.2.1).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// jsonContent reports whether a write declares a JSON body: POST, PUT and
// PATCH always carry one here; a DELETE only when it sends a body at all.
func jsonContent(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.Method == http.MethodDelete && r.ContentLength == 0 {
		return true
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}
