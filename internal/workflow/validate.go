package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
)

// Input is the body of a create, or of a partial update where only the
// fields present change. The read-only fields are accepted so a client may
// send back a workflow it read, and are ignored.
type Input struct {
	Name               *string     `json:"name"`
	Description        *string     `json:"description"`
	Category           *string     `json:"category"`
	Tags               *[]string   `json:"tags"`
	SystemPrompt       *string     `json:"system_prompt"`
	UserPromptTemplate *string     `json:"user_prompt_template"`
	Variables          *[]Variable `json:"variables"`
	SelectedTools      *[]string   `json:"selected_tools"`

	ID         json.RawMessage `json:"id"`
	IsTemplate *bool           `json:"is_template"`
	CreatedAt  json.RawMessage `json:"created_at"`
	UpdatedAt  json.RawMessage `json:"updated_at"`
}

// FieldError names one invalid field by its JSON path, e.g. variables[0].name.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists the problems found in a workflow: the first
// MaxDetails of them, and how many more there were.
type ValidationError struct {
	Fields []FieldError
	// Omitted counts the problems past MaxDetails, found but not listed:
	// an answer stays small however broken the input is.
	Omitted int
}

// MaxDetails is how many problems a ValidationError lists.
const MaxDetails = 20

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	msg := "invalid workflow: " + strings.Join(parts, "; ")
	if e.Omitted > 0 {
		msg += fmt.Sprintf("; and %d more problems", e.Omitted)
	}
	return msg
}

func (e *ValidationError) add(field, format string, args ...any) {
	if len(e.Fields) >= MaxDetails {
		e.Omitted++
		return
	}
	e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Limits of a workflow's fields. A list over its limit is reported once
// and only its first items are checked, so the work and the answer stay
// bounded whatever a request holds.
const (
	MaxNameLen        = 100
	MaxDescriptionLen = 2000
	MaxCategoryLen    = 50
	MaxTags           = 20
	MaxTagLen         = 30
	MaxPromptLen      = 20000
	MaxVariables      = 50
	MaxLabelLen       = 100
	MaxTools          = 20
	// MaxDocBytes bounds a whole workflow as stored and sent (JSON): a
	// page of MaxPageSize of them stays well under the cache's 8 MiB
	// entry limit, so list answers are always cacheable.
	MaxDocBytes = 64 << 10
)

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ErrUnknownField is wrapped by DecodeInput for a field the model lacks.
var ErrUnknownField = errors.New("unknown field")

// DecodeInput parses a request body strictly: unknown fields and trailing
// data are refused as a ValidationError naming the field.
func DecodeInput(body []byte) (Input, error) {
	var in Input
	if err := query.DecodeStrict(body, &in); err != nil {
		ve := &ValidationError{}
		var te *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			ve.add(name, "unknown field")
		case errors.As(err, &te) && te.Field != "":
			ve.add(te.Field, "must be %s, not %s", query.JSONTypeName(te.Type.Kind().String()), te.Value)
		default:
			ve.add("body", "not a JSON object: %s", query.JSONProblem(err))
		}
		return Input{}, ve
	}
	return in, nil
}

// Apply copies the fields present in in onto w and fills what a saved
// workflow always has (category, empty lists). The read-only fields are
// ignored.
func (in Input) Apply(w *Workflow) {
	if in.Name != nil {
		w.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		w.Description = *in.Description
	}
	if in.Category != nil {
		w.Category = strings.TrimSpace(*in.Category)
	}
	if in.Tags != nil {
		w.Tags = *in.Tags
	}
	if in.SystemPrompt != nil {
		w.SystemPrompt = *in.SystemPrompt
	}
	if in.UserPromptTemplate != nil {
		w.UserPromptTemplate = *in.UserPromptTemplate
	}
	if in.Variables != nil {
		w.Variables = *in.Variables
	}
	if in.SelectedTools != nil {
		w.SelectedTools = *in.SelectedTools
	}
	if w.Category == "" {
		w.Category = DefaultCategory
	}
	if w.Tags == nil {
		w.Tags = []string{}
	}
	if w.Variables == nil {
		w.Variables = []Variable{}
	}
	if w.SelectedTools == nil {
		w.SelectedTools = []string{}
	}
}

// Validate checks a workflow against every rule and reports all problems at
// once; toolExists says whether a selected tool name is known.
func Validate(w *Workflow, toolExists func(string) bool) error {
	ve := &ValidationError{}
	if n := utf8.RuneCountInString(w.Name); n == 0 {
		ve.add("name", "is required")
	} else if n > MaxNameLen {
		ve.add("name", "must be at most %d characters, got %d", MaxNameLen, n)
	}
	if n := utf8.RuneCountInString(w.Description); n > MaxDescriptionLen {
		ve.add("description", "must be at most %d characters, got %d", MaxDescriptionLen, n)
	}
	if n := utf8.RuneCountInString(w.Category); n > MaxCategoryLen {
		ve.add("category", "must be at most %d characters, got %d", MaxCategoryLen, n)
	}
	if len(w.Tags) > MaxTags {
		ve.add("tags", "at most %d tags, got %d", MaxTags, len(w.Tags))
	}
	for i, tag := range w.Tags[:min(len(w.Tags), MaxTags)] {
		if n := utf8.RuneCountInString(strings.TrimSpace(tag)); n == 0 || n > MaxTagLen {
			ve.add(fmt.Sprintf("tags[%d]", i), "must be 1 to %d characters", MaxTagLen)
		}
	}
	for field, p := range map[string]string{"system_prompt": w.SystemPrompt, "user_prompt_template": w.UserPromptTemplate} {
		if n := utf8.RuneCountInString(p); n > MaxPromptLen {
			ve.add(field, "must be at most %d characters, got %d", MaxPromptLen, n)
		}
	}
	if strings.TrimSpace(w.UserPromptTemplate) == "" {
		ve.add("user_prompt_template", "is required")
	}

	if len(w.Variables) > MaxVariables {
		ve.add("variables", "at most %d variables, got %d", MaxVariables, len(w.Variables))
	}
	declared := map[string]bool{}
	for i, v := range w.Variables[:min(len(w.Variables), MaxVariables)] {
		at := fmt.Sprintf("variables[%d]", i)
		switch {
		case v.Name == "":
			ve.add(at+".name", "is required")
		case !identRE.MatchString(v.Name):
			ve.add(at+".name", "%q must match [A-Za-z_][A-Za-z0-9_]*", v.Name)
		case declared[v.Name]:
			ve.add(at+".name", "duplicate variable name %q", v.Name)
		}
		declared[v.Name] = true
		if utf8.RuneCountInString(v.Label) > MaxLabelLen {
			ve.add(at+".label", "must be at most %d characters", MaxLabelLen)
		}
		if utf8.RuneCountInString(v.Description) > MaxDescriptionLen {
			ve.add(at+".description", "must be at most %d characters", MaxDescriptionLen)
		}
		if !knownType(v.Type) {
			ve.add(at+".type", "unknown type %q: want one of %s", v.Type, strings.Join(Types, ", "))
		} else if msg := checkDefault(v); msg != "" {
			ve.add(at+".default", "%s", msg)
		}
		checkBounds(ve, at, v)
	}
	checkPlaceholders(ve, "system_prompt", w.SystemPrompt, declared)
	checkPlaceholders(ve, "user_prompt_template", w.UserPromptTemplate, declared)

	if len(w.SelectedTools) > MaxTools {
		ve.add("selected_tools", "at most %d tools, got %d", MaxTools, len(w.SelectedTools))
	}
	seenTool := map[string]bool{}
	for i, name := range w.SelectedTools[:min(len(w.SelectedTools), MaxTools)] {
		at := fmt.Sprintf("selected_tools[%d]", i)
		switch {
		case !toolExists(name):
			ve.add(at, "unknown tool %q (see GET /api/workflows/tools)", name)
		case seenTool[name]:
			ve.add(at, "tool %q selected twice", name)
		}
		seenTool[name] = true
	}
	if len(ve.Fields) == 0 {
		if doc, err := json.Marshal(w); err != nil {
			ve.add("body", "cannot be stored: %v", err)
		} else if len(doc) > MaxDocBytes {
			ve.add("body", "the workflow is %d bytes as JSON, at most %d", len(doc), MaxDocBytes)
		}
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	return nil
}

func checkPlaceholders(ve *ValidationError, field, prompt string, declared map[string]bool) {
	for _, name := range Placeholders(prompt) {
		switch {
		case !identRE.MatchString(name):
			ve.add(field, "placeholder {{%s}} is not a valid variable name", name)
		case !declared[name]:
			ve.add(field, "placeholder {{%s}} is not a declared variable", name)
		}
	}
}

func knownType(t string) bool {
	for _, k := range Types {
		if t == k {
			return true
		}
	}
	return false
}

// checkDefault returns why a variable's default does not fit its type, or "".
func checkDefault(v Variable) string {
	if v.Default == nil {
		return ""
	}
	switch v.Type {
	case TypeNumber:
		if _, ok := v.Default.(float64); !ok {
			return "must be a number for a number variable"
		}
	case TypeString:
		if _, ok := v.Default.(string); !ok {
			return "must be a string"
		}
	case TypeDate:
		s, ok := v.Default.(string)
		if !ok {
			return "must be a date string"
		}
		if _, err := market.ParseDate(s); err != nil {
			return err.Error()
		}
	case TypeStockCode:
		s, ok := v.Default.(string)
		if !ok {
			return "must be a stock code string"
		}
		if _, err := market.ParseCode(s); err != nil {
			return err.Error()
		}
	case TypeStockList:
		list, ok := v.Default.([]any)
		if !ok {
			return "must be an array of stock codes"
		}
		for _, item := range list {
			s, ok := item.(string)
			if !ok {
				return "must be an array of stock codes"
			}
			if _, err := market.ParseCode(s); err != nil {
				return err.Error()
			}
		}
	}
	return ""
}
