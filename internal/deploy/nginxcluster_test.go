package deploy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// upstreamStub is a backend for docker/nginx-cluster.conf's upstream that
// answers 200 naming itself, or (crash) reads each request and closes the
// connection without a word, as a backend killed mid-request does.
type upstreamStub struct {
	name  string
	crash bool
	ln    net.Listener

	mu   sync.Mutex
	seen map[string]int // requests by method
}

func startUpstreamStub(t *testing.T, name string, crash bool) *upstreamStub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &upstreamStub{name: name, crash: crash, ln: ln, seen: map[string]int{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *upstreamStub) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(r)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		s.mu.Lock()
		s.seen[req.Method]++
		s.mu.Unlock()
		if s.crash {
			return
		}
		body := s.name
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
}

func (s *upstreamStub) count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[method]
}

func (s *upstreamStub) addr() string { return s.ln.Addr().String() }

// TestNginxClusterRetriesIdempotentOnly runs docker/nginx-cluster.conf in a
// real nginx in front of three backends: one that dies with every request
// it reads, one whose port refuses connections, one that works.
//   - Every GET succeeds: a failure on one backend is passed to the next.
//   - A POST that reached the dying backend is answered 502 and passed to
//     no other backend (it might have been applied): never a second try.
//   - A POST whose connection was refused never reached anyone and is
//     passed on.
func TestNginxClusterRetriesIdempotentOnly(t *testing.T) {
	nginx := requireTool(t, "nginx")
	dying := startUpstreamStub(t, "dying", true)
	good := startUpstreamStub(t, "good", false)
	refused := fmt.Sprintf("127.0.0.1:%d", freePort(t)) // nothing listens there
	port := freePort(t)

	root := repoRoot(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755)
	os.MkdirAll(filepath.Join(dir, "www"), 0o755)
	os.WriteFile(filepath.Join(dir, "www", "index.html"), []byte("<title>ui</title>"), 0o644)
	server := envsubstOnly(t, readFileT(t, filepath.Join(root, "docker", "nginx-cluster.conf")), map[string]string{
		"LISTEN_PORT": fmt.Sprint(port), "WEB_ROOT": filepath.Join(dir, "www"),
		"BACKEND_1": dying.addr(), "BACKEND_2": refused, "BACKEND_3": good.addr(),
	})
	wrapper := envsubstOnly(t, readFileT(t, filepath.Join(root, "docker", "nginx-local.conf")), map[string]string{"NGINX_STATE": dir})
	os.WriteFile(filepath.Join(dir, "conf.d", "default.conf"), []byte(server), 0o644)
	conf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(conf, []byte(wrapper), 0o644)
	args := []string{"-p", dir + "/", "-c", conf, "-e", filepath.Join(dir, "error.log")}
	if out, err := exec.Command(nginx, append(args, "-t")...).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(nginx, append(args, "-g", "daemon off;")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		cmd.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 30 * time.Second}
	do := func(method string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+"/api/workflows", strings.NewReader(`{"name":"x"}`))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s through nginx: %v", method, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(time.Minute)
	for ready := false; !ready; {
		if time.Now().After(deadline) {
			t.Fatal("nginx did not answer")
		}
		resp, err := client.Get(base + "/")
		if ready = err == nil; ready {
			resp.Body.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}

	// refusedPost tells from nginx's error log whether a POST has met the
	// refused port.
	refusedPost := func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "connect() failed") && strings.Contains(line, `request: "POST`) {
				return true
			}
		}
		return false
	}
	// POSTs until they have met both failing backends (after a failure
	// nginx skips a backend for fail_timeout, 5 s, then tries it again).
	posts, answered502 := 0, 0
	for dying.count(http.MethodPost) == 0 || !refusedPost() {
		if time.Now().After(deadline) {
			t.Fatalf("POSTs met the dying backend %d times, the refused one: %v, within a minute", dying.count(http.MethodPost), refusedPost())
		}
		code, body := do(http.MethodPost)
		posts++
		switch {
		case code == http.StatusBadGateway:
			answered502++
		case code != http.StatusOK || body != "good":
			t.Fatalf("POST answered %d %q", code, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// Every POST is answered by the working backend or, when the dying one
	// read it, with 502; the refused ones were among the 200s.
	if got := dying.count(http.MethodPost); answered502 != got {
		t.Errorf("%d POSTs answered 502 but the dying backend read %d: a POST it read was passed on", answered502, got)
	}
	if got := good.count(http.MethodPost); got != posts-answered502 {
		t.Errorf("the working backend got %d POSTs, want %d (those not read by the dying one)", got, posts-answered502)
	}

	// GETs until one has met the dying backend: every one succeeds.
	gets := 0
	for dying.count(http.MethodGet) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no GET reached the dying backend within a minute")
		}
		if code, body := do(http.MethodGet); code != http.StatusOK || body != "good" {
			t.Fatalf("GET #%d answered %d %q: a failed backend's GET must go to the next", gets+1, code, body)
		}
		gets++
		if dying.count(http.MethodGet) == 0 {
			time.Sleep(500 * time.Millisecond)
		}
	}
	t.Logf("%d POSTs (%d met the dying backend: 502), %d GETs (all 200)", posts, answered502, gets)
}
