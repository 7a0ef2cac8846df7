package tracing

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
)

// Attribute names Langfuse reads from OTel spans (its OtelIngestionProcessor
// and ObservationTypeMapper): trace-level ones on the root span, observation
// ones on any span. langfuse.* wins over gen_ai.* where both map to a field.
const (
	TraceName           = "langfuse.trace.name"
	TraceInput          = "langfuse.trace.input"
	TraceOutput         = "langfuse.trace.output"
	TraceTags           = "langfuse.trace.tags"
	TraceMetadataPrefix = "langfuse.trace.metadata." // + key: one metadata entry each
	SessionID           = "session.id"
	UserID              = "user.id"

	ObservationType       = "langfuse.observation.type" // span, generation, agent, tool, …
	ObservationInput      = "langfuse.observation.input"
	ObservationOutput     = "langfuse.observation.output"
	ObservationLevel      = "langfuse.observation.level" // DEBUG, DEFAULT, WARNING, ERROR
	ObservationStatus     = "langfuse.observation.status_message"
	CompletionStartTime   = "langfuse.observation.completion_start_time" // ISO 8601: time to first token
	ObservationMetaPrefix = "langfuse.observation.metadata."
)

// OpenTelemetry GenAI semantic conventions (gen-ai-spans). Langfuse maps
// gen_ai.operation.name chat → generation, execute_tool → tool,
// invoke_agent → agent; reads the model from gen_ai.response.model then
// gen_ai.request.model, usage from gen_ai.usage.*_tokens, and the prompt
// and completion from gen_ai.input.messages / gen_ai.output.messages.
const (
	GenAIOperation      = "gen_ai.operation.name"
	GenAISystem         = "gen_ai.system" // older name of gen_ai.provider.name; Langfuse still reads it
	GenAIProvider       = "gen_ai.provider.name"
	GenAIRequestModel   = "gen_ai.request.model"
	GenAIRequestMaxTok  = "gen_ai.request.max_tokens"
	GenAIResponseModel  = "gen_ai.response.model"
	GenAIResponseID     = "gen_ai.response.id"
	GenAIFinishReasons  = "gen_ai.response.finish_reasons"
	GenAIInputTokens    = "gen_ai.usage.input_tokens"
	GenAIOutputTokens   = "gen_ai.usage.output_tokens"
	GenAIInputMessages  = "gen_ai.input.messages"
	GenAIOutputMessages = "gen_ai.output.messages"
	GenAIAgentName      = "gen_ai.agent.name"
	GenAIAgentID        = "gen_ai.agent.id"
	GenAIConversationID = "gen_ai.conversation.id"
	GenAIToolName       = "gen_ai.tool.name"
	GenAIToolCallID     = "gen_ai.tool.call.id"
	GenAIToolCallArgs   = "gen_ai.tool.call.arguments"
	GenAIToolCallResult = "gen_ai.tool.call.result"
	GenAIToolType       = "gen_ai.tool.type"
	ErrorType           = "error.type"
)

// Values of gen_ai.operation.name.
const (
	OpChat        = "chat"
	OpExecuteTool = "execute_tool"
	OpInvokeAgent = "invoke_agent"
)

// MaxAttributeBytes bounds one string attribute.
const MaxAttributeBytes = 64 << 10

const (
	truncatedMarker      = "…[truncated]"
	completionTimeLayout = "2006-01-02T15:04:05.000000Z07:00"
)

// Text is a string attribute cut to MaxAttributeBytes on a rune boundary,
// so one huge tool result cannot blow up an export batch.
func Text(key, s string) attribute.KeyValue {
	return attribute.String(key, Cut(s, MaxAttributeBytes))
}

// JSON is an attribute holding v encoded as JSON (cut like Text); Langfuse
// parses JSON-looking input and output strings back into objects.
func JSON(key string, v any) attribute.KeyValue {
	b, err := json.Marshal(v)
	if err != nil {
		return attribute.String(key, "unencodable: "+err.Error())
	}
	return Text(key, string(b))
}

// Time is an ISO 8601 timestamp attribute, the form Langfuse expects for
// completion_start_time.
func Time(key string, t time.Time) attribute.KeyValue {
	return attribute.String(key, t.UTC().Format(completionTimeLayout))
}

// Cut shortens s to at most n bytes on a rune boundary with a marker.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(truncatedMarker)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + truncatedMarker
}
