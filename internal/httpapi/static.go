package httpapi

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
)

// webHandlers serve the built web UI from WEB_DIR: files as they are (or
// their precompressed .br/.gz siblings), hashed assets cached for a year,
// and index.html (never cached, so a deploy is picked up) for every other
// path so the client-side router can handle it. The API docs page is the
// folder docs/ of the same build. Without the folder every non-API path
// answers 404 JSON.
type webHandlers struct {
	fsys   fs.FS // nil when WEB_DIR has no built UI
	logger *slog.Logger
}

func newWebHandlers(dir string, logger *slog.Logger) webHandlers {
	h := webHandlers{logger: logger}
	if dir == "" {
		return h
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		logger.Info("web UI not served: folder missing", "web_dir", dir)
		return h
	}
	if _, err := os.Stat(dir + "/index.html"); err != nil {
		logger.Warn("web UI not served: no index.html", "web_dir", dir)
		return h
	}
	// os.Root refuses every path that leaves dir, through .. or through a
	// symbolic link pointing outside; os.DirFS would follow such a link.
	root, err := os.OpenRoot(dir)
	if err != nil {
		logger.Warn("web UI not served", "web_dir", dir, "err", err)
		return h
	}
	h.fsys = root.FS()
	logger.Info("serving web UI", "web_dir", dir)
	return h
}

// servable reports whether a request may name a file: none of its segments
// is hidden (.env, .git/…), so nothing a build or a deploy left in the
// folder by accident is served.
func servable(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return false
		}
	}
	return true
}

func fileNotFound(r *http.Request) *Error {
	return Errorf(http.StatusNotFound, CodeNotFound, "no such file: %s", r.URL.Path)
}

// app is the fallback route: a file of the UI, else index.html.
func (h webHandlers) app(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		WriteError(w, r, Errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
		return
	}
	if h.fsys == nil {
		WriteError(w, r, Errorf(http.StatusNotFound, CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if !servable(name) {
		WriteError(w, r, fileNotFound(r))
		return
	}
	if name != "" && name != "index.html" {
		if h.serveIfFile(w, r, name) {
			return
		}
		// A missing script must not come back as HTML: the browser would
		// report a confusing MIME error instead of a 404.
		if strings.HasPrefix(name, "assets/") {
			WriteError(w, r, fileNotFound(r))
			return
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	h.serveFile(w, r, "index.html")
}

// docs is the API docs page (docs/index.html of the UI build), which
// renders /openapi.json.
func (h webHandlers) docs(w http.ResponseWriter, r *http.Request) {
	if h.fsys != nil && h.serveIfFile(w, r, "docs/index.html") {
		return
	}
	WriteError(w, r, docsMissing())
}

// docsFile serves the files of the docs page.
func (h webHandlers) docsFile(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	if file == "" {
		file = "index.html"
	}
	name := strings.TrimPrefix(path.Clean("/docs/"+file), "/")
	if h.fsys != nil && strings.HasPrefix(name, "docs/") && servable(name) && h.serveIfFile(w, r, name) {
		return
	}
	if h.fsys == nil || file == "index.html" {
		WriteError(w, r, docsMissing())
		return
	}
	WriteError(w, r, Errorf(http.StatusNotFound, CodeNotFound, "no such file of the docs page: %s", r.URL.Path))
}

func docsMissing() *Error {
	return Errorf(http.StatusNotFound, CodeNotFound,
		"the API docs page is not built: run `make web` (npm run build in web/) and serve with WEB_DIR=web/dist; the document itself is at /openapi.json")
}

// serveIfFile serves name when it is a regular file of the UI.
func (h webHandlers) serveIfFile(w http.ResponseWriter, r *http.Request, name string) bool {
	if !h.regular(name) {
		return false
	}
	if strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	h.serveFile(w, r, name)
	return true
}

// regular reports whether name is a regular file inside the UI's folder:
// not a folder, device or pipe, and not reached through a link that leaves
// the folder (os.Root refuses those).
func (h webHandlers) regular(name string) bool {
	fi, err := fs.Stat(h.fsys, name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
			h.logger.Warn("web UI: stat", "path", name, "err", err)
		}
		return false
	}
	return fi.Mode().IsRegular()
}

// precompressed are the encodings the build writes beside a file (X.br,
// X.gz), best first.
var precompressed = []struct{ encoding, suffix string }{{"br", ".br"}, {"gzip", ".gz"}}

// serveFile serves one file, or its precompressed sibling when the client
// accepts that encoding: with Content-Encoding, the Content-Type of the
// file itself, and Vary: Accept-Encoding whenever a sibling exists, so a
// shared cache keeps the variants apart. http.ServeFileFS is not used: it
// redirects …/index.html to …/, which the SPA fallback does not want.
func (h webHandlers) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	send, encoding, vary := name, "", false
	for _, p := range precompressed {
		if !h.regular(name + p.suffix) {
			continue
		}
		vary = true
		if accepts(r.Header.Get("Accept-Encoding"), p.encoding) {
			send, encoding = name+p.suffix, p.encoding
			break
		}
	}
	if vary {
		w.Header().Set("Vary", "Accept-Encoding")
	}
	f, err := h.fsys.Open(send)
	if err != nil {
		WriteError(w, r, fileNotFound(r))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	rs, ok := f.(io.ReadSeeker)
	if err != nil || !ok || !fi.Mode().IsRegular() {
		h.logger.Warn("web UI: cannot read file", "path", send, "err", err)
		WriteError(w, r, fileNotFound(r))
		return
	}
	if encoding != "" {
		w.Header().Set("Content-Encoding", encoding)
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		} else {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
	}
	http.ServeContent(w, r, name, fi.ModTime(), rs)
}

// accepts reports whether an Accept-Encoding header allows coding: named
// with a q above 0, or covered by * without being named.
func accepts(header, coding string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != coding && name != "*" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if name == coding {
			return q > 0
		}
		star = q > 0
	}
	return star
}
