package main

import (
	"bytes"
	"compress/gzip"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

const (
	// otlpTracesPath is Langfuse's OTLP/HTTP trace endpoint.
	otlpTracesPath = "/api/public/otel/v1/traces"
	// readbackPath is the stand-in's own: GET lists what the trace endpoint received, DELETE forgets it.
	readbackPath = "/_standin/otel/traces"
	maxBody      = 16 << 20
	keepExports  = 200
)

// Span is one span of an accepted export, as the read-back endpoint lists it.
type Span struct {
	Service    string            `json:"service,omitempty"`
	Name       string            `json:"name"`
	TraceID    string            `json:"trace_id"`
	SpanID     string            `json:"span_id"`
	ParentID   string            `json:"parent_span_id,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Export is one accepted POST to the trace endpoint.
type Export struct {
	At              time.Time `json:"at"`
	ContentType     string    `json:"content_type"`
	ContentEncoding string    `json:"content_encoding,omitempty"`
	Bytes           int       `json:"bytes"`
	Spans           []Span    `json:"spans"`
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
	var spans []Span
	mediaType, _, _ := strings.Cut(ctype, ";")
	switch strings.TrimSpace(mediaType) {
	case "application/x-protobuf":
		spans, err = decodeTracesProto(data)
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
		Bytes: len(data), Spans: spans, Body: base64.StdEncoding.EncodeToString(data)})
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

// decodeTracesProto walks an ExportTraceServiceRequest:
// resource_spans(1) -> {resource(1) -> attributes(1), scope_spans(2) -> spans(2)}.
func decodeTracesProto(data []byte) ([]Span, error) {
	var spans []Span
	err := eachField(data, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != 1 || typ != protowire.BytesType {
			return nil
		}
		var service string
		var scopes [][]byte
		err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
			switch {
			case num == 1 && typ == protowire.BytesType: // Resource
				attrs, err := decodeAttributes(v, 1)
				service = attrs["service.name"]
				return err
			case num == 2 && typ == protowire.BytesType:
				scopes = append(scopes, v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, scope := range scopes {
			err := eachField(scope, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if num != 2 || typ != protowire.BytesType {
					return nil
				}
				s, err := decodeSpan(v)
				s.Service = service
				spans = append(spans, s)
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return spans, err
}

// decodeSpan reads trace_id(1), span_id(2), parent_span_id(4), name(5) and attributes(9).
func decodeSpan(data []byte) (Span, error) {
	var s Span
	err := eachField(data, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			s.TraceID = hex.EncodeToString(v)
		case 2:
			s.SpanID = hex.EncodeToString(v)
		case 4:
			s.ParentID = hex.EncodeToString(v)
		case 5:
			s.Name = string(v)
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	s.Attributes, err = decodeAttributes(data, 9)
	return s, err
}

// decodeAttributes collects the KeyValue messages of field num: key(1), value(2) as AnyValue
// string(1) bool(2) int(3) double(4); other kinds are shown as their kind.
func decodeAttributes(data []byte, field protowire.Number) (map[string]string, error) {
	attrs := map[string]string{}
	err := eachField(data, func(num protowire.Number, typ protowire.Type, kv []byte) error {
		if num != field || typ != protowire.BytesType {
			return nil
		}
		var key, val string
		return eachField(kv, func(num protowire.Number, typ protowire.Type, v []byte) error {
			switch num {
			case 1:
				key = string(v)
			case 2:
				if err := eachField(v, func(num protowire.Number, typ protowire.Type, raw []byte) error {
					switch {
					case num == 1 && typ == protowire.BytesType:
						val = string(raw)
					case num == 2 && typ == protowire.VarintType:
						n, _ := protowire.ConsumeVarint(raw)
						val = strconv.FormatBool(n != 0)
					case num == 3 && typ == protowire.VarintType:
						n, _ := protowire.ConsumeVarint(raw)
						val = strconv.FormatInt(int64(n), 10)
					case num == 4 && typ == protowire.Fixed64Type:
						n, _ := protowire.ConsumeFixed64(raw)
						val = strconv.FormatFloat(math.Float64frombits(n), 'g', -1, 64)
					default:
						val = fmt.Sprintf("<field %d>", num)
					}
					return nil
				}); err != nil {
					return err
				}
			}
			if key != "" {
				attrs[key] = val
			}
			return nil
		})
	})
	return attrs, err
}

// eachField calls fn with every field of a protobuf message; v is the payload of a BytesType
// field and the raw encoding of the value otherwise.
func eachField(data []byte, fn func(protowire.Number, protowire.Type, []byte) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		var v []byte
		if typ == protowire.BytesType {
			b, m := protowire.ConsumeBytes(data)
			if m < 0 {
				return protowire.ParseError(m)
			}
			v, n = b, m
		} else {
			n = protowire.ConsumeFieldValue(num, typ, data)
			if n < 0 {
				return protowire.ParseError(n)
			}
			v = data[:n]
		}
		if err := fn(num, typ, v); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// The OTLP/JSON encoding: hex ids, lowerCamelCase fields, int64 as strings.
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
			Spans []struct {
				TraceID      string         `json:"traceId"`
				SpanID       string         `json:"spanId"`
				ParentSpanID string         `json:"parentSpanId"`
				Name         string         `json:"name"`
				Attributes   []jsonKeyValue `json:"attributes"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

func jsonAttrs(kvs []jsonKeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		v := kv.Value
		switch {
		case v.StringValue != nil:
			out[kv.Key] = *v.StringValue
		case v.BoolValue != nil:
			out[kv.Key] = strconv.FormatBool(*v.BoolValue)
		case v.IntValue != nil:
			out[kv.Key] = strings.Trim(string(*v.IntValue), `"`)
		case v.DoubleValue != nil:
			out[kv.Key] = strconv.FormatFloat(*v.DoubleValue, 'g', -1, 64)
		default:
			out[kv.Key] = "<other>"
		}
	}
	return out
}

func decodeTracesJSON(data []byte) ([]Span, error) {
	var req jsonTraces
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&req); err != nil {
		return nil, err
	}
	if req.ResourceSpans == nil {
		return nil, errors.New("no resourceSpans")
	}
	var spans []Span
	for _, rs := range req.ResourceSpans {
		service := jsonAttrs(rs.Resource.Attributes)["service.name"]
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				spans = append(spans, Span{Service: service, Name: s.Name, TraceID: strings.ToLower(s.TraceID),
					SpanID: strings.ToLower(s.SpanID), ParentID: strings.ToLower(s.ParentSpanID), Attributes: jsonAttrs(s.Attributes)})
			}
		}
	}
	return spans, nil
}
