package soak

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The goals a run is held to (issue 13).
const (
	// MaxRSSGrowth is the largest growth of resident memory allowed from
	// the end of the warm-up to the end of the run.
	MaxRSSGrowth = 0.20
	// GoroutineSlack is how many goroutines more than at the start the
	// server may have at the end: background work that comes and goes
	// (an invalidation replayer, a pub/sub reconnect), not a leak.
	GoroutineSlack = 5
)

var goals = []string{
	"no 5xx answer except 503 while the store is down",
	"no write lost or reported failed after it was saved (every acknowledged workflow exists at the end)",
	fmt.Sprintf("resident memory grows less than %.0f %% from the end of the warm-up to the end", MaxRSSGrowth*100),
	fmt.Sprintf("goroutines back to their start (at most %d more)", GoroutineSlack),
}

// Report is what a run saw.
type Report struct {
	Goal        []string      `json:"goals"`
	Duration    time.Duration `json:"duration_ns"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	Start       Sample        `json:"start"`
	AfterWarmUp Sample        `json:"after_warm_up"`
	End         Sample        `json:"end"`
	Faults      []FaultEvent  `json:"faults"`

	Requests int `json:"requests"`
	// Statuses counts answers by class and status (0: no answer).
	Statuses map[string]map[int]int `json:"statuses"`
	// Expected503 are the 503 answers to requests that overlapped a store
	// outage.
	Expected503 int `json:"expected_503"`
	// Unexpected lists (up to 20 of) the answers that broke a goal.
	Unexpected      []string `json:"unexpected"`
	UnexpectedCount int      `json:"unexpected_count"`
	// Latency percentiles in milliseconds, by class and over all.
	Latency map[string]Percentiles `json:"latency_ms"`

	Writes WriteCheck `json:"writes"`
}

// FaultEvent is one fault as it happened.
type FaultEvent struct {
	Name      string    `json:"name"`
	Down      time.Time `json:"down"`
	UpCommand time.Time `json:"up_command"`
	Healthy   time.Time `json:"healthy"`
	Error     string    `json:"error,omitempty"`
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// classify counts every answer and finds those that break a goal: a 5xx
// (or no answer) outside a store outage, or a bad request answered with
// anything but a 4xx.
func (r *Report) classify(results []result, windows []window) {
	durations := map[string][]float64{}
	in := func(res result) bool {
		for _, w := range windows {
			if !res.end.Before(w.from) && !res.start.After(w.to) {
				return true
			}
		}
		return false
	}
	for _, res := range results {
		r.Requests++
		if r.Statuses[res.class] == nil {
			r.Statuses[res.class] = map[int]int{}
		}
		r.Statuses[res.class][res.status]++
		ms := float64(res.end.Sub(res.start).Microseconds()) / 1000
		durations[res.class] = append(durations[res.class], ms)
		durations["all"] = append(durations["all"], ms)
		var why string
		switch {
		case res.status == 503 && in(res):
			r.Expected503++
		case res.status == 0:
			why = "no answer: " + res.err
		case res.status >= 500:
			why = fmt.Sprintf("%d outside a store outage", res.status)
		case res.want4xx && (res.status < 400 || res.status > 499):
			why = fmt.Sprintf("bad input answered %d", res.status)
		}
		if why != "" {
			r.UnexpectedCount++
			if len(r.Unexpected) < 20 {
				r.Unexpected = append(r.Unexpected, fmt.Sprintf("%s %s: %s", res.start.Format("15:04:05.000"), res.what, why))
			}
		}
	}
	r.Latency = map[string]Percentiles{}
	for class, d := range durations {
		slices.Sort(d)
		r.Latency[class] = Percentiles{N: len(d), P50: pct(d, 0.50), P99: pct(d, 0.99), Max: d[len(d)-1]}
	}
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// RSSGrowth is the growth of resident memory from the end of the warm-up.
func (r *Report) RSSGrowth() float64 {
	if r.AfterWarmUp.RSS == 0 {
		return 0
	}
	return r.End.RSS/r.AfterWarmUp.RSS - 1
}

// Violations lists the goals the run broke; none means it passed.
func (r *Report) Violations() []string {
	var v []string
	if r.UnexpectedCount > 0 {
		v = append(v, fmt.Sprintf("%d answers broke the 5xx/4xx rules, e.g. %s", r.UnexpectedCount, strings.Join(r.Unexpected[:min(3, len(r.Unexpected))], "; ")))
	}
	if r.Writes.Error != "" {
		v = append(v, "the writes could not be checked: "+r.Writes.Error)
	}
	if n := len(r.Writes.Lost); n > 0 {
		v = append(v, fmt.Sprintf("%d acknowledged writes lost, e.g. %s", n, r.Writes.Lost[0]))
	}
	if n := len(r.Writes.FailedButDone); n > 0 {
		v = append(v, fmt.Sprintf("%d writes reported failed but done, e.g. %s", n, r.Writes.FailedButDone[0]))
	}
	if r.Writes.Other > 0 {
		v = append(v, fmt.Sprintf("%d writes refused with a 4xx", r.Writes.Other))
	}
	if r.Writes.Acknowledged == 0 {
		v = append(v, "no write was acknowledged: the writer did not run")
	}
	if r.AfterWarmUp.RSS == 0 {
		v = append(v, "no memory sample after the warm-up")
	} else if g := r.RSSGrowth(); g >= MaxRSSGrowth {
		v = append(v, fmt.Sprintf("RSS grew %.1f %% (%.1f → %.1f MiB)", g*100, mib(r.AfterWarmUp.RSS), mib(r.End.RSS)))
	}
	if r.End.Goroutines > r.Start.Goroutines+GoroutineSlack {
		v = append(v, fmt.Sprintf("goroutines %d at the start, %d at the end", r.Start.Goroutines, r.End.Goroutines))
	}
	for _, f := range r.Faults {
		if f.Error != "" {
			v = append(v, fmt.Sprintf("fault %s: %s", f.Name, f.Error))
		}
	}
	return v
}

// Format renders the report for people.
func (r *Report) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %s of traffic (%s elapsed), %d requests (%.0f/s)\n", r.Duration, r.Elapsed.Round(time.Second), r.Requests, float64(r.Requests)/r.Elapsed.Seconds())
	classes := make([]string, 0, len(r.Statuses))
	for c := range r.Statuses {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		codes := make([]int, 0, len(r.Statuses[c]))
		for code := range r.Statuses[c] {
			codes = append(codes, code)
		}
		sort.Ints(codes)
		var parts []string
		for _, code := range codes {
			label := fmt.Sprint(code)
			if code == 0 {
				label = "no answer"
			}
			parts = append(parts, fmt.Sprintf("%s×%d", label, r.Statuses[c][code]))
		}
		l := r.Latency[c]
		fmt.Fprintf(&b, "  %-14s %s   p50 %.1f ms, p99 %.1f ms, max %.0f ms\n", c, strings.Join(parts, " "), l.P50, l.P99, l.Max)
	}
	all := r.Latency["all"]
	fmt.Fprintf(&b, "  all            p50 %.1f ms, p99 %.1f ms; 503 during store outages: %d; answers breaking a rule: %d\n", all.P50, all.P99, r.Expected503, r.UnexpectedCount)
	for _, f := range r.Faults {
		fmt.Fprintf(&b, "  fault %-28s down %s, up command after %s, healthy %s later\n", f.Name, f.Down.Format("15:04:05"),
			f.UpCommand.Sub(f.Down).Round(100*time.Millisecond), f.Healthy.Sub(f.UpCommand).Round(100*time.Millisecond))
	}
	w := r.Writes
	fmt.Fprintf(&b, "  writes: %d acknowledged, %d failed (5xx or no answer), %d refused; %d workflows checked: %d lost, %d failed but done\n",
		w.Acknowledged, w.Failed, w.Other, w.Workflows, len(w.Lost), len(w.FailedButDone))
	fmt.Fprintf(&b, "  RSS %.1f MiB at the start, %.1f MiB after the warm-up, %.1f MiB at the end (%+.1f %%)\n",
		mib(r.Start.RSS), mib(r.AfterWarmUp.RSS), mib(r.End.RSS), r.RSSGrowth()*100)
	fmt.Fprintf(&b, "  goroutines %d at the start, %d after the warm-up, %d at the end\n", r.Start.Goroutines, r.AfterWarmUp.Goroutines, r.End.Goroutines)
	if v := r.Violations(); len(v) > 0 {
		b.WriteString("FAILED:\n")
		for _, s := range v {
			b.WriteString("  - " + s + "\n")
		}
	} else {
		b.WriteString("PASS: every goal held\n")
	}
	return b.String()
}
