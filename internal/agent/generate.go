package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/stockdatasource/stockd/internal/tracing"
	"github.com/stockdatasource/stockd/internal/workflow"
)

// MaxDescriptionLen bounds the description a workflow is generated from.
const MaxDescriptionLen = workflow.MaxDescriptionLen

// CodeInvalidDescription is the code of an empty or too long description.
const CodeInvalidDescription = "invalid_description"

// Draft is a workflow the model wrote. Nothing is saved: the user edits
// it and saves it through the normal create.
type Draft struct {
	Workflow workflow.Workflow `json:"workflow"`
	Attempts int               `json:"attempts"` // 1, or 2 when the repair round was needed
	Usage    Usage             `json:"usage"`
	TraceID  string            `json:"trace_id,omitempty"`
}

// DraftError is a draft still invalid after the repair round; Fields are
// the validator's findings (→ 422 with details).
type DraftError struct {
	Fields []workflow.FieldError
	Answer string // the model's last answer, for logs
}

func (e *DraftError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "the model's workflow draft is still invalid after one repair round: " + strings.Join(parts, "; ")
}

// Generate asks the model for a workflow matching description, checks it
// with the validator of saved workflows, and gives the model one chance to
// repair an invalid draft with the validator's findings. It returns
// *DraftError when the repair fails too, *Error for a model failure.
func (a *Agent) Generate(ctx context.Context, description string) (*Draft, error) {
	description = strings.TrimSpace(description)
	if description == "" {
		return nil, &Error{Code: CodeInvalidDescription, Message: "description is required"}
	}
	if n := utf8.RuneCountInString(description); n > MaxDescriptionLen {
		return nil, &Error{Code: CodeInvalidDescription, Message: fmt.Sprintf("description must be at most %d characters, got %d", MaxDescriptionLen, n)}
	}
	ctx, stop := context.WithTimeoutCause(ctx, a.cfg.RunTimeout, errRunTimeout)
	defer stop()
	ctx, root := a.tracer.Start(ctx, "workflow generate", trace.WithAttributes(
		attribute.String(tracing.TraceName, "workflow generate"),
		attribute.String(tracing.TraceInput, description),
		attribute.String(tracing.ObservationInput, description),
		attribute.StringSlice(tracing.TraceTags, []string{"workflow-generate"}),
		attribute.String(tracing.TraceMetadataPrefix+"model", a.cfg.Model),
		attribute.String(tracing.ObservationType, "chain"),
	))
	defer root.End()
	d := &Draft{}
	if sc := root.SpanContext(); sc.HasTraceID() {
		d.TraceID = sc.TraceID().String()
	}

	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(generatePrompt()), openai.UserMessage(description)}
	shown := []map[string]any{{"role": "system", "content": generatePrompt()}, {"role": "user", "content": description}}
	var derr *DraftError
	for attempt := 1; attempt <= 2; attempt++ {
		d.Attempts = attempt
		params := openai.ChatCompletionNewParams{
			Model: a.cfg.Model, Messages: msgs,
			ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}},
		}
		t, err := a.stream(ctx, callSite{round: attempt, onDelta: func(EventType, string) {}}, params, shown)
		d.Usage = d.Usage.Add(t.usage)
		if err != nil {
			root.SetStatus(codes.Error, err.Error())
			return nil, err
		}
		answer := t.content.String()
		w, verr := parseDraft(answer)
		if verr == nil {
			d.Workflow = w
			root.SetAttributes(tracing.JSON(tracing.TraceOutput, w), tracing.JSON(tracing.ObservationOutput, w))
			root.SetStatus(codes.Ok, "")
			return d, nil
		}
		derr = &DraftError{Fields: verr.Fields, Answer: answer}
		fix := repairPrompt(verr)
		msgs = append(msgs, openai.AssistantMessage(answer), openai.UserMessage(fix))
		shown = append(shown, map[string]any{"role": "assistant", "content": answer}, map[string]any{"role": "user", "content": fix})
	}
	root.SetStatus(codes.Error, derr.Error())
	root.SetAttributes(attribute.String(tracing.ErrorType, CodeBadDraft))
	return nil, derr
}

// parseDraft reads the model's answer the way a create body is read
// (strictly: unknown fields are findings too) and validates it.
func parseDraft(answer string) (workflow.Workflow, *workflow.ValidationError) {
	var w workflow.Workflow
	in, err := workflow.DecodeInput([]byte(extractJSON(answer)))
	if err == nil {
		// The create path: read-only fields (id, is_template, times) are
		// ignored, the rest normalised as a saved workflow is.
		in.Apply(&w)
		err = workflow.Validate(&w, workflow.ToolExists)
	}
	if err == nil {
		return w, nil
	}
	var ve *workflow.ValidationError
	if errors.As(err, &ve) {
		return workflow.Workflow{}, ve
	}
	return workflow.Workflow{}, &workflow.ValidationError{Fields: []workflow.FieldError{{Field: "body", Message: err.Error()}}}
}

// extractJSON takes the object out of an answer that wraps it in a code
// fence or a sentence, as models do even when asked not to.
func extractJSON(s string) string {
	s = strings.TrimSpace(s)
	i, j := strings.IndexByte(s, '{'), strings.LastIndexByte(s, '}')
	if i >= 0 && j > i {
		return s[i : j+1]
	}
	return s
}

func repairPrompt(ve *workflow.ValidationError) string {
	var b strings.Builder
	b.WriteString("The workflow JSON you returned is invalid. The validator found:\n")
	for _, f := range ve.Fields {
		fmt.Fprintf(&b, "- %s: %s\n", f.Field, f.Message)
	}
	b.WriteString("Fix every finding and return the whole corrected workflow as one JSON object, nothing else.")
	return b.String()
}

// generatePrompt tells the model the workflow format, the rules of the
// validator and the tools it may select, with a built-in template as the
// example. It is built from the workflow package, so it cannot drift.
func generatePrompt() string {
	var b strings.Builder
	b.WriteString("You design analysis workflows for a Chinese A-share and ETF market-data service. " +
		"Answer with ONE JSON object and nothing else, with exactly these fields:\n" +
		"name (1-100 chars), description, category (analysis, screening, technical, market or custom), tags (array of short strings), " +
		"system_prompt, user_prompt_template (uses {{variable}} placeholders), " +
		"variables (array of {name, label, type, required, default, description}), selected_tools (array of tool names).\n" +
		"Rules: variable names match [A-Za-z_][A-Za-z0-9_]* and are unique; every {{placeholder}} in the prompts is a declared variable; ")
	fmt.Fprintf(&b, "type is one of %s; ", strings.Join(workflow.Types, ", "))
	b.WriteString("a default must fit its type (number: a number, date: YYYY-MM-DD, stock_code: like 600519.SH, stock_list: array of codes); " +
		"selected_tools only from this list:\n")
	for _, t := range workflow.Tools() {
		fmt.Fprintf(&b, "- %s: %s\n", t.Name, t.Description)
	}
	b.WriteString("Write the prompts in the language of the request. Example of a valid workflow:\n")
	if tpls := workflow.Templates(); len(tpls) > 0 {
		t := tpls[0]
		ex, _ := json.Marshal(map[string]any{
			"name": t.Name, "description": t.Description, "category": t.Category, "tags": t.Tags,
			"system_prompt": t.SystemPrompt, "user_prompt_template": t.UserPromptTemplate,
			"variables": t.Variables, "selected_tools": t.SelectedTools,
		})
		b.Write(bytes.TrimSpace(ex))
	}
	return b.String()
}
