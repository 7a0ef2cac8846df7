package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The contract: openapi.json is the description of the API, so every
// request a handler test makes and every answer it gets is checked against
// it (validated below, through newHandler), the document itself against the
// OAS 3.1 schema, and its paths against the route table.

const docURL = "https://stockd.invalid/openapi.json"

// contract is openapi.json, parsed, with its schemas compiled on demand.
type contract struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	paths    []docPath

	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
}

// docPath is one path template of the document, split in segments.
type docPath struct {
	template string
	segs     []string
	// rest: the last parameter takes the rest of the path, slashes and
	// all (the web UI and the docs page files).
	rest bool
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPI))
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	doc := raw.(map[string]any)
	c := &contract{doc: doc, compiler: jsonschema.NewCompiler(), schemas: map[string]*jsonschema.Schema{}}
	if err := c.compiler.AddResource(docURL, raw); err != nil {
		return nil, err
	}
	for tmpl := range doc["paths"].(map[string]any) {
		p := docPath{template: tmpl, segs: strings.Split(strings.TrimPrefix(tmpl, "/"), "/")}
		p.rest = tmpl == "/{path}" || tmpl == "/docs/{file}"
		c.paths = append(c.paths, p)
	}
	// Literal segments first, so /api/stock/search wins over
	// /api/stock/{code}/… as in the mux; catch-alls last.
	sort.Slice(c.paths, func(i, j int) bool {
		a, b := c.paths[i], c.paths[j]
		if a.rest != b.rest {
			return !a.rest
		}
		if la, lb := literals(a.segs), literals(b.segs); la != lb {
			return la > lb
		}
		return a.template < b.template
	})
	return c, nil
})

func literals(segs []string) int {
	n := 0
	for _, s := range segs {
		if !strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}

func theContract(t testing.TB) *contract {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pointer builds a JSON pointer fragment of docURL from tokens.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, tok := range tokens {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
		b.WriteString("/" + url.PathEscape(tok))
	}
	return b.String()
}

// schema compiles the schema at a JSON pointer of the document.
func (c *contract) schema(t testing.TB, ptr string) *jsonschema.Schema {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.schemas[ptr]; ok {
		return s
	}
	s, err := c.compiler.Compile(docURL + "#" + ptr)
	if err != nil {
		t.Fatalf("openapi.json: compile %s: %v", ptr, err)
	}
	c.schemas[ptr] = s
	return s
}

// at returns the value at a pointer made of tokens, following $ref once
// at the end.
func (c *contract) at(tokens ...string) (any, []string) {
	var v any = c.doc
	for _, tok := range tokens {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, nil
			}
			v = x[i]
		default:
			return nil, nil
		}
	}
	if m, ok := v.(map[string]any); ok {
		if r, ok := m["$ref"].(string); ok {
			toks := strings.Split(strings.TrimPrefix(r, "#/"), "/")
			return c.at(toks...)
		}
	}
	return v, tokens
}

// match finds the document path of a request path and its parameters.
func (c *contract) match(p string) (docPath, map[string]string, bool) {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for _, dp := range c.paths {
		if dp.rest && dp.template == "/{path}" && strings.HasPrefix(p, "/api/") {
			continue // unknown API paths are never the web UI
		}
		vals := map[string]string{}
		ok := true
		for i, s := range dp.segs {
			if i >= len(segs) {
				ok = false
				break
			}
			if strings.HasPrefix(s, "{") {
				name := strings.Trim(s, "{}")
				if dp.rest && i == len(dp.segs)-1 {
					vals[name] = strings.Join(segs[i:], "/")
					segs = segs[:i+1]
					break
				}
				if segs[i] == "" {
					ok = false
					break
				}
				vals[name] = segs[i]
			} else if s != segs[i] {
				ok = false
				break
			}
		}
		if ok && len(segs) == len(dp.segs) {
			return dp, vals, true
		}
	}
	return docPath{}, nil, false
}

// check validates one exchange against the document: the request's
// parameters and body, the answer's status, content type and body. A
// request the document calls invalid must get a 4xx.
func (c *contract) check(t testing.TB, req *http.Request, reqBody []byte, status int, hdr http.Header, body []byte) {
	t.Helper()
	what := req.Method + " " + req.URL.RequestURI()
	dp, pathVals, found := c.match(req.URL.Path)
	method := strings.ToLower(req.Method)
	if found && method == "head" {
		method = "get"
	}
	var op map[string]any
	if found {
		op, _ = c.doc["paths"].(map[string]any)[dp.template].(map[string]any)[method].(map[string]any)
	}
	if op == nil {
		// No operation: the answer is the JSON 404 or 405 of the fallbacks.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			t.Errorf("contract: %s: no operation in openapi.json, yet status %d", what, status)
			return
		}
		if status == http.StatusMethodNotAllowed && hdr.Get("Allow") == "" {
			t.Errorf("contract: %s: 405 without Allow", what)
		}
		c.checkBody(t, what, "application/json", hdr, body, pointer("components", "schemas", "Error"))
		return
	}
	opPtr := []string{"paths", dp.template, method}

	invalid := c.checkParams(t, opPtr, req, pathVals)
	if rb, ok := op["requestBody"].(map[string]any); ok {
		switch {
		case len(bytes.TrimSpace(reqBody)) == 0:
			if rb["required"] == true {
				invalid = append(invalid, "no body")
			}
		default:
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(reqBody))
			if err != nil {
				invalid = append(invalid, "body is not JSON")
			} else if err := c.schema(t, pointer(append(opPtr, "requestBody", "content", "application/json", "schema")...)).Validate(inst); err != nil {
				invalid = append(invalid, "body: "+err.Error())
			}
		}
	}
	if len(invalid) > 0 && (status < 400 || status > 499) {
		t.Errorf("contract: %s is invalid per openapi.json (%s), yet answered %d", what, strings.Join(invalid, "; "), status)
	}

	code := strconv.Itoa(status)
	if _, ok := op["responses"].(map[string]any)[code]; !ok {
		t.Errorf("contract: %s answered %d, which openapi.json does not list for %s %s", what, status, req.Method, dp.template)
		return
	}
	rsp, rspPtr := c.at(append(opPtr, "responses", code)...)
	content, _ := rsp.(map[string]any)["content"].(map[string]any)
	if len(content) == 0 {
		return
	}
	ct, _, _ := mime.ParseMediaType(hdr.Get("Content-Type"))
	for _, mt := range slices.Sorted(mapKeys(content)) {
		if mt == ct || mt == "*/*" {
			if mt == "application/json" {
				c.checkBody(t, what, ct, hdr, body, pointer(append(rspPtr, "content", mt, "schema")...))
			}
			return
		}
	}
	t.Errorf("contract: %s answered %d as %q; openapi.json lists %v", what, status, ct, slices.Sorted(mapKeys(content)))
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkParams validates the path and query parameters; it returns what is
// invalid about the request.
func (c *contract) checkParams(t testing.TB, opPtr []string, req *http.Request, pathVals map[string]string) []string {
	t.Helper()
	var invalid []string
	params, _ := c.at(append(opPtr, "parameters")...)
	list, _ := params.([]any)
	for i := range list {
		p, pPtr := c.at(append(opPtr, "parameters", strconv.Itoa(i))...)
		pm := p.(map[string]any)
		name, in := pm["name"].(string), pm["in"].(string)
		var raw string
		var present bool
		switch in {
		case "path":
			raw, present = pathVals[name]
		case "query":
			q := req.URL.Query()
			raw, present = q.Get(name), q.Has(name)
		default:
			continue
		}
		if !present {
			if pm["required"] == true {
				invalid = append(invalid, name+" missing")
			}
			continue
		}
		sch := c.schema(t, pointer(append(pPtr, "schema")...))
		var inst any = raw
		if typ, _ := pm["schema"].(map[string]any)["type"].(string); typ == "integer" || typ == "number" {
			n, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
			if err != nil {
				invalid = append(invalid, fmt.Sprintf("%s=%q is not a number", name, raw))
				continue
			}
			inst = json.Number(strconv.FormatFloat(n, 'f', -1, 64))
			if typ == "integer" && strings.ContainsAny(strings.TrimSpace(raw), ".eE") {
				invalid = append(invalid, fmt.Sprintf("%s=%q is not an integer", name, raw))
				continue
			}
		}
		if err := sch.Validate(inst); err != nil {
			invalid = append(invalid, fmt.Sprintf("%s=%q: %v", name, raw, err))
		}
	}
	return invalid
}

func (c *contract) checkBody(t testing.TB, what, wantCT string, hdr http.Header, body []byte, schemaPtr string) {
	t.Helper()
	if ct, _, _ := mime.ParseMediaType(hdr.Get("Content-Type")); ct != wantCT {
		t.Errorf("contract: %s: Content-Type %q, want %s", what, hdr.Get("Content-Type"), wantCT)
		return
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Errorf("contract: %s: body is not JSON: %v: %.200s", what, err, body)
		return
	}
	if err := c.schema(t, schemaPtr).Validate(inst); err != nil {
		t.Errorf("contract: %s: answer does not match %s:\n%v\nbody: %.500s", what, schemaPtr, err, body)
	}
}

// checked serves h and checks every exchange against the document; tests
// get their handlers through it (newHandler), so none can bypass it.
func checked(t testing.TB, h http.Handler) http.Handler {
	c := theContract(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqBody []byte
		if r.Body != nil {
			// A body that fails to read (a malformed chunk, a cut
			// connection) must fail the same way for the handler.
			var err error
			reqBody, err = io.ReadAll(r.Body)
			var rest io.Reader = bytes.NewReader(reqBody)
			if err != nil {
				rest = io.MultiReader(rest, failingReader{err})
			}
			r.Body = io.NopCloser(rest)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		c.check(t, r, reqBody, rec.Code, rec.Header(), rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// failingReader fails every read with err.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// TestOpenAPIDocumentIsValid validates openapi.json against the official
// OAS 3.1 schema with schema validation (schema-base: every Schema Object
// against the OAS dialect of JSON Schema 2020-12), from testdata.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	comp := jsonschema.NewCompiler()
	for _, f := range []string{"schema.json", "schema-base.json", "dialect-base.schema.json", "meta-base.schema.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "oas-3.1", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := comp.AddResource(doc.(map[string]any)["$id"].(string), doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	sch, err := comp.Compile("https://spec.openapis.org/oas/3.1/schema-base/2022-10-07")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPI))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3.1 document:\n%v", err)
	}
	// The validator must be able to fail: a document without info is not one.
	broken := map[string]any{"openapi": "3.1.0", "paths": map[string]any{}}
	if sch.Validate(broken) == nil {
		t.Fatal("the OAS schema accepted a document without info")
	}
	// Schema Objects are checked too (schema-base): a type that is no type.
	badSchema := map[string]any{"openapi": "3.1.0", "info": map[string]any{"title": "x", "version": "1"},
		"components": map[string]any{"schemas": map[string]any{"X": map[string]any{"type": "decimal"}}}}
	if sch.Validate(badSchema) == nil {
		t.Fatal("the OAS schema accepted a Schema Object of type decimal")
	}
	// And every schema of the document compiles (the contract needs them).
	c := theContract(t)
	for name := range c.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		c.schema(t, pointer("components", "schemas", name))
	}
}

// TestRoutesMatchOpenAPI: every route of the table is in the document and
// the document names no route the table lacks.
func TestRoutesMatchOpenAPI(t *testing.T) {
	a := &api{}
	var fromTable []string
	for _, rt := range a.routes() {
		method, pattern, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			// The two method-less fallbacks: /api/ answers JSON errors and
			// is no operation; / is the web UI, described as GET /{path}.
			switch rt.pattern {
			case "/api/", "/api":
				continue
			case "/":
				method, pattern = http.MethodGet, "/{path}"
			default:
				t.Errorf("route %q names no method", rt.pattern)
				continue
			}
		}
		pattern = strings.ReplaceAll(pattern, "...}", "}")
		fromTable = append(fromTable, method+" "+pattern)
	}
	var fromDoc []string
	for p, item := range theContract(t).doc["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			switch m {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				fromDoc = append(fromDoc, strings.ToUpper(m)+" "+p)
			}
		}
	}
	slices.Sort(fromTable)
	slices.Sort(fromDoc)
	if !slices.Equal(fromTable, fromDoc) {
		t.Errorf("route table and openapi.json differ:\n table: %q\n   doc: %q", fromTable, fromDoc)
	}
	if len(fromTable) < 20 {
		t.Errorf("only %d routes: the table was not read", len(fromTable))
	}
}

// TestContractCatchesDrift: the checker rejects an answer that leaves the
// document (a missing field, an undocumented status, a wrong type) and a
// 200 to a request the document calls invalid.
func TestContractCatchesDrift(t *testing.T) {
	c := theContract(t)
	json200 := http.Header{"Content-Type": {"application/json"}}
	cases := []struct {
		name, target string
		status       int
		hdr          http.Header
		body         string
	}{
		{"field missing", "/api/overview/trade-dates", 200, json200, `{}`},
		{"extra field", "/api/overview/trade-dates", 200, json200, `{"dates":[],"more":1}`},
		{"wrong date shape", "/api/overview/trade-dates", 200, json200, `{"dates":["20251218"]}`},
		{"undocumented status", "/api/overview/trade-dates", 418, json200, `{"dates":[]}`},
		{"wrong content type", "/api/overview/trade-dates", 200, http.Header{"Content-Type": {"text/plain"}}, `{"dates":[]}`},
		{"invalid request answered 200", "/api/overview/trade-dates?limit=0", 200, json200, `{"dates":[]}`},
		{"error shape", "/api/overview/trade-dates?limit=0", 400, json200, `{"error":"bad"}`},
		{"unknown path not 404", "/api/nothing", 200, json200, `{}`},
	}
	for _, tc := range cases {
		ft := &fakeT{}
		c.check(ft, httptest.NewRequest("GET", tc.target, nil), nil, tc.status, tc.hdr, []byte(tc.body))
		if !ft.failed {
			t.Errorf("%s: the contract check passed %s %d %s", tc.name, tc.target, tc.status, tc.body)
		}
	}
	ft := &fakeT{}
	c.check(ft, httptest.NewRequest("GET", "/api/overview/trade-dates?limit=2", nil), nil, 200, json200, []byte(`{"dates":["2025-12-18","2025-12-17"]}`))
	if ft.failed {
		t.Errorf("a valid exchange failed the check: %s", ft.msg)
	}
}

// fakeT records a failure instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
}
func (f *fakeT) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
