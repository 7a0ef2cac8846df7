package main

import (
	"compress/gzip"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stockdatasource/stockd/internal/tracing/langfusetest"
)

const (
	// otlpTracesPath is Langfuse's OTLP/HTTP trace endpoint.
	otlpTracesPath = "/api/public/otel/v1/traces"
	// readbackPath is the stand-in's own: GET lists what the trace endpoint received, DELETE forgets it.
	readbackPath = "/_standin/otel/traces"
	maxBody      = 16 << 20
	keepExports  = 200
)

// Export is one accepted POST to the trace endpoint.
type Export struct {
	At               time.Time           `json:"at"`
	ContentType      string              `json:"content_type"`
	ContentEncoding  string              `json:"content_encoding,omitempty"`
	IngestionVersion string              `json:"x_langfuse_ingestion_version,omitempty"`
	Bytes            int                 `json:"bytes"`
	Spans            []langfusetest.Span `json:"spans"`
	// Body is the request body after gzip decoding, base64.
	Body string `json:"body_base64"`
}

// Readback is the answer of GET /_standin/otel/traces.
type Readback struct {
	Exports  int      `json:"exports"`
	Spans    int      `json:"spans"`
	Rejected int      `json:"rejected"`
	Received []Export `json:"received"`
}

// receiver accepts OTLP/HTTP trace exports (protobuf or JSON, optionally gzip) for the init project
// and keeps them for the read-back endpoint.
type receiver struct {
	publicKey, secretKey string

	mu       sync.Mutex
	exports  int
	spans    int
	rejected int
	received []Export
}

func newReceiver(publicKey, secretKey string) *receiver {
	return &receiver{publicKey: publicKey, secretKey: secretKey}
}

func (rc *receiver) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	return ok && rc.publicKey != "" && rc.secretKey != "" &&
		subtle.ConstantTimeCompare([]byte(user), []byte(rc.publicKey)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(rc.secretKey)) == 1
}

func (rc *receiver) reject(w http.ResponseWriter, status int, msg string) {
	rc.mu.Lock()
	rc.rejected++
	rc.mu.Unlock()
	writeJSON(w, status, map[string]string{"message": msg})
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !rc.authorized(r) {
		rc.reject(w, http.StatusUnauthorized, "Invalid credentials: Basic auth with the project's public and secret key expected")
		return
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, maxBody)
	encoding := strings.ToLower(r.Header.Get("Content-Encoding"))
	switch encoding {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			rc.reject(w, http.StatusBadRequest, "bad gzip body: "+err.Error())
			return
		}
		defer zr.Close()
		body = io.LimitReader(zr, maxBody)
	default:
		rc.reject(w, http.StatusUnsupportedMediaType, "unsupported Content-Encoding "+encoding)
		return
	}
	data, err := io.ReadAll(body)
	if err != nil {
		rc.reject(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	ctype := r.Header.Get("Content-Type")
	var spans []langfusetest.Span
	mediaType, _, _ := strings.Cut(ctype, ";")
	switch strings.TrimSpace(mediaType) {
	case "application/x-protobuf":
		spans, err = langfusetest.Decode(data, ctype, "")
	case "application/json":
		spans, err = decodeTracesJSON(data)
	default:
		rc.reject(w, http.StatusUnsupportedMediaType, "Content-Type must be application/x-protobuf or application/json, not "+ctype)
		return
	}
	if err != nil {
		rc.reject(w, http.StatusBadRequest, "not an OTLP ExportTraceServiceRequest: "+err.Error())
		return
	}
	rc.mu.Lock()
	rc.exports++
	rc.spans += len(spans)
	rc.received = append(rc.received, Export{At: time.Now().UTC(), ContentType: ctype, ContentEncoding: encoding,
		IngestionVersion: r.Header.Get("x-langfuse-ingestion-version"), Bytes: len(data), Spans: spans,
		Body: base64.StdEncoding.EncodeToString(data)})
	if len(rc.received) > keepExports {
		rc.received = rc.received[len(rc.received)-keepExports:]
	}
	rc.mu.Unlock()
	// An empty ExportTraceServiceResponse, in the request's encoding (OTLP/HTTP).
	if mediaType == "application/json" {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (rc *receiver) serveReadback(w http.ResponseWriter, _ *http.Request) {
	rc.mu.Lock()
	out := Readback{Exports: rc.exports, Spans: rc.spans, Rejected: rc.rejected, Received: append([]Export{}, rc.received...)}
	rc.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (rc *receiver) serveReset(w http.ResponseWriter, _ *http.Request) {
	rc.mu.Lock()
	rc.exports, rc.spans, rc.rejected, rc.received = 0, 0, 0, nil
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// The OTLP/JSON encoding: ids in hex (not base64, as a generic protobuf JSON decoder would read
// them), lowerCamelCase fields, 64-bit integers as strings.
type jsonAnyValue struct {
	StringValue *string          `json:"stringValue"`
	BoolValue   *bool            `json:"boolValue"`
	IntValue    *json.RawMessage `json:"intValue"`
	DoubleValue *float64         `json:"doubleValue"`
}

type jsonKeyValue struct {
	Key   string       `json:"key"`
	Value jsonAnyValue `json:"value"`
}

type jsonTraces struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []jsonKeyValue `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Scope struct {
				Name string `json:"name"`
			} `json:"scope"`
			Spans []struct {
				TraceID           string         `json:"traceId"`
				SpanID            string         `json:"spanId"`
				ParentSpanID      string         `json:"parentSpanId"`
				Name              string         `json:"name"`
				StartTimeUnixNano string         `json:"startTimeUnixNano"`
				EndTimeUnixNano   string         `json:"endTimeUnixNano"`
				Attributes        []jsonKeyValue `json:"attributes"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

func jsonAttrs(kvs []jsonKeyValue) map[string]any {
	out := map[string]any{}
	for _, kv := range kvs {
		v := kv.Value
		switch {
		case v.StringValue != nil:
			out[kv.Key] = *v.StringValue
		case v.BoolValue != nil:
			out[kv.Key] = *v.BoolValue
		case v.IntValue != nil:
			n, _ := strconv.ParseInt(strings.Trim(string(*v.IntValue), `"`), 10, 64)
			out[kv.Key] = n
		case v.DoubleValue != nil:
			out[kv.Key] = *v.DoubleValue
		default:
			out[kv.Key] = nil
		}
	}
	return out
}

func unixNano(s string) time.Time {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Unix(0, n)
}

func decodeTracesJSON(data []byte) ([]langfusetest.Span, error) {
	var req jsonTraces
	if err := json.Unmarshal(data, &req); err != nil {
		return nil, err
	}
	if req.ResourceSpans == nil {
		return nil, errors.New("no resourceSpans")
	}
	var spans []langfusetest.Span
	for _, rs := range req.ResourceSpans {
		res := jsonAttrs(rs.Resource.Attributes)
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				traceID, err1 := hex.DecodeString(s.TraceID)
				spanID, err2 := hex.DecodeString(s.SpanID)
				if err1 != nil || err2 != nil || len(traceID) != 16 || len(spanID) != 8 {
					return nil, fmt.Errorf("span %q: traceId %q and spanId %q must be 16 and 8 bytes in hex", s.Name, s.TraceID, s.SpanID)
				}
				spans = append(spans, langfusetest.Span{TraceID: hex.EncodeToString(traceID), SpanID: hex.EncodeToString(spanID),
					ParentSpanID: strings.ToLower(s.ParentSpanID), Name: s.Name, Start: unixNano(s.StartTimeUnixNano),
					End: unixNano(s.EndTimeUnixNano), Attrs: jsonAttrs(s.Attributes), Scope: ss.Scope.Name, Resource: res})
			}
		}
	}
	return spans, nil
}
