package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/stockdatasource/stockd/internal/config"
	"github.com/stockdatasource/stockd/internal/lease"
	"github.com/stockdatasource/stockd/internal/market"
	"github.com/stockdatasource/stockd/internal/tushare"
)

// What lets several `stockd serve` share one ClickHouse behind one load
// balancer (docs/SCALING.md): the scheduled sync takes turns through a lease
// in Redis, and an embedded SQLite store — one file on one machine — warns
// when another replica with a file of its own shares the Redis.

// clock is the time of the schedule and the sync. The fault tests move it
// (TestMain), so that a replica's scheduled run starts when they want on
// the snapshot's day.
var clock = time.Now

// syncLeaseName names the lease of the scheduled sync in Redis.
const syncLeaseName = "sync"

// redisClient is a go-redis client for the configured Redis, for the
// leases; the cache keeps its own, tuned for the request path. Lease calls
// are not on a request's path, so go-redis's retries are kept.
func (a app) redisClient() redis.UniversalClient {
	cfg := a.cfg
	return redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:            cfg.RedisAddresses(),
		Password:         cfg.RedisPassword,
		DB:               cfg.RedisDB,
		MasterName:       cfg.RedisSentinelMaster,
		SentinelPassword: cfg.RedisSentinelPassword,
		IsClusterMode:    cfg.RedisMode == config.RedisCluster,
		DialTimeout:      cfg.RedisTimeout,
		// Redis 7.0 knows neither CLIENT SETINFO nor maintenance notifications.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}

// processName names this process in a lease: host and pid.
func processName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s:%d", strings.Join(strings.Fields(host), "_"), os.Getpid())
}

// syncTurns makes the scheduled sync take turns when replicas share the
// store: ClickHouse with Redis configured. It returns nil (every process
// syncs on its own) for SQLite, where each replica has its own file, and
// without Redis, where there is nothing to share a lease through.
func (a app) syncTurns(rdb redis.UniversalClient, st market.SyncLog) (*tushare.Turns, error) {
	if rdb == nil || !a.cfg.UseClickHouse() {
		return nil, nil
	}
	l, err := lease.New(rdb, a.cfg.CachePrefix, syncLeaseName, processName(), a.cfg.SyncLeaseTTL)
	if err != nil {
		return nil, err
	}
	return &tushare.Turns{Lease: l, Log: st}, nil
}

// watchSingleNode warns when this process serves an embedded SQLite store
// while another stockd with a file of its own (another host or another
// path) shares the Redis: replicas behind one load balancer would then
// answer from different data, and only ClickHouse is shared. Each such
// process holds a presence lease named after its file; the second to start
// finds it held by another file and says so. It returns at once; the
// presence lease is renewed until ctx ends.
func (a app) watchSingleNode(ctx context.Context, st market.Store) {
	if st.Kind() != "sqlite" || !a.cfg.UseRedis() {
		return
	}
	path, err := filepath.Abs(a.cfg.SQLitePath)
	if err != nil {
		path = a.cfg.SQLitePath
	}
	host, _ := os.Hostname()
	file := strings.Join(strings.Fields(host+":"+path), "_")
	rdb := a.redisClient()
	l, err := lease.New(rdb, a.cfg.CachePrefix, "sqlite-node", file, time.Minute)
	if err != nil {
		rdb.Close()
		return
	}
	go func() {
		defer rdb.Close()
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		held, err := l.Acquire(actx, 0)
		cancel()
		var other *lease.HeldError
		switch {
		case err == nil:
			// Held while this process runs (a lease lost to a Redis
			// failover is not taken again: the check is a courtesy).
			kept, stop := held.Keep(ctx)
			<-kept.Done()
			stop()
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			held.Release(rctx)
		case errors.As(err, &other) && other.Owner != file:
			a.log.Warn("another stockd with its own SQLite file shares this Redis: SQLite is single-node, so replicas "+
				"behind one load balancer would answer from different data; use ClickHouse for several replicas "+
				"(docs/SCALING.md)", "this_file", file, "other_file", other.Owner)
		case err != nil && !errors.As(err, &other):
			a.log.Debug("single-node check: Redis did not answer; not checked", "err", err)
		}
		// Held by another process on this same file: they share the data.
	}()
}
