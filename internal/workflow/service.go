package workflow

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
)

// Errors of the service; the HTTP layer maps them to statuses.
var (
	ErrNotFound = errors.New("workflow not found")
	ErrReadOnly = errors.New("built-in templates are read-only: clone one to change it")
	ErrTooMany  = fmt.Errorf("at most %d workflows may exist: delete some first", MaxWorkflows)
	// ErrOutcomeUnknown: the store failed during a write and did not
	// answer again within the settle time, so the write may have happened.
	ErrOutcomeUnknown = errors.New("the data store stopped answering during the write, which may have been saved: read the workflow list before trying again")
)

// Cache is the part of the two-tier cache the service uses: cached reads,
// and pattern invalidation that reaches Redis and every replica's L1.
type Cache interface {
	Load(ctx context.Context, key string, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error)
	DeletePattern(ctx context.Context, pattern string) (int64, error)
}

// Service stores workflows and serves them through the cache. Every write
// invalidates workflow:* before it returns, so the next read on any replica
// sees it.
type Service struct {
	repo   market.WorkflowRepo
	cache  Cache
	ttl    time.Duration
	now    func() time.Time
	logger *slog.Logger
	// settleTime bounds settle (DefaultSettleTime).
	settleTime time.Duration

	// createMu makes counting and creating one step in this process, so
	// concurrent creates cannot pass MaxWorkflows together.
	createMu sync.Mutex
}

// NewService returns a service over repo; cache may be nil.
func NewService(repo market.WorkflowRepo, cache Cache, ttl time.Duration) *Service {
	if cache == nil {
		cache = noCache{}
	}
	return &Service{repo: repo, cache: cache, ttl: ttl, logger: slog.Default(), settleTime: DefaultSettleTime,
		now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
}

// List is the answer of GET /api/workflows: one page of the list, and how
// many workflows the whole list has.
type List struct {
	Workflows []Workflow `json:"workflows"`
	Total     int        `json:"total"`
	Limit     int        `json:"limit"`
	Offset    int        `json:"offset"`
}

// Paging of the list, and the cap on how many workflows may exist: with
// MaxDocBytes per workflow a page stays far below the cache's entry
// limit, so every list answer is cached.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
	MaxWorkflows    = 1000
	// MaxOffset leaves room to page through a store that holds more than
	// MaxWorkflows (written before the cap, or by racing replicas).
	MaxOffset = 100 * MaxWorkflows
)

// ListArgs ask for one page of the list: the user's workflows of Category
// (all when empty), newest update first, then the built-in templates of
// that category when IncludeTemplates; Limit (1..MaxPageSize) of them
// after skipping Offset (0..MaxOffset).
type ListArgs struct {
	IncludeTemplates bool
	Category         string
	Limit, Offset    int
}

func (a ListArgs) check() error {
	switch {
	case a.Limit < 1 || a.Limit > MaxPageSize:
		return &query.Error{Code: query.CodeBadRequest, Message: fmt.Sprintf("invalid limit %d: must be between 1 and %d", a.Limit, MaxPageSize)}
	case a.Offset < 0 || a.Offset > MaxOffset:
		return &query.Error{Code: query.CodeBadRequest, Message: fmt.Sprintf("invalid offset %d: must be between 0 and %d", a.Offset, MaxOffset)}
	case utf8.RuneCountInString(a.Category) > MaxCategoryLen:
		return &query.Error{Code: query.CodeBadRequest, Message: fmt.Sprintf("invalid category: at most %d characters", MaxCategoryLen)}
	}
	return nil
}

// ListJSON returns one encoded page of the list (see ListArgs).
func (s *Service) ListJSON(ctx context.Context, a ListArgs) ([]byte, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	return cachedJSON(ctx, s, query.WorkflowListKey(a.IncludeTemplates, a.Category, a.Limit, a.Offset), func(ctx context.Context) (List, error) {
		return s.List(ctx, a)
	})
}

// cachedJSON answers key from the cache, encoding what read returns on a
// miss; a TTL of 0 (CACHE_TTL_WORKFLOWS=0) turns caching off.
func cachedJSON[T any](ctx context.Context, s *Service, key query.Key, read func(context.Context) (T, error)) ([]byte, error) {
	load := func(ctx context.Context) ([]byte, error) {
		v, err := read(ctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
	if s.ttl <= 0 {
		return load(ctx)
	}
	return s.cache.Load(ctx, key.Name, s.ttl, load)
}

// List reads one page of the list from the store, uncached. Only that
// page's documents are read.
func (s *Service) List(ctx context.Context, a ListArgs) (List, error) {
	if err := a.check(); err != nil {
		return List{}, err
	}
	recs, users, err := s.repo.WorkflowPage(ctx, a.Category, a.Limit, a.Offset)
	if err != nil {
		return List{}, fmt.Errorf("list workflows: %w", err)
	}
	out := make([]Workflow, 0, a.Limit)
	for _, r := range recs {
		w, err := decode(r)
		if err != nil {
			return List{}, err
		}
		out = append(out, w)
	}
	var templates []Workflow
	if a.IncludeTemplates {
		for _, t := range Templates() {
			if a.Category == "" || t.Category == a.Category {
				templates = append(templates, t)
			}
		}
	}
	// The templates follow the user's workflows: the page takes them
	// from where the store's part ends.
	if room := a.Limit - len(out); room > 0 {
		from := max(0, a.Offset-users)
		if from < len(templates) {
			out = append(out, templates[from:min(len(templates), from+room)]...)
		}
	}
	return List{Workflows: out, Total: users + len(templates), Limit: a.Limit, Offset: a.Offset}, nil
}

// GetJSON returns one encoded workflow or template.
func (s *Service) GetJSON(ctx context.Context, id string) ([]byte, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return cachedJSON(ctx, s, query.WorkflowKey(id), func(ctx context.Context) (Workflow, error) {
		return s.Get(ctx, id)
	})
}

// Get reads one workflow or template, uncached.
func (s *Service) Get(ctx context.Context, id string) (Workflow, error) {
	if t, ok := template(id); ok {
		return t, nil
	}
	r, err := s.repo.GetWorkflow(ctx, id)
	if errors.Is(err, market.ErrNotFound) {
		return Workflow{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return Workflow{}, fmt.Errorf("get workflow %s: %w", id, err)
	}
	return decode(r)
}

// Create validates in and stores it as a new workflow.
func (s *Service) Create(ctx context.Context, in Input) (Workflow, error) {
	if in.IsTemplate != nil && *in.IsTemplate {
		return Workflow{}, &ValidationError{Fields: []FieldError{{Field: "is_template", Message: "templates are built in; create a workflow or clone a template"}}}
	}
	var w Workflow
	in.Apply(&w)
	if err := Validate(&w, ToolExists); err != nil {
		return Workflow{}, err
	}
	return s.create(ctx, w)
}

// create stores w as a new workflow unless MaxWorkflows exist already.
func (s *Service) create(ctx context.Context, w Workflow) (Workflow, error) {
	s.createMu.Lock()
	defer s.createMu.Unlock()
	_, n, err := s.repo.WorkflowPage(ctx, "", 0, 0)
	if err != nil {
		return Workflow{}, fmt.Errorf("count workflows: %w", err)
	}
	if n >= MaxWorkflows {
		return Workflow{}, ErrTooMany
	}
	w.ID = newID()
	w.CreatedAt = s.now()
	w.UpdatedAt = w.CreatedAt
	return w, s.save(ctx, w)
}

// Update applies the fields present in in to workflow id.
func (s *Service) Update(ctx context.Context, id string, in Input) (Workflow, error) {
	if err := checkID(id); err != nil {
		return Workflow{}, err
	}
	if _, ok := template(id); ok {
		return Workflow{}, ErrReadOnly
	}
	w, err := s.Get(ctx, id)
	if err != nil {
		return Workflow{}, err
	}
	if in.IsTemplate != nil && *in.IsTemplate {
		return Workflow{}, &ValidationError{Fields: []FieldError{{Field: "is_template", Message: "a workflow cannot become a template"}}}
	}
	in.Apply(&w)
	if err := Validate(&w, ToolExists); err != nil {
		return Workflow{}, err
	}
	w.UpdatedAt = s.now()
	if !w.UpdatedAt.After(w.CreatedAt) {
		w.UpdatedAt = w.CreatedAt.Add(time.Millisecond)
	}
	return w, s.save(ctx, w)
}

// Delete removes workflow id.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if _, ok := template(id); ok {
		return ErrReadOnly
	}
	err := s.repo.DeleteWorkflow(ctx, id)
	if errors.Is(err, market.ErrNotFound) {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		err = s.settle(ctx, err, func(ctx context.Context) (bool, error) {
			_, err := s.repo.GetWorkflow(ctx, id)
			if errors.Is(err, market.ErrNotFound) {
				return true, nil
			}
			return false, err
		}, func(ctx context.Context) error {
			if err := s.repo.DeleteWorkflow(ctx, id); !errors.Is(err, market.ErrNotFound) {
				return err
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("delete workflow %s: %w", id, err)
	}
	s.invalidate(ctx)
	return nil
}

// Clone copies workflow or template id into a new user workflow named name
// (default: the source's name with a suffix).
func (s *Service) Clone(ctx context.Context, id, name string) (Workflow, error) {
	if err := checkID(id); err != nil {
		return Workflow{}, err
	}
	src, err := s.Get(ctx, id)
	if err != nil {
		return Workflow{}, err
	}
	w := src
	w.Name = strings.TrimSpace(name)
	if w.Name == "" {
		w.Name = truncate(src.Name+" (副本)", MaxNameLen)
	}
	w.Tags = append([]string{}, src.Tags...)
	w.Variables = append([]Variable{}, src.Variables...)
	w.SelectedTools = append([]string{}, src.SelectedTools...)
	w.IsTemplate = false
	if err := Validate(&w, ToolExists); err != nil {
		return Workflow{}, err
	}
	return s.create(ctx, w)
}

// save stores w, then drops the cached workflow answers. Once the store
// holds the write, the write has happened: it answers success whatever the
// cache says (see invalidate).
func (s *Service) save(ctx context.Context, w Workflow) error {
	doc, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode workflow: %w", err)
	}
	rec := market.WorkflowRecord{
		ID: w.ID, Name: w.Name, Category: w.Category, IsTemplate: w.IsTemplate,
		Doc: doc, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
	if err := s.repo.PutWorkflow(ctx, rec); err != nil {
		err = s.settle(ctx, err, func(ctx context.Context) (bool, error) {
			got, err := s.repo.GetWorkflow(ctx, rec.ID)
			if errors.Is(err, market.ErrNotFound) {
				return false, nil
			}
			return err == nil && bytes.Equal(got.Doc, rec.Doc), err
		}, func(ctx context.Context) error {
			return s.repo.PutWorkflow(ctx, rec)
		})
		if err != nil {
			return fmt.Errorf("store workflow %s: %w", w.ID, err)
		}
	}
	s.invalidate(ctx)
	return nil
}

// DefaultSettleTime bounds how long a write whose store call failed waits
// to learn what became of it (see settle).
const DefaultSettleTime = 15 * time.Second

// settle decides a write whose store call failed with first. The failure
// does not say that nothing happened: a store that dies after taking an
// insert and before acknowledging it fails the call, yet keeps the row. So
// the store is asked again, with growing pauses, until it answers: landed
// says whether the write is in it; if not, redo does it again (every write
// here is an idempotent upsert or tombstone of a known id). The write then
// answers success either way. Only when the store stays unreachable for
// settleTime does it fail, with ErrOutcomeUnknown (and first): the write
// may have happened.
func (s *Service) settle(ctx context.Context, first error, landed func(context.Context) (bool, error), redo func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.settleTime)
	defer cancel()
	pause := 50 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%w)", ErrOutcomeUnknown, first)
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
		ok, err := landed(ctx)
		if err != nil {
			continue // the store still does not answer
		}
		if ok {
			s.logger.Warn("workflow write reported failed by the store had landed; answered as done", "err", first)
			return nil
		}
		if err := redo(ctx); err == nil {
			s.logger.Warn("workflow write failed, done again once the store answered", "err", first)
			return nil
		}
	}
}

// invalidate drops every cached workflow answer after a write that landed.
// When Redis cannot take the invalidation the cache queues it and answers
// nil (this process reads no stale copy from Redis meanwhile); an error is
// a closed cache (shutting down), which is logged: the write still
// succeeded, and other replicas' copies end with their TTL.
func (s *Service) invalidate(ctx context.Context) {
	if _, err := s.cache.DeletePattern(context.WithoutCancel(ctx), query.WorkflowsPattern); err != nil {
		s.logger.Error("workflow saved, but its cached copies could not be invalidated; they expire with CACHE_TTL_WORKFLOWS",
			"pattern", query.WorkflowsPattern, "err", err)
	}
}

func decode(r market.WorkflowRecord) (Workflow, error) {
	var w Workflow
	if err := json.Unmarshal(r.Doc, &w); err != nil {
		return Workflow{}, fmt.Errorf("workflow %s: stored document is corrupt: %w", r.ID, err)
	}
	w.ID = r.ID
	return w, nil
}

// checkID refuses ids that could not have been issued, before any lookup.
func checkID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return fmt.Errorf("%w: %q", ErrNotFound, id)
		}
	}
	return nil
}

func newID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "wf_" + hex.EncodeToString(b[:])
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// noCache loads every time; used when the service runs without a cache.
type noCache struct{}

func (noCache) Load(ctx context.Context, _ string, _ time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error) {
	return load(ctx)
}

func (noCache) DeletePattern(context.Context, string) (int64, error) { return 0, nil }
