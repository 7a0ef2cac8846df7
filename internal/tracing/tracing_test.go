package tracing_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/stockdatasource/stockd/internal/tracing"
	"github.com/stockdatasource/stockd/internal/tracing/langfusetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDisabledWithoutHost(t *testing.T) {
	tr, err := tracing.New(tracing.Config{PublicKey: "pk", SecretKey: "sk"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Enabled() {
		t.Fatal("a tracer without LANGFUSE_HOST is enabled")
	}
	_, span := tr.Tracer().Start(context.Background(), "x")
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Errorf("disabled tracer makes recording spans: recording=%v valid=%v", span.IsRecording(), span.SpanContext().IsValid())
	}
	span.End()
	if tr.TraceURL("abc") != "" {
		t.Error("disabled tracer gives a Langfuse link")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestHostNeedsBothKeys(t *testing.T) {
	_, err := tracing.New(tracing.Config{Host: "http://127.0.0.1:1", PublicKey: "pk"})
	if err == nil || !strings.Contains(err.Error(), "LANGFUSE_SECRET_KEY") {
		t.Fatalf("host without secret key: err = %v, want one naming LANGFUSE_SECRET_KEY", err)
	}
	_, err = tracing.New(tracing.Config{Host: "ftp://x", PublicKey: "pk", SecretKey: "sk"})
	if err == nil || !strings.Contains(err.Error(), "LANGFUSE_HOST") {
		t.Fatalf("ftp host: err = %v", err)
	}
}

// Spans reach the receiver as protobuf with the project's Basic auth and
// the ingestion-version header (the receiver refuses anything else), with
// the attributes, parent links, status and resource intact.
func TestExportToLangfuse(t *testing.T) {
	lf := langfusetest.New(t, "pk-lf-test", "sk-lf-test")
	tr, err := tracing.New(tracing.Config{Host: lf.URL + "/", PublicKey: "pk-lf-test", SecretKey: "sk-lf-test",
		ServiceVersion: "v-test", PublicURL: "http://localhost:3000", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, root := tr.Tracer().Start(context.Background(), "root", tracingAttrs()...)
	_, child := tr.Tracer().Start(ctx, "child")
	child.SetStatus(codes.Error, "tool failed")
	child.End()
	root.End()
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := lf.WaitSpans(2, 10*time.Second, nil)
	if len(spans) != 2 {
		t.Fatalf("received %d spans, want 2 (rejected: %v)", len(spans), lf.Rejected())
	}
	byName := map[string]langfusetest.Span{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	r, c := byName["root"], byName["child"]
	if r.ParentSpanID != "" || c.ParentSpanID != r.SpanID || c.TraceID != r.TraceID {
		t.Errorf("tree: root parent %q, child parent %q (root %q), traces %q/%q", r.ParentSpanID, c.ParentSpanID, r.SpanID, r.TraceID, c.TraceID)
	}
	if r.Str(tracing.TraceName) != "单股深度分析" || r.Str(tracing.TraceMetadataPrefix+"run_id") != "run_1" {
		t.Errorf("root attributes: %v", r.Attrs)
	}
	if n, ok := r.Int(tracing.GenAIInputTokens); !ok || n != 42 {
		t.Errorf("int attribute = %v, %v", n, ok)
	}
	if got := r.Strings(tracing.TraceTags); len(got) != 2 || got[1] != "analysis" {
		t.Errorf("tags = %v", got)
	}
	if c.StatusCode != "Error" || c.StatusMessage != "tool failed" {
		t.Errorf("child status = %q %q", c.StatusCode, c.StatusMessage)
	}
	if r.Resource["service.name"] != "stockd" || r.Resource["service.version"] != "v-test" || r.Scope != tracing.ScopeName {
		t.Errorf("resource %v, scope %q", r.Resource, r.Scope)
	}
	if got, want := tr.TraceURL(r.TraceID), "http://localhost:3000/trace/"+r.TraceID; got != want {
		t.Errorf("TraceURL = %q, want %q", got, want)
	}
	if s := tr.Stats(); s.ExportedSpans != 2 || s.FailedExports != 0 {
		t.Errorf("stats = %+v", s)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func tracingAttrs() []trace.SpanStartOption {
	return []trace.SpanStartOption{trace.WithAttributes(
		attribute.String(tracing.TraceName, "单股深度分析"),
		attribute.String(tracing.TraceMetadataPrefix+"run_id", "run_1"),
		attribute.StringSlice(tracing.TraceTags, []string{"workflow", "analysis"}),
		attribute.Int64(tracing.GenAIInputTokens, 42),
	)}
}

// Shutdown sends what is still queued: nothing is lost when the process
// stops before the batch timer fires.
func TestShutdownFlushes(t *testing.T) {
	lf := langfusetest.New(t, "pk", "sk")
	tr, err := tracing.New(tracing.Config{Host: lf.URL, PublicKey: "pk", SecretKey: "sk", BatchTimeout: time.Hour, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_, s := tr.Tracer().Start(context.Background(), "queued")
		s.End()
	}
	if len(lf.Spans()) != 0 {
		t.Fatal("spans exported before the batch was due")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(lf.Spans()); n != 3 {
		t.Fatalf("after Shutdown the receiver has %d spans, want 3", n)
	}
}

// Wrong keys: Langfuse answers 401, the exporter does not retry it, the
// failure is counted and exposed to Prometheus, and nobody sees an error.
func TestExportFailureIsCountedNotReturned(t *testing.T) {
	lf := langfusetest.New(t, "pk", "sk")
	tr, err := tracing.New(tracing.Config{Host: lf.URL, PublicKey: "pk", SecretKey: "wrong", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	_, s := tr.Tracer().Start(context.Background(), "lost")
	s.End()
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatalf("ForceFlush returned the export error: %v", err)
	}
	st := tr.Stats()
	if st.FailedExports != 1 || st.DroppedSpans != 1 || st.ExportedSpans != 0 || !strings.Contains(st.LastError, "401") {
		t.Fatalf("stats = %+v", st)
	}
	if got := lf.Rejected(); len(got) != 1 || !strings.HasPrefix(got[0], "401") {
		t.Fatalf("receiver rejections = %v", got)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(tr.Collector())
	want := `
# HELP stockd_trace_export_failures_total Trace exports to Langfuse that failed (after the exporter's retries).
# TYPE stockd_trace_export_failures_total counter
stockd_trace_export_failures_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "stockd_trace_export_failures_total"); err != nil {
		t.Fatal(err)
	}
	tr.Shutdown(context.Background())
}

func TestCut(t *testing.T) {
	s := strings.Repeat("茅", 100) // 3 bytes each
	got := tracing.Cut(s, 50)
	if len(got) > 50 || !strings.HasSuffix(got, "…[truncated]") || !strings.HasPrefix(got, "茅") {
		t.Fatalf("Cut = %q (%d bytes)", got, len(got))
	}
	if tracing.Cut("short", 50) != "short" {
		t.Fatal("short string changed")
	}
}
