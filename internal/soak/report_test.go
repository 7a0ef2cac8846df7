package soak

import (
	"strings"
	"testing"
	"time"
)

// The rules a run is judged by: a 503 only while the store is down, no
// other 5xx, no missing answer, bad input always a 4xx; memory and
// goroutines within bounds.
func TestReportJudgesAnswers(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	down := []window{{at(10), at(20)}}
	results := []result{
		{class: "cached", start: at(1), end: at(1.001), status: 200},
		{class: "uncached", start: at(9.5), end: at(10.5), status: 503}, // overlaps the outage
		{class: "write", start: at(19.9), end: at(25), status: 503},     // started inside it
		{class: "cached", start: at(30), end: at(30.1), status: 503},    // store was up
		{class: "uncached", start: at(31), end: at(31.1), status: 500},  // never allowed
		{class: "cached", start: at(32), end: at(32.1), err: "EOF"},     // no answer
		{class: "bad", start: at(33), end: at(33.1), status: 200, want4xx: true},
		{class: "bad", start: at(34), end: at(34.1), status: 404, want4xx: true},
	}
	r := &Report{Statuses: map[string]map[int]int{}}
	r.classify(results, down)
	if r.Requests != len(results) || r.Expected503 != 2 || r.UnexpectedCount != 4 {
		t.Fatalf("requests %d, expected 503 %d, unexpected %d: %q", r.Requests, r.Expected503, r.UnexpectedCount, r.Unexpected)
	}
	for i, want := range []string{"503 outside a store outage", "500 outside", "no answer: EOF", "bad input answered 200"} {
		if !strings.Contains(r.Unexpected[i], want) {
			t.Errorf("unexpected[%d] = %q, want %q", i, r.Unexpected[i], want)
		}
	}
	if r.Statuses["cached"][503] != 1 || r.Statuses["cached"][0] != 1 || r.Latency["all"].N != len(results) {
		t.Errorf("counts %v, latency %+v", r.Statuses, r.Latency["all"])
	}
	if p := r.Latency["uncached"]; p.Max != 1000 {
		t.Errorf("uncached max %v ms, want 1000", p.Max)
	}
}

func TestReportGoals(t *testing.T) {
	base := Report{
		Start: Sample{RSS: 20 << 20, Goroutines: 15}, AfterWarmUp: Sample{RSS: 30 << 20, Goroutines: 40},
		End: Sample{RSS: 33 << 20, Goroutines: 15}, Writes: WriteCheck{WriteCounts: WriteCounts{Acknowledged: 10}},
	}
	if v := base.Violations(); len(v) != 0 {
		t.Fatalf("a run within every goal: %q", v)
	}
	for name, c := range map[string]struct {
		edit func(r *Report)
		want string
	}{
		"memory":          {func(r *Report) { r.End.RSS = 37 << 20 }, "RSS grew 23.3 %"},
		"goroutines":      {func(r *Report) { r.End.Goroutines = 15 + GoroutineSlack + 1 }, "goroutines 15 at the start, 21"},
		"lost write":      {func(r *Report) { r.Writes.Lost = []string{"soak-1: acknowledged, missing"} }, "1 acknowledged writes lost"},
		"failed but done": {func(r *Report) { r.Writes.FailedButDone = []string{"soak-2"} }, "reported failed but done"},
		"no writes":       {func(r *Report) { r.Writes.Acknowledged = 0 }, "no write was acknowledged"},
		"fault":           {func(r *Report) { r.Faults = []FaultEvent{{Name: "redis killed", Error: "exit 1"}} }, "fault redis killed: exit 1"},
	} {
		r := base
		c.edit(&r)
		if v := strings.Join(r.Violations(), "\n"); !strings.Contains(v, c.want) {
			t.Errorf("%s: violations %q, want %q", name, v, c.want)
		}
	}
}
