package tushare

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeClock moves time forward only when the scheduler sleeps.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if d < 0 {
		panic("negative sleep")
	}
	c.t = c.t.Add(d)
	return ctx.Err()
}

func TestScheduleTradingDaysOnly(t *testing.T) {
	// Friday 2025-12-19, 18:00 in Shanghai: today's 17:30 has passed.
	clock := &fakeClock{t: time.Date(2025, 12, 19, 18, 0, 0, 0, Shanghai)}
	holiday := mustDate("20251223")
	isOpen := func(d time.Time) bool {
		return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday && !d.Equal(holiday)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ran []time.Time
	run := func(context.Context, uint64) error {
		ran = append(ran, clock.now())
		if len(ran) == 2 {
			return errors.New("server down") // must not stop the schedule
		}
		if len(ran) == 4 {
			cancel()
		}
		return nil
	}
	err := Scheduler{At: "17:30", IsTradingDay: isOpen, Sync: run, Logger: quietLogger, Now: clock.now, sleep: clock.sleep}.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	want := []string{"2025-12-22 17:30", "2025-12-24 17:30", "2025-12-25 17:30", "2025-12-26 17:30"}
	if len(ran) != len(want) {
		t.Fatalf("ran %d times: %v", len(ran), ran)
	}
	for i, w := range want {
		if got := ran[i].In(Shanghai).Format("2006-01-02 15:04"); got != w {
			t.Errorf("run %d at %s, want %s", i, got, w)
		}
	}
}

func TestScheduleBadClock(t *testing.T) {
	for _, at := range []string{"", "25:00", "5pm", "17:3"} {
		err := Scheduler{At: at, Sync: func(context.Context, uint64) error { return nil }, Logger: quietLogger}.Run(context.Background())
		if err == nil {
			t.Errorf("Schedule(%q) accepted", at)
		}
	}
}

func TestNextRun(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := map[string]string{
		"2025-12-18 09:00": "2025-12-18 17:30",
		"2025-12-18 17:30": "2025-12-19 17:30", // exactly now: the next day
		"2025-12-31 23:59": "2026-01-01 17:30",
	}
	for now, want := range cases {
		if got := nextRun(at(now), 17, 30); !got.Equal(at(want)) {
			t.Errorf("after %s: %s, want %s", now, got, want)
		}
	}
}
