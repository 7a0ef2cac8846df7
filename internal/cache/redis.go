package cache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis deployment modes (Options.RedisMode).
const (
	// ModeSingle is one Redis server (or a proxy in front of several).
	ModeSingle = "single"
	// ModeSentinel is a master with replicas watched by Redis Sentinel: the
	// client asks the Sentinels for the current master and follows a
	// failover by itself.
	ModeSentinel = "sentinel"
	// ModeCluster is Redis Cluster: keys are spread over several masters by
	// hash slot, each with its own replicas. Cluster has only database 0.
	ModeCluster = "cluster"
)

// clusterReload is how often the cluster client reloads its slot map, so
// that after a failover writes go to the promoted replica within about
// this long instead of at the next MOVED reply (a dead master sends none).
const clusterReload = time.Second

// newRedisClient builds the go-redis universal client for the mode.
//
// Timeouts: the client's own read/write timeout is the patient one, used
// by the replayer of queued invalidations; calls on a request's path get
// the request timeout, and Delete/DeletePattern their sync budget, from a
// context deadline (ContextTimeoutEnabled), so one client serves all. Dialing and waiting for a pooled connection get
// the request timeout.
func newRedisClient(o *Options) redis.UniversalClient {
	u := &redis.UniversalOptions{
		Addrs:            o.RedisAddrs,
		Password:         o.RedisPassword,
		DB:               o.RedisDB,
		MasterName:       o.SentinelMaster,
		SentinelPassword: o.SentinelPassword,
		IsClusterMode:    o.RedisMode == ModeCluster,
		// One attempt each in single and sentinel mode: the breaker, not
		// the client, decides when to try again, so a dead Redis costs one
		// dial, not five. A cluster client follows MOVED/ASK and retries
		// another node up to MaxRedirects (3) times; without the backoff
		// sleeps between them, a call to the slots of a dead master fails
		// in well under a millisecond (measured: ~100 ms with them) and the
		// Load goes to the store at once.
		DialTimeout:           o.RedisTimeout,
		DialerRetries:         1,
		MaxRetries:            -1,
		MinRetryBackoff:       -1,
		MaxRetryBackoff:       -1,
		ReadTimeout:           patientTimeout(o.RedisTimeout),
		WriteTimeout:          patientTimeout(o.RedisTimeout),
		PoolTimeout:           o.RedisTimeout,
		ContextTimeoutEnabled: true,
		// Redis 7.0 knows neither CLIENT SETINFO nor maintenance
		// notifications: skip the round trips they would waste per dial.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	return redis.NewUniversalClient(u)
}

// patientTimeout bounds one Redis command of the replayer: long enough to
// get through a Redis (or a machine) that is slow rather than down.
func patientTimeout(request time.Duration) time.Duration {
	return max(5*request, 5*time.Second)
}

// checkRedisOptions validates the Redis part of Options and fills its
// defaults.
func (o *Options) checkRedisOptions() error {
	if o.RedisAddr != "" {
		if len(o.RedisAddrs) > 0 {
			return fmt.Errorf("cache: set RedisAddr or RedisAddrs, not both")
		}
		o.RedisAddrs = []string{o.RedisAddr}
	}
	if o.RedisMode == "" {
		o.RedisMode = ModeSingle
	}
	switch o.RedisMode {
	case ModeSingle:
		if len(o.RedisAddrs) > 1 {
			return fmt.Errorf("cache: single mode takes one Redis address, got %d (sentinel or cluster mode take several)", len(o.RedisAddrs))
		}
	case ModeSentinel:
		if len(o.RedisAddrs) == 0 {
			return fmt.Errorf("cache: sentinel mode needs the Sentinels' addresses")
		}
		if o.SentinelMaster == "" {
			return fmt.Errorf("cache: sentinel mode needs the master name the Sentinels watch")
		}
	case ModeCluster:
		if len(o.RedisAddrs) == 0 {
			return fmt.Errorf("cache: cluster mode needs at least one node address")
		}
		if o.RedisDB != 0 {
			return fmt.Errorf("cache: redis db %d: Redis Cluster has only database 0", o.RedisDB)
		}
	default:
		return fmt.Errorf("cache: redis mode %q: want %s, %s or %s", o.RedisMode, ModeSingle, ModeSentinel, ModeCluster)
	}
	if o.RedisMode != ModeSentinel && (o.SentinelMaster != "" || o.SentinelPassword != "") {
		return fmt.Errorf("cache: a Sentinel master name or password is set, but the mode is %s", o.RedisMode)
	}
	for _, a := range o.RedisAddrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("cache: redis address %q: %w", a, err)
		}
	}
	if o.RedisTimeout < 0 {
		return fmt.Errorf("cache: redis timeout %s: must not be negative", o.RedisTimeout)
	}
	if o.RedisTimeout == 0 {
		o.RedisTimeout = DefaultRedisTimeout
	}
	return nil
}

// forEachMaster runs fn on every master: the one server in single and
// sentinel mode, every master of the cluster (concurrently, from a freshly
// loaded slot map) in cluster mode. SCAN, DBSIZE and INFO only see the
// node they are sent to, so this is how they cover the whole cache.
func (c *Cache) forEachMaster(ctx context.Context, fn func(ctx context.Context, node redis.Cmdable) error) error {
	if c.cluster == nil {
		return fn(ctx, c.rdb)
	}
	return c.cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		return fn(ctx, node)
	})
}

// apply deletes from Redis every key under our prefix matching one of
// patterns and then tells the other replicas to drop theirs. It returns
// how many keys went. Patterns without glob metacharacters name one key
// and are deleted directly; the others are found with SCAN on every master.
func (c *Cache) apply(ctx context.Context, patterns ...string) (int64, error) {
	var deleted int64
	var literal []string
	for _, p := range patterns {
		if k, ok := literalKey(p); ok {
			literal = append(literal, c.prefix+k)
			continue
		}
		n, err := c.unlinkMatching(ctx, p)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	if len(literal) > 0 {
		n, err := c.unlink(ctx, c.rdb, literal)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	return deleted, c.publish(ctx, patterns...)
}

// unlinkMatching deletes the Redis keys matching prefix+pattern on every
// master, one UNLINK batch per SCAN step so memory stays flat however many
// keys match. Never KEYS, never FLUSHDB: other data may share the database.
func (c *Cache) unlinkMatching(ctx context.Context, pattern string) (int64, error) {
	match := c.matchPrefix + pattern
	var deleted atomic.Int64
	err := c.forEachMaster(ctx, func(ctx context.Context, node redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := node.Scan(ctx, cursor, match, scanCount).Result()
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				n, err := c.unlink(ctx, node, keys)
				deleted.Add(n)
				if err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	})
	return deleted.Load(), err
}

// unlink deletes keys through r. A cluster refuses multi-key commands whose
// keys hash to different slots, even on one node, so there each key gets
// its own UNLINK, pipelined in one round trip per node.
func (c *Cache) unlink(ctx context.Context, r redis.Cmdable, keys []string) (int64, error) {
	if c.cluster == nil {
		return r.Unlink(ctx, keys...).Result()
	}
	pipe := r.Pipeline()
	cmds := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.Unlink(ctx, k)
	}
	_, err := pipe.Exec(ctx)
	var n int64
	for _, cmd := range cmds {
		n += cmd.Val()
	}
	return n, err
}

// publish tells the other replicas to drop L1 entries matching patterns.
// Each message is "<sender id>\n<pattern>" so we can skip our own: dropping
// again would be harmless for L1, but it would also bump gen and make loads
// that began after the invalidation discard their fresh values. In a
// cluster a classic PUBLISH reaches the subscribers of every node.
func (c *Cache) publish(ctx context.Context, patterns ...string) error {
	pipe := c.rdb.Pipeline()
	for _, p := range patterns {
		pipe.Publish(ctx, c.channel, c.id+"\n"+p)
	}
	_, err := pipe.Exec(ctx)
	return err
}

// subscribeTo opens the invalidation subscription. In a cluster it goes to
// a master picked at random, so the replicas' subscriptions spread over the
// nodes (messages published on any node reach all of them); elsewhere to
// the master the client follows.
func (c *Cache) subscribeTo(ctx context.Context) *redis.PubSub {
	if c.cluster == nil {
		return c.rdb.Subscribe(ctx, c.channel)
	}
	var mu sync.Mutex
	var nodes []*redis.Client
	err := c.cluster.ForEachMaster(ctx, func(_ context.Context, n *redis.Client) error {
		mu.Lock()
		nodes = append(nodes, n)
		mu.Unlock()
		return nil
	})
	if err != nil || len(nodes) == 0 {
		c.subAddr.Store("")
		return c.rdb.Subscribe(ctx, c.channel)
	}
	n := nodes[rand.IntN(len(nodes))]
	c.subAddr.Store(n.Options().Addr)
	return n.Subscribe(ctx, c.channel)
}

// reloadClusterState refreshes the cluster client's slot map every
// clusterReload until the Cache is closed.
func (c *Cache) reloadClusterState() {
	defer c.wg.Done()
	t := time.NewTicker(clusterReload)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.cluster.ReloadState(c.ctx)
		}
	}
}
