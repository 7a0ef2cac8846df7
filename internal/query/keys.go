package query

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/stockdatasource/stockd/internal/market"
)

// This file is the one home of the cache layout: every key the service
// writes (under CACHE_PREFIX), the TTL class each lives for, and the
// patterns a load of market data makes stale. The HTTP handlers, the
// workflow service and the workflow tools all reach the cache through the
// names built here, so the same question is the same entry whoever asks it.

// TTLClass names the setting an entry lives for.
type TTLClass uint8

// TTL classes, one per CACHE_TTL_* setting.
const (
	// TTLOverview (CACHE_TTL_OVERVIEW): hot lists, market stats, trade dates.
	TTLOverview TTLClass = iota
	// TTLBasic (CACHE_TTL_BASIC): a stock's or fund's basic answer.
	TTLBasic
	// TTLDaily (CACHE_TTL_DAILY): a K-line of an explicit range and anchor,
	// whose content no later day of data changes.
	TTLDaily
	// TTLLatest (CACHE_TTL_LATEST): what resolves "the latest" of a code,
	// its newest bar and qfq anchor (the K-line meta): it bounds how stale
	// that gets when a load cannot drop it (another process, no Redis).
	TTLLatest
	// TTLKLineRequest: a K-line request as asked (open ends, qfq) lives
	// min(CACHE_TTL_LATEST, CACHE_TTL_DAILY): it resolves the latest, and it
	// is a second name of the K-line's bytes, which it must not outlive.
	TTLKLineRequest
	// TTLWorkflows (CACHE_TTL_WORKFLOWS): workflow lists and documents.
	TTLWorkflows
)

// TTLs are the lifetimes of the classes; 0 turns caching off for a class.
type TTLs struct {
	Overview, Basic, Daily, Latest, Workflows time.Duration
}

// Of is the lifetime of class c.
func (t TTLs) Of(c TTLClass) time.Duration {
	switch c {
	case TTLOverview:
		return t.Overview
	case TTLBasic:
		return t.Basic
	case TTLDaily:
		return t.Daily
	case TTLLatest:
		return t.Latest
	case TTLKLineRequest:
		return min(t.Latest, t.Daily)
	case TTLWorkflows:
		return t.Workflows
	}
	return 0
}

// Key is a cache key and the TTL class of its entry.
type Key struct {
	Name  string
	Class TTLClass
}

// Keys are appended into a buffer on the stack and made a string once:
// a key is built on every request, cache hits included.

// keyBuf builds one key.
type keyBuf []byte

func (b keyBuf) s(v string) keyBuf { return append(b, v...) }

// date appends YYYY-MM-DD, or nothing for the zero time (an open end).
func (b keyBuf) date(d time.Time) keyBuf {
	if d.IsZero() {
		return b
	}
	return d.AppendFormat(b, market.DateLayout)
}

func (b keyBuf) n(v int) keyBuf { return strconv.AppendInt(b, int64(v), 10) }

// HotStocksKey is overview:hot_stocks:{date}:{sort}:{limit}; an ascending
// sort is named as the stores name it (pct_chg:asc).
func HotStocksKey(date time.Time, sortBy string, limit int) Key {
	var buf [64]byte
	return Key{string(keyBuf(buf[:0]).s("overview:hot_stocks:").date(date).s(":").s(sortBy).s(":").n(limit)), TTLOverview}
}

// HotETFsKey is overview:hot_etfs:{date}:{sort}:{limit}.
func HotETFsKey(date time.Time, sortBy string, limit int) Key {
	var buf [64]byte
	return Key{string(keyBuf(buf[:0]).s("overview:hot_etfs:").date(date).s(":").s(sortBy).s(":").n(limit)), TTLOverview}
}

// MarketStatsKey is overview:market_stats:{date}.
func MarketStatsKey(date time.Time) Key {
	var buf [64]byte
	return Key{string(keyBuf(buf[:0]).s("overview:market_stats:").date(date)), TTLOverview}
}

// TradeDatesKey is overview:trade_dates:{limit}.
func TradeDatesKey(limit int) Key {
	var buf [64]byte
	return Key{string(keyBuf(buf[:0]).s("overview:trade_dates:").n(limit)), TTLOverview}
}

// BasicKey is basic:{ts_code}.
func BasicKey(code string) Key { return Key{"basic:" + code, TTLBasic} }

// K-line keys. The daily K-line keeps the daily: names of DESIGN.md §6;
// weeks and months live under kline:{ts_code}:{period}:. Both sides of a
// code are dropped with daily:{ts_code}:* and kline:{ts_code}:*.

// KLineMetaKey is daily:{ts_code}:meta, the code's name, newest bar and qfq
// anchor (JSON), shared by every period.
func KLineMetaKey(code string) Key { return Key{"daily:" + code + ":meta", TTLLatest} }

// KLineRequestKey names a K-line request as asked (an open end is empty):
// daily:{ts_code}:req:{start}:{end}:{adjust}, or
// kline:{ts_code}:{period}:req:… for weeks and months. It holds the same
// bytes as the resolved entry, so a repeated request is one lookup.
func KLineRequestKey(code, period string, start, end time.Time, adjust string) Key {
	var buf [96]byte
	return Key{string(klinePrefix(buf[:0], code, period).s("req:").date(start).s(":").date(end).s(":").s(adjust)), TTLKLineRequest}
}

// KLineKey names a resolved K-line: explicit range and anchor date ("none"
// without adjustment factors): daily:{ts_code}:{start}:{end}:{adjust}:{anchor},
// or kline:{ts_code}:{period}:… for weeks and months.
func KLineKey(code, period string, start, end time.Time, adjust, anchor string) Key {
	var buf [96]byte
	return Key{string(klinePrefix(buf[:0], code, period).date(start).s(":").date(end).s(":").s(adjust).s(":").s(anchor)), TTLDaily}
}

func klinePrefix(b keyBuf, code, period string) keyBuf {
	if period == PeriodDay {
		return b.s("daily:").s(code).s(":")
	}
	return b.s("kline:").s(code).s(":").s(period).s(":")
}

// WorkflowListKey is workflow:list:{include_templates}:{limit}:{offset}:{category}
// (the category last: it is free text and may hold colons).
func WorkflowListKey(includeTemplates bool, category string, limit, offset int) Key {
	var buf [64]byte
	return Key{string(keyBuf(buf[:0]).s("workflow:list:").s(strconv.FormatBool(includeTemplates)).s(":").n(limit).s(":").n(offset).s(":").s(category)), TTLWorkflows}
}

// WorkflowKey is workflow:{id}.
func WorkflowKey(id string) Key { return Key{"workflow:" + id, TTLWorkflows} }

// WorkflowsPattern matches every workflow entry; a workflow write drops it.
const WorkflowsPattern = "workflow:*"

// StaleAfterLoad are the namespaces new market data makes stale: the
// overview of every date and the per-code answers. Loads are rare, so the
// whole namespaces go rather than a guess at which keys changed.
var StaleAfterLoad = []string{"overview:*", "basic:*", "daily:*", "kline:*"}

// Invalidator drops cache entries by pattern, in every tier and replica.
type Invalidator interface {
	DeletePattern(ctx context.Context, pattern string) (int64, error)
}

// DropStale drops what a load of market data made stale (StaleAfterLoad).
// Import, demo, sync and the scheduled sync call it after they write. A
// failure is logged and the rest still dropped: stale answers then expire
// with their TTL.
func DropStale(ctx context.Context, c Invalidator, logger *slog.Logger) {
	for _, p := range StaleAfterLoad {
		n, err := c.DeletePattern(ctx, p)
		if err != nil {
			logger.Warn("cache invalidation failed; stale answers expire with their TTL", "pattern", p, "err", err)
			continue
		}
		logger.Info("cache invalidated", "pattern", p, "keys", n)
	}
}
