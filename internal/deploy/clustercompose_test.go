package deploy

import (
	"context"
	"encoding/xml"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const clusterCompose = "docker-compose.cluster.yml"

// loadCluster loads docker-compose.cluster.yml with compose-go, as Docker
// Compose does, with env as the environment.
func loadCluster(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	var envList []string
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, clusterCompose)},
		cli.WithWorkingDirectory(root), cli.WithEnv(envList))
	if err != nil {
		return nil, err
	}
	return cli.ProjectFromOptions(context.Background(), opts)
}

func clusterEnv() map[string]string {
	return map[string]string{"REDIS_PASSWORD": "r-secret", "CLICKHOUSE_PASSWORD": "c-secret", "API_TOKEN": "a-secret"}
}

// TestClusterComposeTopology: the cluster file has the parts issue 17 asks
// for, wired to each other consistently with docker/cluster/clickhouse.xml
// and docker/nginx-cluster.conf.
func TestClusterComposeTopology(t *testing.T) {
	p, err := loadCluster(t, clusterEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"backend-1", "backend-2", "backend-3", "clickhouse-1", "clickhouse-2", "nginx",
		"redis-master", "redis-replica", "redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3",
		"zookeeper-1", "zookeeper-2", "zookeeper-3"}
	var got []string
	for name := range p.Services {
		got = append(got, name)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}

	// ClickHouse: the cluster the backends name is the one the servers define, with both
	// replicas and every ZooKeeper node; each replica its own macro.
	var chConf struct {
		Remote struct {
			Clusters []struct {
				XMLName xml.Name
				Shards  []struct {
					Replicas []struct {
						Host string `xml:"host"`
					} `xml:"replica"`
				} `xml:"shard"`
			} `xml:",any"`
		} `xml:"remote_servers"`
		ZooKeeper []struct {
			Host string `xml:"host"`
		} `xml:"zookeeper>node"`
	}
	if err := xml.Unmarshal([]byte(readFileT(t, filepath.Join(repoRoot(t), "docker", "cluster", "clickhouse.xml"))), &chConf); err != nil {
		t.Fatal(err)
	}
	if len(chConf.Remote.Clusters) != 1 || len(chConf.Remote.Clusters[0].Shards) != 1 {
		t.Fatalf("clickhouse.xml: want one cluster of one shard, got %+v", chConf.Remote)
	}
	cluster := chConf.Remote.Clusters[0]
	var replicas, keepers []string
	for _, r := range cluster.Shards[0].Replicas {
		replicas = append(replicas, r.Host)
	}
	for _, z := range chConf.ZooKeeper {
		keepers = append(keepers, z.Host)
	}
	if !slices.Equal(replicas, []string{"clickhouse-1", "clickhouse-2"}) || !slices.Equal(keepers, []string{"zookeeper-1", "zookeeper-2", "zookeeper-3"}) {
		t.Errorf("clickhouse.xml: replicas %v, ZooKeeper %v", replicas, keepers)
	}
	macros := map[string]bool{}
	for _, name := range replicas {
		s := p.Services[name]
		if s.Hostname != name {
			t.Errorf("%s: hostname %q (the replicas find each other by it)", name, s.Hostname)
		}
		macros[env(t, s, "CLICKHOUSE_REPLICA")] = true
		mounted := false
		for _, v := range s.Volumes {
			mounted = mounted || strings.HasSuffix(v.Source, filepath.Join("docker", "cluster", "clickhouse.xml")) && strings.HasPrefix(v.Target, "/etc/clickhouse-server/config.d/")
		}
		if !mounted {
			t.Errorf("%s does not mount docker/cluster/clickhouse.xml into config.d", name)
		}
	}
	if len(macros) != 2 {
		t.Errorf("replica macros %v: each replica needs its own", macros)
	}
	// ZooKeeper: three ids, one ensemble.
	ids := map[string]bool{}
	for _, k := range keepers {
		ids[env(t, p.Services[k], "ZOO_MY_ID")] = true
		for _, other := range keepers {
			if !strings.Contains(env(t, p.Services[k], "ZOO_SERVERS"), other+":2888:3888") {
				t.Errorf("%s: ZOO_SERVERS lacks %s", k, other)
			}
		}
	}
	if len(ids) != 3 {
		t.Errorf("ZooKeeper ids %v, want three different", ids)
	}

	// Redis: the replica follows the master; the Sentinels watch it under the name the
	// backends ask for.
	if cmd := strings.Join(p.Services["redis-replica"].Command, " "); !strings.Contains(cmd, "--replicaof redis-master 6379") {
		t.Errorf("redis-replica command %q does not follow redis-master", cmd)
	}
	backendEnv := p.Services["backend-1"].Environment
	master := *backendEnv["REDIS_SENTINEL_MASTER"]
	var sentinels []string
	for i := 1; i <= 3; i++ {
		name := "redis-sentinel-" + string(rune('0'+i))
		script := strings.Join(p.Services[name].Entrypoint, " ")
		if !strings.Contains(script, "sentinel monitor "+master+" redis-master 6379 2") {
			t.Errorf("%s does not monitor %q on redis-master with quorum 2:\n%s", name, master, script)
		}
		sentinels = append(sentinels, name+":26379")
	}

	// Backends: identical, sharing the cluster, the Sentinels and the lease's settings.
	for _, name := range []string{"backend-1", "backend-2", "backend-3"} {
		s := p.Services[name]
		for k, want := range map[string]string{
			"CLICKHOUSE_HOST":    strings.Join(replicas, ","),
			"CLICKHOUSE_CLUSTER": cluster.XMLName.Local,
			"REDIS_MODE":         "sentinel",
			"REDIS_ADDRS":        strings.Join(sentinels, ","),
			"REDIS_PASSWORD":     "r-secret",
			"CACHE_PREFIX":       "stock:",
			"API_TOKEN":          "a-secret",
		} {
			if got := env(t, s, k); got != want {
				t.Errorf("%s: %s=%q, want %q", name, k, got, want)
			}
		}
		if !slices.Equal(slices.Sorted(maps.Keys(s.Environment)), slices.Sorted(maps.Keys(backendEnv))) {
			t.Errorf("%s's settings differ from backend-1's", name)
		}
	}

	// nginx: the cluster template, its variables the three backends, published on loopback only.
	n := p.Services["nginx"]
	tmpl := ""
	for _, v := range n.Volumes {
		if v.Target == "/etc/nginx/templates/default.conf.template" {
			tmpl = v.Source
		}
	}
	if !strings.HasSuffix(tmpl, filepath.Join("docker", "nginx-cluster.conf")) {
		t.Errorf("nginx template %q, want docker/nginx-cluster.conf", tmpl)
	}
	filter := regexp.MustCompile(env(t, n, "NGINX_ENVSUBST_FILTER"))
	for _, m := range regexp.MustCompile(`\$\{([A-Z_0-9]+)\}`).FindAllStringSubmatch(readFileT(t, filepath.Join(repoRoot(t), "docker", "nginx-cluster.conf")), -1) {
		if !filter.MatchString(m[1]) {
			t.Errorf("template variable %s is not in NGINX_ENVSUBST_FILTER", m[1])
		}
		env(t, n, m[1]) // set
	}
	for i, b := range []string{"backend-1", "backend-2", "backend-3"} {
		if got := env(t, n, "BACKEND_"+string(rune('1'+i))); got != b+":8000" {
			t.Errorf("BACKEND_%d=%q, want %s:8000", i+1, got, b)
		}
		if n.DependsOn[b].Condition != types.ServiceConditionHealthy {
			t.Errorf("nginx does not wait for %s to be healthy", b)
		}
	}
	for name, s := range p.Services {
		for _, port := range s.Ports {
			if name != "nginx" || port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s:%s: only nginx, on loopback", name, port.HostIP, port.Published)
			}
		}
	}
}

// TestClusterComposeNeedsSecrets: without the passwords, or without the
// API token (behind nginx no client is on the backends' loopback, so
// without it nothing could write), the file refuses to load, naming them.
// scripts/docker-e2e.sh checks the same with the real Compose CLI.
func TestClusterComposeNeedsSecrets(t *testing.T) {
	for _, missing := range []string{"REDIS_PASSWORD", "CLICKHOUSE_PASSWORD", "API_TOKEN"} {
		e := clusterEnv()
		delete(e, missing)
		_, err := loadCluster(t, e)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s: %v", missing, err)
		}
	}
}
