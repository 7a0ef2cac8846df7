package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/runs"
	"github.com/stockdatasource/stockd/internal/tracing/langfusetest"
	"github.com/stockdatasource/stockd/internal/workflow"
)

const singleStock = "/api/workflows/" + workflow.TemplateSingleStock

// The answer the fake model streams in round 2, in pieces.
var answerPieces = []string{"## 贵州茅台（600519.SH）\n\n", "最新收盘价 **1431** 元，", "跌幅 0.15%。\n\n", "<script>alert(1)</script>"}

// singleStockModel asks for the basic-info tool, then answers with what the
// tool gave it; every tool result it receives is checked.
func singleStockModel(t *testing.T) *llmtest.Server {
	return llmtest.New(t,
		llmtest.Turn{
			Expect: func(tb testing.TB, r *llmtest.Request) {
				names := r.ToolNames()
				slices.Sort(names)
				if !slices.Equal(names, []string{"get_hot_stocks", "get_stock_basic", "get_stock_daily"}) {
					tb.Errorf("round 1 offers tools %v, want the template's three", names)
				}
				if len(r.Messages) != 2 || r.Messages[0].Role != "system" || !strings.Contains(string(r.Last().Content), "请对股票 600519.SH 做一次深度分析，回看最近 60 个交易日") {
					tb.Errorf("round 1 messages: %+v", r.Messages)
				}
			},
			Reasoning: []string{"先查", "基本信息"},
			Calls:     []llmtest.Call{{ID: "call_basic", Name: "get_stock_basic", Args: `{"code":"sh600519"}`}},
			Usage:     llmtest.Usage{Prompt: 820, Completion: 31},
		},
		llmtest.Turn{
			Expect: func(tb testing.TB, r *llmtest.Request) {
				res := r.ToolResults()["call_basic"]
				var basic struct {
					TSCode string  `json:"ts_code"`
					Name   string  `json:"name"`
					Close  float64 `json:"close"`
				}
				if err := json.Unmarshal([]byte(res), &basic); err != nil || basic.TSCode != "600519.SH" || basic.Name != "贵州茅台" || basic.Close != 1431 {
					tb.Errorf("the tool result the model received is not 贵州茅台's basic info with close 1431: %v %.300s", err, res)
				}
			},
			Content: answerPieces,
			Usage:   llmtest.Usage{Prompt: 1650, Completion: 96},
		},
	)
}

func TestRunSingleStockSQLite(t *testing.T) {
	st := openSQLite(t)
	readSnapshot(t).load(t, st)
	testRunSingleStock(t, st)
}

func TestRunSingleStockClickHouse(t *testing.T) {
	st := openClickHouse(t)
	readSnapshot(t).load(t, st)
	testRunSingleStock(t, st)
}

// 单股深度分析 of 600519.SH on the real snapshot, through HTTP: the model
// asks for the basic-info tool and receives 贵州茅台's real close 1431, the
// answer streams, the run is stored with its usage and listed, the trace
// arrives at Langfuse, and the metrics count it.
func testRunSingleStock(t *testing.T, st market.Store) {
	e := newRunEnv(t, st, singleStockModel(t), runEnvOptions{trace: true})
	code, hdr, body := post(t, e.url+singleStock+"/run", `{"variables":{"stock_code":"600519"}}`)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("run: %d %s: %.500s", code, hdr.Get("Content-Type"), body)
	}
	evs := readEvents(t, body)
	want := "run thinking* usage tool_call tool_result content* usage done"
	if got := eventNames(evs); got != want {
		t.Fatalf("events\n got %s\nwant %s", got, want)
	}
	start := decode[agent.RunStart](t, evs[0].data)
	if !strings.HasPrefix(start.RunID, "run_") || len(start.TraceID) != 32 || start.TraceURL != "http://langfuse.example:3000/trace/"+start.TraceID ||
		start.WorkflowID != workflow.TemplateSingleStock || start.Model != "deepseek-chat" {
		t.Errorf("run event %+v", start)
	}
	var text strings.Builder
	for _, d := range find(evs, "content") {
		text.WriteString(decode[agent.Delta](t, d).Text)
	}
	if text.String() != strings.Join(answerPieces, "") || len(find(evs, "content")) != len(answerPieces) {
		t.Errorf("streamed answer %q in %d events", text.String(), len(find(evs, "content")))
	}
	call := decode[agent.ToolCallEvent](t, find(evs, "tool_call")[0])
	res := decode[agent.ToolResultEvent](t, find(evs, "tool_result")[0])
	if call.Name != "get_stock_basic" || call.Arguments != `{"code":"sh600519"}` || !res.OK || res.Size < 100 {
		t.Errorf("tool call %+v, result %+v", call, res)
	}
	// Checking the variable read 600519.SH's basic answer through the
	// cache, so the tool's call was a hit on the same entry.
	if !res.Cached {
		t.Errorf("the tool call missed the entry the variable check loaded: %+v", res)
	}
	done := decode[apiRun](t, find(evs, "done")[0])
	if done.Status != "succeeded" || done.Usage.InputTokens != 2470 || done.Usage.OutputTokens != 127 || done.Output != strings.Join(answerPieces, "") {
		t.Errorf("done %+v", done)
	}

	// Stored: the run as the done event had it, and in the history.
	code, body = getURL(t, e.url+"/api/runs/"+start.RunID)
	stored := decode[apiRun](t, body)
	if code != 200 || stored.Status != "succeeded" || stored.Usage != done.Usage || stored.Output != done.Output || stored.TraceID != start.TraceID ||
		stored.TraceURL != start.TraceURL || stored.Variables["stock_code"] != "600519.SH" || stored.Variables["days"] != 60.0 ||
		len(stored.Rounds) != 2 || len(stored.Rounds[0].ToolCalls) != 1 || !stored.Rounds[0].ToolCalls[0].Cached || stored.FinishedAt == nil {
		t.Errorf("stored run %d %+v", code, stored)
	}
	code, body = getURL(t, e.url+singleStock+"/runs")
	list := decode[apiRunList](t, body)
	if code != 200 || list.Total != 1 || len(list.Runs) != 1 || list.Runs[0].ID != start.RunID || list.Runs[0].Status != "succeeded" ||
		list.Runs[0].Usage.InputTokens != 2470 || list.Runs[0].Variables["stock_code"] != "600519.SH" || list.Runs[0].TraceURL != start.TraceURL {
		t.Errorf("history %d %s", code, body)
	}

	// The trace: a root span with two model calls and the tool call under it.
	spans := e.lf.WaitSpans(4, 10*time.Second, func(s langfusetest.Span) bool { return s.TraceID == start.TraceID })
	if len(spans) != 4 {
		t.Fatalf("%d spans of the run's trace arrived, want 4 (root, 2 model calls, 1 tool)", len(spans))
	}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	if strings.Join(names, "|") != "chat deepseek-chat|chat deepseek-chat|execute_tool get_stock_basic|workflow 单股深度分析" {
		t.Errorf("spans %v", names)
	}

	// Metrics.
	_, metrics := getURL(t, e.url+"/metrics")
	for _, line := range []string{`stockd_workflow_runs_total{status="succeeded"} 1`, `stockd_workflow_run_tokens_total{kind="input"} 2470`,
		`stockd_workflow_run_tokens_total{kind="output"} 127`, `stockd_workflow_runs_active 0`} {
		if !strings.Contains(string(metrics), line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}

	// stream:false answers the finished run as JSON, the same document.
	e2 := newRunEnv(t, st, llmtest.New(t, llmtest.Turn{Content: []string{"简短", "回答"}, Usage: llmtest.Usage{Prompt: 10, Completion: 2}}), runEnvOptions{})
	code, hdr, body = post(t, e2.url+"/api/workflows/"+workflow.TemplateTechnical+"/run", `{"variables":{"stock_code":"600519.SH","days":"30"},"stream":false}`)
	whole := decode[apiRun](t, body)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || whole.Status != "succeeded" || whole.Output != "简短回答" ||
		whole.Variables["days"] != 30.0 || whole.TraceURL != "" {
		t.Errorf("stream:false: %d %s %s", code, hdr.Get("Content-Type"), body)
	}
	if code, body = getURL(t, e2.url+"/api/runs/"+whole.ID); code != 200 || decode[apiRun](t, body).Output != "简短回答" {
		t.Errorf("stream:false run not stored: %d %s", code, body)
	}
}

// holdModel streams a first piece of text, then holds the stream open until
// the client goes away.
func holdModel(t *testing.T) *llmtest.Server {
	return llmtest.NewScript(t, func(*llmtest.Request) llmtest.Turn {
		return llmtest.Turn{Content: []string{"开始分析", "……"}, Pace: func(ctx context.Context, i int) {
			if i == 3 { // chunk 1 is the role, 2 the first piece
				<-ctx.Done()
			}
		}}
	})
}

// streamRun starts a run and reads its stream in the background; the run
// event's id comes back at once, the rest of the events when it ends.
func streamRun(t *testing.T, url, body string) (*http.Response, string, <-chan []sseEvent) {
	t.Helper()
	return streamRunTo(t, url, body, "")
}

// streamRunTo is streamRun that returns only once the stream has also
// carried an event named until (when not empty): a cancel sent after that
// is sure to come mid-stream, whatever the machine's load.
func streamRunTo(t *testing.T, url, body, until string) (*http.Response, string, <-chan []sseEvent) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("run: %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	var id string
	var raw strings.Builder
	seen := until == ""
	for id == "" || !seen {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before the run event (and %q): %v", until, err)
		}
		raw.WriteString(line)
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, `"run_id"`) {
			id = decode[agent.RunStart](t, []byte(strings.TrimPrefix(line, "data: "))).RunID
		}
		seen = seen || strings.TrimSpace(line) == "event: "+until
	}
	out := make(chan []sseEvent, 1)
	go func() {
		defer resp.Body.Close()
		rest, _ := bufioReadAll(br)
		out <- readEvents(t, []byte(raw.String()+rest))
	}()
	return resp, id, out
}

func bufioReadAll(br *bufio.Reader) (string, error) {
	var b strings.Builder
	_, err := br.WriteTo(&b)
	return b.String(), err
}

// Cancel mid-stream: 202, the stream ends with error (canceled) and done,
// the model's connection is closed within a second, the stored run says
// canceled; a second cancel is 409 and an unknown id 404.
func TestRunCancel(t *testing.T) {
	st := openSQLite(t)
	readSnapshot(t).load(t, st)
	e := newRunEnv(t, st, holdModel(t), runEnvOptions{raw: true})
	// Once the model's first piece is out in the stream, the cancel is mid-stream.
	_, id, events := streamRunTo(t, e.url+singleStock+"/run", `{"variables":{"stock_code":"600519.SH"}}`, "content")

	canceledAt := time.Now()
	code, _, body := post(t, e.url+"/api/runs/"+id+"/cancel", "")
	if code != http.StatusAccepted || !strings.Contains(string(body), `"canceling"`) {
		t.Fatalf("cancel: %d %s", code, body)
	}
	closedAt, ok := e.model.WaitClosed(0, 10*time.Second)
	if !ok {
		t.Fatal("the model never saw its connection closed")
	}
	if d := closedAt.Sub(canceledAt); d > time.Second {
		t.Errorf("the model connection closed %v after the cancel, want within 1 s", d)
	} else {
		t.Logf("model connection closed %v after the cancel request was sent", d)
	}
	evs := <-events
	if got := eventNames(evs); got != "run content* error done" {
		t.Errorf("events %s", got)
	}
	if e := decode[agent.ErrorEvent](t, find(evs, "error")[0]); e.Code != agent.CodeCanceled || e.Status != agent.StatusCanceled || e.Message != "the run was canceled" {
		t.Errorf("error event %+v", e)
	}
	code, body = getURL(t, e.url+"/api/runs/"+id)
	if r := decode[apiRun](t, body); code != 200 || r.Status != "canceled" || r.Error == nil || r.Error.Code != "canceled" || r.Output != "开始分析" {
		t.Errorf("stored: %d %s", code, body)
	}
	code, _, body = post(t, e.url+"/api/runs/"+id+"/cancel", "")
	if code != http.StatusConflict || decode[apiErr](t, body).Error.Code != CodeNotRunning || !strings.Contains(string(body), "canceled") {
		t.Errorf("second cancel: %d %s", code, body)
	}
	code, _, body = post(t, e.url+"/api/runs/run_0123456789abcdef/cancel", "")
	if code != http.StatusNotFound {
		t.Errorf("cancel of an unknown run: %d %s", code, body)
	}
}

// A client that leaves cancels its run, which is stored as canceled.
func TestRunClientLeaves(t *testing.T) {
	st := openSQLite(t)
	readSnapshot(t).load(t, st)
	e := newRunEnv(t, st, holdModel(t), runEnvOptions{raw: true})
	resp, id, _ := streamRun(t, e.url+singleStock+"/run", `{}`)
	waitFor(t, func() bool { return len(e.model.Requests()) == 1 })
	resp.Body.Close()
	if _, ok := e.model.WaitClosed(0, 10*time.Second); !ok {
		t.Fatal("the model connection stayed open after the client left")
	}
	waitFor(t, func() bool {
		_, body := getURL(t, e.url+"/api/runs/"+id)
		return decode[apiRun](t, body).Status == "canceled"
	})
	if e.runs.Active() != 0 {
		t.Errorf("%d runs still active", e.runs.Active())
	}
}

// At the concurrency cap one more run is refused with 429 and Retry-After.
func TestRunBusy(t *testing.T) {
	st := openSQLite(t)
	readSnapshot(t).load(t, st)
	e := newRunEnv(t, st, holdModel(t), runEnvOptions{raw: true, maxConcurrent: 1})
	_, id, events := streamRun(t, e.url+singleStock+"/run", `{}`)
	code, hdr, body := post(t, e.url+singleStock+"/run", `{}`)
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || decode[apiErr](t, body).Error.Code != CodeBusy {
		t.Errorf("second run at the cap: %d %v %s", code, hdr, body)
	}
	post(t, e.url+"/api/runs/"+id+"/cancel", "")
	<-events
	// The slot is free again: the next run is taken (and canceled).
	_, id, events = streamRun(t, e.url+singleStock+"/run", `{}`)
	post(t, e.url+"/api/runs/"+id+"/cancel", "")
	<-events
}

// 50 runs at once through HTTP, each with a tool round, all succeed and are
// stored; afterwards no goroutine of a run is left.
func TestRunsConcurrent(t *testing.T) {
	st := openSQLite(t)
	readSnapshot(t).load(t, st)
	model := llmtest.NewScript(t, func(r *llmtest.Request) llmtest.Turn {
		if len(r.ToolResults()) == 0 {
			return llmtest.Turn{Calls: []llmtest.Call{{Name: "get_stock_basic", Args: `{"code":"600519.SH"}`}}, Usage: llmtest.Usage{Prompt: 10, Completion: 5}}
		}
		return llmtest.Turn{Content: []string{"贵州茅台收盘 ", "1431"}, Usage: llmtest.Usage{Prompt: 20, Completion: 4}}
	})
	e := newRunEnv(t, st, model, runEnvOptions{raw: true, maxConcurrent: 50})
	ours := func() []string {
		buf := make([]byte, 4<<20)
		var left []string
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "internal/runs.") || strings.Contains(g, "internal/agent.") || strings.Contains(g, "httpapi.runHandlers") {
				left = append(left, g)
			}
		}
		return left
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const n = 50
	var wg sync.WaitGroup
	ids := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Post(e.url+singleStock+"/run", "application/json", strings.NewReader(`{"stream":false}`))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var r apiRun
			if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 || r.Status != "succeeded" || r.Output != "贵州茅台收盘 1431" || r.Usage.TotalTokens != 39 {
				t.Errorf("run: %d %v %+v", resp.StatusCode, err, r)
			}
			ids <- r.ID
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct runs, want %d", len(seen), n)
	}
	_, body := getURL(t, e.url+singleStock+"/runs?limit=100")
	if l := decode[apiRunList](t, body); l.Total != n || len(l.Runs) != n {
		t.Errorf("history holds %d of %d runs", l.Total, n)
	}
	client.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for len(ours()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := ours(); len(left) > 0 {
		t.Fatalf("%d goroutines of runs left:\n%s", len(left), strings.Join(left, "\n\n"))
	}
	if e.runs.Active() != 0 {
		t.Errorf("%d runs still active", e.runs.Active())
	}
}

// Variables are checked against the declarations before anything is
// stored or called: each case is a 422 naming the variable.
func TestRunVariables(t *testing.T) {
	st := openSQLite(t)
	readSnapshot(t).load(t, st)
	e := newRunEnv(t, st, llmtest.New(t), runEnvOptions{}) // a call to the model fails the test
	required := `{"name":"要求","user_prompt_template":"{{code}} {{n}}","variables":[{"name":"code","type":"stock_code","required":true},{"name":"n","type":"number","min":1,"max":10}],"selected_tools":["get_stock_basic"]}`
	code, _, body := post(t, e.url+"/api/workflows", required)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	wf := "/api/workflows/" + decode[workflow.Workflow](t, body).ID
	for _, c := range []struct {
		path, body, field, msg string
	}{
		{wf, `{}`, "variables.code", "is required"},
		{wf, `{"variables":{"code":""}}`, "variables.code", "is required"},
		{wf, `{"variables":{"code":"60051"}}`, "variables.code", `invalid code "60051"`},
		{wf, `{"variables":{"code":"999999.SH"}}`, "variables.code", "unknown code 999999.SH"},
		{wf, `{"variables":{"code":"600519","n":0}}`, "variables.n", "at least 1"},
		{wf, `{"variables":{"code":"600519","n":"11"}}`, "variables.n", "at most 10"},
		{wf, `{"variables":{"code":"600519","n":"ten"}}`, "variables.n", "must be a number"},
		{wf, `{"variables":{"code":"600519","m":1}}`, "variables.m", "not a variable of this workflow"},
		{singleStock, `{"variables":{"stock_code":"600519","days":1000}}`, "variables.days", "at most 500"},
		{"/api/workflows/" + workflow.TemplateComparison, `{"variables":{"stock_list":["600519.SH",5]}}`, "variables.stock_list", "array of stock codes"},
		{"/api/workflows/" + workflow.TemplateComparison, `{"variables":{"end_date":"2025-02-30"}}`, "variables.end_date", "invalid date"},
		{singleStock, `{"variables":"600519"}`, "variables", "wrong type"},
		{singleStock, `{"stream":"yes"}`, "stream", "wrong type"},
		{singleStock, `{"vars":{}}`, "vars", "unknown field"},
	} {
		code, _, body := post(t, e.url+c.path+"/run", c.body)
		er := decode[apiErr](t, body)
		if code != http.StatusUnprocessableEntity || er.Error.Code != CodeValidation || len(er.Error.Details) == 0 ||
			er.Error.Details[0].Field != c.field || !strings.Contains(er.Error.Details[0].Message, c.msg) {
			t.Errorf("%s %s: %d %s; want 422 %s: …%s…", c.path, c.body, code, body, c.field, c.msg)
		}
	}
	if code, _, body := post(t, e.url+"/api/workflows/wf_0000000000000000/run", `{}`); code != http.StatusNotFound {
		t.Errorf("run of an unknown workflow: %d %s", code, body)
	}
	if _, body := getURL(t, e.url+wf+"/runs"); decode[apiRunList](t, body).Total != 0 {
		t.Errorf("a refused run was stored: %s", body)
	}
	if n := len(e.model.Requests()); n != 0 {
		t.Errorf("the model was called %d times", n)
	}
}

// Without OPENAI_MODEL, runs and generation answer 503 llm_not_configured
// naming the variables; the history and everything else still answer.
func TestRunNotConfigured(t *testing.T) {
	h := newHandler(t, setup{store: openSQLite(t)})
	for _, target := range []string{singleStock + "/run", "/api/workflows/generate"} {
		payload := `{}`
		if target == "/api/workflows/generate" {
			payload = `{"description":"x"}`
		}
		// From this machine, as a server without API_TOKEN only lets
		// local clients write.
		req := httptest.NewRequest("POST", target, strings.NewReader(payload))
		req.RemoteAddr = "127.0.0.1:5555"
		req.Header.Set("Content-Type", "application/json")
		code, _, body := do(t, h, req)
		er := decode[apiErr](t, body)
		if code != http.StatusServiceUnavailable || er.Error.Code != CodeNotConfigured ||
			!strings.Contains(er.Error.Message, "OPENAI_MODEL") || !strings.Contains(er.Error.Message, "OPENAI_BASE_URL") || !strings.Contains(er.Error.Message, "OPENAI_API_KEY") {
			t.Errorf("POST %s: %d %s", target, code, body)
		}
	}
	code, _, body := get(t, h, singleStock+"/runs")
	if code != 200 || decode[apiRunList](t, body).Total != 0 {
		t.Errorf("history: %d %s", code, body)
	}
	if code, _, _ := get(t, h, "/api/runs/run_0123456789abcdef"); code != http.StatusNotFound {
		t.Errorf("unknown run: %d", code)
	}
	if code, _, _ := get(t, h, singleStock+"/runs?limit=0"); code != http.StatusBadRequest {
		t.Errorf("limit=0: %d", code)
	}
	if code, _, _ := get(t, h, "/api/workflows/wf_0000000000000000/runs"); code != http.StatusNotFound {
		t.Errorf("history of an unknown workflow: %d", code)
	}
}

// draftJSON is a workflow as a model might write it.
func draftJSON(name, tool string) string {
	return fmt.Sprintf(`{"name":%q,"description":"d","category":"analysis","tags":["自动"],"system_prompt":"你是分析师",
		"user_prompt_template":"分析 {{stock_code}}","variables":[{"name":"stock_code","label":"代码","type":"stock_code","required":true,"default":"600519.SH","description":""}],
		"selected_tools":[%q]}`, name, tool)
}

// Generation: a valid draft at once, a repaired one, one still invalid
// after the repair (422 with the validator's details), an empty
// description (400) and a provider failure (502).
func TestGenerate(t *testing.T) {
	st := openSQLite(t)
	model := llmtest.New(t,
		llmtest.Turn{Content: []string{"```json\n", draftJSON("茅台速览", "get_stock_basic"), "\n```"}, Usage: llmtest.Usage{Prompt: 900, Completion: 120}},
		llmtest.Turn{Content: []string{draftJSON("坏草稿", "rm_rf")}},
		llmtest.Turn{Expect: func(tb testing.TB, r *llmtest.Request) {
			if !strings.Contains(string(r.Last().Content), `unknown tool "rm_rf"`) {
				tb.Errorf("the repair prompt does not carry the finding: %s", r.Last().Content)
			}
		}, Content: []string{draftJSON("修好的草稿", "get_stock_daily")}},
		llmtest.Turn{Content: []string{draftJSON("坏", "rm_rf")}},
		llmtest.Turn{Content: []string{`{"name":""}`}},
		llmtest.Turn{Status: 500, ErrorMessage: "upstream overloaded"},
	)
	e := newRunEnv(t, st, model, runEnvOptions{agent: func(c *agent.Config) { c.MaxRetries = -1 }})
	gen := func(desc string) (int, []byte) {
		b, _ := json.Marshal(map[string]string{"description": desc})
		code, _, body := post(t, e.url+"/api/workflows/generate", string(b))
		return code, body
	}
	code, body := gen("看一眼茅台的基本面")
	d := decode[agent.Draft](t, body)
	if code != 200 || d.Attempts != 1 || d.Workflow.Name != "茅台速览" || d.Workflow.ID != "" || d.Usage.InputTokens != 900 {
		t.Errorf("valid draft: %d %s", code, body)
	}
	code, body = gen("再来一个")
	if d := decode[agent.Draft](t, body); code != 200 || d.Attempts != 2 || d.Workflow.Name != "修好的草稿" {
		t.Errorf("repaired draft: %d %s", code, body)
	}
	code, body = gen("第三个")
	er := decode[apiErr](t, body)
	if code != http.StatusUnprocessableEntity || er.Error.Code != CodeInvalidDraft || len(er.Error.Details) == 0 || er.Error.Details[0].Field != "name" {
		t.Errorf("invalid draft: %d %s", code, body)
	}
	code, body = gen("  ")
	if code != http.StatusBadRequest || decode[apiErr](t, body).Error.Code != agent.CodeInvalidDescription {
		t.Errorf("empty description: %d %s", code, body)
	}
	code, body = gen("provider down")
	if code != http.StatusBadGateway || decode[apiErr](t, body).Error.Code != agent.CodeUnavailable {
		t.Errorf("provider failure: %d %s", code, body)
	}
	// Nothing was saved.
	_, _, body = do(t, newHandler(t, setup{store: st}), httptest.NewRequest("GET", "/api/workflows?include_templates=false", nil))
	if !strings.Contains(string(body), `"total":0`) {
		t.Errorf("a draft was saved: %s", body)
	}
}

// Every tool of the catalogue asks the same question as its HTTP route:
// the tool's call fills the cache entry the route then hits, with the same
// bytes; a bad argument comes back as the question's message.
func TestToolsShareTheEndpointsCache(t *testing.T) {
	st := openSQLite(t)
	readSnapshot(t).load(t, st)
	e := newRunEnv(t, st, llmtest.New(t), runEnvOptions{})
	funcs := e.q.Tools()
	if len(funcs) != len(workflow.Tools()) {
		t.Errorf("%d questions for %d tools", len(funcs), len(workflow.Tools()))
	}
	for _, tool := range workflow.Tools() {
		target, args := toolExample(tool)
		raw, _ := json.Marshal(args)
		ans, err := funcs[tool.Name](context.Background(), raw)
		if err != nil {
			t.Errorf("%s(%s): %v", tool.Name, raw, err)
			continue
		}
		resp, err := http.Get(e.url + target)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		if resp.StatusCode != 200 || body != string(ans.Body) {
			t.Errorf("%s: the route %s answered %d with other bytes than the tool", tool.Name, target, resp.StatusCode)
		}
		if tool.Name != "search_stocks" && resp.Header.Get("X-Cache") != "hit" {
			t.Errorf("%s: the route %s missed the entry the tool filled (X-Cache %q)", tool.Name, target, resp.Header.Get("X-Cache"))
		}
	}
	bound, err := runs.Tools(workflow.Tools(), e.q.Tools(), quietLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]agent.Tool{}
	for _, tl := range bound {
		tools[tl.Name()] = tl
	}
	_, _, err = tools["get_stock_basic"].Call(context.Background(), json.RawMessage(`{"code":"999999.SH"}`))
	if err == nil || err.Error() != "unknown code 999999.SH: no stock, ETF or index with this code" {
		t.Errorf("unknown code: %v", err)
	}
	// The screener's bounds may come as numbers or as the strings of a
	// query; either way the tool asks what the route asks.
	ans, _, err := tools["screen_stocks"].Call(context.Background(), json.RawMessage(`{"pe_ttm_min":"0","pe_ttm_max":15,"pb_max":"1.5","industry":"银行","sort_by":"pb","order":"asc","limit":5}`))
	resp, gerr := http.Get(e.url + "/api/screener?pe_ttm_min=0&pe_ttm_max=15&pb_max=1.5&industry=" + url.QueryEscape("银行") + "&sort_by=pb&order=asc&limit=5")
	if gerr != nil {
		t.Fatal(gerr)
	}
	route, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(ans) != string(route) || !strings.Contains(string(route), `"industry":"银行"`) {
		t.Errorf("screen_stocks with string bounds: %v\n%s\nthe route: %s", err, ans, route)
	}
	for args, want := range map[string]string{
		`{"pb_max":"cheap"}`:     "pb_max",
		`{"order":"sideways"}`:   "order",
		`{"include_st":"maybe"}`: "include_st",
		`{"limit":0}`:            "limit",
	} {
		if _, _, err := tools["screen_stocks"].Call(context.Background(), json.RawMessage(args)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("screen_stocks(%s): %v, want a message naming %s", args, err, want)
		}
	}
	_, _, err = tools["get_hot_stocks"].Call(context.Background(), json.RawMessage(`{"date":"2025-12-19"}`))
	if err == nil || !strings.Contains(err.Error(), "no stock data for 2025-12-19") {
		t.Errorf("no data: %v", err)
	}
}
