// Package workflow holds user-defined analysis workflows: their model,
// validation, the built-in templates, the data tools a workflow may call,
// and the service that stores them behind the cache.
package workflow

import (
	"regexp"
	"time"
)

// Workflow is an analysis recipe: prompts with {{placeholders}}, the
// variables that fill them, and the data tools the analysis may call.
type Workflow struct {
	ID                 string     `json:"id"`
	Name               string     `json:"name"`
	Description        string     `json:"description"`
	Category           string     `json:"category"`
	Tags               []string   `json:"tags"`
	SystemPrompt       string     `json:"system_prompt"`
	UserPromptTemplate string     `json:"user_prompt_template"`
	Variables          []Variable `json:"variables"`
	SelectedTools      []string   `json:"selected_tools"`
	IsTemplate         bool       `json:"is_template"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// Variable is one input of a workflow.
type Variable struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Default     any    `json:"default"`
	Description string `json:"description"`
	// Min and Max bound a number variable's value (inclusive); nil is
	// unbounded.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Variable types.
const (
	TypeString    = "string"
	TypeNumber    = "number"
	TypeDate      = "date"
	TypeStockCode = "stock_code"
	TypeStockList = "stock_list"
)

// Types lists the variable types in the order the UI offers them.
var Types = []string{TypeString, TypeNumber, TypeDate, TypeStockCode, TypeStockList}

// DefaultCategory is given to a workflow created without one.
const DefaultCategory = "custom"

var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// Placeholders returns the names used as {{name}} in s, in order, each once.
func Placeholders(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}
