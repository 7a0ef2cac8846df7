// Package tracing sends traces of workflow runs to Langfuse through its
// OpenTelemetry endpoint: OTLP/HTTP with protobuf bodies to
// $LANGFUSE_HOST/api/public/otel/v1/traces, Basic auth with the project's
// public and secret key, and the x-langfuse-ingestion-version header.
//
// Spans are batched and exported in the background; an export failure is
// logged and counted, never returned to the code that made the span, so a
// Langfuse outage cannot fail a run. Without a host the Tracer is a no-op.
package tracing

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Path is where Langfuse takes OTLP/HTTP trace exports, below its host.
const Path = "/api/public/otel/v1/traces"

// IngestionVersion is sent as x-langfuse-ingestion-version: version 4 makes
// Langfuse write the spans straight to its events table (the path its own
// SDKs use), rather than the legacy dual write.
const IngestionVersion = "4"

// ScopeName is the instrumentation scope of every span this service makes.
const ScopeName = "github.com/stockdatasource/stockd"

// Config says where traces go. An empty Host disables tracing.
type Config struct {
	Host      string // LANGFUSE_HOST, e.g. http://langfuse-web:3000
	PublicKey string // LANGFUSE_PUBLIC_KEY (pk-lf-…)
	SecretKey string // LANGFUSE_SECRET_KEY (sk-lf-…)
	// PublicURL is the Langfuse address a browser can open, when it differs
	// from Host (in Compose the backend reaches langfuse-web:3000, the user
	// localhost:3000). Defaults to Host.
	PublicURL string

	ServiceName    string // resource service.name; default "stockd"
	ServiceVersion string // resource service.version
	Environment    string // resource deployment.environment.name (Langfuse's environment)

	// BatchTimeout is how long a finished span may wait for its batch
	// (default 2s); ExportTimeout bounds one export call, retries included
	// (default 15s).
	BatchTimeout  time.Duration
	ExportTimeout time.Duration
	// HTTPClient sends the exports; nil uses the exporter's own.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Enabled reports whether cfg asks for an exporter.
func (c Config) Enabled() bool { return strings.TrimSpace(c.Host) != "" }

// Endpoint is the OTLP traces URL for cfg.Host.
func (c Config) Endpoint() string { return strings.TrimRight(strings.TrimSpace(c.Host), "/") + Path }

// Tracer owns the tracer provider of the process. The zero of its counters
// and a no-op tracer are what a disabled Tracer gives.
type Tracer struct {
	cfg      Config
	provider *sdktrace.TracerProvider // nil when disabled
	tracer   trace.Tracer
	exporter *countingExporter // nil when disabled
}

// New returns a Tracer exporting to cfg.Host, or a no-op one when the host
// is empty. A host without both keys is refused: Langfuse would answer 401
// to every export.
func New(cfg Config) (*Tracer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if !cfg.Enabled() {
		return &Tracer{cfg: cfg, tracer: noop.NewTracerProvider().Tracer(ScopeName)}, nil
	}
	if cfg.PublicKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("tracing: LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY are required when LANGFUSE_HOST is set")
	}
	u, err := url.Parse(cfg.Endpoint())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tracing: LANGFUSE_HOST %q is not an http(s) URL", cfg.Host)
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "stockd"
	}
	if cfg.BatchTimeout <= 0 {
		cfg.BatchTimeout = 2 * time.Second
	}
	if cfg.ExportTimeout <= 0 {
		cfg.ExportTimeout = 15 * time.Second
	}

	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(u.String()),
		otlptracehttp.WithHeaders(map[string]string{
			"Authorization":                "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.PublicKey+":"+cfg.SecretKey)),
			"x-langfuse-ingestion-version": IngestionVersion,
		}),
		otlptracehttp.WithTimeout(cfg.ExportTimeout),
		// A few quick retries of 429/502/503/504 within the export timeout;
		// the batch processor drops spans rather than block a run when
		// Langfuse stays away.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{
			Enabled: true, InitialInterval: 500 * time.Millisecond, MaxInterval: 5 * time.Second, MaxElapsedTime: cfg.ExportTimeout,
		}),
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, otlptracehttp.WithHTTPClient(cfg.HTTPClient))
	}
	// New never dials: the exporter connects on the first export.
	inner, err := otlptracehttp.New(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	exp := &countingExporter{SpanExporter: inner, logger: cfg.Logger, endpoint: u.String()}

	attrs := []attribute.KeyValue{
		attribute.String("service.name", cfg.ServiceName),
		attribute.String("telemetry.sdk.language", "go"),
	}
	if cfg.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.ServiceVersion))
	}
	if cfg.Environment != "" {
		attrs = append(attrs, attribute.String("deployment.environment.name", cfg.Environment))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(cfg.BatchTimeout), sdktrace.WithExportTimeout(cfg.ExportTimeout)),
		sdktrace.WithResource(resource.NewSchemaless(attrs...)),
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
	)
	return &Tracer{cfg: cfg, provider: tp, tracer: tp.Tracer(ScopeName), exporter: exp}, nil
}

// Enabled reports whether spans are exported.
func (t *Tracer) Enabled() bool { return t != nil && t.provider != nil }

// Tracer is what code starts spans with; a no-op tracer when disabled.
func (t *Tracer) Tracer() trace.Tracer {
	if t == nil {
		return noop.NewTracerProvider().Tracer(ScopeName)
	}
	return t.tracer
}

// TraceURL is the Langfuse page of a trace (Langfuse redirects /trace/{id}
// to the trace's project), or "" when tracing is off or id is empty.
func (t *Tracer) TraceURL(traceID string) string {
	if !t.Enabled() || traceID == "" {
		return ""
	}
	base := t.cfg.PublicURL
	if base == "" {
		base = t.cfg.Host
	}
	return strings.TrimRight(base, "/") + "/trace/" + traceID
}

// ForceFlush exports every finished span now.
func (t *Tracer) ForceFlush(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.provider.ForceFlush(ctx)
}

// Shutdown flushes what is queued and stops the exporter; call it once when
// the process stops, with a deadline.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// Stats are the exporter's counters since start.
type Stats struct {
	ExportedSpans  uint64 `json:"exported_spans"`
	FailedExports  uint64 `json:"failed_exports"`
	DroppedSpans   uint64 `json:"dropped_spans"` // spans of failed exports
	LastError      string `json:"last_error,omitempty"`
	LastErrorAtSec int64  `json:"last_error_at,omitempty"` // unix seconds
}

// Stats returns the export counters; zero when disabled.
func (t *Tracer) Stats() Stats {
	if !t.Enabled() {
		return Stats{}
	}
	return t.exporter.stats()
}

// countingExporter counts and logs export failures and swallows them: the
// SDK would only hand them to the global error handler, which prints to
// stderr once per batch.
type countingExporter struct {
	sdktrace.SpanExporter
	logger   *slog.Logger
	endpoint string

	exported atomic.Uint64
	failed   atomic.Uint64
	dropped  atomic.Uint64
	failing  atomic.Bool
	lastErr  atomic.Pointer[string]
	lastAt   atomic.Int64
}

func (e *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err == nil {
		e.exported.Add(uint64(len(spans)))
		if e.failing.CompareAndSwap(true, false) {
			e.logger.Info("trace export to Langfuse works again", "endpoint", e.endpoint)
		}
		return nil
	}
	e.failed.Add(1)
	e.dropped.Add(uint64(len(spans)))
	msg := err.Error()
	e.lastErr.Store(&msg)
	e.lastAt.Store(time.Now().Unix())
	// One warning per change of state; the counter tells the rest.
	if e.failing.CompareAndSwap(false, true) {
		e.logger.Warn("trace export to Langfuse failed; runs go on without traces", "endpoint", e.endpoint, "spans", len(spans), "err", err)
	} else {
		e.logger.Debug("trace export to Langfuse failed", "spans", len(spans), "err", err)
	}
	return nil
}

func (e *countingExporter) stats() Stats {
	s := Stats{ExportedSpans: e.exported.Load(), FailedExports: e.failed.Load(), DroppedSpans: e.dropped.Load(), LastErrorAtSec: e.lastAt.Load()}
	if p := e.lastErr.Load(); p != nil {
		s.LastError = *p
	}
	return s
}

var (
	descExported = prometheus.NewDesc("stockd_trace_spans_exported_total",
		"Spans exported to Langfuse.", nil, nil)
	descFailed = prometheus.NewDesc("stockd_trace_export_failures_total",
		"Trace exports to Langfuse that failed (after the exporter's retries).", nil, nil)
	descDropped = prometheus.NewDesc("stockd_trace_spans_dropped_total",
		"Spans lost in failed exports.", nil, nil)
	descEnabled = prometheus.NewDesc("stockd_trace_enabled",
		"1 when runs are traced to Langfuse.", nil, nil)
)

// Collector exposes the export counters to Prometheus; register it on the
// registry served at /metrics.
func (t *Tracer) Collector() prometheus.Collector { return collector{t} }

type collector struct{ t *Tracer }

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descExported, descFailed, descDropped, descEnabled} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.t.Stats()
	enabled := 0.0
	if c.t.Enabled() {
		enabled = 1
	}
	ch <- prometheus.MustNewConstMetric(descExported, prometheus.CounterValue, float64(s.ExportedSpans))
	ch <- prometheus.MustNewConstMetric(descFailed, prometheus.CounterValue, float64(s.FailedExports))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(s.DroppedSpans))
	ch <- prometheus.MustNewConstMetric(descEnabled, prometheus.GaugeValue, enabled)
}
