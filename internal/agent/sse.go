package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// DefaultHeartbeat is how often an idle stream gets a comment line: well
// under nginx's 60 s proxy_read_timeout and the idle timeouts of browsers
// and load balancers.
const DefaultHeartbeat = 15 * time.Second

// sseWriteTimeout bounds one write to a client that stopped reading. Each
// event moves the connection's write deadline this far ahead, so the
// server's WriteTimeout does not cut a long run.
const sseWriteTimeout = 30 * time.Second

// SSEWriter is a Sink writing a run's events as text/event-stream: each
// event is `event: <type>` and one `data: <json>` line, flushed at once,
// and a `: ping` comment goes out every heartbeat so proxies and browsers
// keep the connection. Call Close before the handler returns.
type SSEWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController

	mu  sync.Mutex
	err error

	stop chan struct{}
	done chan struct{}
}

// NewSSEWriter sends the stream's headers and starts the heartbeat
// (heartbeat <= 0 means DefaultHeartbeat).
func NewSSEWriter(w http.ResponseWriter, heartbeat time.Duration) *SSEWriter {
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	s := &SSEWriter{w: w, rc: http.NewResponseController(w), stop: make(chan struct{}), done: make(chan struct{})}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on, do not buffer
	s.mu.Lock()
	w.WriteHeader(http.StatusOK)
	s.write([]byte(": stream open\n\n"))
	s.mu.Unlock()
	go s.beat(heartbeat)
	return s
}

func (s *SSEWriter) beat(every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			s.write([]byte(": ping\n\n"))
			s.mu.Unlock()
		}
	}
}

// write sends b and flushes; the first failure (the client left) stops
// all later writes. s.mu is held.
func (s *SSEWriter) write(b []byte) {
	if s.err != nil {
		return
	}
	if err := s.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
		return
	}
	if _, err := s.w.Write(b); err != nil {
		s.err = err
		return
	}
	if err := s.rc.Flush(); err != nil {
		s.err = err
	}
}

// Emit writes one event.
func (s *SSEWriter) Emit(e Event) {
	data, err := json.Marshal(e.Data)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"code": "internal_error", "message": "event not encodable: " + err.Error()})
	}
	// json.Marshal escapes newlines, so the payload is one data line.
	buf := make([]byte, 0, len(data)+len(e.Type)+16)
	buf = fmt.Appendf(buf, "event: %s\ndata: ", e.Type)
	buf = append(buf, data...)
	buf = append(buf, '\n', '\n')
	s.mu.Lock()
	s.write(buf)
	s.mu.Unlock()
}

// Err is the write error that ended the stream, if any.
func (s *SSEWriter) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close stops the heartbeat; nothing is written after it returns.
func (s *SSEWriter) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}
