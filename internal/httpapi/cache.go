package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/stockdatasource/stockd/internal/cache"
)

// CacheStats reports on the cache; *cache.Cache satisfies it.
type CacheStats interface {
	Stats(ctx context.Context) cache.Stats
}

// CacheAdmin is the cache as the admin endpoints see it; *cache.Cache
// satisfies it.
type CacheAdmin interface {
	CacheStats
	DeletePattern(ctx context.Context, pattern string) (int64, error)
}

// noCache is the CacheAdmin of a server without a cache.
type noCache struct{}

func (noCache) Stats(context.Context) cache.Stats {
	return cache.Stats{Status: cache.StatusDisabled}
}

func (noCache) DeletePattern(context.Context, string) (int64, error) { return 0, nil }

// cacheHandlers are GET /api/cache/stats and POST /api/cache/invalidate.
type cacheHandlers struct {
	c CacheAdmin
}

func (h cacheHandlers) stats(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, h.c.Stats(r.Context()))
}

type invalidateAnswer struct {
	Deleted int64  `json:"deleted"`
	Pattern string `json:"pattern"`
}

// invalidate drops the keys matching a pattern in every tier and replica;
// the route table guards it with the bearer token.
func (h cacheHandlers) invalidate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Pattern string `json:"pattern"`
	}
	if err := decodeJSON(r, &body, false, `{"pattern": "overview:*"}`); err != nil {
		WriteError(w, r, err)
		return
	}
	if strings.TrimSpace(body.Pattern) == "" || len(body.Pattern) > 200 {
		WriteError(w, r, Errorf(http.StatusBadRequest, CodeBadRequest, "invalid pattern %q: want 1 to 200 characters, e.g. overview:*", body.Pattern))
		return
	}
	n, err := h.c.DeletePattern(r.Context(), body.Pattern)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, invalidateAnswer{Deleted: n, Pattern: body.Pattern})
}
