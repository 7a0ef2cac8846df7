package cache

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// counters are our own: Redis's INFO keyspace_hits/misses are server-wide
// and would count Langfuse's traffic in DB 0 as ours.
type counters struct {
	hits, misses      atomic.Uint64 // per request: a hit in either tier, or a miss of both
	l1Hits, l1Misses  atomic.Uint64
	l2Hits, l2Misses  atomic.Uint64
	loads, loadErrors atomic.Uint64
	errors            atomic.Uint64 // failed Redis calls
	queued            atomic.Uint64 // invalidations Redis could not take at once
	nodeSkips         atomic.Uint64 // calls not sent to a cluster master whose node breaker is open
}

// Stats is a snapshot of the cache for /health and /api/cache/stats.
type Stats struct {
	// Available is true when the Redis tier is up.
	Available bool   `json:"available"`
	Status    string `json:"status"` // up | down | disabled
	// Mode is the Redis deployment: single, sentinel or cluster (empty
	// without Redis).
	Mode string `json:"mode,omitempty"`
	// Hits and Misses count requests (Load and Get): a hit in either tier
	// is a hit, a miss of both is a miss.
	Hits    uint64  `json:"hits"`
	Misses  uint64  `json:"misses"`
	HitRate float64 `json:"hit_rate"`
	// Keys is DBSIZE of our Redis database; UsedMemory and MaxMemory come
	// from INFO memory (server-wide). In a cluster each is the sum over the
	// masters that answered, Masters says how many did, and Keys counts
	// database 0 of the whole cluster, other users' keys included. All are
	// 0 when Redis is not up.
	Keys       int64   `json:"keys"`
	UsedMemory int64   `json:"used_memory"`
	MaxMemory  int64   `json:"max_memory"`
	Masters    int     `json:"masters"`
	L1         L1Stats `json:"l1"`
	L2         L2Stats `json:"l2"`
	// Loads counts loader runs, LoadErrors the failed ones, Errors the
	// failed Redis calls.
	Loads      uint64 `json:"loads"`
	LoadErrors uint64 `json:"load_errors"`
	Errors     uint64 `json:"errors"`
	// PendingInvalidations waiting for Redis now; QueuedInvalidations
	// counts every invalidation Redis could not take at once.
	PendingInvalidations int    `json:"pending_invalidations"`
	QueuedInvalidations  uint64 `json:"queued_invalidations"`
	// NodeSkips counts calls not sent to a cluster master that stopped
	// answering (its node breaker was open); they went to the store.
	NodeSkips uint64 `json:"node_skips"`
}

// L1Stats describes the in-process tier.
type L1Stats struct {
	Enabled bool    `json:"enabled"`
	Hits    uint64  `json:"hits"`
	Misses  uint64  `json:"misses"`
	HitRate float64 `json:"hit_rate"`
	Entries int     `json:"entries"`
	Bytes   int64   `json:"bytes"` // keys plus values
}

// L2Stats describes the Redis tier as seen by this process.
type L2Stats struct {
	Hits    uint64  `json:"hits"`
	Misses  uint64  `json:"misses"`
	HitRate float64 `json:"hit_rate"`
}

// Stats returns a snapshot. It asks Redis for DBSIZE and INFO memory when
// Redis is up; a failure there leaves those figures at 0.
func (c *Cache) Stats(ctx context.Context) Stats {
	s := Stats{
		Status:     c.RedisStatus(),
		Hits:       c.stats.hits.Load(),
		Misses:     c.stats.misses.Load(),
		Loads:      c.stats.loads.Load(),
		LoadErrors: c.stats.loadErrors.Load(),
		Errors:     c.stats.errors.Load(),

		PendingInvalidations: c.pending.len(),
		QueuedInvalidations:  c.stats.queued.Load(),
		NodeSkips:            c.stats.nodeSkips.Load(),
		L1: L1Stats{
			Enabled: c.l1 != nil,
			Hits:    c.stats.l1Hits.Load(),
			Misses:  c.stats.l1Misses.Load(),
		},
		L2: L2Stats{Hits: c.stats.l2Hits.Load(), Misses: c.stats.l2Misses.Load()},
	}
	s.HitRate = rate(s.Hits, s.Misses)
	s.L1.HitRate = rate(s.L1.Hits, s.L1.Misses)
	s.L2.HitRate = rate(s.L2.Hits, s.L2.Misses)
	if c.l1 != nil {
		// Walking the tier is O(entries); fine for a stats call, and exact,
		// unlike the weighted size, which rounds small entries up.
		for k, e := range c.l1.All() {
			s.L1.Entries++
			s.L1.Bytes += int64(len(k) + len(e.val))
		}
	}
	if c.rdb != nil {
		s.Mode = c.mode
	}
	if s.Status != StatusUp {
		return s
	}
	s.Available = true
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var mu sync.Mutex
	err := c.forEachMaster(rctx, func(ctx context.Context, node redis.Cmdable) error {
		pipe := node.Pipeline()
		size := pipe.DBSize(ctx)
		info := pipe.Info(ctx, "memory")
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		used, maxMem := parseMemory(info.Val())
		mu.Lock()
		defer mu.Unlock()
		s.Keys += size.Val()
		s.UsedMemory += used
		s.MaxMemory += maxMem
		s.Masters++
		return nil
	})
	if err != nil {
		c.fail(ctx, "stats", err)
	} else {
		c.succeeded()
	}
	return s
}

func rate(hits, misses uint64) float64 {
	if hits+misses == 0 {
		return 0
	}
	return float64(hits) / float64(hits+misses)
}

// parseMemory reads used_memory and maxmemory from INFO memory output.
func parseMemory(info string) (used, maxMem int64) {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		name, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		switch name {
		case "used_memory":
			used, _ = strconv.ParseInt(value, 10, 64)
		case "maxmemory":
			maxMem, _ = strconv.ParseInt(value, 10, 64)
		}
	}
	return used, maxMem
}

var (
	descHits = prometheus.NewDesc("stockd_cache_hits_total",
		"Cache lookups answered by a tier (l1: in-process, l2: Redis).", []string{"tier"}, nil)
	descMisses = prometheus.NewDesc("stockd_cache_misses_total",
		"Cache lookups a tier could not answer.", []string{"tier"}, nil)
	descLoads = prometheus.NewDesc("stockd_cache_loads_total",
		"Loader runs after a miss of every tier (one per key at a time).", nil, nil)
	descLoadErrors = prometheus.NewDesc("stockd_cache_load_errors_total",
		"Loader runs that returned an error (never cached).", nil, nil)
	descErrors = prometheus.NewDesc("stockd_cache_errors_total",
		"Redis calls that failed; the cache degraded to the loader.", nil, nil)
	descUp = prometheus.NewDesc("stockd_cache_redis_up",
		"1 when the Redis tier is in use, 0 when it is down or not configured.", nil, nil)
	descL1Entries = prometheus.NewDesc("stockd_cache_l1_entries",
		"Approximate number of entries in the in-process tier.", nil, nil)
	descPending = prometheus.NewDesc("stockd_cache_pending_invalidations",
		"Invalidations queued until Redis takes them; their keys are not read from Redis meanwhile.", nil, nil)
)

// collector exposes the counters at scrape time, so the hot path pays one
// atomic add per event and nothing for Prometheus.
type collector struct{ c *Cache }

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descHits, descMisses, descLoads, descLoadErrors, descErrors, descUp, descL1Entries, descPending} {
		ch <- d
	}
}

func (col collector) Collect(ch chan<- prometheus.Metric) {
	s := &col.c.stats
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descHits, s.l1Hits.Load(), "l1")
	counter(descHits, s.l2Hits.Load(), "l2")
	counter(descMisses, s.l1Misses.Load(), "l1")
	counter(descMisses, s.l2Misses.Load(), "l2")
	counter(descLoads, s.loads.Load())
	counter(descLoadErrors, s.loadErrors.Load())
	counter(descErrors, s.errors.Load())
	up := 0.0
	if col.c.RedisStatus() == StatusUp {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up)
	entries := 0
	if col.c.l1 != nil {
		entries = col.c.l1.EstimatedSize()
	}
	ch <- prometheus.MustNewConstMetric(descL1Entries, prometheus.GaugeValue, float64(entries))
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(col.c.pending.len()))
}
