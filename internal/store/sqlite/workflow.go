package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stockdatasource/stockd/internal/market"
)

// ListWorkflows returns the live workflows, newest update first.
func (s *Store) ListWorkflows(ctx context.Context) ([]market.WorkflowRecord, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, name, category, is_template, doc, created_at, updated_at
		FROM workflows WHERE deleted = 0
		ORDER BY updated_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list workflows: %w", err)
	}
	defer rows.Close()
	out := []market.WorkflowRecord{}
	for rows.Next() {
		w, err := scanWorkflow(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list workflows: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list workflows: %w", err)
	}
	return out, nil
}

// WorkflowPage returns one page of the live workflows of category (any
// when empty), newest update first, and how many there are.
func (s *Store) WorkflowPage(ctx context.Context, category string, limit, offset int) ([]market.WorkflowRecord, int, error) {
	if limit < 0 || offset < 0 {
		return nil, 0, fmt.Errorf("sqlite: workflow page: negative limit %d or offset %d", limit, offset)
	}
	// One read transaction: the count and the page see the same snapshot.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: workflow page: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `
		SELECT count(*) FROM workflows
		WHERE deleted = 0 AND (? = '' OR category = ?)`, category, category).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count workflows: %w", err)
	}
	out := []market.WorkflowRecord{}
	if limit == 0 || offset >= total {
		return out, total, nil
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT id, name, category, is_template, doc, created_at, updated_at
		FROM workflows WHERE deleted = 0 AND (? = '' OR category = ?)
		ORDER BY updated_at DESC, id
		LIMIT ? OFFSET ?`, category, category, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: workflow page: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		w, err := scanWorkflow(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: workflow page: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: workflow page: %w", err)
	}
	return out, total, nil
}

func scanWorkflow(r scanner) (market.WorkflowRecord, error) {
	var (
		w                market.WorkflowRecord
		created, updated string
	)
	if err := r.Scan(&w.ID, &w.Name, &w.Category, &w.IsTemplate, &w.Doc, &created, &updated); err != nil {
		return w, err
	}
	var err error
	if w.CreatedAt, err = parseTimestamp(created); err != nil {
		return w, err
	}
	w.UpdatedAt, err = parseTimestamp(updated)
	return w, err
}

// GetWorkflow returns one live workflow.
func (s *Store) GetWorkflow(ctx context.Context, id string) (market.WorkflowRecord, error) {
	w, err := scanWorkflow(s.db.QueryRowContext(ctx, `
		SELECT id, name, category, is_template, doc, created_at, updated_at
		FROM workflows WHERE id = ? AND deleted = 0`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, fmt.Errorf("sqlite: workflow %q: %w", id, market.ErrNotFound)
	}
	if err != nil {
		return w, fmt.Errorf("sqlite: workflow %q: %w", id, err)
	}
	return w, nil
}

// PutWorkflow creates or replaces a workflow, reviving a deleted id.
func (s *Store) PutWorkflow(ctx context.Context, w market.WorkflowRecord) error {
	if w.ID == "" {
		return fmt.Errorf("sqlite: put workflow: empty id")
	}
	doc := w.Doc
	if doc == nil {
		doc = []byte{} // the column is NOT NULL
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO workflows
		(id, name, category, is_template, doc, created_at, updated_at, deleted)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0)`,
		w.ID, w.Name, w.Category, boolArg(w.IsTemplate), doc, timestampArg(w.CreatedAt), timestampArg(w.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: put workflow %q: %w", w.ID, err)
	}
	return nil
}

// DeleteWorkflow marks a live workflow deleted.
func (s *Store) DeleteWorkflow(ctx context.Context, id string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	res, err := s.db.ExecContext(ctx, "UPDATE workflows SET deleted = 1 WHERE id = ? AND deleted = 0", id)
	if err != nil {
		return fmt.Errorf("sqlite: delete workflow %q: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: delete workflow %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: delete workflow %q: %w", id, market.ErrNotFound)
	}
	return nil
}
