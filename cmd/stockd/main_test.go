package main

import (
	"bytes"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runStockd runs stockd in this process as main does, with a clean
// configuration on an embedded store in a temp dir plus env.
func runStockd(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, k := range []string{"CLICKHOUSE_HOST", "REDIS_HOST", "TUSHARE_TOKEN", "TUSHARE_TOKEN_FILE", "SYNC_AT", "LOG_FORMAT"} {
		t.Setenv(k, "")
	}
	t.Setenv("SQLITE_PATH", filepath.Join(t.TempDir(), "stock.db"))
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunExitStatuses(t *testing.T) {
	for _, c := range []struct {
		name       string
		env        map[string]string
		args       []string
		code       int
		out, err   string // each must appear, err exactly once
		quietOnOut bool
	}{
		{"version", nil, []string{"version"}, 0, "stockd dev\n", "", false},
		{"help", nil, []string{"help"}, 0, "usage: stockd <command>", "", false},
		{"no command", nil, nil, 2, "", "usage: stockd <command>", true},
		{"unknown command", nil, []string{"serv"}, 2, "", `stockd: unknown command "serv"`, true},
		{"bad configuration", map[string]string{"REDIS_DB": "99"}, []string{"migrate"}, 2, "", "REDIS_DB", true},
		{"usage error", nil, []string{"demo", "--stocks", "-1"}, 2, "", "stockd demo: --stocks must be 1..20000, got -1", true},
		{"command failure", nil, []string{"sync"}, 1, "", "stockd sync: TUSHARE_TOKEN is not set", true},
		{"flag help", nil, []string{"demo", "-h"}, 0, "usage: stockd demo", "", false},
		{"success", nil, []string{"demo", "--stocks", "5", "--etfs", "1", "--days", "3", "--end", "2025-12-19"}, 0,
			"SYNTHETIC demo market (not real data) written to sqlite", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runStockd(t, c.env, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, errOut)
			}
			if !strings.Contains(out, c.out) {
				t.Errorf("stdout %q lacks %q", out, c.out)
			}
			if c.quietOnOut && out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if c.err != "" && strings.Count(errOut, c.err) != 1 {
				t.Errorf("stderr has %q %d times, want once:\n%s", c.err, strings.Count(errOut, c.err), errOut)
			}
		})
	}
}

// TestServeStopsOnSIGTERM runs `stockd serve` as a real process: SIGTERM
// ends it with status 0 after the server's shutdown and its deferred
// cleanup ran (the "stopped" line is logged after the drain).
func TestServeStopsOnSIGTERM(t *testing.T) {
	port := freePort(t)
	cmd := stockdProcess(t, map[string]string{
		"SQLITE_PATH": filepath.Join(t.TempDir(), "stock.db"),
		"HTTP_ADDR":   "127.0.0.1:" + strconv.Itoa(port),
	}, "serve")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/health"
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("serve never answered\n%s", stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if exit := new(exec.ExitError); errors.As(err, &exit) {
			t.Fatalf("exit status %d after SIGTERM, want 0\n%s", exit.ExitCode(), stderr.String())
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not stop on SIGTERM")
	}
	if !strings.Contains(stderr.String(), "msg=stopped") {
		t.Errorf("no \"stopped\" line after SIGTERM:\n%s", stderr.String())
	}
}
