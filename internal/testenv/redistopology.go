package testenv

import (
	"os"
	"strings"
	"testing"
)

// RedisTopology describes the replicated Redis deployments started by
// scripts/redis-topology.sh: a Sentinel-watched master with a replica, and
// a six-node Redis Cluster. Tests may kill and restart their data nodes
// (Dir holds each node's config and pid file); they must leave every node
// running again.
type RedisTopology struct {
	Sentinels        []string // Sentinel addresses
	SentinelMaster   string   // the master name they watch
	SentinelPassword string   // the Sentinels' own requirepass
	SentinelNodes    []string // the data nodes Sentinel watches (master and replica)
	Cluster          []string // every cluster node
	Password         string   // requirepass of every data node
	Dir              string   // node-PORT/redis.conf, node-PORT/redis.pid
}

// RedisReplicated returns the topology, skipping (or, under CI, failing) the test
// when it was not started.
func RedisReplicated(t testing.TB) RedisTopology {
	t.Helper()
	list := func(name string) []string { return strings.Split(need(t, name), ",") }
	return RedisTopology{
		Sentinels:        list("STOCKD_TEST_REDIS_SENTINELS"),
		SentinelMaster:   need(t, "STOCKD_TEST_REDIS_SENTINEL_MASTER"),
		SentinelPassword: os.Getenv("STOCKD_TEST_REDIS_SENTINEL_PASSWORD"),
		SentinelNodes:    list("STOCKD_TEST_REDIS_SENTINEL_NODES"),
		Cluster:          list("STOCKD_TEST_REDIS_CLUSTER"),
		Password:         os.Getenv("STOCKD_TEST_REDIS_TOPOLOGY_PASSWORD"),
		Dir:              need(t, "STOCKD_TEST_REDIS_TOPOLOGY_DIR"),
	}
}
