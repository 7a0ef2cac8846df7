package cache

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stockdatasource/stockd/internal/testenv"
)

// nodeDir is where scripts/redis-topology.sh keeps a data node's files.
func nodeDir(topo testenv.RedisTopology, addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return filepath.Join(topo.Dir, "node-"+port)
}

// killNode SIGKILLs the data node at addr, as a crash would, and waits
// until its port refuses connections.
func killNode(t testing.TB, topo testenv.RedisTopology, addr string) {
	t.Helper()
	pid := nodePID(t, topo, addr)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s (pid %d): %v", addr, pid, err)
	}
	eventually(t, 10*time.Second, "killed node "+addr+" stops listening", func() bool {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return false
		}
		return true
	})
}

// freezeNode stops the data node at addr with SIGSTOP: its connections
// stay open and nothing answers, as when a host vanishes. The cleanup
// lets it go on (a failed-over cluster master then rejoins as a replica)
// and waits for the cluster to be whole again.
func freezeNode(t testing.TB, topo testenv.RedisTopology, addr string) {
	t.Helper()
	pid := nodePID(t, topo, addr)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("freeze %s: %v", addr, err)
	}
	t.Cleanup(func() {
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Errorf("thaw %s: %v", addr, err)
		}
		waitClusterHealthy(t, topo)
	})
}

func nodePID(t testing.TB, topo testenv.RedisTopology, addr string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(nodeDir(topo, addr), "redis.pid"))
	if err != nil {
		t.Fatalf("pid of %s: %v", addr, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid of %s: %v", addr, err)
	}
	return pid
}

// startNode starts the data node at addr again from its config file (the
// config daemonizes, so the node outlives the test binary, and the
// topology script stops it by its pid file) and waits until it answers.
func startNode(t testing.TB, topo testenv.RedisTopology, addr string, args ...string) {
	t.Helper()
	out, err := exec.Command("redis-server", append([]string{filepath.Join(nodeDir(topo, addr), "redis.conf")}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("restart %s: %v: %s", addr, err, out)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: topo.Password, MaxRetries: -1})
	defer rdb.Close()
	eventually(t, 10*time.Second, "restarted node "+addr+" answers", func() bool {
		return rdb.Ping(context.Background()).Err() == nil
	})
}

// infoField returns one field of INFO section from the node at addr, or
// of CLUSTER INFO when section is "cluster-info".
func infoField(addr, password, section, field string) string {
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: password, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	var info string
	var err error
	if section == "cluster-info" {
		info, err = rdb.ClusterInfo(context.Background()).Result()
	} else {
		info, err = rdb.Info(context.Background(), section).Result()
	}
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// sentinelMaster asks the Sentinels where the master is now.
func sentinelMaster(t testing.TB, topo testenv.RedisTopology) string {
	t.Helper()
	for _, s := range topo.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s, Password: topo.SentinelPassword, MaxRetries: -1})
		addr, err := sc.GetMasterAddrByName(context.Background(), topo.SentinelMaster).Result()
		sc.Close()
		if err == nil {
			return net.JoinHostPort(addr[0], addr[1])
		}
	}
	t.Fatal("no Sentinel answered GET-MASTER-ADDR-BY-NAME")
	return ""
}

// clusterClient is a plain cluster client for checking what the cache did.
func clusterClient(t testing.TB, topo testenv.RedisTopology) *redis.ClusterClient {
	t.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: topo.Cluster, Password: topo.Password})
	t.Cleanup(func() { cc.Close() })
	if err := cc.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("cluster client: %v", err)
	}
	return cc
}

// clusterMasters returns the address of every master, by CLUSTER NODES of
// a node that answers.
func clusterMasters(t testing.TB, topo testenv.RedisTopology) []string {
	t.Helper()
	for _, addr := range topo.Cluster {
		rdb := redis.NewClient(&redis.Options{Addr: addr, Password: topo.Password, MaxRetries: -1, DialTimeout: time.Second})
		nodes, err := rdb.ClusterNodes(context.Background()).Result()
		rdb.Close()
		if err != nil {
			continue
		}
		var masters []string
		for _, line := range strings.Split(strings.TrimSpace(nodes), "\n") {
			f := strings.Fields(line)
			// id addr@bus flags master ping pong epoch link slot…: a master
			// that serves slots.
			if len(f) >= 9 && strings.Contains(f[2], "master") && !strings.Contains(f[2], "fail") {
				masters = append(masters, strings.SplitN(f[1], "@", 2)[0])
			}
		}
		return masters
	}
	t.Fatal("no cluster node answered CLUSTER NODES")
	return nil
}

// waitClusterHealthy waits until every node reports cluster_state:ok and
// every master has a replica in sync, so the next test starts from a whole
// cluster.
func waitClusterHealthy(t testing.TB, topo testenv.RedisTopology) {
	t.Helper()
	eventually(t, 60*time.Second, "cluster whole again", func() bool {
		synced := 0
		for _, addr := range topo.Cluster {
			if infoField(addr, topo.Password, "cluster-info", "cluster_state") != "ok" {
				return false
			}
			if infoField(addr, topo.Password, "replication", "master_link_status") == "up" {
				synced++
			}
		}
		return synced == len(topo.Cluster)/2
	})
}

// waitSentinelHealthy waits until the master Sentinel names has its
// replica in sync.
func waitSentinelHealthy(t testing.TB, topo testenv.RedisTopology) {
	t.Helper()
	eventually(t, 60*time.Second, "sentinel master with a replica in sync", func() bool {
		master := sentinelMaster(t, topo)
		for _, n := range topo.SentinelNodes {
			if n != master && infoField(n, topo.Password, "replication", "master_link_status") == "up" &&
				infoField(n, topo.Password, "replication", "master_port") == portOf(master) {
				return true
			}
		}
		return false
	})
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// loadStream runs Loads of nkeys keys from workers goroutines until
// stopped, counting them and every failure (an error, or a value that is
// not the key's). Every loader answer is the key itself, so any tier's
// answer can be checked.
type loadStream struct {
	t              testing.TB
	loads, failed  atomic.Int64
	stop           chan struct{}
	wg             sync.WaitGroup
	firstFailureMu sync.Mutex
	firstFailure   error
}

func startLoads(t testing.TB, c *Cache, workers, nkeys int) *loadStream {
	s := &loadStream{t: t, stop: make(chan struct{})}
	for w := range workers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-s.stop:
					return
				default:
				}
				key := fmt.Sprintf("basic:%06d.SZ", (w*7+i)%nkeys)
				v, err := c.Load(context.Background(), key, time.Minute, func(context.Context) ([]byte, error) {
					return []byte(key), nil
				})
				s.loads.Add(1)
				if err == nil && string(v) != key {
					err = fmt.Errorf("Load(%s) = %q", key, v)
				}
				if err != nil {
					s.failed.Add(1)
					s.firstFailureMu.Lock()
					if s.firstFailure == nil {
						s.firstFailure = err
					}
					s.firstFailureMu.Unlock()
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	return s
}

// finish stops the stream and fails the test if any Load failed.
func (s *loadStream) finish() {
	s.t.Helper()
	close(s.stop)
	s.wg.Wait()
	if n := s.failed.Load(); n != 0 {
		s.t.Errorf("%d of %d Loads failed; first: %v", n, s.loads.Load(), s.firstFailure)
	}
}

// sharedTierBack reports whether c uses Redis again for reads and writes:
// a Set is accepted, a Get of it is answered by Redis, and an invalidation
// is applied in Redis at once rather than queued.
func sharedTierBack(c *Cache, key string) bool {
	ctx := context.Background()
	if c.RedisStatus() != StatusUp || c.Set(ctx, key, []byte("v"), time.Minute) != nil {
		return false
	}
	c.dropL1(key)
	before := c.stats.l2Hits.Load()
	if v, ok := c.Get(ctx, key); !ok || string(v) != "v" || c.stats.l2Hits.Load() == before {
		return false
	}
	return c.Delete(ctx, key) == nil && c.Pending() == 0
}

// quiet is a logger for caches whose log the test does not check.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }
