package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/query"
)

// benchTargets is one request per endpoint, on the snapshot's codes.
var benchTargets = []struct{ name, target string }{
	{"hot-stocks", "/api/overview/hot-stocks?date=2025-12-18&sort_by=pct_chg&limit=20"},
	{"hot-stocks-latest", "/api/overview/hot-stocks"},
	{"hot-etfs", "/api/overview/hot-etfs?date=2025-12-18"},
	{"market-stats", "/api/overview/market-stats?date=2025-12-18"},
	{"trade-dates", "/api/overview/trade-dates"},
	{"basic", "/api/stock/600519.SH/basic"},
	{"daily", "/api/stock/000001.SZ/daily"},
	{"weekly", "/api/stock/000001.SZ/kline?period=week"},
	{"search", "/api/stock/search?q=600"},
	{"health", "/health"},
}

// BenchHandler measures every endpoint through the whole middleware stack
// on a loaded store: uncached (every request reaches the store) and cached
// (an in-process map cache, so the figure is the handler's own cost on a
// hit). As `make bench` runs stockd, only warnings are logged, and the
// answer goes to a writer that keeps nothing, so the figure is the
// server's side alone. Any loaded Store works, e.g. a big demo market.
func BenchHandler(b *testing.B, st market.Store) {
	warn := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for _, mode := range []struct {
		name  string
		cache query.Cache
	}{{"uncached", nil}, {"cached", newMapCache()}} {
		h := newRawHandler(b, setup{store: st, cache: mode.cache, logger: warn})
		for _, tg := range benchTargets {
			b.Run(mode.name+"/"+tg.name, func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, tg.target, nil)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", tg.target, rec.Code, rec.Body)
				}
				w := &discardWriter{header: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.header)
					h.ServeHTTP(w, req)
				}
			})
		}
	}
}

// discardWriter is a ResponseWriter that keeps nothing: net/http's own
// writer costs the same for every handler, httptest's recorder more.
type discardWriter struct {
	header http.Header
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

func BenchmarkHandlerSQLite(b *testing.B) {
	st := openSQLite(b)
	readSnapshot(b).load(b, st)
	BenchHandler(b, st)
}

func BenchmarkHandlerClickHouse(b *testing.B) {
	st := openClickHouse(b)
	readSnapshot(b).load(b, st)
	BenchHandler(b, st)
}
