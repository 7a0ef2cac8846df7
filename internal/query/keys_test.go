package query

import (
	"context"
	"io"
	"log/slog"
	"path"
	"slices"
	"testing"
	"time"
)

var day = time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC)

// marketKeys is one key of every market answer.
func marketKeys() []Key {
	return []Key{
		HotStocksKey(day, "amount", 20), HotETFsKey(day, "pct_chg", 5), MarketStatsKey(day), TradeDatesKey(60),
		BasicKey("600519.SH"), KLineMetaKey("600519.SH"),
		KLineRequestKey("600519.SH", PeriodDay, time.Time{}, time.Time{}, "qfq"),
		KLineRequestKey("600519.SH", PeriodWeek, day.AddDate(0, -1, 0), day, "hfq"),
		KLineKey("600519.SH", PeriodDay, day.AddDate(-1, 0, 0), day, "qfq", "2025-12-18"),
		KLineKey("600519.SH", PeriodMonth, day.AddDate(-1, 0, 0), day, "none", "none"),
	}
}

func matchesAny(patterns []string, key string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { ok, _ := path.Match(p, key); return ok })
}

func TestKeyLayout(t *testing.T) {
	for _, c := range []struct {
		key   Key
		name  string
		class TTLClass
	}{
		{HotStocksKey(day, "amount", 20), "overview:hot_stocks:2025-12-18:amount:20", TTLOverview},
		{HotETFsKey(day, "pct_chg", 5), "overview:hot_etfs:2025-12-18:pct_chg:5", TTLOverview},
		{MarketStatsKey(day), "overview:market_stats:2025-12-18", TTLOverview},
		{TradeDatesKey(60), "overview:trade_dates:60", TTLOverview},
		{BasicKey("600519.SH"), "basic:600519.SH", TTLBasic},
		{KLineMetaKey("600519.SH"), "daily:600519.SH:meta", TTLLatest},
		{KLineRequestKey("600519.SH", PeriodDay, time.Time{}, day, "qfq"), "daily:600519.SH:req::2025-12-18:qfq", TTLKLineRequest},
		{KLineRequestKey("600519.SH", PeriodWeek, time.Time{}, time.Time{}, "hfq"), "kline:600519.SH:week:req:::hfq", TTLKLineRequest},
		{KLineKey("600519.SH", PeriodDay, day.AddDate(-1, 0, 0), day, "qfq", "2025-12-18"), "daily:600519.SH:2024-12-18:2025-12-18:qfq:2025-12-18", TTLDaily},
		{KLineKey("600519.SH", PeriodMonth, day, day, "none", "none"), "kline:600519.SH:month:2025-12-18:2025-12-18:none:none", TTLDaily},
		{WorkflowListKey(true, "", 50, 0), "workflow:list:true:50:0:", TTLWorkflows},
		{WorkflowListKey(false, "a:b", 10, 20), "workflow:list:false:10:20:a:b", TTLWorkflows},
		{WorkflowKey("wf_1"), "workflow:wf_1", TTLWorkflows},
	} {
		if c.key.Name != c.name || c.key.Class != c.class {
			t.Errorf("got %q class %d, want %q class %d", c.key.Name, c.key.Class, c.name, c.class)
		}
	}
}

// A load makes every market answer stale and no workflow; a workflow
// write makes every workflow answer stale and no market answer.
func TestStalePatternsCoverTheKeys(t *testing.T) {
	for _, k := range marketKeys() {
		if !matchesAny(StaleAfterLoad, k.Name) {
			t.Errorf("%s survives a load", k.Name)
		}
		if matchesAny([]string{WorkflowsPattern}, k.Name) {
			t.Errorf("%s is dropped by a workflow write", k.Name)
		}
	}
	for _, k := range []Key{WorkflowListKey(false, "x", 50, 0), WorkflowKey("wf_1")} {
		if matchesAny(StaleAfterLoad, k.Name) || !matchesAny([]string{WorkflowsPattern}, k.Name) {
			t.Errorf("%s: wrong invalidation", k.Name)
		}
	}
}

func TestTTLClasses(t *testing.T) {
	ttl := TTLs{Overview: 1, Basic: 2, Daily: 30, Latest: 4, Workflows: 5}
	for c, want := range map[TTLClass]time.Duration{TTLOverview: 1, TTLBasic: 2, TTLDaily: 30, TTLLatest: 4, TTLKLineRequest: 4, TTLWorkflows: 5} {
		if got := ttl.Of(c); got != want {
			t.Errorf("class %d: %s, want %s", c, got, want)
		}
	}
	// The request entry holds the K-line's bytes: never longer than them.
	if got := (TTLs{Daily: 0, Latest: time.Minute}).Of(TTLKLineRequest); got != 0 {
		t.Errorf("request entry with CACHE_TTL_DAILY=0 lives %s", got)
	}
}

type recordingInvalidator struct{ patterns []string }

func (r *recordingInvalidator) DeletePattern(_ context.Context, p string) (int64, error) {
	r.patterns = append(r.patterns, p)
	return 1, nil
}

func TestDropStale(t *testing.T) {
	var r recordingInvalidator
	DropStale(context.Background(), &r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !slices.Equal(r.patterns, StaleAfterLoad) {
		t.Errorf("dropped %v, want %v", r.patterns, StaleAfterLoad)
	}
}
