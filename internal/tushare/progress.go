package tushare

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// progress reports (dataset, date) units as they finish: a bar redrawn in
// place on a terminal, one structured line each otherwise (logs, CI, pipes).
type progress struct {
	bar   io.Writer
	log   *slog.Logger
	total int
	now   func() time.Time
	start time.Time

	mu    sync.Mutex
	done  int
	rows  int
	drawn time.Time
}

func newProgress(bar io.Writer, log *slog.Logger, total int, now func() time.Time) *progress {
	return &progress{bar: bar, log: log, total: total, now: now, start: now()}
}

func (p *progress) step(dataset string, date time.Time, rows int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.rows += rows
	now := p.now()
	elapsed := now.Sub(p.start)
	if p.bar == nil {
		p.log.Info("sync: date done", "dataset", dataset, "date", market.FormatDate(date), "rows", rows,
			"done", p.done, "total", p.total, "eta", eta(elapsed, p.done, p.total).Round(time.Second))
		return
	}
	// Redrawing thousands of times a second only costs the terminal.
	if p.done < p.total && now.Sub(p.drawn) < 100*time.Millisecond {
		return
	}
	p.drawn = now
	fmt.Fprintf(p.bar, "\r%s", barLine(p.done, p.total, p.rows, elapsed, dataset, date))
}

func (p *progress) finish() {
	if p.bar != nil && p.total > 0 {
		fmt.Fprintln(p.bar)
	}
}

// barLine renders e.g.
// "[#########...........]  120/480  25%  3.2/s  41210 rows/s  ETA 1m52s  daily 2025-06-03".
func barLine(done, total, rows int, elapsed time.Duration, dataset string, date time.Time) string {
	const width = 24
	filled := width
	if total > 0 {
		filled = width * done / total
	}
	secs := elapsed.Seconds()
	rate, rowRate := 0.0, 0.0
	if secs > 0 {
		rate, rowRate = float64(done)/secs, float64(rows)/secs
	}
	pct := 100
	if total > 0 {
		pct = 100 * done / total
	}
	return fmt.Sprintf("[%s%s] %d/%d %3d%%  %.1f/s  %.0f rows/s  ETA %s  %s %s   ",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total, pct,
		rate, rowRate, eta(elapsed, done, total).Round(time.Second), dataset, market.FormatDate(date))
}

// eta extrapolates the pace so far over what is left.
func eta(elapsed time.Duration, done, total int) time.Duration {
	if done == 0 || done >= total {
		return 0
	}
	return time.Duration(float64(elapsed) / float64(done) * float64(total-done))
}
