package workflow

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/cache"
	"github.com/stockdatasource/stockd/internal/market"
)

// memRepo keeps workflows in a map.
type memRepo struct {
	mu   sync.Mutex
	recs map[string]market.WorkflowRecord
}

func (r *memRepo) ListWorkflows(context.Context) ([]market.WorkflowRecord, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []market.WorkflowRecord
	for _, rec := range r.recs {
		out = append(out, rec)
	}
	return out, nil
}

func (r *memRepo) GetWorkflow(_ context.Context, id string) (market.WorkflowRecord, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.recs[id]
	if !ok {
		return rec, market.ErrNotFound
	}
	return rec, nil
}

func (r *memRepo) PutWorkflow(_ context.Context, rec market.WorkflowRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs[rec.ID] = rec
	return nil
}

func (r *memRepo) DeleteWorkflow(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.recs[id]; !ok {
		return market.ErrNotFound
	}
	delete(r.recs, id)
	return nil
}

// failingCache loads through and fails every invalidation with err.
type failingCache struct {
	err      error
	patterns []string
}

func (c *failingCache) Load(ctx context.Context, _ string, _ time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error) {
	return load(ctx)
}

func (c *failingCache) DeletePattern(_ context.Context, p string) (int64, error) {
	c.patterns = append(c.patterns, p)
	return 0, c.err
}

// A write that landed is reported done when Redis is out of reach (the
// cache replays the invalidation later); any other invalidation failure
// is the caller's to see.
func TestWriteWhileRedisIsUnreachable(t *testing.T) {
	ctx := context.Background()
	name, prompt := "流程", "分析今天的市场"
	in := Input{Name: &name, UserPromptTemplate: &prompt}

	down := &failingCache{err: fmt.Errorf("cache: delete %q: %w", "workflow:*", cache.ErrUnavailable)}
	repo := &memRepo{recs: map[string]market.WorkflowRecord{}}
	svc := NewService(repo, down, time.Minute)
	w, err := svc.Create(ctx, in)
	if err != nil {
		t.Fatalf("create with Redis down: %v", err)
	}
	if _, err := svc.Get(ctx, w.ID); err != nil {
		t.Fatalf("the workflow was not stored: %v", err)
	}
	if len(down.patterns) != 1 || down.patterns[0] != "workflow:*" {
		t.Errorf("invalidations asked: %v", down.patterns)
	}
	if err := svc.Delete(ctx, w.ID); err != nil {
		t.Fatalf("delete with Redis down: %v", err)
	}

	broken := &failingCache{err: errors.New("cache: invalidation pattern must be 1..512 bytes")}
	svc = NewService(repo, broken, time.Minute)
	if _, err := svc.Create(ctx, in); err == nil {
		t.Fatal("a failed invalidation that is not an outage was swallowed")
	}
}
