package workflow

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzWorkflowInput feeds any body to the decoding and validation of a
// workflow write: nothing panics; a refusal is a ValidationError of at most
// MaxDetails problems worded without Go type names; what is accepted keeps
// every limit, fits MaxDocBytes, and is accepted again when sent back as it
// is stored (a client may PUT what it read). Seeds: the templates, and
// testdata/fuzz/FuzzWorkflowInput.
func FuzzWorkflowInput(f *testing.F) {
	f.Add([]byte(validInput()))
	for _, tpl := range Templates() {
		b, _ := json.Marshal(tpl)
		f.Add(b)
	}
	f.Add([]byte(`{"name":5}`))
	f.Add([]byte(`{"name":"x","user_prompt_template":"y","tags":["","",""]}`))
	f.Add([]byte(`{"name":"x","user_prompt_template":"{{a}}","variables":[{"name":"a","type":"stock_list","default":["600519",1]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := DecodeInput(body)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		var w Workflow
		in.Apply(&w)
		if err := Validate(&w, ToolExists); err != nil {
			checkRefusal(t, err)
			return
		}
		if n := utf8.RuneCountInString(w.Name); n == 0 || n > MaxNameLen || len(w.Tags) > MaxTags ||
			len(w.Variables) > MaxVariables || len(w.SelectedTools) > MaxTools {
			t.Fatalf("accepted a workflow past a limit: name %d runes, %d tags, %d variables, %d tools",
				n, len(w.Tags), len(w.Variables), len(w.SelectedTools))
		}
		doc, err := json.Marshal(w)
		if err != nil || len(doc) > MaxDocBytes {
			t.Fatalf("accepted a workflow of %d bytes (%v)", len(doc), err)
		}
		again, err := DecodeInput(doc)
		if err != nil {
			t.Fatalf("the stored form does not decode: %v\n%s", err, doc)
		}
		var w2 Workflow
		again.Apply(&w2)
		if err := Validate(&w2, ToolExists); err != nil {
			t.Fatalf("the stored form is refused: %v\n%s", err, doc)
		}
	})
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("refused with %T %v, want a ValidationError", err, err)
	}
	if len(ve.Fields) == 0 || len(ve.Fields) > MaxDetails {
		t.Fatalf("%d problems listed", len(ve.Fields))
	}
	for _, f := range ve.Fields {
		for _, leak := range []string{"Go struct", "Go value", "json:", "workflow."} {
			if strings.Contains(f.Message, leak) {
				t.Fatalf("message %q names a Go type (%q)", f.Message, leak)
			}
		}
	}
}
