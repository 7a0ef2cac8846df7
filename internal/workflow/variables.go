package workflow

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stockdatasource/stockd/internal/market"
)

// Limits of a run's variable values.
const (
	MaxValueLen  = 2000 // characters of a string value
	MaxListCodes = 20   // codes of a stock_list value
)

// checkBounds checks a variable's min and max: numbers only, in order, and
// around the default.
func checkBounds(ve *ValidationError, at string, v Variable) {
	if v.Min == nil && v.Max == nil {
		return
	}
	if v.Type != TypeNumber {
		ve.add(at+".min", "min and max apply to number variables only, not %s", v.Type)
		return
	}
	for field, b := range map[string]*float64{".min": v.Min, ".max": v.Max} {
		if b != nil && (math.IsNaN(*b) || math.IsInf(*b, 0)) {
			ve.add(at+field, "must be a finite number")
			return
		}
	}
	if v.Min != nil && v.Max != nil && *v.Min > *v.Max {
		ve.add(at+".max", "must not be less than min (%s)", FormatValue(*v.Min))
		return
	}
	if d, ok := v.Default.(float64); ok {
		if msg := outOfBounds(v, d); msg != "" {
			ve.add(at+".default", "%s", msg)
		}
	}
}

// outOfBounds says why n is outside v's bounds, or "".
func outOfBounds(v Variable, n float64) string {
	switch {
	case v.Min != nil && n < *v.Min:
		return fmt.Sprintf("must be at least %s, got %s", FormatValue(*v.Min), FormatValue(n))
	case v.Max != nil && n > *v.Max:
		return fmt.Sprintf("must be at most %s, got %s", FormatValue(*v.Max), FormatValue(n))
	}
	return ""
}

// CodeLookup reports whether the store knows a normalised code (a stock or
// an ETF). An error is a failure of the store, not an unknown code.
type CodeLookup func(ctx context.Context, code string) (bool, error)

// Resolve checks the values given for a run against w's declared variables
// and returns what the run uses: defaults filled in, numbers as float64,
// dates as YYYY-MM-DD, stock codes normalised (600519, sh600519 →
// 600519.SH) and known to the store, stock lists as []string. A missing,
// null or empty value takes the default; an optional variable without one
// is left out (its placeholder renders empty). Every problem is reported at
// once as a *ValidationError with fields variables.<name>; an error of
// known is returned as it is.
func Resolve(ctx context.Context, w Workflow, values map[string]any, known CodeLookup) (map[string]any, error) {
	ve := &ValidationError{}
	declared := make(map[string]bool, len(w.Variables))
	for _, v := range w.Variables {
		declared[v.Name] = true
	}
	extra := make([]string, 0)
	for name := range values {
		if !declared[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		names := make([]string, 0, len(w.Variables))
		for _, v := range w.Variables {
			names = append(names, v.Name)
		}
		list := strings.Join(names, ", ")
		if list == "" {
			list = "none"
		}
		ve.add("variables."+name, "is not a variable of this workflow (declared: %s)", list)
	}

	out := make(map[string]any, len(w.Variables))
	for _, v := range w.Variables {
		field := "variables." + v.Name
		raw, given := values[v.Name]
		if !given || empty(raw) {
			if v.Default == nil || empty(v.Default) {
				if v.Required {
					ve.add(field, "is required (%s)", typeHint(v.Type))
				}
				continue
			}
			raw = v.Default
		}
		val, msg, err := resolveValue(ctx, v, raw, known)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			ve.add(field, "%s", msg)
			continue
		}
		out[v.Name] = val
	}
	if len(ve.Fields) > 0 {
		return nil, ve
	}
	return out, nil
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}

func typeHint(typ string) string {
	switch typ {
	case TypeNumber:
		return "a number"
	case TypeDate:
		return "a date, YYYY-MM-DD or YYYYMMDD"
	case TypeStockCode:
		return "a stock or ETF code, e.g. 600519.SH"
	case TypeStockList:
		return "stock or ETF codes, e.g. [\"600519.SH\", \"000858.SZ\"]"
	}
	return "text"
}

// resolveValue checks one value; msg is what is wrong with it for the
// client, err a failure of the code lookup.
func resolveValue(ctx context.Context, v Variable, raw any, known CodeLookup) (val any, msg string, err error) {
	switch v.Type {
	case TypeString:
		s, ok := raw.(string)
		if !ok {
			return nil, "must be a string", nil
		}
		s = strings.TrimSpace(s)
		if n := utf8.RuneCountInString(s); n > MaxValueLen {
			return nil, fmt.Sprintf("must be at most %d characters, got %d", MaxValueLen, n), nil
		}
		return s, "", nil
	case TypeNumber:
		var n float64
		switch x := raw.(type) {
		case float64:
			n = x
		case string:
			f, perr := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if perr != nil {
				return nil, fmt.Sprintf("must be a number, got %q", truncate(x, 40)), nil
			}
			n = f
		default:
			return nil, "must be a number", nil
		}
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, "must be a finite number", nil
		}
		if m := outOfBounds(v, n); m != "" {
			return nil, m, nil
		}
		return n, "", nil
	case TypeDate:
		s, ok := raw.(string)
		if !ok {
			return nil, "must be a date string, YYYY-MM-DD or YYYYMMDD", nil
		}
		d, perr := market.ParseDate(strings.TrimSpace(s))
		if perr != nil {
			return nil, fmt.Sprintf("invalid date %q: want YYYY-MM-DD or YYYYMMDD", truncate(s, 40)), nil
		}
		return market.FormatDate(d), "", nil
	case TypeStockCode:
		s, ok := raw.(string)
		if !ok {
			return nil, "must be a stock code string, e.g. 600519.SH", nil
		}
		return knownCode(ctx, s, known)
	case TypeStockList:
		items, m := listItems(raw)
		if m != "" {
			return nil, m, nil
		}
		codes := make([]string, 0, len(items))
		for _, it := range items {
			c, m, err := knownCode(ctx, it, known)
			if err != nil || m != "" {
				return nil, m, err
			}
			if code := c.(string); !slices.Contains(codes, code) {
				codes = append(codes, code)
			}
		}
		if len(codes) > MaxListCodes {
			return nil, fmt.Sprintf("at most %d codes, got %d", MaxListCodes, len(codes)), nil
		}
		return codes, "", nil
	}
	return nil, fmt.Sprintf("unknown type %q", v.Type), nil
}

// listItems reads a stock list given as an array of strings or as one
// string of codes separated by commas, spaces or 、.
func listItems(raw any) ([]string, string) {
	const bad = "must be an array of stock codes or one string of codes separated by commas"
	switch x := raw.(type) {
	case string:
		parts := strings.FieldsFunc(x, func(r rune) bool {
			return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == ' ' || r == '\t' || r == '\n'
		})
		if len(parts) == 0 {
			return nil, bad
		}
		return parts, ""
	case []string:
		return x, ""
	case []any:
		out := make([]string, 0, len(x))
		for _, it := range x {
			s, ok := it.(string)
			if !ok {
				return nil, bad
			}
			out = append(out, s)
		}
		return out, ""
	}
	return nil, bad
}

func knownCode(ctx context.Context, s string, known CodeLookup) (any, string, error) {
	code, err := market.ParseCode(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Sprintf("invalid code %q: want 6 digits with an optional exchange, e.g. 600519, 600519.SH or sh600519", truncate(s, 40)), nil
	}
	if known == nil {
		return code, "", nil
	}
	ok, err := known(ctx, code)
	if err != nil {
		return nil, "", fmt.Errorf("look up %s: %w", code, err)
	}
	if !ok {
		return nil, fmt.Sprintf("unknown code %s: no stock or ETF with this code in the store", code), nil
	}
	return code, "", nil
}

// FormatValue is how a resolved value reads in a prompt: numbers without
// a trailing .0, lists joined with ", ".
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = FormatValue(it)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

// Render replaces each {{name}} of tpl (spaces inside the braces allowed,
// as Placeholders reads them) with FormatValue(values[name]), and with
// nothing when name has no value. It is one pass: a value that itself
// holds {{…}} is inserted as it is, never expanded, so a variable cannot
// pull another into the prompt.
func Render(tpl string, values map[string]any) string {
	var b strings.Builder
	b.Grow(len(tpl))
	last := 0 // tpl[last:] is not written yet
	for i := 0; i+1 < len(tpl); {
		if tpl[i] != '{' || tpl[i+1] != '{' {
			i++
			continue
		}
		// A placeholder is {{, no brace, }}; otherwise the scan goes on
		// from the next byte, as the regular expression does.
		j := i + 2
		for j < len(tpl) && tpl[j] != '{' && tpl[j] != '}' {
			j++
		}
		if j+1 >= len(tpl) || tpl[j] != '}' || tpl[j+1] != '}' {
			i++
			continue
		}
		b.WriteString(tpl[last:i])
		b.WriteString(FormatValue(values[strings.Trim(tpl[i+2:j], " \t\n\f\r")]))
		i = j + 2
		last = i
	}
	if last == 0 {
		return tpl
	}
	b.WriteString(tpl[last:])
	return b.String()
}
