package query

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockdatasource/stockd/internal/ingest"
	"github.com/stockdatasource/stockd/internal/store/sqlite"
)

// mapCache keeps every entry; tests may put their own.
type mapCache struct {
	mu   sync.Mutex
	vals map[string][]byte
}

func (c *mapCache) Load(ctx context.Context, key string, _ time.Duration, load func(context.Context) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	v, ok := c.vals[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := load(ctx)
	if err == nil {
		c.mu.Lock()
		c.vals[key] = v
		c.mu.Unlock()
	}
	return v, err
}

func demoQueries(t *testing.T) (*Queries, *mapCache) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Demo(ctx, st, ingest.DemoOptions{Stocks: 3, ETFs: 1, Days: 30, Seed: 2, End: day}); err != nil {
		t.Fatal(err)
	}
	c := &mapCache{vals: map[string][]byte{}}
	return New(st, c, TTLs{Overview: time.Minute, Basic: time.Hour, Daily: time.Hour, Latest: time.Minute, Workflows: time.Minute}), c
}

// Arguments are checked here, for HTTP callers and tools alike, and the
// error names the argument and its value.
func TestArgumentsChecked(t *testing.T) {
	q, _ := demoQueries(t)
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		call     func() (Answer, error)
		code     string
		mentions []string
	}{
		{"limit 0", func() (Answer, error) { return q.HotStocks(ctx, HotArgs{SortBy: "amount", Limit: 0}) }, CodeBadRequest, []string{"limit", `"0"`, "1 and 50"}},
		{"sort", func() (Answer, error) { return q.HotETFs(ctx, HotArgs{SortBy: "turnover_rate", Limit: 5}) }, CodeBadRequest, []string{"sort_by", "turnover_rate"}},
		{"dates", func() (Answer, error) { return q.TradeDates(ctx, 5001) }, CodeBadRequest, []string{"limit", "5001"}},
		{"code", func() (Answer, error) { return q.Basic(ctx, "60051") }, CodeInvalidCode, []string{"code", "60051"}},
		{"unknown", func() (Answer, error) { return q.Basic(ctx, "999999.SH") }, CodeNotFound, []string{"999999.SH"}},
		{"period", func() (Answer, error) {
			return q.KLine(ctx, KLineArgs{Code: "600000", Period: "year", Adjust: "qfq"})
		}, CodeBadRequest, []string{"period", "year"}},
		{"range", func() (Answer, error) {
			return q.KLine(ctx, KLineArgs{Code: "600000", Period: "day", Adjust: "qfq", Start: day, End: day.AddDate(0, 0, -3)})
		}, CodeBadRequest, []string{"start", "end"}},
		{"search", func() (Answer, error) { return q.Search(ctx, "  ", 5) }, CodeBadRequest, []string{"q"}},
		{"no data", func() (Answer, error) { return q.MarketStats(ctx, day.AddDate(0, 0, 1)) }, CodeNoData, []string{"2025-12-19"}},
	} {
		_, err := c.call()
		var qe *Error
		if !errors.As(err, &qe) || qe.Code != c.code {
			t.Errorf("%s: %v, want a %s error", c.name, err, c.code)
			continue
		}
		for _, m := range c.mentions {
			if !strings.Contains(qe.Message, m) {
				t.Errorf("%s: %q does not mention %s", c.name, qe.Message, m)
			}
		}
	}
}

// The cache tells hits from misses, and a meta entry that is not ours
// (another version's, a hand-made key) is read past, not failed on.
func TestKLineThroughTheCache(t *testing.T) {
	q, c := demoQueries(t)
	ctx := context.Background()
	var hot struct {
		Data []struct {
			TSCode string `json:"ts_code"`
		}
	}
	a, err := q.HotStocks(ctx, HotArgs{SortBy: "amount", Limit: 1})
	if err != nil || json.Unmarshal(a.Body, &hot) != nil || a.Cache != Miss {
		t.Fatalf("hot stocks: %v %s", err, a.Body)
	}
	code := hot.Data[0].TSCode
	c.vals[KLineMetaKey(code).Name] = []byte("m1\tnot json")
	args := KLineArgs{Code: code, Period: PeriodWeek, Adjust: "qfq"}
	first, err := q.KLine(ctx, args)
	if err != nil || first.Cache != Miss {
		t.Fatalf("K-line past a foreign meta entry: %v %v", err, first.Cache)
	}
	var k struct {
		Name string
		Data []json.RawMessage
	}
	if err := json.Unmarshal(first.Body, &k); err != nil || k.Name == "" || len(k.Data) < 4 {
		t.Fatalf("K-line %s: %v", first.Body, err)
	}
	again, err := q.KLine(ctx, args)
	if err != nil || again.Cache != Hit || string(again.Body) != string(first.Body) {
		t.Errorf("repeat: %v %v", err, again.Cache)
	}
}
