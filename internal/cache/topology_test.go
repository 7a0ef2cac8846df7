package cache

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// failoverBound is issue 17's goal for the shared tier's return after a
// master is killed. Measured here (docs/SCALING.md, logged as FIGURE by
// each test): 2.7–3.9 s with the machine at load average 10–22 on 2 cores,
// dominated by the servers' own failure detection (1 s in the test
// topology), so the bound holds with room on a loaded machine.
const failoverBound = 10 * time.Second

func newSentinelCache(t testing.TB, topo testenv.RedisTopology, opts Options) *Cache {
	t.Helper()
	opts.RedisMode, opts.RedisAddrs, opts.SentinelMaster = ModeSentinel, topo.Sentinels, topo.SentinelMaster
	opts.SentinelPassword, opts.RedisPassword, opts.RedisDB = topo.SentinelPassword, topo.Password, testDB
	return newTopologyCache(t, opts)
}

func newClusterCache(t testing.TB, topo testenv.RedisTopology, opts Options) *Cache {
	t.Helper()
	// Any one node is enough to find the others.
	opts.RedisMode, opts.RedisAddrs, opts.RedisPassword = ModeCluster, topo.Cluster[:1], topo.Password
	return newTopologyCache(t, opts)
}

// newTopologyCache builds a Cache on a replicated topology, under a unique
// prefix unless one is given, and deletes what it wrote and closes it when
// the test ends.
func newTopologyCache(t testing.TB, opts Options) *Cache {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = uniquePrefix(t)
	}
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// Runs before Close: what the test wrote goes (keys have a TTL anyway).
	t.Cleanup(func() { c.DeletePattern(context.Background(), "*") })
	waitSubscribed(t, c)
	if c.RedisStatus() != StatusUp {
		t.Fatalf("%s cache: status %q at start", opts.RedisMode, c.RedisStatus())
	}
	return c
}

// TestSentinelMasterKilled kills the master under a steady stream of Loads
// from several goroutines: no Load may fail, and the shared tier must be
// back (reads answered by Redis, writes and invalidations accepted) once
// Sentinel has promoted the replica.
func TestSentinelMasterKilled(t *testing.T) {
	topo := testenv.RedisReplicated(t)
	waitSentinelHealthy(t, topo)
	rec := &logRecorder{}
	// L1 off: every Load asks Redis, so L2 hits show when Redis serves.
	c := newSentinelCache(t, topo, Options{Logger: slog.New(rec)})
	master := sentinelMaster(t, topo)

	loads := startLoads(t, c, 8, 40)
	eventually(t, 10*time.Second, "warm-up hits from Redis", func() bool { return c.stats.l2Hits.Load() > 200 })

	killed := time.Now()
	killNode(t, topo, master)
	t.Cleanup(func() {
		// Back as a replica of the promoted node, as an operator would.
		promoted := sentinelMaster(t, topo)
		startNode(t, topo, master, "--replicaof", strings.Replace(promoted, ":", " ", 1))
		waitSentinelHealthy(t, topo)
	})
	took := eventually(t, failoverBound, "shared tier back after the master was killed", func() bool {
		return sharedTierBack(c, "probe:sentinel")
	})
	t.Logf("FIGURE sentinel: shared tier back %s after SIGKILL of master %s (new master %s)",
		took.Round(10*time.Millisecond), master, sentinelMaster(t, topo))
	hitsAt := c.stats.l2Hits.Load()
	eventually(t, 10*time.Second, "Loads answered by Redis again", func() bool { return c.stats.l2Hits.Load() > hitsAt+100 })
	loads.finish()
	t.Logf("%d Loads during the test, none failed; breaker warnings: %d; since the kill %s",
		loads.loads.Load(), rec.count(slog.LevelWarn), time.Since(killed).Round(10*time.Millisecond))

	// Stats now come from the promoted master.
	s := c.Stats(context.Background())
	if !s.Available || s.Mode != ModeSentinel || s.Masters != 1 || s.Keys == 0 {
		t.Errorf("stats after the failover: %+v", s)
	}
}

// TestClusterMasterKilled is the same with a cluster master: its replica
// is promoted, the cache's slot map follows within its reload interval.
func TestClusterMasterKilled(t *testing.T) {
	clusterFault(t, "SIGKILL", failoverBound, func(topo testenv.RedisTopology, addr string) {
		killNode(t, topo, addr)
		t.Cleanup(func() {
			// Back with its cluster state: it rejoins as a replica.
			startNode(t, topo, addr)
			waitClusterHealthy(t, topo)
		})
	})
}

// TestClusterMasterFrozen: a master that stops answering without closing
// its connections (SIGSTOP, as a vanished host or a partition looks from
// here) until its replica is promoted. No Load fails, and the requests
// for its slots stop waiting for it once its node breaker opens.
func TestClusterMasterFrozen(t *testing.T) {
	// Not issue 17's case (a killed master); measured 2.6–6.1 s, as an
	// election may need a second round when a master stops voting.
	clusterFault(t, "SIGSTOP", 2*failoverBound, func(topo testenv.RedisTopology, addr string) {
		freezeNode(t, topo, addr)
	})
}

// clusterFault runs Loads on a cluster cache, applies fault to the master
// of a key the Loads use, and checks that no Load fails and that the
// shared tier is back within bound, probing with a key of that master's
// slots, so "back" means the failed-over part is back.
func clusterFault(t *testing.T, what string, bound time.Duration, fault func(topo testenv.RedisTopology, addr string)) {
	topo := testenv.RedisReplicated(t)
	waitClusterHealthy(t, topo)
	c := newClusterCache(t, topo, Options{})
	cc := clusterClient(t, topo)
	loads := startLoads(t, c, 8, 60)
	eventually(t, 10*time.Second, "warm-up hits from Redis", func() bool { return c.stats.l2Hits.Load() > 200 })

	victim, err := cc.MasterForKey(context.Background(), c.prefix+"basic:000000.SZ")
	if err != nil {
		t.Fatal(err)
	}
	addr := victim.Options().Addr
	probe := sameMasterKey(t, cc, c.prefix, addr)
	before := loads.loads.Load()
	fault(topo, addr)
	took := eventually(t, bound, "shared tier back after "+what+" of a master", func() bool {
		return sharedTierBack(c, probe)
	})
	t.Logf("FIGURE cluster: shared tier back %s after %s of master %s; %d Loads meanwhile, %d calls skipped by node breakers",
		took.Round(10*time.Millisecond), what, addr, loads.loads.Load()-before, c.stats.nodeSkips.Load())
	hitsAt := c.stats.l2Hits.Load()
	eventually(t, 10*time.Second, "Loads answered by Redis again", func() bool { return c.stats.l2Hits.Load() > hitsAt+100 })
	loads.finish()
}

// sameMasterKey returns a logical key whose slot the master at addr serves.
func sameMasterKey(t testing.TB, cc *redis.ClusterClient, prefix, addr string) string {
	t.Helper()
	for i := range 1000 {
		k := fmt.Sprintf("probe:%d", i)
		m, err := cc.MasterForKey(context.Background(), prefix+k)
		if err == nil && m.Options().Addr == addr {
			return k
		}
	}
	t.Fatalf("no probe key on master %s", addr)
	return ""
}

// TestClusterInvalidationAcrossNodes: two replicas whose subscriptions sit
// on different cluster nodes drop each other's in-process copies.
func TestClusterInvalidationAcrossNodes(t *testing.T) {
	topo := testenv.RedisReplicated(t)
	waitClusterHealthy(t, topo)
	prefix := uniquePrefix(t)
	// Each Cache subscribes on a master picked at random: make replicas
	// until two are on different nodes.
	a := newClusterCache(t, topo, Options{Prefix: prefix, L1Size: 100, L1TTL: time.Minute})
	var b *Cache
	for range 20 {
		cand := newClusterCache(t, topo, Options{Prefix: prefix, L1Size: 100, L1TTL: time.Minute})
		if cand.subAddr.Load() != a.subAddr.Load() {
			b = cand
			break
		}
	}
	if b == nil {
		t.Fatalf("20 replicas all subscribed on %v", a.subAddr.Load())
	}
	aNode, bNode := a.subAddr.Load().(string), b.subAddr.Load().(string)
	// The servers themselves say where the subscribers are.
	for _, node := range []string{aNode, bNode} {
		rdb := redis.NewClient(&redis.Options{Addr: node, Password: topo.Password})
		n, err := rdb.PubSubNumSub(context.Background(), prefix+"invalidate").Result()
		rdb.Close()
		if err != nil || n[prefix+"invalidate"] < 1 {
			t.Fatalf("PUBSUB NUMSUB on %s = %v, %v; want a subscriber there", node, n, err)
		}
	}
	t.Logf("replica A subscribed on %s, replica B on %s", aNode, bNode)

	ctx := context.Background()
	for _, pair := range []struct {
		name     string
		writer   *Cache
		reader   *Cache
		key, pat string
	}{
		{"A invalidates B", a, b, "overview:hot_stocks:2025-12-18:amount:20", "overview:*"},
		{"B invalidates A", b, a, "workflow:list:true", "workflow:*"},
	} {
		load, _ := countingLoader([]byte("v1"))
		if _, err := pair.writer.Load(ctx, pair.key, time.Minute, load); err != nil {
			t.Fatal(err)
		}
		if v, err := pair.reader.Load(ctx, pair.key, time.Minute, load); err != nil || string(v) != "v1" {
			t.Fatalf("%s: reader Load = %q, %v", pair.name, v, err)
		}
		if _, ok := pair.reader.l1.GetIfPresent(pair.key); !ok {
			t.Fatalf("%s: reader keeps no L1 copy", pair.name)
		}
		if _, err := pair.writer.DeletePattern(ctx, pair.pat); err != nil || pair.writer.Pending() != 0 {
			t.Fatalf("%s: DeletePattern: %v, pending %d", pair.name, err, pair.writer.Pending())
		}
		took := eventually(t, 5*time.Second, pair.name+": the other replica drops its L1 copy", func() bool {
			_, ok := pair.reader.l1.GetIfPresent(pair.key)
			return !ok
		})
		t.Logf("%s: across nodes in %s", pair.name, took)
	}
}

// TestClusterDeletePatternEveryMaster: keys of ours spread over all three
// masters all go; nothing outside the prefix does, wherever it lives.
func TestClusterDeletePatternEveryMaster(t *testing.T) {
	topo := testenv.RedisReplicated(t)
	waitClusterHealthy(t, topo)
	c := newClusterCache(t, topo, Options{L1Size: 1000})
	cc := clusterClient(t, topo)
	ctx := context.Background()
	mark := strings.TrimSuffix(strings.TrimPrefix(c.prefix, "stocktest:"), ":")

	// Foreign keys on every master: other applications, and look-alikes of
	// our prefix (same start, longer; or without the colon).
	var foreign []string
	for i := range 30 {
		for _, k := range []string{fmt.Sprintf("langfuse:%s:%d", mark, i), fmt.Sprintf("stocktest:%szzz:overview:%d", mark, i), fmt.Sprintf("stocktest:%soverview:%d", mark, i)} {
			if err := cc.Set(ctx, k, "keep", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			foreign = append(foreign, k)
		}
	}
	t.Cleanup(func() {
		for _, k := range foreign {
			cc.Del(context.Background(), k)
		}
	})
	const n = 300
	for i := range n {
		for _, k := range []string{fmt.Sprintf("overview:market_stats:%d", i), fmt.Sprintf("basic:%d", i)} {
			if err := c.Set(ctx, k, []byte(k), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
	}
	perMaster := map[string]int64{}
	for _, m := range clusterMasters(t, topo) {
		rdb := redis.NewClient(&redis.Options{Addr: m, Password: topo.Password})
		keys, _, err := rdb.Scan(ctx, 0, escapeGlob(c.prefix)+"overview:*", 10000).Result()
		rdb.Close()
		if err != nil {
			t.Fatal(err)
		}
		perMaster[m] = int64(len(keys))
	}
	if len(perMaster) != 3 {
		t.Fatalf("masters: %v, want 3", perMaster)
	}
	for m, k := range perMaster {
		if k == 0 {
			t.Fatalf("master %s holds none of our overview keys (%v): the test would not show a multi-master delete", m, perMaster)
		}
	}
	t.Logf("overview keys per master before the delete: %v", perMaster)

	// Stats sum over the masters.
	s := c.Stats(ctx)
	var dbsize int64
	for _, m := range clusterMasters(t, topo) {
		rdb := redis.NewClient(&redis.Options{Addr: m, Password: topo.Password})
		dbsize += rdb.DBSize(ctx).Val()
		rdb.Close()
	}
	if s.Masters != 3 || s.Mode != ModeCluster || s.Keys < 2*n || s.UsedMemory <= 0 {
		t.Errorf("stats: masters %d mode %q keys %d used %d; want 3 masters, cluster, ≥ %d keys", s.Masters, s.Mode, s.Keys, s.UsedMemory, 2*n)
	}
	if diff := s.Keys - dbsize; diff < -50 || diff > 50 { // other tests' keys come and go meanwhile
		t.Errorf("stats keys %d, sum of the masters' DBSIZE %d", s.Keys, dbsize)
	}

	deleted, err := c.DeletePattern(ctx, "overview:*")
	if err != nil || deleted != n {
		t.Fatalf(`DeletePattern("overview:*") = %d, %v; want %d`, deleted, err, n)
	}
	for i := range n {
		if cc.Exists(ctx, c.prefix+fmt.Sprintf("overview:market_stats:%d", i)).Val() != 0 {
			t.Fatalf("overview key %d survived", i)
		}
		if cc.Exists(ctx, c.prefix+fmt.Sprintf("basic:%d", i)).Val() != 1 {
			t.Fatalf("basic key %d deleted by overview:*", i)
		}
	}
	if deleted, err := c.DeletePattern(ctx, "*"); err != nil || deleted != n {
		t.Fatalf(`DeletePattern("*") = %d, %v; want %d`, deleted, err, n)
	}
	for _, k := range foreign {
		if v, err := cc.Get(ctx, k).Result(); v != "keep" {
			t.Errorf("foreign key %q = %q, %v after DeletePattern(*)", k, v, err)
		}
	}
}

// TestModesConnect checks that the topology's settings are what the
// options say: Sentinel's own password is needed, and cluster refuses a
// database other than 0 before any connection.
func TestModesConnect(t *testing.T) {
	topo := testenv.RedisReplicated(t)
	rec := &logRecorder{}
	opts := Options{Prefix: uniquePrefix(t), RedisMode: ModeSentinel, RedisAddrs: topo.Sentinels, SentinelMaster: topo.SentinelMaster,
		RedisPassword: topo.Password, RedisDB: testDB, Logger: slog.New(rec)}
	c, err := New(opts) // no Sentinel password: the Sentinels refuse us
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisStatus() != StatusDown {
		t.Errorf("sentinel mode without the Sentinels' password: status %q, want down", c.RedisStatus())
	}
	c.Close()

	if _, err := New(Options{RedisMode: ModeCluster, RedisAddrs: topo.Cluster, RedisDB: 1}); err == nil || !strings.Contains(err.Error(), "only database 0") {
		t.Errorf("cluster with db 1: err = %v", err)
	}
}
