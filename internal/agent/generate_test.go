package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stockdatasource/stockd/internal/agent"
	"github.com/stockdatasource/stockd/internal/agent/llmtest"
	"github.com/stockdatasource/stockd/internal/workflow"
)

const validDraft = `{"name":"白酒龙头估值","description":"比较白酒股估值","category":"analysis","tags":["白酒"],
"system_prompt":"你是分析师。","user_prompt_template":"分析 {{stock_code}} 的估值",
"variables":[{"name":"stock_code","label":"股票","type":"stock_code","required":true,"default":"600519.SH","description":""}],
"selected_tools":["get_stock_basic","get_hot_stocks"]}`

// invalidDraft breaks three rules: an undeclared placeholder, an unknown
// tool and a bad default.
const invalidDraft = `{"name":"白酒龙头估值","category":"analysis","user_prompt_template":"分析 {{stock_code}}，回看 {{days}} 天",
"variables":[{"name":"stock_code","label":"股票","type":"stock_code","required":true,"default":"not-a-code"}],
"selected_tools":["get_stock_basic","get_news"]}`

func expectGenerateRequest(t testing.TB, r *llmtest.Request) {
	expectf(t, string(r.ResponseFormat) == `{"type":"json_object"}`, "response_format %s", r.ResponseFormat)
	expectf(t, len(r.Tools) == 0, "generation offered tools")
	sys := string(r.Messages[0].Content)
	for _, tool := range workflow.Tools() {
		expectf(t, strings.Contains(sys, tool.Name), "the system prompt does not list tool %s", tool.Name)
	}
	expectf(t, strings.Contains(sys, "stock_list"), "the system prompt does not list the variable types")
	expectf(t, string(r.Messages[1].Content) == "分析白酒龙头的估值", "user message %q", r.Messages[1].Content)
}

func TestGenerateValidDraft(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{
		Expect:  expectGenerateRequest,
		Content: []string{"```json\n", validDraft, "\n```"}, // fenced, as models do
		Usage:   llmtest.Usage{Prompt: 900, Completion: 150},
	})
	a := newAgent(t, srv, &toolCalls{}, nil)
	d, err := a.Generate(context.Background(), "  分析白酒龙头的估值 ")
	if err != nil {
		t.Fatal(err)
	}
	w := d.Workflow
	if d.Attempts != 1 || w.Name != "白酒龙头估值" || len(w.Variables) != 1 || w.ID != "" || w.IsTemplate || d.Usage.TotalTokens != 1050 {
		t.Fatalf("draft %+v", d)
	}
	if err := workflow.Validate(&w, workflow.ToolExists); err != nil {
		t.Errorf("the accepted draft does not validate: %v", err)
	}
}

// An invalid draft goes back with the validator's findings, once.
func TestGenerateRepairsOnce(t *testing.T) {
	srv := llmtest.New(t,
		llmtest.Turn{Content: []string{invalidDraft}},
		llmtest.Turn{
			Expect: func(t testing.TB, r *llmtest.Request) {
				if len(r.Messages) != 4 {
					t.Errorf("repair request has %d messages, want system, user, assistant (the draft), user (the findings)", len(r.Messages))
					return
				}
				expectf(t, r.Messages[2].Role == "assistant" && string(r.Messages[2].Content) == invalidDraft, "the draft is not sent back: %+v", r.Messages[2])
				fix := string(r.Messages[3].Content)
				for _, want := range []string{"placeholder {{days}} is not a declared variable", `unknown tool \"get_news\"`, "variables[0].default"} {
					want = strings.ReplaceAll(want, `\"`, `"`)
					expectf(t, strings.Contains(fix, want), "the repair message lacks %q:\n%s", want, fix)
				}
			},
			Content: []string{validDraft},
		})
	a := newAgent(t, srv, &toolCalls{}, nil)
	d, err := a.Generate(context.Background(), "分析白酒龙头的估值")
	if err != nil {
		t.Fatal(err)
	}
	if d.Attempts != 2 || d.Workflow.Name != "白酒龙头估值" {
		t.Errorf("draft %+v", d)
	}
}

// Still invalid after the repair: a typed error with the findings, after
// exactly two model calls.
func TestGenerateStillInvalid(t *testing.T) {
	srv := llmtest.New(t,
		llmtest.Turn{Content: []string{invalidDraft}},
		llmtest.Turn{Content: []string{`{"name":"","user_prompt_template":"x","surprise":true}`}})
	a := newAgent(t, srv, &toolCalls{}, nil)
	_, err := a.Generate(context.Background(), "分析白酒龙头的估值")
	var de *agent.DraftError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v (%T), want *agent.DraftError", err, err)
	}
	if len(de.Fields) != 1 || de.Fields[0].Field != "surprise" || de.Fields[0].Message != "unknown field" {
		t.Errorf("fields %+v", de.Fields)
	}
	if !strings.Contains(de.Error(), "still invalid after one repair") || len(srv.Requests()) != 2 {
		t.Errorf("error %q after %d requests", de.Error(), len(srv.Requests()))
	}
	// The details marshal as the API's field errors.
	b, _ := json.Marshal(de.Fields)
	if string(b) != `[{"field":"surprise","message":"unknown field"}]` {
		t.Errorf("details JSON %s", b)
	}
}

func TestGenerateRefusesEmptyDescription(t *testing.T) {
	srv := llmtest.New(t)
	a := newAgent(t, srv, &toolCalls{}, nil)
	for _, desc := range []string{"", "   ", strings.Repeat("长", agent.MaxDescriptionLen+1)} {
		_, err := a.Generate(context.Background(), desc)
		var e *agent.Error
		if !asError(err, &e) || e.Code != agent.CodeInvalidDescription {
			t.Errorf("description of %d chars: %v", len(desc), err)
		}
	}
	if len(srv.Requests()) != 0 {
		t.Error("the model was called")
	}
}

func TestGenerateModelFailure(t *testing.T) {
	srv := llmtest.New(t, llmtest.Turn{Status: 401, ErrorMessage: "Authentication Fails"})
	a := newAgent(t, srv, &toolCalls{}, nil)
	_, err := a.Generate(context.Background(), "分析")
	var e *agent.Error
	if !asError(err, &e) || e.Code != agent.CodeAuth {
		t.Fatalf("err = %v", err)
	}
}
