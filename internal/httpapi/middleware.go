package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stockdatasource/stockd/internal/query"
)

type ctxKey int

// requestKey holds the *recorder of a request in its context: the request
// ID and the logger travel with the writer the middleware allocates anyway.
const requestKey ctxKey = 0

// RequestID returns the ID of the request being served, "" outside one.
func RequestID(ctx context.Context) string {
	if rec, ok := ctx.Value(requestKey).(*recorder); ok {
		return rec.id[0]
	}
	return ""
}

// loggerFrom returns a logger carrying the request's ID, or the default.
// It is built on demand: only failures log from inside a handler, and a
// per-request slog.Logger.With would cost every cache hit its attributes.
func loggerFrom(ctx context.Context) *slog.Logger {
	if rec, ok := ctx.Value(requestKey).(*recorder); ok {
		return rec.logger.With("request_id", rec.id[0])
	}
	return slog.Default()
}

// saneRequestID accepts a caller's X-Request-ID only when it is short and
// plain, so it can go into logs and headers without escaping.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// Request IDs are a random per-process prefix and a counter: unique in the
// process, and across replicas unless two draw the same 48-bit prefix. They
// correlate log lines and are no secret, so reading the system's random
// source on every request would buy nothing.
var (
	requestIDPrefix = func() [12]byte {
		var b [6]byte
		rand.Read(b[:])
		var p [12]byte
		hex.Encode(p[:], b[:])
		return p
	}()
	requestCounter atomic.Uint64
)

func newRequestID() string {
	var id [24]byte
	copy(id[:12], requestIDPrefix[:])
	n := requestCounter.Add(1)
	const digits = "0123456789abcdef"
	for i := 23; i >= 12; i-- {
		id[i] = digits[n&0xf]
		n >>= 4
	}
	return string(id[:])
}

// recorder remembers the status and size of the answer for logs and
// metrics, and carries what the handlers may need of the request: its ID
// (kept as the header value itself, so setting the header allocates
// nothing more) and the logger.
//
// It also holds every error answer to the API's shape: an error status
// written with any other content type (http.Error, http.ServeContent's
// 416, a handler added later) goes out as the JSON error of that status
// instead, its own body dropped.
type recorder struct {
	http.ResponseWriter
	req     *http.Request
	status  int
	bytes   int64
	id      [1]string
	logger  *slog.Logger
	swapped bool // the body is ours; the handler's writes are dropped
}

func (r *recorder) WriteHeader(code int) {
	if r.status != 0 {
		r.ResponseWriter.WriteHeader(code) // superfluous: net/http logs it
		return
	}
	r.status = code
	h := r.Header()
	if code >= 400 && !isJSON(h) {
		r.swapped = true
		delete(h, "Content-Length")
		delete(h, "Content-Encoding")
		msg := strings.ToLower(http.StatusText(code))
		if msg == "" {
			msg = "error"
		}
		body, _ := query.Encode(errorBody{Error: errorDetail{Code: codeOfStatus(code), Message: msg + ": " + r.req.URL.Path}})
		h["Content-Type"] = jsonContentType
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		r.ResponseWriter.WriteHeader(code)
		n, _ := r.ResponseWriter.Write(body)
		r.bytes += int64(n)
		return
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.swapped {
		return len(b), nil
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// isJSON reports whether an answer's headers declare JSON.
func isJSON(h http.Header) bool {
	ct := h["Content-Type"]
	return len(ct) > 0 && strings.HasPrefix(ct[0], "application/json")
}

// codeOfStatus is the error code of a status written without one.
func codeOfStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	case http.StatusUnsupportedMediaType:
		return CodeUnsupportedType
	case http.StatusServiceUnavailable:
		return CodeStoreUnavailable
	}
	if status >= 500 {
		return CodeInternal
	}
	return CodeBadRequest
}

// canonicalPath reports whether p is the form ServeMux would not redirect:
// rooted, no empty, . or .. segments. A path that is not gets a JSON 404
// instead of the mux's HTML redirect.
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np == p
}

// Unwrap lets http.ResponseController reach Flush and deadlines (SSE).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// metrics are the Prometheus series of the HTTP layer.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// The series are looked up once and kept: WithLabelValues hashes the
	// labels on every call, a visible cost next to a cache hit. Both maps
	// stay small because every label is bounded.
	mu        sync.RWMutex
	counters  map[counterKey]prometheus.Counter
	observers map[string]prometheus.Observer
}

type counterKey struct {
	route, method string
	status        int
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stockd_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stockd_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern.",
			// Cache hits answer in well under a millisecond: the buckets
			// start low so they are not all lumped into the first one.
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1},
		}, []string{"route"}),
		counters:  map[counterKey]prometheus.Counter{},
		observers: map[string]prometheus.Observer{},
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe counts one finished request.
func (m *metrics) observe(route, method string, status int, d time.Duration) {
	ck := counterKey{route, method, status}
	m.mu.RLock()
	c, okc := m.counters[ck]
	o, oko := m.observers[route]
	m.mu.RUnlock()
	if !okc || !oko {
		m.mu.Lock()
		if c, okc = m.counters[ck]; !okc {
			c = m.requests.WithLabelValues(route, method, strconv.Itoa(status))
			m.counters[ck] = c
		}
		if o, oko = m.observers[route]; !oko {
			o = m.duration.WithLabelValues(route)
			m.observers[route] = o
		}
		m.mu.Unlock()
	}
	c.Inc()
	o.Observe(d.Seconds())
}

// routeLabel is the mux pattern that served r: bounded, unlike raw paths,
// which would give every stock code its own series.
func routeLabel(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}

// methodLabel keeps the method label bounded: a client may send any token
// as a method, and each would otherwise become a series of its own.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return method
	}
	return "other"
}

// instrument is the outermost middleware: request ID, body limit, panic
// recovery, one log line and the metrics of every request.
func instrument(next http.Handler, logger *slog.Logger, m *metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// net/http stores incoming keys canonicalised: index the map
		// directly rather than canonicalise "X-Request-ID" per request.
		var id string
		if v := r.Header["X-Request-Id"]; len(v) > 0 {
			id = v[0]
		}
		if !saneRequestID(id) {
			id = newRequestID()
		}
		rec := &recorder{ResponseWriter: w, req: r, id: [1]string{id}, logger: logger}
		// The canonical keys, assigned directly: Header.Set would
		// canonicalise "X-Request-ID" into a new string every time.
		h := w.Header()
		h["X-Request-Id"] = rec.id[:]
		h["X-Content-Type-Options"] = nosniff
		r = r.WithContext(context.WithValue(r.Context(), requestKey, rec))
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				loggerFrom(r.Context()).Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					WriteJSON(rec, http.StatusInternalServerError, errorBody{Error: errorDetail{Code: CodeInternal, Message: "internal error"}})
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			route := routeLabel(r)
			d := time.Since(start)
			m.observe(route, methodLabel(r.Method), status, d)
			level := slog.LevelInfo
			if r.URL.Path == "/health" || r.URL.Path == "/metrics" {
				level = slog.LevelDebug
			}
			if logger.Enabled(r.Context(), level) {
				logger.LogAttrs(r.Context(), level, "request",
					slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", route),
					slog.String("path", r.URL.Path), slog.Int("status", status), slog.Int64("bytes", rec.bytes),
					slog.Duration("duration", d))
			}
		}()
		if !canonicalPath(r.URL.Path) && r.Method != http.MethodConnect {
			WriteError(rec, r, Errorf(http.StatusNotFound, CodeNotFound,
				"no such path %q: paths with empty, . or .. segments are not served", r.URL.Path))
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// nosniff keeps a browser from reading an answer as another type than the
// one it declares (a JSON error as HTML, say).
var nosniff = []string{"nosniff"}
