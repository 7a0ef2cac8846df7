// Package cluster holds the fault tests of the clustered deployment: the
// topology of docker-compose.cluster.yml run as real processes on loopback
// by scripts/cluster-stack.sh (Redis with Sentinel or Redis Cluster, a
// replicated ClickHouse of ZooKeeper and two replicas, three stockd
// replicas, nginx with an upstream of the three), faults injected with
// SIGKILL while a steady load of idempotent GETs (and, for the ClickHouse
// fault, workflow writes) goes through nginx. See docs/SCALING.md.
//
// The stack listens on CLUSTER_PORT_BASE (default 20700) and the next 99
// ports, and uses STOCKD_BIN when it is set (make test builds bin/stockd).
package cluster
