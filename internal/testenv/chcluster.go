package testenv

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ClickHouseCluster describes the replicated ClickHouse started by
// scripts/clickhouse-cluster.sh: ZooKeeper and two clickhouse-server
// processes, the two replicas of one shard of the cluster Name.
type ClickHouseCluster struct {
	Name  string   // the cluster in the servers' remote_servers
	Hosts []string // native host:port of each replica, replica 1 first
	HTTP  []string // HTTP host:port of each replica
	Dir   string   // the script's state directory
	Port  string   // the script's base port (TEST_CLICKHOUSE_CLUSTER_PORT)
}

// ClickHouseReplicated returns the cluster, skipping (or, under CI,
// failing) the test when it was not started.
func ClickHouseReplicated(t testing.TB) ClickHouseCluster {
	t.Helper()
	return ClickHouseCluster{
		Name:  need(t, "STOCKD_TEST_CLICKHOUSE_CLUSTER"),
		Hosts: strings.Split(need(t, "STOCKD_TEST_CLICKHOUSE_CLUSTER_HOSTS"), ","),
		HTTP:  strings.Split(need(t, "STOCKD_TEST_CLICKHOUSE_CLUSTER_HTTP"), ","),
		Dir:   need(t, "STOCKD_TEST_CLICKHOUSE_CLUSTER_DIR"),
		Port:  need(t, "STOCKD_TEST_CLICKHOUSE_CLUSTER_PORT"),
	}
}

// Replica runs scripts/clickhouse-cluster.sh with verb ("kill" or
// "start-replica") for replica n (1-based) of the running cluster.
func (c ClickHouseCluster) Replica(verb string, n int) error {
	cmd := exec.Command(filepath.Join(RepoRoot(), "scripts", "clickhouse-cluster.sh"), verb, strconv.Itoa(n))
	cmd.Env = append(cmd.Environ(), "TEST_CLICKHOUSE_CLUSTER_DIR="+c.Dir, "TEST_CLICKHOUSE_CLUSTER_PORT="+c.Port,
		"TEST_CLICKHOUSE_CLUSTER_NAME="+c.Name)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("clickhouse-cluster.sh %s %d: %v: %s", verb, n, err, out)
	}
	return nil
}
