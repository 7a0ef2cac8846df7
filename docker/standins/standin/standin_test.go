package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/stockdatasource/stockd/internal/testenv"
)

func mapEnv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// webEnv is what docker-compose.langfuse.yml gives langfuse-web, pointed at the given servers.
func webEnv(redis, redisPassword, clickhouseHTTP, s3 string) map[string]string {
	return map[string]string{
		"DATABASE_URL":                      "postgresql://langfuse:pw@127.0.0.1:1/langfuse",
		"NEXTAUTH_URL":                      "http://localhost:3000",
		"NEXTAUTH_SECRET":                   "n",
		"SALT":                              "s",
		"ENCRYPTION_KEY":                    strings.Repeat("ab", 32),
		"CLICKHOUSE_URL":                    "http://" + clickhouseHTTP,
		"CLICKHOUSE_MIGRATION_URL":          "clickhouse://" + clickhouseHTTP,
		"CLICKHOUSE_USER":                   "default",
		"REDIS_CONNECTION_STRING":           "redis://:" + redisPassword + "@" + redis + "/0",
		"LANGFUSE_S3_EVENT_UPLOAD_BUCKET":   "langfuse",
		"LANGFUSE_S3_EVENT_UPLOAD_ENDPOINT": s3,
		"LANGFUSE_INIT_PROJECT_PUBLIC_KEY":  "pk-lf-test",
		"LANGFUSE_INIT_PROJECT_SECRET_KEY":  "sk-lf-test",
		"HOSTNAME":                          "127.0.0.1",
		"PORT":                              "0",
	}
}

func TestCheckSettings(t *testing.T) {
	env := webEnv("r:1", "", "c:1", "http://s")
	if err := checkSettings(roleWeb, mapEnv(env)); err != nil {
		t.Fatalf("complete settings refused: %v", err)
	}
	delete(env, "SALT")
	delete(env, "DATABASE_URL")
	err := checkSettings(roleWeb, mapEnv(env))
	if err == nil || !strings.Contains(err.Error(), "SALT") || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("missing settings: err=%v, want both named", err)
	}
	env = webEnv("r:1", "", "c:1", "http://s")
	env["ENCRYPTION_KEY"] = "abc"
	if err := checkSettings(roleWeb, mapEnv(env)); err == nil || !strings.Contains(err.Error(), "64 hex") {
		t.Errorf("short ENCRYPTION_KEY: err=%v", err)
	}
	// The worker has no NEXTAUTH_URL.
	env = webEnv("r:1", "", "c:1", "http://s")
	delete(env, "NEXTAUTH_URL")
	if err := checkSettings(roleWorker, mapEnv(env)); err != nil {
		t.Errorf("worker settings: %v", err)
	}
}

// Docker puts the container id in HOSTNAME; like the real images the stand-ins listen there.
func TestListenAddrFollowsHostname(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		r    role
		want string
	}{
		{map[string]string{}, roleWeb, "0.0.0.0:3000"},
		{map[string]string{}, roleWorker, "0.0.0.0:3030"},
		{map[string]string{"HOSTNAME": "3f2a9c0d1e4b"}, roleWorker, "3f2a9c0d1e4b:3030"},
		{map[string]string{"HOSTNAME": "0.0.0.0", "PORT": "4000"}, roleWeb, "0.0.0.0:4000"},
	} {
		if got := listenAddr(c.r, mapEnv(c.env)); got != c.want {
			t.Errorf("listenAddr(%s, %v) = %q, want %q", c.r, c.env, got, c.want)
		}
	}
}

// RFC 7677's SCRAM-SHA-256 example exchange.
func TestScramRFC7677(t *testing.T) {
	c := newScramClient("user", "pencil", "rOprNGfwEbeRWgbNEkqO")
	if got := c.clientFirst(); got != "n,,n=user,r=rOprNGfwEbeRWgbNEkqO" {
		t.Errorf("client-first %q", got)
	}
	final, err := c.clientFinal("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
	if err != nil {
		t.Fatal(err)
	}
	if want := "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="; final != want {
		t.Errorf("client-final %q, want %q", final, want)
	}
	if !c.verifyServer("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=") {
		t.Error("the RFC's server signature is not accepted")
	}
	if c.verifyServer("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") {
		t.Error("a wrong server signature is accepted")
	}
	if _, err := newScramClient("", "pencil", "abc").clientFinal("r=xyz,s=AAAA,i=1"); err == nil {
		t.Error("a server nonce that does not extend ours is accepted")
	}
}

func TestCheckRedisAndClickHouse(t *testing.T) {
	ctx := context.Background()
	addr, pw := testenv.Redis(t)
	if err := checkRedis(ctx, "redis://:"+pw+"@"+addr+"/0"); err != nil {
		t.Errorf("redis with the right password: %v", err)
	}
	if err := checkRedis(ctx, "redis://:wrong-"+pw+"@"+addr+"/0"); err == nil {
		t.Error("redis with a wrong password passes")
	}
	ch := testenv.ClickHouseHTTP(t)
	if err := checkClickHouseHTTP(ctx, "http://"+ch, "default", ""); err != nil {
		t.Errorf("clickhouse: %v", err)
	}
	if err := checkClickHouseHTTP(ctx, "http://"+ch, "nobody-"+pw, "x"); err == nil {
		t.Error("clickhouse with an unknown user passes")
	}
	if err := checkTCP(ctx, "clickhouse://"+testenv.ClickHouse(t), "9000"); err != nil {
		t.Errorf("clickhouse native port: %v", err)
	}
	// Nothing listens on port 1.
	if err := checkPostgres(ctx, "postgresql://langfuse:pw@127.0.0.1:1/langfuse"); err == nil {
		t.Error("postgres check passes without a server")
	}
}

func startMinio(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan string, 1)
	done := make(chan error, 1)
	env := mapEnv(map[string]string{"MINIO_ROOT_USER": "minio", "MINIO_ROOT_PASSWORD": "long-enough"})
	go func() {
		done <- serveMinio(ctx, []string{"server", "--address", "127.0.0.1:0", "--console-address", "127.0.0.1:0", dir}, env, listening)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("minio: %v", err)
		}
	})
	select {
	case addr := <-listening:
		return addr
	case err := <-done:
		t.Fatalf("minio did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("minio did not start")
	}
	return ""
}

func TestMinio(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "langfuse"), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := startMinio(t, dir)
	if _, err := os.Stat(filepath.Join(dir, ".minio.sys", "format.json")); err != nil {
		t.Errorf("the data folder was not initialised: %v", err)
	}
	ctx := context.Background()
	if err := checkBucket(ctx, "http://"+addr, "langfuse"); err != nil {
		t.Errorf("existing bucket: %v", err)
	}
	if err := checkBucket(ctx, "http://"+addr, "other"); err == nil {
		t.Error("a missing bucket is reported as there")
	}
	if err := mcReady([]string{"ready", "e2e"}, mapEnv(map[string]string{"MC_HOST_e2e": "http://minio:long-enough@" + addr})); err != nil {
		t.Errorf("mc ready: %v", err)
	}
	if err := mcReady([]string{"ready", "e2e"}, mapEnv(nil)); err == nil {
		t.Error("mc ready passes for an alias that is not configured")
	}
	err := serveMinio(ctx, []string{"server", dir}, mapEnv(map[string]string{"MINIO_ROOT_USER": "minio", "MINIO_ROOT_PASSWORD": "short"}), nil)
	if err == nil || !strings.Contains(err.Error(), "MINIO_ROOT_PASSWORD") {
		t.Errorf("a short root password: err=%v", err)
	}
}

// The web part on real Redis and ClickHouse, a MinIO stand-in and no Postgres: it serves, its health
// names what is missing, and its OTLP endpoint takes exports for the init project only.
func TestLangfuseWeb(t *testing.T) {
	redisAddr, pw := testenv.Redis(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "langfuse"), 0o755)
	s3 := "http://" + startMinio(t, dir)
	env := webEnv(redisAddr, pw, testenv.ClickHouseHTTP(t), s3)
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serveLangfuse(ctx, roleWeb, mapEnv(env), listening) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serveLangfuse: %v", err)
		}
	}()
	var base string
	select {
	case addr := <-listening:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("did not start: %v", err)
	}

	// Health: 503 naming Postgres (nothing listens at DATABASE_URL), and only Postgres.
	deadline := time.Now().Add(20 * time.Second)
	var health map[string]string
	for {
		resp, err := http.Get(base + "/api/public/health")
		if err != nil {
			t.Fatal(err)
		}
		health = map[string]string{}
		json.NewDecoder(resp.Body).Decode(&health)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("health %d without Postgres", resp.StatusCode)
		}
		if health["error"] != "dependencies not checked yet" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if e := health["error"]; !strings.Contains(e, "postgres") || strings.Contains(e, "redis") || strings.Contains(e, "clickhouse") || strings.Contains(e, "s3") {
		t.Errorf("health error %q: want Postgres named and nothing else", e)
	}

	post := func(user, pass, ctype, encoding string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, base+otlpTracesPath, bytes.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		req.Header.Set("Content-Type", ctype)
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	pb := traceRequestProto("stockd", "llm-run", bytes.Repeat([]byte{0xab}, 16), bytes.Repeat([]byte{0x01}, 8))
	if c := post("", "", "application/x-protobuf", "", pb); c != http.StatusUnauthorized {
		t.Errorf("no auth: %d", c)
	}
	if c := post("pk-lf-test", "sk-lf-wrong", "application/x-protobuf", "", pb); c != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", c)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(pb)
	zw.Close()
	if c := post("pk-lf-test", "sk-lf-test", "application/x-protobuf", "gzip", gz.Bytes()); c != http.StatusOK {
		t.Errorf("protobuf+gzip with the project keys: %d", c)
	}
	resp, err := http.Get(base + readbackPath)
	if err != nil {
		t.Fatal(err)
	}
	var rb Readback
	json.NewDecoder(resp.Body).Decode(&rb)
	resp.Body.Close()
	if rb.Exports != 1 || rb.Rejected != 2 || rb.Spans != 1 || len(rb.Received) != 1 {
		t.Fatalf("read-back %+v: want 1 export of 1 span, 2 rejected", rb)
	}
	got := rb.Received[0]
	if got.ContentEncoding != "gzip" || got.Bytes != len(pb) {
		t.Errorf("recorded encoding %q, %d bytes; want gzip, %d", got.ContentEncoding, got.Bytes, len(pb))
	}
	if s := got.Spans[0]; s.Name != "llm-run" || s.Resource["service.name"] != "stockd" || s.TraceID != strings.Repeat("ab", 16) ||
		s.Str("gen_ai.request.model") != "m1" || fmt.Sprint(s.Attrs["tokens"]) != "42" || s.Attrs["ok"] != true || s.Attrs["cost"] != 0.25 {
		t.Errorf("span %+v", s)
	}
	req, _ := http.NewRequest(http.MethodDelete, base+readbackPath, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Errorf("reset: %v %v", resp, err)
	}
}

func TestOTLPJSON(t *testing.T) {
	rc := newReceiver("pk", "sk")
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
		"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","name":"a",
		"attributes":[{"key":"n","value":{"intValue":"7"}},{"key":"d","value":{"doubleValue":1.5}}]},{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0000000000000001","name":"b"}]}]}]}`
	for _, c := range []struct {
		ctype, body string
		want        int
	}{
		{"application/json", body, http.StatusOK},
		{"application/json; charset=utf-8", `{"resourceSpans":[]}`, http.StatusOK},
		{"application/json", `{"other":1}`, http.StatusBadRequest},
		{"application/json", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abcd","spanId":"0000000000000001","name":"short"}]}]}]}`, http.StatusBadRequest},
		{"application/json", `not json`, http.StatusBadRequest},
		{"text/plain", body, http.StatusUnsupportedMediaType},
		{"application/x-protobuf", "\xff\xff\xff", http.StatusBadRequest},
	} {
		req := httptest.NewRequest(http.MethodPost, otlpTracesPath, strings.NewReader(c.body))
		req.SetBasicAuth("pk", "sk")
		req.Header.Set("Content-Type", c.ctype)
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if w.Code != c.want {
			t.Errorf("%s %.30q: %d, want %d (%s)", c.ctype, c.body, w.Code, c.want, w.Body)
		}
		if w.Code == http.StatusOK && (w.Header().Get("Content-Type") != "application/json" || w.Body.String() != "{}") {
			t.Errorf("JSON export answered %q %q", w.Header().Get("Content-Type"), w.Body)
		}
	}
	if rc.exports != 2 || rc.spans != 2 || rc.rejected != 5 {
		t.Fatalf("exports %d spans %d rejected %d", rc.exports, rc.spans, rc.rejected)
	}
	s := rc.received[0].Spans[0]
	if s.Resource["service.name"] != "svc" || s.TraceID != "5b8efff798038103d269b633813fc60c" || s.Attrs["n"] != int64(7) || s.Attrs["d"] != 1.5 {
		t.Errorf("span %+v", s)
	}
}

// traceRequestProto encodes an ExportTraceServiceRequest with one span, as an OTLP exporter does.
func traceRequestProto(service, name string, traceID, spanID []byte) []byte {
	str := func(v string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}
	}
	kv := func(k string, v *commonpb.AnyValue) *commonpb.KeyValue { return &commonpb.KeyValue{Key: k, Value: v} }
	req := &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{kv("service.name", str(service))}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: traceID, SpanId: spanID, Name: name, Kind: tracepb.Span_SPAN_KIND_INTERNAL,
			Attributes: []*commonpb.KeyValue{
				kv("gen_ai.request.model", str("m1")),
				kv("tokens", &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 42}}),
				kv("ok", &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}),
				kv("cost", &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 0.25}}),
			},
		}}}},
	}}}
	b, err := proto.Marshal(req)
	if err != nil {
		panic(err)
	}
	return b
}
