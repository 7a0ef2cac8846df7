package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// runMinio answers what Langfuse and the healthcheck ask of MinIO: /minio/health/live and
// /minio/health/ready, and HEAD/GET of a bucket, which exists when DIR/BUCKET is a directory (the
// compose file creates it with mkdir). Objects are not stored.
func runMinio(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return serveMinio(ctx, args, os.Getenv, nil)
}

// serveMinio serves until ctx ends; listening, when not nil, receives the API address.
func serveMinio(ctx context.Context, args []string, getenv func(string) string, listening chan<- string) error {
	if len(args) == 0 || args[0] != "server" {
		return errors.New("usage: minio server [--address :9000] [--console-address :9001] DIR")
	}
	fs := flag.NewFlagSet("minio server", flag.ContinueOnError)
	addr := fs.String("address", ":9000", "API address")
	console := fs.String("console-address", ":9001", "console address")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("one data directory expected")
	}
	dir := fs.Arg(0)
	if len(getenv("MINIO_ROOT_USER")) < 3 || len(getenv("MINIO_ROOT_PASSWORD")) < 8 {
		return errors.New("MINIO_ROOT_USER (3+ characters) and MINIO_ROOT_PASSWORD (8+ characters) must be set")
	}
	// Like the real server: the data directory must be writable.
	sys := filepath.Join(dir, ".minio.sys")
	if err := os.MkdirAll(sys, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(sys, "format.json"), []byte(`{"version":"1","format":"fs","standin":true}`), 0o600); err != nil {
		return err
	}
	apiLn, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	consoleLn, err := net.Listen("tcp", *console)
	if err != nil {
		apiLn.Close()
		return err
	}
	log.Printf("minio (stand-in) API %s, console %s, data %s", apiLn.Addr(), consoleLn.Addr(), dir)
	if listening != nil {
		listening <- apiLn.Addr().String()
	}
	errc := make(chan error, 2)
	go func() { errc <- serveUntil(ctx, apiLn, minioAPI(dir)) }()
	go func() {
		errc <- serveUntil(ctx, consoleLn, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "MinIO console (test stand-in)\n")
		}))
	}()
	return errors.Join(<-errc, <-errc)
}

func minioAPI(dir string) http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("GET /minio/health/live", func(http.ResponseWriter, *http.Request) {})
	api.HandleFunc("GET /minio/health/ready", func(http.ResponseWriter, *http.Request) {})
	api.HandleFunc("/{bucket}", func(w http.ResponseWriter, r *http.Request) {
		b := r.PathValue("bucket")
		if r.Method != http.MethodHead && r.Method != http.MethodGet {
			http.Error(w, "stand-in: only HEAD/GET of a bucket", http.StatusNotImplemented)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		if st, err := os.Stat(filepath.Join(dir, b)); err != nil || !st.IsDir() || strings.HasPrefix(b, ".") {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, "<Error><Code>NoSuchBucket</Code><BucketName>%s</BucketName></Error>", b)
			return
		}
		if r.Method == http.MethodGet {
			fmt.Fprintf(w, "<ListBucketResult><Name>%s</Name></ListBucketResult>", b)
		}
	})
	return api
}

// runMC implements `mc ready ALIAS` for the local server (the healthcheck of the compose file).
func runMC(args []string) error { return mcReady(args, os.Getenv) }

func mcReady(args []string, getenv func(string) string) error {
	if len(args) != 2 || args[0] != "ready" {
		return errors.New("usage: mc ready ALIAS")
	}
	base := "http://127.0.0.1:9000"
	if args[1] != "local" {
		// MC_HOST_<alias>=http://user:secret@host:port, as the real mc reads it.
		v := getenv("MC_HOST_" + args[1])
		if v == "" {
			return fmt.Errorf("alias %q is not configured", args[1])
		}
		base = v
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(strings.TrimRight(base, "/") + "/minio/health/ready")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s", resp.Status)
	}
	fmt.Printf("The cluster '%s' is ready\n", args[1])
	return nil
}
