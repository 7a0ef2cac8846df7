package tushare

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestBarLine(t *testing.T) {
	line := barLine(120, 480, 600000, 40*time.Second, "daily", mustDate("20250603"))
	for _, want := range []string{"[######..................]", "120/480", " 25%", "3.0/s", "15000 rows/s", "ETA 2m0s", "daily 2025-06-03"} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
}

func TestProgressLogsWithoutTerminal(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2025, 12, 18, 20, 0, 0, 0, Shanghai)}
	p := newProgress(nil, slog.New(slog.NewTextHandler(&buf, nil)), 4, clock.now)
	for i := range 4 {
		clock.t = clock.t.Add(time.Second)
		p.step(Daily, mustDate("20251215").AddDate(0, 0, i), 5000)
	}
	p.finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d log lines, want one per date:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "done=1 total=4 eta=3s") || !strings.Contains(lines[3], "date=2025-12-18 rows=5000") {
		t.Errorf("log lines:\n%s", buf.String())
	}
}

func TestProgressBarRedrawsInPlace(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2025, 12, 18, 20, 0, 0, 0, Shanghai)}
	p := newProgress(&buf, quietLogger, 3, clock.now)
	for i := range 3 {
		clock.t = clock.t.Add(time.Second)
		p.step(FundDaily, mustDate("20251216").AddDate(0, 0, i), 100)
	}
	p.finish()
	out := buf.String()
	if strings.Count(out, "\r") != 3 || !strings.HasSuffix(out, "\n") || !strings.Contains(out, "3/3 100%") {
		t.Errorf("bar output %q", out)
	}
}
