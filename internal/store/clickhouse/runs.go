package clickhouse

import (
	"context"
	"errors"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/stockdatasource/stockd/internal/market"
)

// Runs are versioned rows like workflows: every write is a new version and
// reads collapse them with FINAL. Filters on what changes between versions
// (status) never decide which version is read: RunningRuns takes the ids
// that ever were running, reads their newest versions, and keeps those
// still running.

const runColumns = "id, workflow_id, status, model, instance, started_at, finished_at, latency_ms, input_tokens, output_tokens, trace_id, error_code, variables"

func scanRun(row driver.Row, withDoc bool) (market.RunRecord, error) {
	var (
		r                 market.RunRecord
		started, finished uint64
		latency, in, out  uint64
		vars, doc         string
	)
	dest := []any{&r.ID, &r.WorkflowID, &r.Status, &r.Model, &r.Instance, &started, &finished, &latency, &in, &out, &r.TraceID, &r.ErrorCode, &vars}
	if withDoc {
		dest = append(dest, &doc)
	}
	if err := row.Scan(dest...); err != nil {
		return r, err
	}
	r.StartedAt, r.FinishedAt = fromMillis(started), fromMillis(finished)
	r.LatencyMs, r.InputTokens, r.OutputTokens = int64(latency), int64(in), int64(out)
	r.Variables = []byte(vars)
	if withDoc {
		r.Doc = []byte(doc)
	}
	return r, nil
}

func nonNegative(v int64) uint64 {
	if v < 0 {
		return 0
	}
	return uint64(v)
}

// PutRun writes a new version of a run.
func (s *Store) PutRun(ctx context.Context, r market.RunRecord) error {
	if r.ID == "" || r.WorkflowID == "" {
		return fmt.Errorf("put run: empty id or workflow id")
	}
	vars := string(r.Variables)
	if vars == "" {
		vars = "{}"
	}
	v := s.versions(1)
	return s.insert(ctx, "runs", runColumns+", doc, version", func(b driver.Batch) error {
		return b.Append(r.ID, r.WorkflowID, r.Status, r.Model, r.Instance, toMillis(r.StartedAt), toMillis(r.FinishedAt),
			nonNegative(r.LatencyMs), nonNegative(r.InputTokens), nonNegative(r.OutputTokens), r.TraceID, r.ErrorCode, vars, string(r.Doc), v)
	})
}

// GetRun returns the newest version of one run.
func (s *Store) GetRun(ctx context.Context, id string) (market.RunRecord, error) {
	r, err := scanRun(s.conn.QueryRow(ctx, `SELECT `+runColumns+`, doc FROM runs FINAL WHERE id = ?`, id), true)
	if errors.Is(err, errNoRows) {
		return market.RunRecord{}, fmt.Errorf("run %s: %w", id, market.ErrNotFound)
	}
	if err != nil {
		return market.RunRecord{}, s.connErr(fmt.Errorf("run %s: %w", id, err))
	}
	return r, nil
}

// ListRuns returns a page of a workflow's runs, newest first. The doc
// column is not read.
func (s *Store) ListRuns(ctx context.Context, workflowID string, limit, offset int) ([]market.RunRecord, int, error) {
	var total uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM runs FINAL WHERE workflow_id = ?`, workflowID).Scan(&total); err != nil {
		return nil, 0, s.connErr(fmt.Errorf("count runs of %s: %w", workflowID, err))
	}
	rows, err := s.conn.Query(ctx, `
		SELECT `+runColumns+`
		FROM runs FINAL
		WHERE workflow_id = ?
		ORDER BY started_at DESC, id DESC
		LIMIT ?, ?`, workflowID, offset, limit)
	if err != nil {
		return nil, 0, s.connErr(fmt.Errorf("list runs of %s: %w", workflowID, err))
	}
	defer rows.Close()
	out := []market.RunRecord{}
	for rows.Next() {
		r, err := scanRun(rows, false)
		if err != nil {
			return nil, 0, fmt.Errorf("list runs of %s: %w", workflowID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list runs of %s: %w", workflowID, err)
	}
	return out, int(total), nil
}

// RunningRuns returns the runs whose newest version says running.
func (s *Store) RunningRuns(ctx context.Context) ([]market.RunRecord, error) {
	rows, err := s.conn.Query(ctx, `
		SELECT `+runColumns+`, doc
		FROM runs FINAL
		WHERE id IN (SELECT id FROM runs WHERE status = 'running')
		ORDER BY started_at, id`)
	if err != nil {
		return nil, s.connErr(fmt.Errorf("running runs: %w", err))
	}
	defer rows.Close()
	out := []market.RunRecord{}
	for rows.Next() {
		r, err := scanRun(rows, true)
		if err != nil {
			return nil, fmt.Errorf("running runs: %w", err)
		}
		if r.Status == "running" {
			out = append(out, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("running runs: %w", err)
	}
	return out, nil
}
