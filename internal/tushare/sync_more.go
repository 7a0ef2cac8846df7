package tushare

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/market"
)

// The datasets here do not fit one call per trade date: the name history
// is fetched by announcement-date windows, and the indices by index code.

// firstAnnouncement is where a first namechange sync starts: before the
// exchanges opened in December 1990.
var firstAnnouncement = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// nameChangeOverlap is how far back each later run reads announcements
// again: a change can be published, or corrected, after the run that
// covered its announcement day.
const nameChangeOverlap = 31 // days

// syncNameChanges fetches the namechange rows announced up to end, one call
// (paged) per calendar year of announcements, never per stock, and stores
// them in one write. A first run reads from the beginning whatever the
// sync's --start: the name a stock had on a synced date may have been
// announced years before. Later runs continue from the last run's end less
// nameChangeOverlap. The run is recorded in sync_state under namechange
// with its end date. Tushare's namechange filters its start_date and
// end_date parameters on the announcement date (ann_date), so a row
// without one is reached by no window.
func (s *Syncer) syncNameChanges(ctx context.Context, end time.Time, sum *Summary, log *slog.Logger) error {
	done, err := s.Store.SyncedDates(ctx, NameChange)
	if err != nil {
		return fmt.Errorf("%s: read sync state: %w", NameChange, err)
	}
	start := firstAnnouncement
	if len(done) > 0 {
		start = done[len(done)-1].AddDate(0, 0, -nameChangeOverlap)
	}
	var all ingest.Batch
	for from := start; !from.After(end); {
		to := time.Date(from.Year(), 12, 31, 0, 0, 0, 0, time.UTC)
		if to.After(end) {
			to = end
		}
		b, bad, err := s.fetch(ctx, lookup(NameChange), map[string]any{
			"start_date": from.Format("20060102"), "end_date": to.Format("20060102"),
		}, log)
		sum.BadRows += bad
		if errors.Is(err, ErrNoPermission) {
			s.unavailable(sum, NameChange, err, log)
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s %s..%s: %w", NameChange, market.FormatDate(from), market.FormatDate(to), err)
		}
		all.NameChanges = append(all.NameChanges, b.NameChanges...)
		from = to.AddDate(0, 0, 1)
	}
	if err := all.Write(ctx, s.Store); err != nil {
		return fmt.Errorf("%s: %w", NameChange, err)
	}
	if err := s.Store.MarkSynced(ctx, NameChange, end, len(all.NameChanges), s.Fence); err != nil {
		return fmt.Errorf("%s: record sync state: %w", NameChange, err)
	}
	sum.Rows[NameChange] += len(all.NameChanges)
	log.Info("sync: name history stored", "announced_from", market.FormatDate(start), "to", market.FormatDate(end),
		"rows", len(all.NameChanges))
	return nil
}

// syncIndexBasic stores the index_basic rows of the main indices, one call
// per index: Tushare lists thousands of indices, the service charts six.
func (s *Syncer) syncIndexBasic(ctx context.Context, sum *Summary, log *slog.Logger) error {
	var all ingest.Batch
	for _, ref := range market.MainIndices() {
		b, bad, err := s.fetch(ctx, lookup(IndexBasic), map[string]any{"ts_code": ref.TSCode}, log)
		sum.BadRows += bad
		if errors.Is(err, ErrNoPermission) {
			s.unavailable(sum, IndexBasic, err, log)
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", IndexBasic, ref.TSCode, err)
		}
		all.Indices = append(all.Indices, b.Indices...)
	}
	if err := all.Write(ctx, s.Store); err != nil {
		return fmt.Errorf("%s: %w", IndexBasic, err)
	}
	sum.Rows[IndexBasic] += len(all.Indices)
	log.Info("sync: reference data stored", "dataset", IndexBasic, "rows", len(all.Indices))
	return nil
}

// syncIndexDaily fetches the bars of each main index over the planned
// dates, one call (paged) per index, then stores and records them date by
// date, as the per-date datasets are. A planned date no index has a bar for
// yet is left for the next run. mu guards sum and changed, shared with the
// other workers.
func (s *Syncer) syncIndexDaily(ctx context.Context, d dataset, plan []time.Time, sum *Summary, mu *sync.Mutex,
	changed map[time.Time]bool, prog *progress, log *slog.Logger) error {
	if len(plan) == 0 {
		return nil
	}
	planned := make(map[time.Time]bool, len(plan))
	for _, t := range plan {
		planned[t] = true
	}
	from, to := plan[0].Format("20060102"), plan[len(plan)-1].Format("20060102")
	byDate := map[time.Time][]market.DailyBar{}
	for _, ref := range market.MainIndices() {
		b, bad, err := s.fetch(ctx, d, map[string]any{"ts_code": ref.TSCode, "start_date": from, "end_date": to}, log)
		mu.Lock()
		sum.BadRows += bad
		if errors.Is(err, ErrNoPermission) {
			s.unavailable(sum, d.name, err, log)
			mu.Unlock()
			return nil
		}
		mu.Unlock()
		if err != nil {
			return fmt.Errorf("%s %s %s..%s: %w", d.name, ref.TSCode, from, to, err)
		}
		for _, r := range b.IndexDaily {
			if r.TSCode != ref.TSCode {
				return fmt.Errorf("%s %s: server answered rows of %s", d.name, ref.TSCode, r.TSCode)
			}
			if planned[r.TradeDate] { // dates already synced are not written again
				byDate[r.TradeDate] = append(byDate[r.TradeDate], r)
			}
		}
	}
	for _, date := range plan {
		rows := byDate[date]
		if len(rows) > 0 {
			if err := s.Store.PutIndexDaily(ctx, rows); err != nil {
				return fmt.Errorf("%s %s: %w", d.name, market.FormatDate(date), err)
			}
			if err := s.Store.MarkSynced(ctx, d.name, date, len(rows), s.Fence); err != nil {
				return fmt.Errorf("%s %s: record sync state: %w", d.name, market.FormatDate(date), err)
			}
			if s.OnDateWritten != nil {
				s.OnDateWritten(d.name, date)
			}
		}
		mu.Lock()
		if len(rows) > 0 {
			sum.Rows[d.name] += len(rows)
			sum.Dates[d.name]++
			changed[date] = true
		} else {
			sum.Empty++
		}
		mu.Unlock()
		prog.step(d.name, date, len(rows))
	}
	return nil
}
