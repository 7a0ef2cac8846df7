package workflow

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// flakyRepo keeps workflows in memory and fails the way a store does when
// it dies: lostAcks writes land and still fail (the store died before its
// answer), failPuts writes fail before they land; after either the store is
// gone for the next down calls, or for good (stuck) when stickFail is set.
type flakyRepo struct {
	mu        sync.Mutex
	recs      map[string]market.WorkflowRecord
	lostAcks  int
	failPuts  int
	stickFail bool
	down      int
	stuck     bool
	puts      int
}

var errStoreGone = errors.New("clickhouse 127.0.0.1:9000: EOF")

// failing reports whether this call fails; r.mu is held.
func (r *flakyRepo) failing() bool {
	if r.stuck {
		return true
	}
	if r.down > 0 {
		r.down--
		return true
	}
	return false
}

func (r *flakyRepo) ListWorkflows(ctx context.Context) ([]market.WorkflowRecord, error) {
	recs, _, err := r.WorkflowPage(ctx, "", 1<<30, 0)
	return recs, err
}

func (r *flakyRepo) WorkflowPage(_ context.Context, category string, limit, offset int) ([]market.WorkflowRecord, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing() {
		return nil, 0, errStoreGone
	}
	var out []market.WorkflowRecord
	for _, w := range r.recs {
		if category == "" || w.Category == category {
			out = append(out, w)
		}
	}
	n := len(out)
	return out[min(offset, n):min(offset+limit, n)], n, nil
}

func (r *flakyRepo) GetWorkflow(_ context.Context, id string) (market.WorkflowRecord, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing() {
		return market.WorkflowRecord{}, errStoreGone
	}
	w, ok := r.recs[id]
	if !ok {
		return w, market.ErrNotFound
	}
	return w, nil
}

func (r *flakyRepo) PutWorkflow(_ context.Context, w market.WorkflowRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.puts++
	if r.failing() {
		return errStoreGone
	}
	if r.failPuts > 0 {
		r.failPuts--
		r.down, r.stuck = 2, r.stickFail
		return errStoreGone
	}
	r.recs[w.ID] = w
	if r.lostAcks > 0 {
		r.lostAcks--
		r.down = 2 // the store is gone for a moment after it died
		return errStoreGone
	}
	return nil
}

func (r *flakyRepo) DeleteWorkflow(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing() {
		return errStoreGone
	}
	if _, ok := r.recs[id]; !ok {
		return market.ErrNotFound
	}
	delete(r.recs, id)
	if r.lostAcks > 0 {
		r.lostAcks--
		r.down = 2
		return errStoreGone
	}
	return nil
}

func newFlaky(t *testing.T) (*flakyRepo, *Service) {
	repo := &flakyRepo{recs: map[string]market.WorkflowRecord{}}
	s := NewService(repo, nil, 0)
	s.settleTime = 5 * time.Second
	return repo, s
}

func input(t *testing.T) Input {
	in, err := DecodeInput([]byte(validInput()))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// A write the store took before it died answers success: the service asks
// again once the store is back, instead of reporting failure.
func TestWriteThatLandedAnswersSuccess(t *testing.T) {
	repo, s := newFlaky(t)
	repo.lostAcks = 1
	w, err := s.Create(context.Background(), input(t))
	if err != nil {
		t.Fatalf("create whose ack was lost: %v", err)
	}
	if _, ok := repo.recs[w.ID]; !ok || len(repo.recs) != 1 || repo.puts != 1 {
		t.Fatalf("store holds %d workflows after %d puts, want the one created once", len(repo.recs), repo.puts)
	}
	repo.lostAcks = 1
	if err := s.Delete(context.Background(), w.ID); err != nil {
		t.Fatalf("delete whose ack was lost: %v", err)
	}
	if len(repo.recs) != 0 {
		t.Fatal("deleted workflow still stored")
	}
}

// A write the store failed before taking it is done again once the store
// answers; when it never answers in time, the write fails.
func TestWriteRetriedOnceTheStoreAnswers(t *testing.T) {
	repo, s := newFlaky(t)
	w, err := s.Create(context.Background(), input(t))
	if err != nil {
		t.Fatal(err)
	}
	in := input(t)
	desc := "changed"
	in.Description = &desc
	repo.failPuts, repo.puts = 1, 0
	got, err := s.Update(context.Background(), w.ID, in)
	if err != nil || got.Description != desc || !strings.Contains(string(repo.recs[w.ID].Doc), `"changed"`) {
		t.Fatalf("update after a failed put: %v, stored %s", err, repo.recs[w.ID].Doc)
	}
	if repo.puts != 2 {
		t.Errorf("%d puts, want the failed one and the one done again", repo.puts)
	}

	s.settleTime = 300 * time.Millisecond
	desc = "never"
	repo.failPuts, repo.stickFail = 1, true
	if _, err := s.Update(context.Background(), w.ID, in); !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, errStoreGone) {
		t.Fatalf("an update the store never took: %v, want ErrOutcomeUnknown with the store's error", err)
	}
	if strings.Contains(string(repo.recs[w.ID].Doc), `"never"`) {
		t.Fatal("the refused update is stored")
	}
}
