package tushare

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// Shanghai is the exchanges' time zone (UTC+8 all year), for Schedule.
var Shanghai = shanghai

// Schedule calls run once a day at the clock time at ("HH:MM") in loc, on
// days isTradingDay accepts, until ctx ends; then it returns ctx's error.
// isTradingDay gets the local date as midnight UTC (market.ParseDate's
// form); nil means Monday to Friday. A failed run is logged and the next
// day's run goes ahead: each sync resumes from the last completed date, so a
// missed day is filled in then. Start it in its own goroutine.
func Schedule(ctx context.Context, at string, loc *time.Location, run func(context.Context) error, isTradingDay func(time.Time) bool, logger *slog.Logger) error {
	return schedule(ctx, at, loc, run, isTradingDay, logger, time.Now, sleepCtx)
}

func schedule(ctx context.Context, at string, loc *time.Location, run func(context.Context) error,
	isTradingDay func(time.Time) bool, logger *slog.Logger,
	now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	clock, err := time.Parse("15:04", at)
	if err != nil {
		return fmt.Errorf("schedule: %q is not HH:MM", at)
	}
	if loc == nil {
		loc = Shanghai
	}
	if isTradingDay == nil {
		isTradingDay = func(d time.Time) bool { return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday }
	}
	if logger == nil {
		logger = slog.Default()
	}
	for {
		next := nextRun(now().In(loc), clock.Hour(), clock.Minute())
		logger.Info("sync scheduled", "at", next.Format(time.RFC3339))
		if err := sleep(ctx, next.Sub(now())); err != nil {
			return err
		}
		y, m, d := next.Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if !isTradingDay(day) {
			logger.Info("scheduled sync skipped: not a trading day", "date", market.FormatDate(day))
			continue
		}
		start := now()
		if err := run(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			logger.Error("scheduled sync failed; the next run resumes", "date", market.FormatDate(day), "err", err)
			continue
		}
		logger.Info("scheduled sync done", "date", market.FormatDate(day), "took", now().Sub(start).Round(time.Second))
	}
}

// nextRun is the first hour:minute strictly after now, in now's zone.
func nextRun(now time.Time, hour, minute int) time.Time {
	y, m, d := now.Date()
	t := time.Date(y, m, d, hour, minute, 0, 0, now.Location())
	if !t.After(now) {
		t = time.Date(y, m, d+1, hour, minute, 0, 0, now.Location())
	}
	return t
}
