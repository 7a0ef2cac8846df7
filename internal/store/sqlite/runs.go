package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stockdatasource/stockd/internal/market"
)

const runColumns = "id, workflow_id, status, model, instance, started_at, finished_at, latency_ms, input_tokens, output_tokens, trace_id, error_code, variables"

func scanRun(r scanner, doc *[]byte) (market.RunRecord, error) {
	var (
		x        market.RunRecord
		started  string
		finished sql.NullString
		vars     string
	)
	dest := []any{&x.ID, &x.WorkflowID, &x.Status, &x.Model, &x.Instance, &started, &finished, &x.LatencyMs,
		&x.InputTokens, &x.OutputTokens, &x.TraceID, &x.ErrorCode, &vars}
	if doc != nil {
		dest = append(dest, doc)
	}
	if err := r.Scan(dest...); err != nil {
		return x, err
	}
	x.Variables = []byte(vars)
	var err error
	if x.StartedAt, err = parseTimestamp(started); err != nil {
		return x, err
	}
	if finished.Valid {
		x.FinishedAt, err = parseTimestamp(finished.String)
	}
	return x, err
}

// PutRun creates or replaces a run.
func (s *Store) PutRun(ctx context.Context, r market.RunRecord) error {
	if r.ID == "" || r.WorkflowID == "" {
		return fmt.Errorf("sqlite: put run: empty id or workflow id")
	}
	var finished any
	if !r.FinishedAt.IsZero() {
		finished = timestampArg(r.FinishedAt)
	}
	vars, doc := string(r.Variables), r.Doc
	if vars == "" {
		vars = "{}"
	}
	if doc == nil {
		doc = []byte{} // NOT NULL
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO runs (`+runColumns+`, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.WorkflowID, r.Status, r.Model, r.Instance, timestampArg(r.StartedAt), finished, r.LatencyMs,
		r.InputTokens, r.OutputTokens, r.TraceID, r.ErrorCode, vars, doc)
	if err != nil {
		return fmt.Errorf("sqlite: put run %q: %w", r.ID, err)
	}
	return nil
}

// GetRun returns one run with its document.
func (s *Store) GetRun(ctx context.Context, id string) (market.RunRecord, error) {
	var doc []byte
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+`, doc FROM runs WHERE id = ?`, id), &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("sqlite: run %q: %w", id, market.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("sqlite: run %q: %w", id, err)
	}
	r.Doc = doc
	return r, nil
}

// ListRuns returns a page of a workflow's runs, newest first, in one read
// transaction with their count.
func (s *Store) ListRuns(ctx context.Context, workflowID string, limit, offset int) ([]market.RunRecord, int, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list runs: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE workflow_id = ?`, workflowID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count runs: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE workflow_id = ?
		ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?`, workflowID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list runs: %w", err)
	}
	defer rows.Close()
	out := []market.RunRecord{}
	for rows.Next() {
		r, err := scanRun(rows, nil)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: list runs: %w", err)
	}
	return out, total, nil
}

// RunningRuns returns the runs marked running, oldest first.
func (s *Store) RunningRuns(ctx context.Context) ([]market.RunRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+`, doc FROM runs WHERE status = 'running' ORDER BY started_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: running runs: %w", err)
	}
	defer rows.Close()
	out := []market.RunRecord{}
	for rows.Next() {
		var doc []byte
		r, err := scanRun(rows, &doc)
		if err != nil {
			return nil, fmt.Errorf("sqlite: running runs: %w", err)
		}
		r.Doc = doc
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: running runs: %w", err)
	}
	return out, nil
}
