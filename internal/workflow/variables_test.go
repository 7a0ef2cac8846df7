package workflow

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// knownCodes is a CodeLookup over a fixed set.
func knownCodes(codes ...string) CodeLookup {
	return func(_ context.Context, code string) (bool, error) {
		for _, c := range codes {
			if c == code {
				return true, nil
			}
		}
		return false, nil
	}
}

func resolveWorkflow() Workflow {
	return Workflow{
		Name: "r", UserPromptTemplate: "{{code}} {{days}} {{since}} {{codes}} {{note}} {{opt}}",
		Variables: []Variable{
			{Name: "code", Type: TypeStockCode, Required: true},
			{Name: "days", Type: TypeNumber, Default: 60.0, Min: bound(5), Max: bound(250)},
			{Name: "since", Type: TypeDate},
			{Name: "codes", Type: TypeStockList, Default: []any{"600519.SH"}},
			{Name: "note", Type: TypeString, Default: "估值"},
			{Name: "opt", Type: TypeString},
		},
	}
}

func TestResolveNormalisesAndFillsDefaults(t *testing.T) {
	got, err := Resolve(context.Background(), resolveWorkflow(), map[string]any{
		"code": "sh600519", "days": "30", "since": "20251201", "codes": "000858, 600519.sh、000858.SZ",
	}, knownCodes("600519.SH", "000858.SZ"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"code": "600519.SH", "days": 30.0, "since": "2025-12-01",
		"codes": []string{"000858.SZ", "600519.SH"}, "note": "估值",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resolved\n got %#v\nwant %#v", got, want)
	}
	// Empty values take the default; the optional one without a default is left out.
	got, err = Resolve(context.Background(), resolveWorkflow(), map[string]any{"code": "600519", "days": nil, "note": " "}, knownCodes("600519.SH"))
	if err != nil {
		t.Fatal(err)
	}
	if got["days"] != 60.0 || got["note"] != "估值" || !reflect.DeepEqual(got["codes"], []string{"600519.SH"}) {
		t.Errorf("defaults not applied: %#v", got)
	}
	if _, ok := got["opt"]; ok {
		t.Errorf("an optional variable without value or default was filled: %#v", got)
	}
}

// Every rule, with a value that breaks it and the message the client sees.
func TestResolveRules(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]any
		field  string
		msg    string
	}{
		{"required", map[string]any{}, "variables.code", "is required"},
		{"required empty", map[string]any{"code": "  "}, "variables.code", "is required"},
		{"malformed code", map[string]any{"code": "60051"}, "variables.code", `invalid code "60051"`},
		{"unknown code", map[string]any{"code": "600000"}, "variables.code", "unknown code 600000.SH"},
		{"code not a string", map[string]any{"code": 600519.0}, "variables.code", "must be a stock code string"},
		{"number text", map[string]any{"code": "600519", "days": "many"}, "variables.days", `must be a number, got "many"`},
		{"number type", map[string]any{"code": "600519", "days": true}, "variables.days", "must be a number"},
		{"below min", map[string]any{"code": "600519", "days": 1.0}, "variables.days", "must be at least 5, got 1"},
		{"above max", map[string]any{"code": "600519", "days": "251"}, "variables.days", "must be at most 250, got 251"},
		{"bad date", map[string]any{"code": "600519", "since": "2025-13-40"}, "variables.since", `invalid date "2025-13-40"`},
		{"list item", map[string]any{"code": "600519", "codes": []any{"600519", 1.0}}, "variables.codes", "array of stock codes"},
		{"list unknown", map[string]any{"code": "600519", "codes": []any{"600519", "000001.SZ"}}, "variables.codes", "unknown code 000001.SZ"},
		{"string type", map[string]any{"code": "600519", "note": 5.0}, "variables.note", "must be a string"},
		{"string too long", map[string]any{"code": "600519", "note": strings.Repeat("长", MaxValueLen+1)}, "variables.note", "at most 2000 characters"},
		{"undeclared", map[string]any{"code": "600519", "stock": "x"}, "variables.stock", "is not a variable of this workflow (declared: code, days, since, codes, note, opt)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Resolve(context.Background(), resolveWorkflow(), c.values, knownCodes("600519.SH"))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			for _, f := range ve.Fields {
				if f.Field == c.field && strings.Contains(f.Message, c.msg) {
					return
				}
			}
			t.Fatalf("want %s: …%s…, got %+v", c.field, c.msg, ve.Fields)
		})
	}
	// All problems at once.
	_, err := Resolve(context.Background(), resolveWorkflow(), map[string]any{"days": 1.0, "x": 1.0}, knownCodes("600519.SH"))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 3 {
		t.Errorf("want 3 problems (x, code, days), got %v", err)
	}
}

func TestResolveLookupFailureIsNotAValidationError(t *testing.T) {
	down := errors.New("store down")
	_, err := Resolve(context.Background(), resolveWorkflow(), map[string]any{"code": "600519"},
		func(context.Context, string) (bool, error) { return false, down })
	var ve *ValidationError
	if !errors.Is(err, down) || errors.As(err, &ve) {
		t.Fatalf("err = %v, want the lookup's error", err)
	}
}

func TestBoundsValidated(t *testing.T) {
	for _, c := range []struct {
		body, field, msg string
	}{
		{`{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"string","min":1}]}`, "variables[0].min", "number variables only"},
		{`{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"number","min":5,"max":1}]}`, "variables[0].max", "must not be less than min (5)"},
		{`{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"number","max":10,"default":11}]}`, "variables[0].default", "at most 10, got 11"},
	} {
		err := decodeAndValidate(c.body)
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != c.field || !strings.Contains(ve.Fields[0].Message, c.msg) {
			t.Errorf("%s: got %v, want %s: %s", c.body, err, c.field, c.msg)
		}
	}
	if err := decodeAndValidate(`{"name":"n","user_prompt_template":"x","variables":[{"name":"a","type":"number","min":1,"max":10,"default":10}]}`); err != nil {
		t.Errorf("a default on the bound was refused: %v", err)
	}
}

func TestRender(t *testing.T) {
	vals := map[string]any{"code": "600519.SH", "days": 60.0, "list": []string{"a", "b"}, "inj": "{{code}}"}
	for tpl, want := range map[string]string{
		"分析 {{code}} 最近 {{ days }} 天":    "分析 600519.SH 最近 60 天",
		"{{list}}|{{missing}}|{{}}":      "a, b||",
		"{{{code}}}":                     "{600519.SH}",
		"{{inj}} stays":                  "{{code}} stays",
		"no placeholders {x} {{ a } }}}": "no placeholders {x} {{ a } }}}",
		"{{code":                         "{{code",
		"":                               "",
	} {
		if got := Render(tpl, vals); got != want {
			t.Errorf("Render(%q) = %q, want %q", tpl, got, want)
		}
	}
	if got := FormatValue(1e21); got != "1000000000000000000000" {
		t.Errorf("FormatValue(1e21) = %q", got)
	}
}

// FuzzRender holds the one-pass scanner equal to the placeholder regular
// expression of Placeholders: same matches, same names, values inserted
// verbatim (never expanded again).
func FuzzRender(f *testing.F) {
	for _, s := range []string{"{{a}}", "x {{ a }} y {{b}}", "{{{a}}}", "{{a}", "{{a}}}}", "{{ {{a}} }}", "{{\u00a0a}}", "{{a\xff}}", "}}{{"} {
		f.Add(s, "{{b}}")
	}
	f.Fuzz(func(t *testing.T, tpl, val string) {
		vals := map[string]any{"a": val, "b": 2.5, "a b": []string{"x", "y"}}
		want := placeholderRE.ReplaceAllStringFunc(tpl, func(m string) string {
			return FormatValue(vals[placeholderRE.FindStringSubmatch(m)[1]])
		})
		if got := Render(tpl, vals); got != want {
			t.Fatalf("Render(%q) = %q, want %q", tpl, got, want)
		}
	})
}
