package httpapi

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPI is the OpenAPI 3.1 description of every route of the table, its
// parameters, answers and errors. It is written by hand; the tests validate
// it against the OAS 3.1 schema, compare its paths with the route table, and
// check every request and answer of the handler tests against it.
//
//go:embed openapi.json
var openAPI []byte

var openAPILength = []string{strconv.Itoa(len(openAPI))}

// serveOpenAPI is GET /openapi.json.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = openAPILength
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(openAPI)
}
