package agent

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/stockdatasource/stockd/internal/tracing"
)

// turn is what one streamed model call produced.
type turn struct {
	content, thinking strings.Builder
	calls             []*pendingCall
	finish            string
	usage             Usage
	responseID, model string
	firstToken        time.Duration
	latency           time.Duration
	attempts          int
}

// pendingCall is a tool call being assembled from its fragments.
type pendingCall struct {
	id, name string
	args     strings.Builder
}

// callSite is who is calling the model: a run round or a generation
// attempt. It receives the deltas as they arrive.
type callSite struct {
	round   int
	onDelta func(kind EventType, text string)
}

// stream makes one streaming chat completion and assembles its answer:
// text deltas are handed to onDelta as they come, tool calls are put
// together from their fragments by index, usage is taken from the
// include_usage chunk. The model span covers the call.
func (a *Agent) stream(ctx context.Context, site callSite, params openai.ChatCompletionNewParams, spanInput any) (*turn, error) {
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	if a.cfg.MaxOutputTokens > 0 {
		params.MaxTokens = openai.Int(int64(a.cfg.MaxOutputTokens))
	}
	if a.cfg.Temperature != nil {
		params.Temperature = openai.Float(*a.cfg.Temperature)
	}
	ctx, span := a.tracer.Start(ctx, "chat "+a.cfg.Model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String(tracing.GenAIOperation, tracing.OpChat),
		attribute.String(tracing.GenAIProvider, a.cfg.Provider),
		attribute.String(tracing.GenAISystem, a.cfg.Provider),
		attribute.String(tracing.GenAIRequestModel, a.cfg.Model),
		attribute.Int(tracing.GenAIRequestMaxTok, a.cfg.MaxOutputTokens),
		attribute.Int("stockd.round", site.round),
	))
	defer span.End()
	if span.IsRecording() {
		span.SetAttributes(tracing.JSON(tracing.GenAIInputMessages, spanInput))
	}

	t := &turn{}
	var resp, raw *http.Response
	start := time.Now()
	// The SDK builds and sends the request (auth, base URL, retries with
	// Retry-After); the chunks are decoded here into chunk, a plain
	// struct: the SDK's reflective decoder costs ~35 µs a chunk, most of
	// the server's time per round, and its typed delta lacks
	// reasoning_content anyway.
	err := a.client.Post(ctx, "chat/completions", params, &raw,
		option.WithJSONSet("stream", true),
		option.WithResponseInto(&resp),
		option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			t.attempts++
			return next(r)
		}))
	s := ssestream.NewStream[chunk](ssestream.NewDecoder(raw), err)
	defer s.Close()
	var firstAt time.Time
	byIndex := map[int]*pendingCall{}
	for s.Next() {
		c := s.Current()
		if t.responseID == "" {
			t.responseID, t.model = c.ID, c.Model
		}
		if c.Usage != nil {
			t.usage = c.Usage.usage()
		}
		for _, ch := range c.Choices {
			if ch.Index != 0 {
				continue // n=1 is asked for; ignore anything else
			}
			d := &ch.Delta
			if firstAt.IsZero() && (d.Content != "" || d.ReasoningContent != "" || d.Reasoning != "" || len(d.ToolCalls) > 0) {
				firstAt = time.Now()
			}
			// DeepSeek-R1 style servers send thinking as reasoning_content,
			// vLLM and OpenRouter as reasoning.
			if r := cmpOr(d.ReasoningContent, d.Reasoning); r != "" {
				t.thinking.WriteString(r)
				site.onDelta(EventThinking, r)
			}
			if d.Content != "" {
				t.content.WriteString(d.Content)
				site.onDelta(EventContent, d.Content)
			}
			for _, tc := range d.ToolCalls {
				pc := byIndex[tc.Index]
				if pc == nil {
					pc = &pendingCall{}
					byIndex[tc.Index] = pc
					t.calls = append(t.calls, pc)
				}
				if pc.id == "" {
					pc.id = tc.ID
				}
				// The name comes whole in the first fragment; some
				// servers repeat it in later ones.
				if n := tc.Function.Name; n != "" && n != pc.name {
					pc.name += n
				}
				pc.args.WriteString(tc.Function.Arguments)
			}
			if ch.FinishReason != "" {
				t.finish = ch.FinishReason
			}
		}
	}
	t.latency = time.Since(start)
	if !firstAt.IsZero() {
		t.firstToken = firstAt.Sub(start)
		span.SetAttributes(tracing.Time(tracing.CompletionStartTime, firstAt))
	}
	err = s.Err()
	if err == nil && t.finish == "" {
		err = errStreamEnded
	}
	// Calls come sorted by index as first seen; ids are made up when a
	// server leaves them out, so tool messages can still refer to them.
	for i, pc := range t.calls {
		if pc.id == "" {
			pc.id = "call_" + strconv.Itoa(site.round) + "_" + strconv.Itoa(i)
		}
	}
	a.endModelSpan(span, t)
	if err != nil {
		perr := a.providerError(ctx, err, resp, max(t.attempts, 1), len(params.Tools) > 0)
		span.SetStatus(codes.Error, perr.Message)
		span.SetAttributes(attribute.String(tracing.ErrorType, perr.Code))
		return t, perr
	}
	return t, nil
}

func (a *Agent) endModelSpan(span trace.Span, t *turn) {
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Int64(tracing.GenAIInputTokens, t.usage.InputTokens),
		attribute.Int64(tracing.GenAIOutputTokens, t.usage.OutputTokens),
		attribute.Int("stockd.attempts", t.attempts),
	}
	if t.model != "" {
		attrs = append(attrs, attribute.String(tracing.GenAIResponseModel, t.model))
	}
	if t.responseID != "" {
		attrs = append(attrs, attribute.String(tracing.GenAIResponseID, t.responseID))
	}
	if t.finish != "" {
		attrs = append(attrs, attribute.StringSlice(tracing.GenAIFinishReasons, []string{t.finish}))
	}
	out := map[string]any{"role": "assistant", "content": t.content.String()}
	if t.thinking.Len() > 0 {
		out["reasoning_content"] = t.thinking.String()
	}
	if len(t.calls) > 0 {
		out["tool_calls"] = t.wireCalls()
	}
	attrs = append(attrs, tracing.JSON(tracing.GenAIOutputMessages, []any{out}))
	span.SetAttributes(attrs...)
}

// wireCalls are the turn's tool calls in the chat API's shape.
func (t *turn) wireCalls() []map[string]any {
	out := make([]map[string]any, len(t.calls))
	for i, c := range t.calls {
		out[i] = map[string]any{"id": c.id, "type": "function", "function": map[string]string{"name": c.name, "arguments": c.args.String()}}
	}
	return out
}

// assistantMessage is the turn as the assistant message of the next
// request. reasoning_content goes back with tool calls: DeepSeek's
// thinking mode refuses a tool-call turn without it.
func (t *turn) assistantMessage() openai.ChatCompletionMessageParamUnion {
	msg := openai.ChatCompletionAssistantMessageParam{}
	if c := t.content.String(); c != "" {
		msg.Content.OfString = openai.String(c)
	}
	for _, c := range t.calls {
		msg.ToolCalls = append(msg.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
			OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
				ID:       c.id,
				Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.name, Arguments: c.args.String()},
			},
		})
	}
	if t.thinking.Len() > 0 && len(t.calls) > 0 {
		msg.SetExtraFields(map[string]any{"reasoning_content": t.thinking.String()})
	}
	return openai.ChatCompletionMessageParamUnion{OfAssistant: &msg}
}

// chunk is a chat.completion.chunk as compatible servers send it.
type chunk struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
			Reasoning        string `json:"reasoning"`
			ToolCalls        []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
}

type wireUsage struct {
	PromptTokens            int64 `json:"prompt_tokens"`
	CompletionTokens        int64 `json:"completion_tokens"`
	TotalTokens             int64 `json:"total_tokens"`
	CompletionTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func (u *wireUsage) usage() Usage {
	return Usage{
		InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.TotalTokens,
		ReasoningTokens: u.CompletionTokensDetails.ReasoningTokens, CachedTokens: u.PromptTokensDetails.CachedTokens,
	}
}
