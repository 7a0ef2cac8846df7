// Package soak drives a running stockd with mixed traffic — cached and
// uncached market questions, bad input, workflow reads and writes — for a
// while, runs fault commands on a schedule (Redis killed and restarted, the
// store restarted), and checks what must hold through it all:
//
//   - no 5xx answer but 503, and a 503 only while the store is down;
//   - no write lost: every write acknowledged is in the final state, and
//     no write reported failed is (the writer leaves a workflow alone
//     after a failed write, so its final state shows which way it went);
//   - the server's resident memory grows less than 20 % from the end of the
//     warm-up to the end, and its goroutines come back to where they were.
//
// scripts/soak.sh starts the servers and runs it (internal/soak/driver).
package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"sync"
	"time"
)

// Options configure a run.
type Options struct {
	// BaseURL of the stockd under test, e.g. http://127.0.0.1:8000.
	BaseURL string
	// Token is its API_TOKEN (writes need it).
	Token string
	// Duration of the traffic, warm-up included.
	Duration time.Duration
	// WarmUp is the traffic before the baseline of memory is taken; no
	// fault is scheduled in it.
	WarmUp time.Duration
	// Rate is the number of requests per second all readers send together;
	// the writer adds about 1000/WriteEvery per second.
	Rate       int
	Readers    int
	WriteEvery time.Duration
	// Faults run on a schedule after the warm-up.
	Faults []Fault
	// Logf reports progress; nil is silent.
	Logf func(format string, args ...any)
}

// Fault is one injected failure: Down runs at At (after the start of the
// traffic), Up DownFor later. When Store is set the store is down in
// between, and 503 answers are expected until /health answers 200 again.
type Fault struct {
	Name     string
	At       time.Duration
	DownFor  time.Duration
	Down, Up []string
	Store    bool
}

// window is a span of time in which 503 answers are expected.
type window struct{ from, to time.Time }

// Run sends the traffic, injects the faults and returns what it saw.
// The error is for a run that could not be done at all (the server never
// answered); the goals are checked by Report.Violations.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Readers <= 0 {
		o.Readers = 8
	}
	if o.Rate <= 0 {
		o.Rate = 150
	}
	if o.WriteEvery <= 0 {
		o.WriteEvery = 50 * time.Millisecond
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	c := newClient(o.BaseURL, o.Token)
	rep := &Report{Goal: goals, Duration: o.Duration, Statuses: map[string]map[int]int{}}
	fx, err := c.fixtures(ctx)
	if err != nil {
		return nil, err
	}
	rep.Start, err = c.sample(ctx)
	if err != nil {
		return nil, fmt.Errorf("metrics at the start: %w", err)
	}
	logf("start: RSS %.1f MiB, %d goroutines; %d codes, %d trade dates", mib(rep.Start.RSS), rep.Start.Goroutines, len(fx.codes), len(fx.dates))

	begin := time.Now()
	stop := begin.Add(o.Duration)
	rec := &recorder{report: rep}
	var wg sync.WaitGroup
	runCtx, cancel := context.WithDeadline(ctx, stop)
	defer cancel()

	// Readers: a steady rate, split between them.
	every := time.Duration(o.Readers) * time.Second / time.Duration(o.Rate)
	for i := range o.Readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(begin.UnixNano())))
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-tick.C:
				}
				// The request itself is not cut at the deadline: an answer
				// cut by the driver would count as the server's.
				rec.add(c.read(ctx, rng, fx))
			}
		}()
	}
	// One writer, whose every answer is remembered for the final check.
	w := newWriter(c)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(o.WriteEvery)
		defer tick.Stop()
		rng := rand.New(rand.NewPCG(99, uint64(begin.UnixNano())))
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
			}
			rec.add(w.step(ctx, rng))
		}
	}()

	// The baseline of memory, after the warm-up.
	var faultsDone sync.WaitGroup
	var windowsMu sync.Mutex
	var windows []window
	go func() {
		select {
		case <-runCtx.Done():
			return
		case <-time.After(o.WarmUp):
		}
		s, err := c.sample(ctx)
		if err != nil {
			logf("metrics after the warm-up: %v", err)
			return
		}
		rec.mu.Lock()
		rep.AfterWarmUp = s
		rec.mu.Unlock()
		logf("after %s of warm-up: RSS %.1f MiB, %d goroutines", o.WarmUp, mib(s.RSS), s.Goroutines)
	}()
	for _, f := range o.Faults {
		faultsDone.Add(1)
		go func() {
			defer faultsDone.Done()
			select {
			case <-runCtx.Done():
				return
			case <-time.After(time.Until(begin.Add(f.At))):
			}
			ev := FaultEvent{Name: f.Name, Down: time.Now()}
			logf("%s: down at %s", f.Name, ev.Down.Sub(begin).Round(time.Second))
			if err := command(ctx, f.Down); err != nil {
				ev.Error = err.Error()
			}
			time.Sleep(f.DownFor)
			ev.UpCommand = time.Now()
			if err := command(ctx, f.Up); err != nil && ev.Error == "" {
				ev.Error = err.Error()
			}
			ev.Healthy = c.waitHealthy(ctx, 2*time.Minute)
			logf("%s: up at %s, healthy after %s", f.Name, ev.UpCommand.Sub(begin).Round(time.Second), ev.Healthy.Sub(ev.UpCommand).Round(100*time.Millisecond))
			if f.Store {
				windowsMu.Lock()
				windows = append(windows, window{ev.Down, ev.Healthy})
				windowsMu.Unlock()
			}
			rec.mu.Lock()
			rep.Faults = append(rep.Faults, ev)
			rec.mu.Unlock()
		}()
	}
	wg.Wait()
	faultsDone.Wait()
	rep.Elapsed = time.Since(begin)
	slices.SortFunc(rep.Faults, func(a, b FaultEvent) int { return a.Down.Compare(b.Down) })

	// Every answer is classified now that the store's down times are known.
	rep.classify(rec.results, windows)

	// Idle connections hold server goroutines: close ours, let the
	// server's connection goroutines end, then look.
	c.http.CloseIdleConnections()
	time.Sleep(3 * time.Second)
	rep.Writes = w.verify(ctx)
	rep.End, err = c.sample(ctx)
	if err != nil {
		return rep, fmt.Errorf("metrics at the end: %w", err)
	}
	logf("end: RSS %.1f MiB, %d goroutines", mib(rep.End.RSS), rep.End.Goroutines)
	return rep, nil
}

// command runs a fault command.
func command(ctx context.Context, argv []string) error {
	if len(argv) == 0 {
		return nil
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %w: %s", argv, err, out)
	}
	return nil
}

// recorder collects the results of every request.
type recorder struct {
	mu      sync.Mutex
	report  *Report
	results []result
}

func (r *recorder) add(res []result) {
	r.mu.Lock()
	r.results = append(r.results, res...)
	r.mu.Unlock()
}

// result is one request's outcome.
type result struct {
	class      string // cached, uncached, bad, workflow-read, write, service
	what       string
	start, end time.Time
	status     int    // 0: no answer
	err        string // transport error
	// want4xx: bad input, whose answer must be a 4xx.
	want4xx bool
}

func mib(b float64) float64 { return b / (1 << 20) }
