package tushare

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/stockdatasource/stockd/internal/lease"
	"github.com/stockdatasource/stockd/internal/market"
)

// Shanghai is the exchanges' time zone (UTC+8 all year), for Scheduler.
var Shanghai = shanghai

// Scheduler runs the daily sync once a day at a clock time, on trading days.
type Scheduler struct {
	// At is the clock time, "HH:MM", in Loc (nil: Shanghai).
	At  string
	Loc *time.Location
	// IsTradingDay gets the local date as midnight UTC (market.ParseDate's
	// form); nil means Monday to Friday.
	IsTradingDay func(time.Time) bool
	// Sync runs one sync. fence is the token of the sync lease the run
	// holds (0 without Turns), for Syncer.Fence.
	Sync func(ctx context.Context, fence uint64) error
	// Turns, when set, makes the replicas of one deployment take turns:
	// only the holder of the sync lease runs the day's sync.
	Turns  *Turns
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	sleep func(context.Context, time.Duration) error // tests
}

// Run runs the schedule until ctx ends, then returns ctx's error. A failed
// run is logged and the next day's run goes ahead: each sync resumes from
// the last completed date, so a missed day is filled in then. Start it in
// its own goroutine.
func (s Scheduler) Run(ctx context.Context) error {
	clock, err := time.Parse("15:04", s.At)
	if err != nil {
		return fmt.Errorf("schedule: %q is not HH:MM", s.At)
	}
	loc := s.Loc
	if loc == nil {
		loc = Shanghai
	}
	isTradingDay := s.IsTradingDay
	if isTradingDay == nil {
		isTradingDay = func(d time.Time) bool { return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday }
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now, sleep := s.Now, s.sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
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
		if s.Turns != nil {
			err = s.Turns.take(ctx, day, s.Sync, logger, now, sleep)
		} else {
			err = s.Sync(ctx, 0)
		}
		if err != nil {
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

// Sync records of the scheduled run itself, beside the datasets' (names no
// dataset can have). Both are written under the run's fencing token.
const (
	// LeaseRecord is written first by the replica that takes the sync
	// lease, for the day of the run: from then on the store refuses the
	// records of every older holder, even one that has not written since.
	LeaseRecord = "@lease"
	// ScheduledRecord marks a day whose scheduled run has ended, done or
	// failed; replicas still waiting for the lease stop.
	ScheduledRecord = "@scheduled"
)

// Turns lets the replicas of one deployment (several `stockd serve` behind
// one load balancer, one shared store) take turns at the scheduled sync.
// Every replica wakes at the scheduled time; the one that takes the lease
// syncs, renewing the lease as it goes, and records the day's run as ended;
// the others see the lease held and look again every Poll until that record
// appears. A holder that dies mid-run stops renewing; its lease expires
// after the TTL, the next replica to look takes it with a higher fencing
// token and the sync resumes from the dates recorded so far — the result
// is that of one clean run. A holder that shuts down releases the lease, so
// the next one goes on at once.
type Turns struct {
	Lease *lease.Leaser
	// Log holds the sync records: the fencing tokens and the day's marks.
	Log market.SyncLog
	// Poll is how often a waiting replica looks again (the lease's TTL / 2
	// when 0), so a dead holder is taken over within about 1.5 TTLs.
	Poll time.Duration
}

// patience bounds how long after the scheduled time a replica waits for
// its turn: past it, the day's run is left to the next day's (which
// resumes), as a failed run is.
const patience = 20 * time.Hour

// take waits for the turn of this replica at day's scheduled sync, or for
// another replica to end it.
func (t *Turns) take(ctx context.Context, day time.Time, sync func(context.Context, uint64) error,
	log *slog.Logger, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	poll := t.Poll
	if poll <= 0 {
		poll = t.Lease.TTL() / 2
	}
	date := market.FormatDate(day)
	giveUp := now().Add(patience)
	var lastHolder string
	for {
		ended, err := t.ended(ctx, day)
		switch {
		case err != nil:
			log.Warn("scheduled sync: cannot read the sync records; trying again", "date", date, "err", err)
		case ended:
			log.Info("scheduled sync: run by another replica", "date", date)
			return nil
		default:
			l, err := t.acquire(ctx)
			var held *lease.HeldError
			switch {
			case err == nil:
				return t.hold(ctx, l, day, sync, log)
			case errors.As(err, &held):
				if held.Owner != lastHolder {
					log.Info("scheduled sync: another replica holds the sync lease; waiting", "date", date,
						"holder", held.Owner, "token", held.Token)
					lastHolder = held.Owner
				}
			default:
				log.Warn("scheduled sync: cannot take the sync lease; trying again", "date", date, "err", err)
			}
		}
		if now().After(giveUp) {
			return fmt.Errorf("scheduled sync of %s: no turn within %s; the next run resumes", date, patience)
		}
		if err := sleep(ctx, poll); err != nil {
			return err
		}
	}
}

// acquire takes the lease with a token above every token the store has
// recorded, so a counter Redis lost in a failover cannot hand one out again.
func (t *Turns) acquire(ctx context.Context) (*lease.Lease, error) {
	floor, err := t.Log.SyncFence(ctx)
	if err != nil {
		return nil, err
	}
	return t.Lease.Acquire(ctx, floor)
}

// ended reports whether day's scheduled run has ended on some replica.
func (t *Turns) ended(ctx context.Context, day time.Time) (bool, error) {
	days, err := t.Log.SyncedDates(ctx, ScheduledRecord)
	return slices.ContainsFunc(days, day.Equal), err
}

// hold runs day's sync under l, renewing it, and releases it at the end.
func (t *Turns) hold(ctx context.Context, l *lease.Lease, day time.Time, sync func(context.Context, uint64) error, log *slog.Logger) error {
	date := market.FormatDate(day)
	kept, stop := l.Keep(ctx)
	defer func() {
		stop()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := l.Release(rctx); err != nil && !errors.Is(err, lease.ErrLost) {
			log.Warn("scheduled sync: the sync lease was not released; it expires by itself", "err", err)
		}
	}()
	// The run before this one may have ended while this replica waited.
	if ended, err := t.ended(kept, day); err != nil || ended {
		return err
	}
	if err := t.Log.MarkSynced(kept, LeaseRecord, day, 0, l.Token()); err != nil {
		return fmt.Errorf("scheduled sync: record the lease: %w", err)
	}
	log.Info("scheduled sync: this replica holds the sync lease", "date", date, "token", l.Token())
	err := sync(kept, l.Token())
	switch {
	case ctx.Err() != nil:
		return ctx.Err() // shutting down: released below, the next replica goes on
	case kept.Err() != nil:
		return fmt.Errorf("scheduled sync: lost the sync lease mid-run (%v); another replica takes over", context.Cause(kept))
	case errors.Is(err, market.ErrStaleFence):
		return fmt.Errorf("scheduled sync: another replica took the sync lease over: %w", err)
	}
	// Done or failed, the day's run has ended: like a single replica's, a
	// failed run is resumed by the next day's.
	if merr := t.Log.MarkSynced(kept, ScheduledRecord, day, 0, l.Token()); merr != nil {
		return errors.Join(err, fmt.Errorf("scheduled sync: record the run: %w", merr))
	}
	return err
}
