package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/stockdatasource/stockd/internal/workflow"
)

// Tool is a function the model may call. Call gets the arguments as the
// model sent them, already checked against Parameters, and returns the
// result bytes (JSON, as the matching HTTP endpoint answers) and whether
// they came from the cache. An error goes back to the model as the tool's
// answer; it does not fail the run.
type Tool interface {
	Name() string
	Description() string
	Parameters() map[string]any // JSON schema of the arguments object
	Call(ctx context.Context, args json.RawMessage) (result []byte, cached bool, err error)
}

// CallFunc is the body of a tool.
type CallFunc func(ctx context.Context, args json.RawMessage) (result []byte, cached bool, err error)

// NewTool makes a Tool of a catalogue entry and the function that runs it.
func NewTool(spec workflow.Tool, call CallFunc) Tool { return funcTool{spec, call} }

type funcTool struct {
	spec workflow.Tool
	call CallFunc
}

func (t funcTool) Name() string               { return t.spec.Name }
func (t funcTool) Description() string        { return t.spec.Description }
func (t funcTool) Parameters() map[string]any { return t.spec.Parameters }
func (t funcTool) Call(ctx context.Context, args json.RawMessage) ([]byte, bool, error) {
	return t.call(ctx, args)
}

// boundTool is a Tool with its schema compiled once, at New.
type boundTool struct {
	Tool
	schema *jsonschema.Schema
	params json.RawMessage // the schema as sent to the model
}

func bindTools(tools []Tool) (map[string]*boundTool, error) {
	out := make(map[string]*boundTool, len(tools))
	for _, t := range tools {
		name := t.Name()
		if name == "" || len(name) > 64 || strings.ContainsFunc(name, func(r rune) bool {
			return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) {
			return nil, fmt.Errorf("agent: tool name %q: want 1-64 of [A-Za-z0-9_-] (the chat API's rule)", name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("agent: tool %q given twice", name)
		}
		params, err := json.Marshal(t.Parameters())
		if err != nil {
			return nil, fmt.Errorf("agent: tool %s: schema: %w", name, err)
		}
		// Round-trip through JSON: the compiler wants JSON values (float64,
		// []any), not the Go ints and []string a catalogue is written with.
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(params))
		if err != nil {
			return nil, fmt.Errorf("agent: tool %s: schema: %w", name, err)
		}
		c := jsonschema.NewCompiler()
		url := "urn:stockd:tool:" + name
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("agent: tool %s: schema: %w", name, err)
		}
		sch, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("agent: tool %s: schema does not compile: %w", name, err)
		}
		out[name] = &boundTool{Tool: t, schema: sch, params: params}
	}
	return out, nil
}

// validate checks args against the tool's schema; the error is written for
// the model to fix its call.
func (t *boundTool) validate(args string) error {
	if strings.TrimSpace(args) == "" {
		args = "{}"
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(args))
	if err != nil {
		return fmt.Errorf("arguments are not valid JSON: %v", err)
	}
	if err := t.schema.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("arguments do not match the schema: %s", flatten(ve))
		}
		return fmt.Errorf("arguments do not match the schema: %v", err)
	}
	return nil
}

// flatten lists the leaf errors of a validation error on one line, each
// with the JSON pointer of the offending argument.
func flatten(ve *jsonschema.ValidationError) string {
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			parts = append(parts, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(parts, "; ")
}

var printer = message.NewPrinter(language.English)

// toolOutcome is what one call produced, for the model and the record.
type toolOutcome struct {
	call    ToolCall
	content string // the tool message the model gets
}

// runTool validates and calls one tool under its own timeout. A panic in
// the tool is an error like any other: it must not take the server down.
func (a *Agent) runTool(ctx context.Context, t *boundTool, id, name, args string, available []string) (out toolOutcome) {
	out.call = ToolCall{ID: id, Name: name, Arguments: rawArgs(args)}
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			a.logger.Error("agent: tool panicked", "tool", name, "panic", p)
			out.call.OK, out.call.Error = false, "internal error in the tool"
			out.content = toolError(out.call.Error)
		}
		out.call.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	}()
	if t == nil {
		out.call.Error = fmt.Sprintf("unknown tool %q; the tools of this run are: %s", name, strings.Join(available, ", "))
		out.content = toolError(out.call.Error)
		return out
	}
	if err := t.validate(args); err != nil {
		out.call.Error = err.Error()
		out.content = toolError(out.call.Error)
		return out
	}
	if strings.TrimSpace(args) == "" {
		args = "{}"
	}
	tctx, cancel := context.WithTimeout(ctx, a.cfg.ToolTimeout)
	defer cancel()
	res, cached, err := t.Call(tctx, json.RawMessage(args))
	switch {
	case err != nil && tctx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		out.call.Error = fmt.Sprintf("the tool did not answer within %s", a.cfg.ToolTimeout)
	case err != nil:
		out.call.Error = err.Error()
	}
	if out.call.Error != "" {
		out.content = toolError(out.call.Error)
		return out
	}
	out.call.OK, out.call.Cached, out.call.ResultBytes = true, cached, len(res)
	out.content, out.call.Truncated = cutResult(res, a.cfg.MaxToolResultBytes)
	return out
}

// toolError is the tool message of a failed call.
func toolError(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}

// cutResult keeps at most limit bytes of res on a rune boundary and says
// so at the end, so the model knows it saw part of the data.
func cutResult(res []byte, limit int) (string, bool) {
	if len(res) <= limit {
		return string(res), false
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(res[cut]) {
		cut--
	}
	return fmt.Sprintf("%s\n…[truncated: the result has %d bytes, you see the first %d; ask for a narrower range or fewer rows]", res[:cut], len(res), cut), true
}
