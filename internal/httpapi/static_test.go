package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name string, content []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPrecompressedAssets: a file with .br/.gz siblings is sent as the
// sibling the client accepts (br first), with Content-Encoding, the file's
// own Content-Type and Vary; otherwise the plain file.
func TestPrecompressedAssets(t *testing.T) {
	dir := t.TempDir()
	js := []byte(strings.Repeat("console.log('stockd');\n", 200))
	writeFile(t, dir, "index.html", []byte("<!doctype html><title>stockd</title>"))
	writeFile(t, dir, "index.html.gz", gzipped(t, []byte("<!doctype html><title>stockd</title>")))
	writeFile(t, dir, "assets/app-1a2b.js", js)
	writeFile(t, dir, "assets/app-1a2b.js.gz", gzipped(t, js))
	// The server never decodes the brotli file, so its bytes need not be
	// brotli to tell which file was sent.
	brBytes := []byte("BROTLI-BYTES-OF-app-1a2b.js")
	writeFile(t, dir, "assets/app-1a2b.js.br", brBytes)
	writeFile(t, dir, "assets/plain.css", []byte("body{color:red}"))
	h := newHandler(t, setup{store: openSQLite(t), webDir: dir})

	fetch := func(path, accept string) (int, http.Header, []byte) {
		req := httptest.NewRequest("GET", path, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		return do(t, h, req)
	}
	for _, c := range []struct {
		accept, encoding string
	}{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip;q=0.8", "gzip"},
		{"GZIP", "gzip"},
		{"*", "br"},
		{"*, br;q=0", "gzip"},
		{"identity", ""},
		{"gzip;q=0, br;q=0", ""},
		{"", ""},
	} {
		code, hdr, body := fetch("/assets/app-1a2b.js", c.accept)
		if code != 200 || hdr.Get("Content-Encoding") != c.encoding || hdr.Get("Vary") != "Accept-Encoding" ||
			!strings.HasPrefix(hdr.Get("Content-Type"), "text/javascript") ||
			hdr.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("Accept-Encoding %q: %d encoding %q vary %q type %q cache %q", c.accept, code,
				hdr.Get("Content-Encoding"), hdr.Get("Vary"), hdr.Get("Content-Type"), hdr.Get("Cache-Control"))
			continue
		}
		var plain []byte
		switch c.encoding {
		case "br":
			if !bytes.Equal(body, brBytes) {
				t.Errorf("%q: not the .br file", c.accept)
			}
			continue
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Errorf("%q: not gzip: %v", c.accept, err)
				continue
			}
			plain, _ = io.ReadAll(zr)
		default:
			plain = body
		}
		if !bytes.Equal(plain, js) {
			t.Errorf("%q: content differs from the file", c.accept)
		}
	}
	// The SPA fallback is precompressed too, with its own type.
	_, hdr, body := fetch("/stock/600519.SH", "gzip")
	if hdr.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || hdr.Get("Cache-Control") != "no-cache" {
		t.Errorf("SPA fallback: encoding %q type %q cache %q", hdr.Get("Content-Encoding"), hdr.Get("Content-Type"), hdr.Get("Cache-Control"))
	} else if zr, err := gzip.NewReader(bytes.NewReader(body)); err != nil {
		t.Error(err)
	} else if b, _ := io.ReadAll(zr); !strings.Contains(string(b), "<title>stockd</title>") {
		t.Errorf("SPA fallback body %q", b)
	}
	// A file without siblings: as it is, no Vary.
	_, hdr, body = fetch("/assets/plain.css", "gzip, br")
	if hdr.Get("Content-Encoding") != "" || hdr.Get("Vary") != "" || string(body) != "body{color:red}" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/css") {
		t.Errorf("plain file: encoding %q vary %q type %q body %q", hdr.Get("Content-Encoding"), hdr.Get("Vary"), hdr.Get("Content-Type"), body)
	}
	// HEAD and a range ask for the same representation.
	req := httptest.NewRequest("GET", "/assets/app-1a2b.js", nil)
	req.Header.Set("Accept-Encoding", "br")
	req.Header.Set("Range", "bytes=0-5")
	if code, hdr, body := do(t, h, req); code != http.StatusPartialContent || string(body) != string(brBytes[:6]) || hdr.Get("Content-Encoding") != "br" {
		t.Errorf("range of the br file: %d %q %q", code, body, hdr.Get("Content-Encoding"))
	}
}

// TestDocsPage: /docs is the docs page of the UI build; without it, a
// JSON 404 that says how to build it. /openapi.json is the document.
func TestDocsPage(t *testing.T) {
	st := openSQLite(t)
	dir := t.TempDir()
	writeFile(t, dir, "index.html", []byte("<title>stockd</title>"))
	expectError(t, newHandler(t, setup{store: st, webDir: dir}), "GET", "/docs", 404, CodeNotFound, "make web", "/openapi.json")
	expectError(t, newHandler(t, setup{store: st}), "GET", "/docs", 404, CodeNotFound, "make web")

	writeFile(t, dir, "docs/index.html", []byte(`<title>API docs</title><link rel="stylesheet" href="swagger-ui.css">`))
	writeFile(t, dir, "docs/swagger-ui.css", []byte(".swagger-ui{}"))
	h := newHandler(t, setup{store: st, webDir: dir})
	for _, c := range []struct{ path, body, ctype string }{
		{"/docs", "<title>API docs</title>", "text/html"},
		{"/docs/", "<title>API docs</title>", "text/html"},
		{"/docs/swagger-ui.css", ".swagger-ui{}", "text/css"},
	} {
		code, hdr, body := get(t, h, c.path)
		if code != 200 || !strings.Contains(string(body), c.body) || !strings.HasPrefix(hdr.Get("Content-Type"), c.ctype) {
			t.Errorf("%s: %d %q %q", c.path, code, hdr.Get("Content-Type"), body)
		}
	}
	expectError(t, h, "GET", "/docs/missing.js", 404, CodeNotFound, "/docs/missing.js")
	expectError(t, h, "POST", "/docs", 405, CodeMethodNotAllowed)

	code, hdr, body := get(t, h, "/openapi.json")
	if code != 200 || !bytes.Equal(body, openAPI) || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Errorf("/openapi.json: %d %q, %d bytes", code, hdr.Get("Content-Type"), len(body))
	}
}
