package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/respjson"
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
	var resp *http.Response
	start := time.Now()
	s := a.client.Chat.Completions.NewStreaming(ctx, params,
		option.WithResponseInto(&resp),
		option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			t.attempts++
			return next(r)
		}))
	defer s.Close()
	var firstAt time.Time
	byIndex := map[int64]*pendingCall{}
	for s.Next() {
		chunk := s.Current()
		if t.responseID == "" {
			t.responseID, t.model = chunk.ID, chunk.Model
		}
		if chunk.JSON.Usage.Valid() {
			t.usage = usageOf(chunk.Usage)
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue // n=1 is asked for; ignore anything else
			}
			d := ch.Delta
			if r := reasoningOf(d.JSON.ExtraFields); r != "" {
				if firstAt.IsZero() {
					firstAt = time.Now()
				}
				t.thinking.WriteString(r)
				site.onDelta(EventThinking, r)
			}
			if d.Content != "" {
				if firstAt.IsZero() {
					firstAt = time.Now()
				}
				t.content.WriteString(d.Content)
				site.onDelta(EventContent, d.Content)
			}
			for _, tc := range d.ToolCalls {
				if firstAt.IsZero() {
					firstAt = time.Now()
				}
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
	err := s.Err()
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

// reasoningOf reads the thinking delta that DeepSeek-R1 style servers send
// as reasoning_content (vLLM and OpenRouter as reasoning), fields the SDK's
// typed delta does not have.
func reasoningOf(extra map[string]respjson.Field) string {
	for _, key := range []string{"reasoning_content", "reasoning"} {
		// The SDK marks fields it does not know as invalid; Raw still
		// holds the JSON text.
		raw := extra[key].Raw()
		if raw == "" || raw == "null" {
			continue
		}
		var s string
		if json.Unmarshal([]byte(raw), &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

func usageOf(u openai.CompletionUsage) Usage {
	return Usage{
		InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.TotalTokens,
		ReasoningTokens: u.CompletionTokensDetails.ReasoningTokens, CachedTokens: u.PromptTokensDetails.CachedTokens,
	}
}
