package httpapi

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
)

// webUI serves the built web UI from dir: files as they are, hashed assets
// cached for a year, and index.html (never cached, so a deploy is picked up)
// for every other path so the client-side router can handle it. Without the
// folder every non-API path answers 404 JSON.
func webUI(dir string, logger *slog.Logger) http.Handler {
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, Errorf(http.StatusNotFound, CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	if dir == "" {
		return notFound
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		logger.Info("web UI not served: folder missing", "web_dir", dir)
		return notFound
	}
	if _, err := os.Stat(dir + "/index.html"); err != nil {
		logger.Warn("web UI not served: no index.html", "web_dir", dir)
		return notFound
	}
	// os.DirFS refuses paths with .. so a request cannot leave dir.
	fsys := os.DirFS(dir)
	logger.Info("serving web UI", "web_dir", dir)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			WriteError(w, r, Errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if fi, err := fs.Stat(fsys, name); err == nil && !fi.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					w.Header().Set("Cache-Control", "no-cache")
				}
				serveFile(w, r, fsys, name)
				return
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
				logger.Warn("web UI: stat", "path", name, "err", err)
			}
			// A missing script must not come back as HTML: the browser
			// would report a confusing MIME error instead of a 404.
			if strings.HasPrefix(name, "assets/") {
				http.NotFound(w, r)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		serveFile(w, r, fsys, "index.html")
	})
}

// serveFile serves one file of fsys. http.ServeFileFS is not used: it
// redirects …/index.html to …/, which the SPA fallback does not want.
func serveFile(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string) {
	f, err := fsys.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	rs, ok := f.(interface {
		Read([]byte) (int, error)
		Seek(int64, int) (int64, error)
	})
	if !ok {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, name, fi.ModTime(), rs)
}
