package workflow

import (
	"errors"
	"strings"
	"testing"
)

func validInput() string {
	return `{"name":"我的分析","description":"d","category":"analysis","tags":["a"],
	"system_prompt":"你是分析师","user_prompt_template":"分析 {{code}} 最近 {{ days }} 天",
	"variables":[{"name":"code","label":"代码","type":"stock_code","required":true,"default":"600519"},
	             {"name":"days","label":"天数","type":"number","default":30}],
	"selected_tools":["get_stock_basic","get_stock_daily"]}`
}

func TestValidInputPasses(t *testing.T) {
	in, err := DecodeInput([]byte(validInput()))
	if err != nil {
		t.Fatal(err)
	}
	var w Workflow
	in.Apply(&w)
	if err := Validate(&w, ToolExists); err != nil {
		t.Fatal(err)
	}
}

func TestTemplatesAreValid(t *testing.T) {
	ts := Templates()
	if len(ts) != 5 {
		t.Fatalf("%d templates, want 5", len(ts))
	}
	ids := map[string]bool{}
	for _, tpl := range ts {
		w := tpl
		if err := Validate(&w, ToolExists); err != nil {
			t.Errorf("template %s: %v", tpl.ID, err)
		}
		if !tpl.IsTemplate || ids[tpl.ID] || !strings.HasPrefix(tpl.ID, "tpl-") {
			t.Errorf("template %s: is_template %v, id reused %v", tpl.ID, tpl.IsTemplate, ids[tpl.ID])
		}
		ids[tpl.ID] = true
		if len(Placeholders(tpl.UserPromptTemplate)) == 0 || len(tpl.SelectedTools) == 0 {
			t.Errorf("template %s has no placeholders or no tools", tpl.ID)
		}
	}
	// The value screen asks for the two bounds by name.
	vs, _ := template(TemplateValueScreen)
	if got := Placeholders(vs.UserPromptTemplate); !contains(got, "max_pe") || !contains(got, "max_pb") {
		t.Errorf("value screen placeholders %v", got)
	}
	ta, _ := template(TemplateTechnical)
	if got := Placeholders(ta.UserPromptTemplate); !contains(got, "stock_code") || !contains(got, "days") {
		t.Errorf("technical analysis placeholders %v", got)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Every rule, with an input that breaks it and the message the client sees.
func TestValidationRules(t *testing.T) {
	long := strings.Repeat("名", 101)
	cases := []struct {
		name, body, field, message string
	}{
		{"empty name", `{"name":"  ","user_prompt_template":"x"}`, "name", "is required"},
		{"missing name", `{"user_prompt_template":"x"}`, "name", "is required"},
		{"name too long", `{"name":"` + long + `","user_prompt_template":"x"}`, "name", "at most 100 characters, got 101"},
		{"no template", `{"name":"n"}`, "user_prompt_template", "is required"},
		{"undeclared placeholder", `{"name":"n","user_prompt_template":"{{stock}}"}`, "user_prompt_template", "placeholder {{stock}} is not a declared variable"},
		{"undeclared in system prompt", `{"name":"n","system_prompt":"{{x}}","user_prompt_template":"y"}`, "system_prompt", "placeholder {{x}} is not a declared variable"},
		{"bad placeholder", `{"name":"n","user_prompt_template":"{{a b}}"}`, "user_prompt_template", "placeholder {{a b}} is not a valid variable name"},
		{"bad variable name", `{"name":"n","user_prompt_template":"x","variables":[{"name":"1x","type":"string"}]}`, "variables[0].name", `"1x" must match [A-Za-z_][A-Za-z0-9_]*`},
		{"empty variable name", `{"name":"n","user_prompt_template":"x","variables":[{"name":"","type":"string"}]}`, "variables[0].name", "is required"},
		{"duplicate variable", `{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"string"},{"name":"a","type":"number"}]}`, "variables[1].name", `duplicate variable name "a"`},
		{"unknown type", `{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"money"}]}`, "variables[0].type", `unknown type "money"`},
		{"number default", `{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"number","default":"ten"}]}`, "variables[0].default", "must be a number"},
		{"code default", `{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"stock_code","default":"60051"}]}`, "variables[0].default", "malformed code"},
		{"date default", `{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"date","default":"2025-13-01"}]}`, "variables[0].default", "malformed date"},
		{"list default", `{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"stock_list","default":"600519"}]}`, "variables[0].default", "array of stock codes"},
		{"unknown tool", `{"name":"n","user_prompt_template":"x","selected_tools":["get_stock_basic","rm_rf"]}`, "selected_tools[1]", `unknown tool "rm_rf"`},
		{"tool twice", `{"name":"n","user_prompt_template":"x","selected_tools":["search_stocks","search_stocks"]}`, "selected_tools[1]", "selected twice"},
		{"empty tag", `{"name":"n","user_prompt_template":"x","tags":[""]}`, "tags[0]", "1 to 30 characters"},
		{"unknown field", `{"name":"n","user_prompt_template":"x","colour":"red"}`, "colour", "unknown field"},
		{"wrong json type", `{"name":5,"user_prompt_template":"x"}`, "name", "must be a string"},
		{"not an object", `[1,2]`, "body", "must be an object"},
		{"broken json", `{"name":`, "body", "not a JSON object"},
		{"trailing data", `{"name":"n","user_prompt_template":"x"} {}`, "body", "trailing data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := decodeAndValidate(c.body)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			for _, f := range ve.Fields {
				if f.Field == c.field && strings.Contains(f.Message, c.message) {
					return
				}
			}
			t.Fatalf("want %s: …%s…, got %+v", c.field, c.message, ve.Fields)
		})
	}
}

func decodeAndValidate(body string) error {
	in, err := DecodeInput([]byte(body))
	if err != nil {
		return err
	}
	var w Workflow
	in.Apply(&w)
	return Validate(&w, ToolExists)
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	err := decodeAndValidate(`{"name":"","user_prompt_template":"{{a}} {{b}}","variables":[{"name":"a","type":"x"}]}`)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 3 {
		t.Fatalf("want 3 problems (name, type, {{b}}), got %v", err)
	}
}

func TestPlaceholders(t *testing.T) {
	got := Placeholders("{{a}} {{ b }} {{a}} {c} {{}}")
	if strings.Join(got, ",") != "a,b," {
		t.Errorf("got %q", got)
	}
}

func TestToolsCatalogue(t *testing.T) {
	tools := Tools()
	if len(tools) < 6 {
		t.Fatalf("%d tools", len(tools))
	}
	for _, tool := range tools {
		if !ToolExists(tool.Name) || tool.Description == "" || tool.Parameters["type"] != "object" || !strings.HasPrefix(tool.Path, "/api/") {
			t.Errorf("tool %+v incomplete", tool)
		}
	}
}

// Validation stops at each list's limit and lists at most MaxDetails
// problems, however large the input: the work and the answer stay small.
func TestValidationIsBounded(t *testing.T) {
	w := Workflow{Name: "x", UserPromptTemplate: strings.Repeat("{{nope}} {{a b}} ", 5000)}
	w.Tags = make([]string, 85000)
	for range 10000 {
		w.Variables = append(w.Variables, Variable{Name: "1bad", Type: "nope"})
	}
	for range 5000 {
		w.SelectedTools = append(w.SelectedTools, "no_such_tool")
	}
	calls := 0
	err := Validate(&w, func(string) bool { calls++; return false })
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate: %v", err)
	}
	if len(ve.Fields) != MaxDetails || ve.Omitted == 0 {
		t.Errorf("%d problems listed, %d omitted; want %d listed and a count of the rest", len(ve.Fields), ve.Omitted, MaxDetails)
	}
	if calls > MaxTools {
		t.Errorf("%d tool lookups for %d tools: validation went past the limit of %d", calls, len(w.SelectedTools), MaxTools)
	}
	// 1 count + 20 tags, the prompt's length, 1 count + 50 variables × 2,
	// 2 placeholders, 1 count + 20 tools.
	if got, want := len(ve.Fields)+ve.Omitted, 1+MaxTags+1+1+2*MaxVariables+2+1+MaxTools; got != want {
		t.Errorf("%d problems found, want %d (only the first items of each list are checked)", got, want)
	}
	if msg := ve.Error(); len(msg) > 4<<10 || !strings.Contains(msg, "more problems") {
		t.Errorf("message of %d bytes: %.200s", len(msg), msg)
	}
}

// A workflow larger than MaxDocBytes as JSON is refused, naming its size.
func TestDocumentSizeIsBounded(t *testing.T) {
	w := Workflow{Name: "x", SystemPrompt: strings.Repeat("长", MaxPromptLen), UserPromptTemplate: strings.Repeat("文", 3000)}
	err := Validate(&w, ToolExists)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || !strings.Contains(ve.Fields[0].Message, "bytes as JSON") {
		t.Fatalf("a %d-character prompt: %v", MaxPromptLen, err)
	}
	w.SystemPrompt = strings.Repeat("长", 5000)
	if err := Validate(&w, ToolExists); err != nil {
		t.Errorf("a workflow under the cap: %v", err)
	}
}
