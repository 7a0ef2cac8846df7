package llmtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/stockdatasource/stockd/internal/agent/llmtest"
)

// The non-streamed answer decodes with the official SDK: content, tool
// calls and usage where a client expects them.
func TestJSONAnswer(t *testing.T) {
	srv := llmtest.New(t,
		llmtest.Turn{Calls: []llmtest.Call{{ID: "c1", Name: "get_stock_basic", Args: `{"code":"600519.SH"}`}}, Usage: llmtest.Usage{Prompt: 7, Completion: 3}},
		llmtest.Turn{Content: []string{"你", "好"}, Reasoning: []string{"想"}, Usage: llmtest.Usage{Prompt: 9, Completion: 2}})
	c := openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("k"), option.WithMaxRetries(0))
	params := openai.ChatCompletionNewParams{Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
	res, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	tc := res.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].ID != "c1" || tc[0].Function.Name != "get_stock_basic" || tc[0].Function.Arguments != `{"code":"600519.SH"}` ||
		res.Choices[0].FinishReason != "tool_calls" || res.Usage.TotalTokens != 10 || res.Model != "m" {
		t.Fatalf("answer %s", res.RawJSON())
	}
	res, err = c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if res.Choices[0].Message.Content != "你好" || res.Choices[0].FinishReason != "stop" || !strings.Contains(res.RawJSON(), `"reasoning_content":"想"`) {
		t.Fatalf("answer %s", res.RawJSON())
	}
	if r := srv.Requests()[0]; r.Stream || r.Last().Role != "user" || string(r.Last().Content) != "hi" {
		t.Errorf("recorded request %+v", r)
	}
}

// The raw stream: SSE framing, chunk objects, fragments by index, no
// usage chunk unless include_usage asked for it, [DONE] last.
func TestStreamWireFormat(t *testing.T) {
	turn := llmtest.Turn{Calls: []llmtest.Call{{Name: "a", Args: `{"x":1}`}, {Name: "b", Args: `{}`}}, ArgChunk: 2, Usage: llmtest.Usage{Prompt: 1, Completion: 1}}
	for _, includeUsage := range []bool{false, true} {
		srv := llmtest.New(t, turn)
		body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]`
		if includeUsage {
			body += `,"stream_options":{"include_usage":true}`
		}
		resp, err := http.Post(srv.URL+"/chat/completions", "application/json", strings.NewReader(body+"}"))
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
			t.Errorf("content type %q", ct)
		}
		var datas []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				continue
			}
			if !strings.HasPrefix(line, "data: ") {
				t.Fatalf("line %q", line)
			}
			datas = append(datas, strings.TrimPrefix(line, "data: "))
		}
		resp.Body.Close()
		if datas[len(datas)-1] != "[DONE]" {
			t.Fatalf("last data %q", datas[len(datas)-1])
		}
		args := map[int]string{}
		usageChunks, finish := 0, ""
		for _, d := range datas[:len(datas)-1] {
			var c struct {
				Object  string `json:"object"`
				Choices []struct {
					Delta struct {
						ToolCalls []struct {
							Index    int `json:"index"`
							Function struct{ Arguments string }
						} `json:"tool_calls"`
					} `json:"delta"`
					FinishReason *string `json:"finish_reason"`
				} `json:"choices"`
				Usage *struct {
					TotalTokens int `json:"total_tokens"`
				} `json:"usage"`
			}
			if err := json.Unmarshal([]byte(d), &c); err != nil || c.Object != "chat.completion.chunk" {
				t.Fatalf("chunk %s: %v", d, err)
			}
			if c.Usage != nil {
				usageChunks++
				if len(c.Choices) != 0 || c.Usage.TotalTokens != 2 {
					t.Errorf("usage chunk %s", d)
				}
			}
			for _, ch := range c.Choices {
				for _, tc := range ch.Delta.ToolCalls {
					args[tc.Index] += tc.Function.Arguments
				}
				if ch.FinishReason != nil {
					finish = *ch.FinishReason
				}
			}
		}
		if args[0] != `{"x":1}` || args[1] != `{}` || finish != "tool_calls" {
			t.Errorf("assembled %v finish %q", args, finish)
		}
		if want := map[bool]int{false: 0, true: 1}[includeUsage]; usageChunks != want {
			t.Errorf("include_usage %v: %d usage chunks", includeUsage, usageChunks)
		}
	}
}
