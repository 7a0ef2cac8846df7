package clickhouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/stockdatasource/stockd/internal/market"
)

// errNoRows is what QueryRow.Scan answers when nothing matched.
var errNoRows = sql.ErrNoRows

// Workflow rows are never updated in place: a put writes a new version and a
// delete writes a tombstone (deleted = 1) with a newer version, and reads
// take the latest version of each id with FINAL. The deleted flag is checked
// after the FINAL read, never in PREWHERE, which would see superseded rows.

const workflowColumns = "id, name, category, is_template, doc, created_at, updated_at"

func scanWorkflow(row driver.Row) (market.WorkflowRecord, bool, error) {
	var (
		w                market.WorkflowRecord
		doc              string
		created, updated uint64
		deleted          bool
	)
	if err := row.Scan(&w.ID, &w.Name, &w.Category, &w.IsTemplate, &doc, &created, &updated, &deleted); err != nil {
		return w, false, err
	}
	w.Doc = []byte(doc)
	w.CreatedAt = fromMillis(created)
	w.UpdatedAt = fromMillis(updated)
	return w, deleted, nil
}

func toMillis(t time.Time) uint64 {
	if t.IsZero() || t.UnixMilli() < 0 {
		return 0
	}
	return uint64(t.UnixMilli())
}

func fromMillis(ms uint64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms)).UTC()
}

// ListWorkflows returns every live workflow, newest update first.
func (s *Store) ListWorkflows(ctx context.Context) ([]market.WorkflowRecord, error) {
	type version struct {
		w       market.WorkflowRecord
		deleted bool
	}
	all, err := queryAll(ctx, s, `
		SELECT `+workflowColumns+`, deleted
		FROM workflows FINAL
		WHERE deleted = 0
		ORDER BY updated_at DESC, id`, nil, func(rows driver.Rows, v *version) (err error) {
		v.w, v.deleted, err = scanWorkflow(rows)
		return err
	})
	if err != nil {
		return nil, s.connErr(fmt.Errorf("list workflows: %w", err))
	}
	var out []market.WorkflowRecord
	for _, v := range all {
		if !v.deleted { // belt and braces: see the note above
			out = append(out, v.w)
		}
	}
	return out, nil
}

// WorkflowPage returns one page of the live workflows of category (any
// when empty), newest update first, and how many there are. LIMIT
// offset, n is the form both 18.16 and 25.8 read.
func (s *Store) WorkflowPage(ctx context.Context, category string, limit, offset int) ([]market.WorkflowRecord, int, error) {
	if limit < 0 || offset < 0 {
		return nil, 0, fmt.Errorf("workflow page: negative limit %d or offset %d", limit, offset)
	}
	var total uint64
	if err := s.conn.QueryRow(ctx, `
		SELECT count()
		FROM workflows FINAL
		WHERE deleted = 0 AND (? = '' OR category = ?)`, category, category).Scan(&total); err != nil {
		return nil, 0, s.connErr(fmt.Errorf("count workflows: %w", err))
	}
	out := []market.WorkflowRecord{}
	if limit == 0 || uint64(offset) >= total {
		return out, int(total), nil
	}
	rows, err := s.conn.Query(ctx, `
		SELECT `+workflowColumns+`, deleted
		FROM workflows FINAL
		WHERE deleted = 0 AND (? = '' OR category = ?)
		ORDER BY updated_at DESC, id
		LIMIT ?, ?`, category, category, offset, limit)
	if err != nil {
		return nil, 0, s.connErr(fmt.Errorf("workflow page: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		w, deleted, err := scanWorkflow(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("workflow page: %w", err)
		}
		if !deleted { // belt and braces: see the note above
			out = append(out, w)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("workflow page: %w", err)
	}
	return out, int(total), nil
}

// GetWorkflow returns one live workflow.
func (s *Store) GetWorkflow(ctx context.Context, id string) (market.WorkflowRecord, error) {
	w, deleted, err := scanWorkflow(s.conn.QueryRow(ctx, `
		SELECT `+workflowColumns+`, deleted
		FROM workflows FINAL
		WHERE id = ?`, id))
	if errors.Is(err, errNoRows) || (err == nil && deleted) {
		return market.WorkflowRecord{}, fmt.Errorf("workflow %s: %w", id, market.ErrNotFound)
	}
	if err != nil {
		return market.WorkflowRecord{}, s.connErr(fmt.Errorf("workflow %s: %w", id, err))
	}
	return w, nil
}

// PutWorkflow creates or replaces a workflow.
func (s *Store) PutWorkflow(ctx context.Context, w market.WorkflowRecord) error {
	if w.ID == "" {
		return fmt.Errorf("put workflow: empty id")
	}
	return s.writeWorkflow(ctx, w, false)
}

// DeleteWorkflow removes a workflow by writing its tombstone.
func (s *Store) DeleteWorkflow(ctx context.Context, id string) error {
	w, err := s.GetWorkflow(ctx, id)
	if err != nil {
		return fmt.Errorf("delete %w", err)
	}
	return s.writeWorkflow(ctx, w, true)
}

func (s *Store) writeWorkflow(ctx context.Context, w market.WorkflowRecord, deleted bool) error {
	v := s.versions(1)
	return s.insert(ctx, "workflows", workflowColumns+", deleted, version", func(b driver.Batch) error {
		return b.Append(w.ID, w.Name, w.Category, w.IsTemplate, string(w.Doc),
			toMillis(w.CreatedAt), toMillis(w.UpdatedAt), deleted, v)
	})
}

// SyncedDates lists the trade dates a sync of dataset completed, oldest first.
func (s *Store) SyncedDates(ctx context.Context, dataset string) ([]time.Time, error) {
	// DISTINCT stands in for FINAL: a row is never "unmarked".
	return s.dates(ctx, "synced dates of "+dataset, `
		SELECT DISTINCT trade_date
		FROM sync_state
		WHERE dataset = ?
		ORDER BY trade_date`, dataset)
}

// MarkSynced records that a sync of dataset completed for date, under the
// fencing token fence. ClickHouse has no conditional insert: the token is
// checked by a read just before the write, which leaves one round trip in
// which a newer holder's first record can come between. What a stale
// holder writes in that window is the same market data (the sync's writes
// are idempotent), and its next record is refused.
func (s *Store) MarkSynced(ctx context.Context, dataset string, date time.Time, rows int, fence uint64) error {
	if dataset == "" {
		return fmt.Errorf("mark synced: empty dataset")
	}
	if err := checkDate("trade_date", date, true); err != nil {
		return fmt.Errorf("mark synced %s: %w", dataset, err)
	}
	if rows < 0 {
		return fmt.Errorf("mark synced %s: negative row count %d", dataset, rows)
	}
	if fence > 0 {
		newest, err := s.SyncFence(ctx)
		if err != nil {
			return err
		}
		if fence < newest {
			return fmt.Errorf("mark %s %s synced under token %d (token %d is recorded): %w",
				dataset, market.FormatDate(date), fence, newest, market.ErrStaleFence)
		}
	}
	v := s.versions(1)
	return s.insert(ctx, "sync_state", "dataset, trade_date, rows, version, fence", func(b driver.Batch) error {
		return b.Append(dataset, date, uint64(rows), v, fence)
	})
}

// SyncFence is the highest fencing token a sync record carries.
func (s *Store) SyncFence(ctx context.Context) (uint64, error) {
	var fence uint64
	if err := s.conn.QueryRow(ctx, `SELECT max(fence) FROM sync_state`).Scan(&fence); err != nil {
		return 0, s.connErr(fmt.Errorf("sync fence: %w", err))
	}
	return fence, nil
}
