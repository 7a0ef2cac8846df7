package langfusetest_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/stockdatasource/stockd/internal/tracing/langfusetest"
)

func export() *coltrace.ExportTraceServiceRequest {
	str := func(s string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
	}
	return &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8), Name: "s",
			Attributes: []*commonpb.KeyValue{{Key: "k", Value: str("v")}},
		}}}},
	}}}
}

func post(t *testing.T, r *langfusetest.Receiver, body []byte, header map[string]string) int {
	req, _ := http.NewRequest(http.MethodPost, r.URL+langfusetest.Path, bytes.NewReader(body))
	req.SetBasicAuth("pk", "sk")
	req.Header.Set("x-langfuse-ingestion-version", "4")
	req.Header.Set("Content-Type", "application/x-protobuf")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The receiver takes what Langfuse takes (protobuf, JSON, gzip) and
// refuses what Langfuse refuses, so a test cannot pass by sending less.
func TestReceiverChecks(t *testing.T) {
	r := langfusetest.New(t, "pk", "sk")
	pb, _ := proto.Marshal(export())
	js, _ := protojson.Marshal(export())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(pb)
	zw.Close()

	for _, c := range []struct {
		name   string
		body   []byte
		header map[string]string
		want   int
	}{
		{"protobuf", pb, nil, 200},
		{"json", js, map[string]string{"Content-Type": "application/json"}, 200},
		{"gzip", gz.Bytes(), map[string]string{"Content-Encoding": "gzip"}, 200},
		{"no ingestion version", pb, map[string]string{"x-langfuse-ingestion-version": ""}, 400},
		{"wrong key", pb, map[string]string{"Authorization": "Basic cGs6bm8="}, 401},
		{"not protobuf", []byte("hello"), nil, 400},
		{"text", pb, map[string]string{"Content-Type": "text/plain"}, 400},
	} {
		if got := post(t, r, c.body, c.header); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	spans := r.Spans()
	if len(spans) != 3 || spans[0].TraceID != strings.Repeat("01", 16) || spans[0].Str("k") != "v" || spans[0].ParentSpanID != "" {
		t.Fatalf("spans %+v", spans)
	}
	if n := len(r.Rejected()); n != 4 {
		t.Errorf("%d rejections recorded: %v", n, r.Rejected())
	}
}
