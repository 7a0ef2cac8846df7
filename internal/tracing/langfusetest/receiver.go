// Package langfusetest is a stand-in for Langfuse's OTLP trace endpoint:
// it takes POST /api/public/otel/v1/traces as Langfuse does (protobuf or
// JSON ExportTraceServiceRequest, gzip or not), checks the Basic auth of the
// project keys and the x-langfuse-ingestion-version header, and keeps the
// spans for assertions. Decode is usable on its own, e.g. by a recorder of
// OTLP bodies.
package langfusetest

import (
	"bytes"
	"compress/gzip"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Path is the endpoint Langfuse serves OTLP traces on.
const Path = "/api/public/otel/v1/traces"

// Span is one decoded span, flattened for assertions.
type Span struct {
	TraceID, SpanID, ParentSpanID string // lower-case hex; ParentSpanID "" for a root
	Name                          string
	Kind                          string
	Start, End                    time.Time
	Attrs                         map[string]any // string, bool, int64, float64, []any
	StatusCode                    string         // "", "Ok" or "Error"
	StatusMessage                 string
	Scope                         string
	Resource                      map[string]any
	Events                        []string
}

// Str returns a string attribute, or "".
func (s Span) Str(key string) string { v, _ := s.Attrs[key].(string); return v }

// Int returns an integer attribute and whether it is one.
func (s Span) Int(key string) (int64, bool) { v, ok := s.Attrs[key].(int64); return v, ok }

// Strings returns a string-array attribute.
func (s Span) Strings(key string) []string {
	list, _ := s.Attrs[key].([]any)
	out := make([]string, 0, len(list))
	for _, v := range list {
		if str, ok := v.(string); ok {
			out = append(out, str)
		}
	}
	return out
}

// Decode parses an OTLP/HTTP trace export body. contentType is the request's
// Content-Type (protobuf or JSON), contentEncoding its Content-Encoding.
func Decode(body []byte, contentType, contentEncoding string) ([]Span, error) {
	if strings.Contains(strings.ToLower(contentEncoding), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
	}
	var req coltrace.ExportTraceServiceRequest
	switch ct := strings.ToLower(contentType); {
	case strings.Contains(ct, "application/x-protobuf"):
		if err := proto.Unmarshal(body, &req); err != nil {
			return nil, fmt.Errorf("protobuf ExportTraceServiceRequest: %w", err)
		}
	case strings.Contains(ct, "application/json"):
		if err := protojson.Unmarshal(body, &req); err != nil {
			return nil, fmt.Errorf("JSON ExportTraceServiceRequest: %w", err)
		}
	default:
		return nil, fmt.Errorf("content type %q: want application/x-protobuf or application/json", contentType)
	}
	var out []Span
	for _, rs := range req.GetResourceSpans() {
		res := attrMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				if len(sp.GetTraceId()) != 16 || len(sp.GetSpanId()) != 8 {
					return nil, fmt.Errorf("span %q: trace id of %d bytes, span id of %d: want 16 and 8", sp.GetName(), len(sp.GetTraceId()), len(sp.GetSpanId()))
				}
				s := Span{
					TraceID:      hex.EncodeToString(sp.GetTraceId()),
					SpanID:       hex.EncodeToString(sp.GetSpanId()),
					ParentSpanID: hex.EncodeToString(sp.GetParentSpanId()),
					Name:         sp.GetName(),
					Kind:         strings.TrimPrefix(sp.GetKind().String(), "SPAN_KIND_"),
					Start:        time.Unix(0, int64(sp.GetStartTimeUnixNano())),
					End:          time.Unix(0, int64(sp.GetEndTimeUnixNano())),
					Attrs:        attrMap(sp.GetAttributes()),
					Scope:        ss.GetScope().GetName(),
					Resource:     res,
				}
				switch sp.GetStatus().GetCode() {
				case tracepb.Status_STATUS_CODE_OK:
					s.StatusCode = "Ok"
				case tracepb.Status_STATUS_CODE_ERROR:
					s.StatusCode = "Error"
				}
				s.StatusMessage = sp.GetStatus().GetMessage()
				for _, ev := range sp.GetEvents() {
					s.Events = append(s.Events, ev.GetName())
				}
				out = append(out, s)
			}
		}
	}
	return out, nil
}

func attrMap(kvs []*commonpb.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = value(kv.GetValue())
	}
	return m
}

func value(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_ArrayValue:
		out := make([]any, 0, len(x.ArrayValue.GetValues()))
		for _, e := range x.ArrayValue.GetValues() {
			out = append(out, value(e))
		}
		return out
	case *commonpb.AnyValue_BytesValue:
		return x.BytesValue
	}
	return nil
}

// Receiver is a running fake Langfuse trace endpoint.
type Receiver struct {
	// URL is the host to configure as LANGFUSE_HOST.
	URL                  string
	PublicKey, SecretKey string

	srv      *httptest.Server
	mu       sync.Mutex
	spans    []Span
	rejected []string
	arrived  chan struct{}
}

// New starts a receiver accepting the given keys; it stops when t ends.
func New(t testing.TB, publicKey, secretKey string) *Receiver {
	r := &Receiver{PublicKey: publicKey, SecretKey: secretKey, arrived: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	t.Cleanup(r.srv.Close)
	return r
}

func (r *Receiver) reject(w http.ResponseWriter, status int, msg string) {
	r.mu.Lock()
	r.rejected = append(r.rejected, fmt.Sprintf("%d %s", status, msg))
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != Path {
		r.reject(w, http.StatusNotFound, "no route "+req.URL.Path)
		return
	}
	if req.Method != http.MethodPost {
		r.reject(w, http.StatusMethodNotAllowed, "method "+req.Method)
		return
	}
	user, pass, ok := req.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(r.PublicKey)) != 1 || subtle.ConstantTimeCompare([]byte(pass), []byte(r.SecretKey)) != 1 {
		r.reject(w, http.StatusUnauthorized, "Invalid credentials. Confirm that you've configured the correct host.")
		return
	}
	if v := req.Header.Get("x-langfuse-ingestion-version"); v != "4" {
		r.reject(w, http.StatusBadRequest, fmt.Sprintf("x-langfuse-ingestion-version %q: want \"4\"", v))
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.reject(w, http.StatusBadRequest, "Failed to read request body")
		return
	}
	spans, err := Decode(body, req.Header.Get("Content-Type"), req.Header.Get("Content-Encoding"))
	if err != nil {
		r.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	r.mu.Lock()
	r.spans = append(r.spans, spans...)
	r.mu.Unlock()
	select {
	case r.arrived <- struct{}{}:
	default:
	}
	// An empty ExportTraceServiceResponse: full success.
	resp, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(resp)
}

// Spans returns every span received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Rejected returns the refused requests as "status message".
func (r *Receiver) Rejected() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.rejected...)
}

// WaitSpans waits until match holds for at least n received spans, or the
// timeout passes, and returns the matching spans.
func (r *Receiver) WaitSpans(n int, timeout time.Duration, match func(Span) bool) []Span {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		var got []Span
		for _, s := range r.Spans() {
			if match == nil || match(s) {
				got = append(got, s)
			}
		}
		if len(got) >= n {
			return got
		}
		select {
		case <-r.arrived:
		case <-deadline.C:
			return got
		}
	}
}

// Trace returns the spans of one trace.
func Trace(spans []Span, traceID string) []Span {
	var out []Span
	for _, s := range spans {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	return out
}

// Children returns the spans whose parent is id, in start order.
func Children(spans []Span, id string) []Span {
	var out []Span
	for _, s := range spans {
		if s.ParentSpanID == id {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b Span) int { return a.Start.Compare(b.Start) })
	return out
}
