package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

type role string

const (
	roleWeb    role = "web"
	roleWorker role = "worker"
)

// langfuseVersion is what the health endpoints report: the tag the compose file pins.
const langfuseVersion = "3.176.0"

// required are the settings without which the real Langfuse v3 containers refuse to start.
var required = map[role][]string{
	roleWeb: {"DATABASE_URL", "NEXTAUTH_URL", "NEXTAUTH_SECRET", "SALT", "ENCRYPTION_KEY", "CLICKHOUSE_URL",
		"CLICKHOUSE_MIGRATION_URL", "CLICKHOUSE_USER", "REDIS_CONNECTION_STRING", "LANGFUSE_S3_EVENT_UPLOAD_BUCKET",
		"LANGFUSE_S3_EVENT_UPLOAD_ENDPOINT"},
	roleWorker: {"DATABASE_URL", "SALT", "ENCRYPTION_KEY", "CLICKHOUSE_URL", "CLICKHOUSE_USER",
		"REDIS_CONNECTION_STRING", "LANGFUSE_S3_EVENT_UPLOAD_BUCKET", "LANGFUSE_S3_EVENT_UPLOAD_ENDPOINT"},
}

// checkSettings returns an error naming every missing or malformed setting.
func checkSettings(r role, getenv func(string) string) error {
	var missing []string
	for _, k := range required[r] {
		if getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing settings: %s", strings.Join(missing, ", "))
	}
	if key, err := hex.DecodeString(getenv("ENCRYPTION_KEY")); err != nil || len(key) != 32 {
		return errors.New("ENCRYPTION_KEY must be 256 bits, 64 hex characters")
	}
	return nil
}

// listenAddr is where the real containers listen: $HOSTNAME (default 0.0.0.0) and $PORT.
func listenAddr(r role, getenv func(string) string) string {
	host, port := getenv("HOSTNAME"), getenv("PORT")
	if host == "" {
		host = "0.0.0.0"
	}
	if port == "" {
		port = map[role]string{roleWeb: "3000", roleWorker: "3030"}[r]
	}
	return net.JoinHostPort(host, port)
}

// depState remembers the outcome of the latest dependency check.
type depState struct {
	mu  sync.Mutex
	err error
}

func (d *depState) set(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = err
}

func (d *depState) get() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

func runLangfuse(r role, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q", args)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return serveLangfuse(ctx, r, os.Getenv, nil)
}

// serveLangfuse serves one Langfuse part until ctx ends; listening, when not nil, receives the
// address once the listener is open.
func serveLangfuse(ctx context.Context, r role, getenv func(string) string, listening chan<- string) error {
	if err := checkSettings(r, getenv); err != nil {
		return err
	}
	deps := &depState{err: errors.New("dependencies not checked yet")}
	go watchDeps(ctx, deps, getenv)

	mux := http.NewServeMux()
	healthPath := map[role]string{roleWeb: "/api/public/health", roleWorker: "/api/health"}[r]
	mux.HandleFunc("GET "+healthPath, func(w http.ResponseWriter, _ *http.Request) {
		if err := deps.get(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "Database not available", "version": langfuseVersion, "error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "OK", "version": langfuseVersion})
	})
	if r == roleWeb {
		recv := newReceiver(getenv("LANGFUSE_INIT_PROJECT_PUBLIC_KEY"), getenv("LANGFUSE_INIT_PROJECT_SECRET_KEY"))
		mux.Handle("POST "+otlpTracesPath, recv)
		mux.HandleFunc("GET "+readbackPath, recv.serveReadback)
		mux.HandleFunc("DELETE "+readbackPath, recv.serveReset)
	}
	ln, err := net.Listen("tcp", listenAddr(r, getenv))
	if err != nil {
		return err
	}
	log.Printf("langfuse-%s (stand-in %s) listening on %s", r, langfuseVersion, ln.Addr())
	if listening != nil {
		listening <- ln.Addr().String()
	}
	return serveUntil(ctx, ln, mux)
}

// serveUntil serves h on ln until ctx ends, then shuts down within 5 s.
func serveUntil(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// watchDeps checks the dependencies every 2 s until they all answer, then every 10 s.
func watchDeps(ctx context.Context, deps *depState, getenv func(string) string) {
	var last string
	for {
		err := checkDeps(ctx, getenv)
		deps.set(err)
		msg := "dependencies ok"
		if err != nil {
			msg = "waiting for dependencies: " + err.Error()
		}
		if msg != last {
			log.Print(msg)
			last = msg
		}
		wait := 10 * time.Second
		if err != nil {
			wait = 2 * time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
