package tushare

import (
	"context"
	"testing"
	"time"
)

func TestLimiterPace(t *testing.T) {
	l := NewLimiter(60, 3) // one a second, bursts of three
	t0 := time.Date(2025, 12, 18, 9, 30, 0, 0, time.UTC)
	var waits []time.Duration
	for range 6 {
		waits = append(waits, l.reserve("daily", t0))
	}
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 3 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits = %v, want %v", waits, want)
		}
	}
	// Another interface has its own budget.
	if w := l.reserve("adj_factor", t0); w != 0 {
		t.Errorf("adj_factor waited %v behind daily", w)
	}
	// After a quiet spell the burst is back, but never more than it.
	later := t0.Add(time.Hour)
	for i := range 4 {
		w := l.reserve("daily", later)
		if (i < 3) != (w == 0) {
			t.Errorf("call %d after an hour waited %v", i, w)
		}
	}
}

// In any minute at most rpm+burst calls start, whatever the arrival pattern.
func TestLimiterMinuteBudget(t *testing.T) {
	const rpm, burst = 200, 3
	l := NewLimiter(rpm, burst)
	now := time.Date(2025, 12, 18, 9, 30, 0, 0, time.UTC)
	var starts []time.Time
	for i := range 2000 {
		// Arrivals in clumps: many at once, then a pause.
		if i%50 == 0 {
			now = now.Add(7 * time.Second)
		}
		starts = append(starts, now.Add(l.reserve("daily", now)))
	}
	for i := range starts {
		n := 0
		for j := i; j < len(starts) && starts[j].Sub(starts[i]) < time.Minute; j++ {
			n++
		}
		if n > rpm+burst {
			t.Fatalf("%d calls started within a minute of call %d", n, i)
		}
	}
}

func TestLimiterPause(t *testing.T) {
	l := NewLimiter(600, 5)
	t0 := time.Date(2025, 12, 18, 9, 30, 0, 0, time.UTC)
	l.PauseUntil("daily", t0.Add(40*time.Second))
	if w := l.reserve("daily", t0); w != 40*time.Second {
		t.Errorf("first call after the pause waits %v, want 40s", w)
	}
	if w := l.reserve("daily", t0); w != 40*time.Second+100*time.Millisecond {
		t.Errorf("second call waits %v, want the pace after the pause", w)
	}
}

func TestLimiterWaitHonoursContext(t *testing.T) {
	l := NewLimiter(1, 1)
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.Wait(ctx, "daily"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := l.Wait(ctx, "daily"); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
