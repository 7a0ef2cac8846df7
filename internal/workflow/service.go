package workflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
)

// Errors of the service; the HTTP layer maps them to statuses.
var (
	ErrNotFound = errors.New("workflow not found")
	ErrReadOnly = errors.New("built-in templates are read-only: clone one to change it")
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
	repo  market.WorkflowRepo
	cache Cache
	ttl   time.Duration
	now   func() time.Time
}

// NewService returns a service over repo; cache may be nil.
func NewService(repo market.WorkflowRepo, cache Cache, ttl time.Duration) *Service {
	if cache == nil {
		cache = noCache{}
	}
	return &Service{repo: repo, cache: cache, ttl: ttl, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
}

// List is the answer of GET /api/workflows.
type List struct {
	Workflows []Workflow `json:"workflows"`
	Total     int        `json:"total"`
}

// ListJSON returns the encoded list of user workflows, with the templates
// when includeTemplates, filtered by category when it is not empty, newest
// update first.
func (s *Service) ListJSON(ctx context.Context, includeTemplates bool, category string) ([]byte, error) {
	return cachedJSON(ctx, s, query.WorkflowListKey(includeTemplates, category), func(ctx context.Context) (List, error) {
		return s.List(ctx, includeTemplates, category)
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

// List reads the workflows from the store, uncached.
func (s *Service) List(ctx context.Context, includeTemplates bool, category string) (List, error) {
	recs, err := s.repo.ListWorkflows(ctx)
	if err != nil {
		return List{}, fmt.Errorf("list workflows: %w", err)
	}
	out := make([]Workflow, 0, len(recs)+len(builtinTemplates))
	for _, r := range recs {
		w, err := decode(r)
		if err != nil {
			return List{}, err
		}
		out = append(out, w)
	}
	if includeTemplates {
		out = append(out, Templates()...)
	}
	if category != "" {
		kept := out[:0]
		for _, w := range out {
			if w.Category == category {
				kept = append(kept, w)
			}
		}
		out = kept
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].UpdatedAt.Equal(out[j].UpdatedAt) {
			return out[i].UpdatedAt.After(out[j].UpdatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return List{Workflows: out, Total: len(out)}, nil
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
		return fmt.Errorf("delete workflow %s: %w", id, err)
	}
	return s.invalidate(ctx)
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
	w.ID = newID()
	w.CreatedAt = s.now()
	w.UpdatedAt = w.CreatedAt
	return w, s.save(ctx, w)
}

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
		return fmt.Errorf("store workflow %s: %w", w.ID, err)
	}
	return s.invalidate(ctx)
}

// invalidate drops every cached workflow answer. The write already landed;
// when Redis cannot take the invalidation the cache queues it and answers
// nil, so an error here is a closed cache or a bad pattern.
func (s *Service) invalidate(ctx context.Context) error {
	if _, err := s.cache.DeletePattern(context.WithoutCancel(ctx), query.WorkflowsPattern); err != nil {
		return fmt.Errorf("workflow saved, but invalidating cached copies failed: %w", err)
	}
	return nil
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
