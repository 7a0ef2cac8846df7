package market

import (
	"context"
	"time"
)

// RunRecord is a stored workflow run: the columns runs are listed and found
// by, and the run's whole document. The store keeps Doc and Variables
// opaque; the agent package owns the document's shape.
type RunRecord struct {
	ID           string
	WorkflowID   string
	Status       string // running, succeeded, failed or canceled
	Model        string
	Instance     string    // the server that runs it (its host name)
	StartedAt    time.Time // millisecond precision is kept
	FinishedAt   time.Time // zero while running
	LatencyMs    int64
	InputTokens  int64
	OutputTokens int64
	TraceID      string
	ErrorCode    string // "" unless failed or canceled
	Variables    []byte // the run's variables as a JSON object, for lists
	Doc          []byte // the whole run as JSON
}

// RunRepo persists workflow runs. A run is written when it starts (status
// running) and again when it ends; the latest write of an id wins.
type RunRepo interface {
	// PutRun creates or replaces a run.
	PutRun(ctx context.Context, r RunRecord) error
	// GetRun returns one run; ErrNotFound when absent.
	GetRun(ctx context.Context, id string) (RunRecord, error)
	// ListRuns returns a page of the runs of one workflow, newest StartedAt
	// first (ties by id, descending), without Doc, and how many runs the
	// workflow has in all.
	ListRuns(ctx context.Context, workflowID string, limit, offset int) ([]RunRecord, int, error)
	// RunningRuns returns every run whose latest write says running, with
	// its Doc, oldest first.
	RunningRuns(ctx context.Context) ([]RunRecord, error)
}
