package agent_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
	"github.com/stockdatasource/stockd/internal/tracing"
	"github.com/stockdatasource/stockd/internal/tracing/langfusetest"
)

// twoRoundScript: round 1 thinks, then asks for two tools whose argument
// fragments are interleaved by index; round 2 answers. Each turn checks
// the request it gets.
func twoRoundScript(t *testing.T) []llmtest.Turn {
	basicArgs := `{"code":"600519.SH"}`
	dailyArgs := `{"code":"600519.SH","start":"20250901","adjust":"qfq"}`
	return []llmtest.Turn{
		{
			Expect: func(t testing.TB, r *llmtest.Request) {
				expectf(t, r.Stream && r.StreamOptions != nil && r.StreamOptions.IncludeUsage, "round 1: stream %v, stream_options %+v", r.Stream, r.StreamOptions)
				expectf(t, r.Model == "deepseek-chat" && r.MaxTokens == agent.DefaultMaxOutputTokens, "round 1: model %q max_tokens %d", r.Model, r.MaxTokens)
				expectf(t, r.Header.Get("Authorization") == "Bearer sk-test", "round 1: Authorization %q", r.Header.Get("Authorization"))
				expectf(t, len(r.Messages) == 2 && r.Messages[0].Role == "system" && r.Messages[1].Role == "user" &&
					strings.Contains(string(r.Messages[1].Content), "600519.SH"), "round 1 messages: %+v", r.Messages)
				expectf(t, sameStrings(r.ToolNames(), []string{"get_stock_basic", "get_stock_daily", "get_hot_stocks"}), "round 1 tools: %v", r.ToolNames())
				expectf(t, len(r.Tools) > 0 && strings.Contains(string(r.Tools[0].Function.Parameters), `"required":["code"]`), "tool schema: %s", r.Tools[0].Function.Parameters)
				expectf(t, len(r.ToolChoice) == 0, "round 1 tool_choice = %s", r.ToolChoice)
			},
			Reasoning:  []string{"先看基本信息，", "再看K线。"},
			Calls:      []llmtest.Call{{ID: "call_basic", Name: "get_stock_basic", Args: basicArgs}, {ID: "call_daily", Name: "get_stock_daily", Args: dailyArgs}},
			Interleave: true, ArgChunk: 3,
			Usage: llmtest.Usage{Prompt: 812, Completion: 57},
		},
		{
			Expect: func(t testing.TB, r *llmtest.Request) {
				if len(r.Messages) != 5 {
					t.Errorf("round 2: %d messages, want system, user, assistant, tool, tool", len(r.Messages))
					return
				}
				as := r.Messages[2]
				expectf(t, as.Role == "assistant" && len(as.ToolCalls) == 2, "round 2 assistant message: %+v", as)
				if len(as.ToolCalls) == 2 {
					expectf(t, as.ToolCalls[0].ID == "call_basic" && as.ToolCalls[0].Function.Name == "get_stock_basic" && as.ToolCalls[0].Function.Arguments == basicArgs,
						"assembled call 0: %+v", as.ToolCalls[0])
					expectf(t, as.ToolCalls[1].ID == "call_daily" && as.ToolCalls[1].Function.Arguments == dailyArgs, "assembled call 1: %+v", as.ToolCalls[1])
				}
				expectf(t, as.ReasoningContent == "先看基本信息，再看K线。", "reasoning_content sent back: %q", as.ReasoningContent)
				res := r.ToolResults()
				expectf(t, strings.Contains(res["call_basic"], `"close":1431`) && strings.Contains(res["call_basic"], "贵州茅台"), "basic result the model got: %q", res["call_basic"])
				expectf(t, strings.Contains(res["call_daily"], `"adjust":"qfq"`), "daily result: %q", res["call_daily"])
			},
			Content: []string{"## 贵州茅台（600519.SH）\n", "最新收盘价 **1431** 元。"},
			Usage:   llmtest.Usage{Prompt: 1290, Completion: 88},
		},
	}
}

// The whole loop: events in order, tool calls assembled from interleaved
// fragments and executed with validated arguments, results fed back,
// usage summed, and the record complete.
func TestTwoRoundRunWithTwoToolCalls(t *testing.T) {
	srv := llmtest.New(t, twoRoundScript(t)...)
	calls := &toolCalls{}
	a := newAgent(t, srv, calls, nil)
	col := &agent.Collector{}
	req := request(t)
	req.RunID = agent.NewRunID()
	running := a.NewRecord(req) // what the handler stores first
	if running.Status != agent.StatusRunning || running.ID != req.RunID || running.Model != "deepseek-chat" || running.FinishedAt != nil {
		t.Errorf("running record %+v", running)
	}
	rec, err := a.Run(context.Background(), req, col)
	if err != nil {
		t.Fatalf("run failed: %v", err)
	}
	if rec.ID != req.RunID {
		t.Errorf("record id %q, want the caller's %q", rec.ID, req.RunID)
	}

	want := []string{"run", "thinking*", "usage", "tool_call", "tool_call", "tool_result", "tool_result", "content*", "usage", "done"}
	if got := eventTypes(col.Events()); !sameStrings(got, want) {
		t.Fatalf("events:\n got %v\nwant %v", got, want)
	}
	evs := col.Events()
	run := evs[0].Data.(*agent.RunStart)
	if run.RunID != rec.ID || !strings.HasPrefix(run.RunID, "run_") || run.WorkflowID != "tpl-single-stock-analysis" || run.Model != "deepseek-chat" {
		t.Errorf("run event %+v", run)
	}
	if col.Text(agent.EventThinking) != "先看基本信息，再看K线。" || col.Text(agent.EventContent) != "## 贵州茅台（600519.SH）\n最新收盘价 **1431** 元。" {
		t.Errorf("thinking %q content %q", col.Text(agent.EventThinking), col.Text(agent.EventContent))
	}
	var results []*agent.ToolResultEvent
	for _, e := range evs {
		switch d := e.Data.(type) {
		case *agent.ToolCallEvent:
			if d.Round != 1 || (d.Name != "get_stock_basic" && d.Name != "get_stock_daily") {
				t.Errorf("tool_call %+v", d)
			}
		case *agent.ToolResultEvent:
			results = append(results, d)
		}
	}
	for _, r := range results {
		if !r.OK || r.Size == 0 || r.Ms < 0 || r.Cached != (r.Name == "get_stock_daily") {
			t.Errorf("tool_result %+v", r)
		}
	}
	usage := evs[len(evs)-2].Data.(*agent.UsageEvent)
	if usage.Round != 2 || usage.Usage.InputTokens != 1290 || usage.Total.InputTokens != 812+1290 || usage.Total.OutputTokens != 57+88 {
		t.Errorf("last usage event %+v", usage)
	}

	if got := calls.of("get_stock_basic"); len(got) != 1 || got[0] != `{"code":"600519.SH"}` {
		t.Errorf("get_stock_basic called with %v", got)
	}
	// The record: what is stored.
	if rec.Status != agent.StatusSucceeded || rec.Error != nil || rec.TraceID != "" {
		t.Errorf("status %s error %+v trace %q (no tracer: no trace id)", rec.Status, rec.Error, rec.TraceID)
	}
	if rec.Usage != (agent.Usage{InputTokens: 2102, OutputTokens: 145, TotalTokens: 2247}) {
		t.Errorf("usage %+v", rec.Usage)
	}
	if len(rec.Rounds) != 2 || len(rec.Rounds[0].ToolCalls) != 2 || rec.Rounds[0].FinishReason != "tool_calls" || rec.Rounds[1].FinishReason != "stop" || rec.Rounds[0].Attempts != 1 {
		t.Fatalf("rounds %+v", rec.Rounds)
	}
	tc := rec.Rounds[0].ToolCalls[0]
	if tc.Name != "get_stock_basic" || string(tc.Arguments) != `{"code":"600519.SH"}` || !tc.OK || tc.ResultBytes != len(basicJSON) || tc.Cached {
		t.Errorf("recorded tool call %+v", tc)
	}
	if rec.Output != col.Text(agent.EventContent) || rec.Workflow.ID != "tpl-single-stock-analysis" || rec.Variables["stock_code"] != "600519.SH" || rec.Model != "deepseek-chat" {
		t.Errorf("record: output %q workflow %q variables %v", rec.Output, rec.Workflow.ID, rec.Variables)
	}
	if res, ok := col.Result(); !ok || res != rec {
		t.Error("the collector's result is not the returned record")
	}
	// The record is a plain JSON document.
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var back agent.Record
	if err := json.Unmarshal(b, &back); err != nil || back.Usage != rec.Usage || len(back.Rounds) != 2 || back.Status != agent.StatusSucceeded {
		t.Fatalf("record JSON round trip: %v %s", err, b)
	}
	for _, key := range []string{`"workflow_id"`, `"variables"`, `"status":"succeeded"`, `"tool_calls"`, `"result_bytes"`, `"duration_ms"`, `"output"`, `"latency_ms"`, `"input_tokens":2102`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("record JSON lacks %s", key)
		}
	}
	if srv.Remaining() != 0 {
		t.Errorf("%d scripted turns unused", srv.Remaining())
	}
}

// The same run traced to a fake Langfuse: one trace, root span with the
// Langfuse trace attributes, model spans with the GenAI attributes and
// token counts, tool spans, all children of the root.
func TestRunTraceInLangfuse(t *testing.T) {
	lf := langfusetest.New(t, "pk-lf-1", "sk-lf-1")
	tr, err := tracing.New(tracing.Config{Host: lf.URL, PublicKey: "pk-lf-1", SecretKey: "sk-lf-1", Logger: quiet(), PublicURL: "http://localhost:3000"})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown(context.Background())
	srv := llmtest.New(t, twoRoundScript(t)...)
	a := newAgent(t, srv, &toolCalls{}, func(c *agent.Config) { c.Tracer = tr.Tracer(); c.TraceURL = tr.TraceURL })
	col := &agent.Collector{}
	rec, err := a.Run(context.Background(), request(t), col)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.TraceID) != 32 {
		t.Fatalf("trace id %q", rec.TraceID)
	}
	if run := col.Events()[0].Data.(*agent.RunStart); run.TraceID != rec.TraceID || run.TraceURL != "http://localhost:3000/trace/"+rec.TraceID {
		t.Errorf("run event %+v", run)
	}
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := langfusetest.Trace(lf.WaitSpans(5, 10*time.Second, nil), rec.TraceID)
	if len(spans) != 5 {
		t.Fatalf("%d spans in the trace, want root + 2 model + 2 tool (rejected: %v)", len(spans), lf.Rejected())
	}
	var root langfusetest.Span
	for _, s := range spans {
		if s.ParentSpanID == "" {
			root = s
		}
	}
	if root.Name != "workflow 单股深度分析" || root.Str(tracing.TraceName) != "单股深度分析" || root.Str(tracing.ObservationType) != "agent" ||
		root.Str(tracing.GenAIOperation) != "invoke_agent" || root.StatusCode != "Ok" {
		t.Errorf("root span %q attrs %v status %q", root.Name, root.Attrs, root.StatusCode)
	}
	if !strings.Contains(root.Str(tracing.TraceInput), `"stock_code":"600519.SH"`) || root.Str(tracing.TraceOutput) != rec.Output ||
		root.Str(tracing.TraceMetadataPrefix+"run_id") != rec.ID || root.Str(tracing.TraceMetadataPrefix+"workflow_id") != rec.WorkflowID {
		t.Errorf("root input/output/metadata: %v", root.Attrs)
	}
	if _, has := root.Attrs[tracing.GenAIInputTokens]; has {
		t.Error("root span carries gen_ai.usage: Langfuse would count the tokens twice")
	}
	kids := langfusetest.Children(spans, root.SpanID)
	var names []string
	for _, k := range kids {
		names = append(names, k.Name)
	}
	// The two tool spans run concurrently: compare them as a set.
	if len(kids) != 4 || kids[0].Name != "chat deepseek-chat" || kids[3].Name != "chat deepseek-chat" ||
		!(kids[1].Name == "execute_tool get_stock_basic" && kids[2].Name == "execute_tool get_stock_daily" ||
			kids[2].Name == "execute_tool get_stock_basic" && kids[1].Name == "execute_tool get_stock_daily") {
		t.Fatalf("children of the root: %v", names)
	}
	var in, out int64
	for i, m := range []langfusetest.Span{kids[0], kids[3]} {
		for _, key := range []string{tracing.GenAIInputMessages, tracing.GenAIOutputMessages, tracing.CompletionStartTime} {
			if m.Str(key) == "" {
				t.Errorf("model span %d lacks %s", i, key)
			}
		}
		if m.Str(tracing.GenAIOperation) != "chat" || m.Str(tracing.GenAIProvider) != "deepseek" || m.Str(tracing.GenAISystem) != "deepseek" ||
			m.Str(tracing.GenAIRequestModel) != "deepseek-chat" || m.Str(tracing.GenAIResponseModel) != "deepseek-chat" || m.Kind != "CLIENT" {
			t.Errorf("model span %d attrs %v", i, m.Attrs)
		}
		n, _ := m.Int(tracing.GenAIInputTokens)
		o, _ := m.Int(tracing.GenAIOutputTokens)
		in, out = in+n, out+o
	}
	if in != rec.Usage.InputTokens || out != rec.Usage.OutputTokens || in != 2102 || out != 145 {
		t.Errorf("model spans count %d/%d tokens, the run %d/%d", in, out, rec.Usage.InputTokens, rec.Usage.OutputTokens)
	}
	if fr := kids[0].Strings(tracing.GenAIFinishReasons); len(fr) != 1 || fr[0] != "tool_calls" {
		t.Errorf("round 1 finish reasons %v", fr)
	}
	if fr := kids[3].Strings(tracing.GenAIFinishReasons); len(fr) != 1 || fr[0] != "stop" {
		t.Errorf("round 2 finish reasons %v", fr)
	}
	if !strings.Contains(kids[0].Str(tracing.GenAIOutputMessages), `"tool_calls"`) || !strings.Contains(kids[3].Str(tracing.GenAIInputMessages), `"role":"tool"`) {
		t.Errorf("prompt/completion content: out1 %s / in2 %s", kids[0].Str(tracing.GenAIOutputMessages), kids[3].Str(tracing.GenAIInputMessages))
	}
	for _, k := range kids[1:3] {
		if k.Str(tracing.GenAIOperation) != "execute_tool" || k.Str(tracing.ObservationType) != "tool" || k.Str(tracing.GenAIToolCallArgs) == "" ||
			k.Str(tracing.GenAIToolCallResult) == "" || k.Str(tracing.GenAIToolCallID) == "" {
			t.Errorf("tool span %s attrs %v", k.Name, k.Attrs)
		}
	}
}

// Langfuse refusing the export (wrong keys) costs the run nothing: it
// succeeds, and the failure is counted for /metrics.
func TestTraceExportFailureDoesNotFailRun(t *testing.T) {
	lf := langfusetest.New(t, "pk", "sk")
	tr, err := tracing.New(tracing.Config{Host: lf.URL, PublicKey: "pk", SecretKey: "revoked", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown(context.Background())
	srv := llmtest.New(t, twoRoundScript(t)...)
	a := newAgent(t, srv, &toolCalls{}, func(c *agent.Config) { c.Tracer = tr.Tracer() })
	rec, err := a.Run(context.Background(), request(t), nil)
	if err != nil || rec.Status != agent.StatusSucceeded || rec.TraceID == "" {
		t.Fatalf("run: %v, status %s, trace %q", err, rec.Status, rec.TraceID)
	}
	if err := tr.ForceFlush(context.Background()); err != nil {
		t.Fatalf("flush surfaced the export error: %v", err)
	}
	if s := tr.Stats(); s.FailedExports == 0 || s.DroppedSpans != 5 || len(lf.Spans()) != 0 {
		t.Errorf("stats %+v, spans received %d", s, len(lf.Spans()))
	}
}

// A call that breaks the tool's schema, a call to a tool the workflow did
// not select, and arguments that are not JSON: each becomes a tool error
// the model reads in the next round; the tools are not called and the run
// goes on.
func TestBadToolCallsGoBackToTheModel(t *testing.T) {
	srv := llmtest.New(t,
		llmtest.Turn{Calls: []llmtest.Call{
			{ID: "c1", Name: "get_stock_daily", Args: `{"code":"600519.SH","adjust":"weekly"}`},
			{ID: "c2", Name: "get_market_stats", Args: `{}`},
			{ID: "c3", Name: "get_stock_basic", Args: `{"code":`},
			{ID: "c4", Name: "get_stock_basic", Args: `{"code":"600519.SH","extra":1}`},
		}},
		llmtest.Turn{
			Expect: func(t testing.TB, r *llmtest.Request) {
				res := r.ToolResults()
				expectf(t, strings.Contains(res["c1"], `"error"`) && strings.Contains(res["c1"], "/adjust") && strings.Contains(res["c1"], "'qfq', 'hfq', 'none'"), "c1: %s", res["c1"])
				expectf(t, strings.Contains(res["c2"], `unknown tool \"get_market_stats\"`) && strings.Contains(res["c2"], "get_stock_basic"), "c2: %s", res["c2"])
				expectf(t, strings.Contains(res["c3"], "not valid JSON"), "c3: %s", res["c3"])
				expectf(t, strings.Contains(res["c4"], "extra"), "c4: %s", res["c4"])
			},
			Content: []string{"参数有误，已修正。"},
		})
	calls := &toolCalls{}
	a := newAgent(t, srv, calls, nil)
	col := &agent.Collector{}
	rec, err := a.Run(context.Background(), request(t), col)
	if err != nil {
		t.Fatalf("a bad tool call failed the run: %v", err)
	}
	if calls.n.Load() != 0 {
		t.Errorf("tools were called with invalid arguments: %v", calls.args)
	}
	for _, c := range rec.Rounds[0].ToolCalls {
		if c.OK || c.Error == "" {
			t.Errorf("recorded call %+v", c)
		}
	}
	if string(rec.Rounds[0].ToolCalls[2].Arguments) != `"{\"code\":"` {
		t.Errorf("invalid JSON arguments recorded as %s", rec.Rounds[0].ToolCalls[2].Arguments)
	}
	n := 0
	for _, e := range col.Events() {
		if r, ok := e.Data.(*agent.ToolResultEvent); ok && !r.OK && r.Error != "" {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d failed tool_result events, want 4", n)
	}
}

// Tool errors, timeouts, panics and big results are the tool's answer to
// the model, not the run's failure; a big result is cut to the budget with
// a marker.
func TestToolFailuresAndBudget(t *testing.T) {
	big := `{"data":"` + strings.Repeat("茅", 20000) + `"}`
	overrides := map[string]agent.CallFunc{
		"get_stock_basic": func(ctx context.Context, _ json.RawMessage) ([]byte, bool, error) {
			<-ctx.Done() // a query that hangs
			return nil, false, ctx.Err()
		},
		"get_hot_stocks": func(context.Context, json.RawMessage) ([]byte, bool, error) { panic("boom") },
		"get_stock_daily": func(context.Context, json.RawMessage) ([]byte, bool, error) {
			return []byte(big), true, nil
		},
	}
	srv := llmtest.New(t,
		llmtest.Turn{Calls: []llmtest.Call{
			{ID: "slow", Name: "get_stock_basic", Args: `{"code":"600519"}`},
			{ID: "panic", Name: "get_hot_stocks", Args: `{}`},
			{ID: "big", Name: "get_stock_daily", Args: `{"code":"600519"}`},
		}},
		llmtest.Turn{
			Expect: func(t testing.TB, r *llmtest.Request) {
				res := r.ToolResults()
				expectf(t, strings.Contains(res["slow"], "did not answer within 150ms"), "slow: %s", res["slow"])
				expectf(t, strings.Contains(res["panic"], "internal error"), "panic: %s", res["panic"])
				expectf(t, len(res["big"]) < 1200 && strings.Contains(res["big"], "…[truncated: the result has 60011 bytes"), "big: %d bytes, ends %q", len(res["big"]), res["big"][max(0, len(res["big"])-120):])
				expectf(t, strings.HasPrefix(res["big"], `{"data":"茅`), "big starts %q", res["big"][:12])
			},
			Content: []string{"ok"},
		})
	calls := &toolCalls{}
	a, err := agent.New(agent.Config{BaseURL: srv.URL, Model: "m", Tools: catalogueTools(calls, overrides), Logger: quiet(),
		ToolTimeout: 150 * time.Millisecond, MaxToolResultBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	req := request(t)
	rec, err := a.Run(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]agent.ToolCall{}
	for _, c := range rec.Rounds[0].ToolCalls {
		byID[c.ID] = c
	}
	if c := byID["big"]; !c.OK || !c.Truncated || c.ResultBytes != len(big) || !c.Cached {
		t.Errorf("big call %+v", c)
	}
	if c := byID["slow"]; c.OK || c.DurationMs < 150 {
		t.Errorf("slow call %+v", c)
	}
	if c := byID["panic"]; c.OK || c.Error != "internal error in the tool" {
		t.Errorf("panic call %+v", c)
	}
}

// The last round offers no tool (tool_choice none); a model that calls
// tools anyway ends the run as too_many_rounds.
func TestRoundLimit(t *testing.T) {
	call := []llmtest.Call{{Name: "get_stock_basic", Args: `{"code":"600519"}`}}
	srv := llmtest.New(t,
		llmtest.Turn{Calls: call},
		llmtest.Turn{Calls: call, Expect: func(t testing.TB, r *llmtest.Request) {
			expectf(t, string(r.ToolChoice) == `"none"`, "last round tool_choice = %s", r.ToolChoice)
		}})
	a := newAgent(t, srv, &toolCalls{}, func(c *agent.Config) { c.MaxRounds = 2 })
	rec, err := a.Run(context.Background(), request(t), nil)
	e := mustError(t, rec, err, agent.StatusFailed, agent.CodeTooManyRounds)
	if !strings.Contains(e.Message, "2 rounds") || len(rec.Rounds) != 2 {
		t.Errorf("message %q, %d rounds", e.Message, len(rec.Rounds))
	}
}

// A workflow naming a tool the agent does not have is refused before any
// model call, with the available tools named.
func TestCheckRefusesUnknownTools(t *testing.T) {
	srv := llmtest.New(t)
	a := newAgent(t, srv, &toolCalls{}, func(c *agent.Config) {
		var kept []agent.Tool
		for _, tool := range c.Tools {
			if tool.Name() != "get_stock_daily" {
				kept = append(kept, tool)
			}
		}
		c.Tools = kept
	})
	req := request(t)
	err := a.Check(req)
	var e *agent.Error
	if !asError(err, &e) || e.Code != agent.CodeInvalidRun || !strings.Contains(e.Message, "get_stock_daily") {
		t.Fatalf("Check = %v", err)
	}
	rec, err := a.Run(context.Background(), req, nil)
	mustError(t, rec, err, agent.StatusFailed, agent.CodeInvalidRun)
	if len(srv.Requests()) != 0 {
		t.Error("the model was called for an impossible run")
	}
	req.UserPrompt = " "
	req.Tools = []string{}
	if err := a.Check(req); err == nil {
		t.Error("empty prompt accepted")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := agent.New(agent.Config{}); err == nil || !strings.Contains(err.Error(), "OPENAI_MODEL") {
		t.Errorf("no model: %v", err)
	}
	bad := agent.NewTool(workflowTool("bad name", map[string]any{"type": "object"}), nil)
	if _, err := agent.New(agent.Config{Model: "m", Tools: []agent.Tool{bad}}); err == nil {
		t.Error("tool name with a space accepted")
	}
	broken := agent.NewTool(workflowTool("broken", map[string]any{"type": "object", "properties": map[string]any{"x": map[string]any{"type": "nonsense"}}}), nil)
	if _, err := agent.New(agent.Config{Model: "m", Tools: []agent.Tool{broken}}); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("broken schema: %v", err)
	}
}
