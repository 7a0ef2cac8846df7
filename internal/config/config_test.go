package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := LoadFrom(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8000" || c.ClickHouseDatabase != "stock_data" || c.RedisDB != 1 || c.CachePrefix != "stock:" {
		t.Errorf("defaults: %+v", c)
	}
	if c.UseClickHouse() || c.UseRedis() {
		t.Error("embedded mode must be the default")
	}
	if c.CacheTTLOverview != time.Minute || c.CacheTTLBasic != time.Hour || c.CacheTTLDaily != 24*time.Hour || c.CacheTTLWorkflow != 5*time.Minute {
		t.Errorf("ttls: %v %v %v %v", c.CacheTTLOverview, c.CacheTTLBasic, c.CacheTTLDaily, c.CacheTTLWorkflow)
	}
	if c.CacheL1Size != 10000 || c.CacheL1TTL != 2*time.Second || c.CacheTTLLatest != time.Minute || c.LogLevel != slog.LevelInfo {
		t.Errorf("l1/latest/log: %+v", c)
	}
}

// Each cache setting means what its name says: no other TTL caps the
// in-process tier's, and none drives another's.
func TestCacheSettingsAreIndependent(t *testing.T) {
	c, err := LoadFrom(env(map[string]string{"CACHE_L1_TTL": "5m", "CACHE_TTL_OVERVIEW": "10s", "CACHE_TTL_LATEST": "3s"}))
	if err != nil {
		t.Fatalf("an L1 TTL above the overview TTL refused: %v", err)
	}
	if c.CacheL1TTL != 5*time.Minute || c.CacheTTLOverview != 10*time.Second || c.CacheTTLLatest != 3*time.Second || c.CacheTTLDaily != 24*time.Hour {
		t.Errorf("got L1 %s, overview %s, latest %s, daily %s", c.CacheL1TTL, c.CacheTTLOverview, c.CacheTTLLatest, c.CacheTTLDaily)
	}
	if c.RedisMode != RedisSingle || c.RedisTimeout != time.Second || c.RedisAddresses() != nil {
		t.Errorf("redis: mode %q timeout %s addresses %v", c.RedisMode, c.RedisTimeout, c.RedisAddresses())
	}
}

func TestRedisModes(t *testing.T) {
	c, err := LoadFrom(env(map[string]string{"REDIS_HOST": "redis", "REDIS_PORT": "6380", "REDIS_TIMEOUT": "2s"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.UseRedis() || strings.Join(c.RedisAddresses(), ",") != "redis:6380" || c.RedisDB != 1 || c.RedisTimeout != 2*time.Second {
		t.Errorf("single: addresses %v db %d timeout %s", c.RedisAddresses(), c.RedisDB, c.RedisTimeout)
	}

	sentinelPW := filepath.Join(t.TempDir(), "spw")
	if err := os.WriteFile(sentinelPW, []byte("s-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = LoadFrom(env(map[string]string{
		"REDIS_MODE": "Sentinel", "REDIS_ADDRS": " s1:26379, s2:26379 ,s3:26379", "REDIS_SENTINEL_MASTER": "mymaster",
		"REDIS_SENTINEL_PASSWORD_FILE": sentinelPW, "REDIS_PASSWORD": "data-pass",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisMode != RedisSentinel || strings.Join(c.RedisAddresses(), ",") != "s1:26379,s2:26379,s3:26379" ||
		c.RedisSentinelMaster != "mymaster" || c.RedisSentinelPassword != "s-pass" || c.RedisPassword != "data-pass" || c.RedisDB != 1 {
		t.Errorf("sentinel: %+v", c)
	}

	c, err = LoadFrom(env(map[string]string{"REDIS_MODE": "cluster", "REDIS_ADDRS": "10.0.0.1:7000,[::1]:7001"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisMode != RedisCluster || len(c.RedisAddresses()) != 2 || c.RedisDB != 0 || !c.UseRedis() {
		t.Errorf("cluster: mode %q addresses %v db %d", c.RedisMode, c.RedisAddresses(), c.RedisDB)
	}
	// An explicit 0 is fine in cluster mode.
	if _, err := LoadFrom(env(map[string]string{"REDIS_MODE": "cluster", "REDIS_ADDRS": "n1:7000", "REDIS_DB": "0"})); err != nil {
		t.Errorf("cluster with REDIS_DB=0: %v", err)
	}
}

func TestRedisSettingsThatDoNotFitTheMode(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		name string // the variable the error must name
	}{
		{map[string]string{"REDIS_MODE": "cluster", "REDIS_ADDRS": "n1:7000", "REDIS_DB": "1"}, "REDIS_DB"},
		{map[string]string{"REDIS_MODE": "cluster"}, "REDIS_ADDRS"},
		{map[string]string{"REDIS_MODE": "sentinel", "REDIS_SENTINEL_MASTER": "m"}, "REDIS_ADDRS"},
		{map[string]string{"REDIS_MODE": "sentinel", "REDIS_ADDRS": "s1:26379"}, "REDIS_SENTINEL_MASTER"},
		{map[string]string{"REDIS_MODE": "sentinel", "REDIS_ADDRS": "s1:26379", "REDIS_SENTINEL_MASTER": "m", "REDIS_HOST": "redis"}, "REDIS_HOST"},
		{map[string]string{"REDIS_ADDRS": "n1:7000,n2:7000"}, "REDIS_ADDRS"},
		{map[string]string{"REDIS_HOST": "redis", "REDIS_SENTINEL_MASTER": "m"}, "REDIS_SENTINEL_MASTER"},
		{map[string]string{"REDIS_HOST": "redis", "REDIS_SENTINEL_PASSWORD": "x"}, "REDIS_SENTINEL_PASSWORD"},
		{map[string]string{"REDIS_MODE": "ring"}, "REDIS_MODE"},
		{map[string]string{"REDIS_MODE": "cluster", "REDIS_ADDRS": "n1"}, "REDIS_ADDRS"},
		{map[string]string{"REDIS_MODE": "cluster", "REDIS_ADDRS": "n1:99999"}, "REDIS_ADDRS"},
		{map[string]string{"REDIS_MODE": "cluster", "REDIS_ADDRS": ":7000"}, "REDIS_ADDRS"},
		{map[string]string{"REDIS_TIMEOUT": "0"}, "REDIS_TIMEOUT"},
		{map[string]string{"REDIS_TIMEOUT": "2h"}, "REDIS_TIMEOUT"},
	} {
		_, err := LoadFrom(env(tc.env))
		if err == nil {
			t.Errorf("%v accepted", tc.env)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "config: "+tc.name+"=") || strings.Contains(msg, "\n") {
			t.Errorf("%v: error %q must be one line naming %s", tc.env, msg, tc.name)
		}
		if strings.Contains(err.Error(), "x\"") && tc.name == "REDIS_SENTINEL_PASSWORD" {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestValues(t *testing.T) {
	c, err := LoadFrom(env(map[string]string{
		"CLICKHOUSE_HOST": "ch", "CLICKHOUSE_PORT": "9440", "REDIS_HOST": "redis", "REDIS_DB": "3",
		"CACHE_TTL_OVERVIEW": "90", "CACHE_TTL_BASIC": "2h", "LOG_LEVEL": "debug", "LOG_FORMAT": "JSON", "SYNC_AT": "17:30",
		"SYNC_LEASE_TTL": "2m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.UseClickHouse() || c.ClickHousePort != 9440 || !c.UseRedis() || c.RedisDB != 3 {
		t.Errorf("%+v", c)
	}
	if c.CacheTTLOverview != 90*time.Second || c.CacheTTLBasic != 2*time.Hour || c.LogLevel != slog.LevelDebug || c.LogFormat != "json" || c.SyncAt != "17:30" || c.SyncLeaseTTL != 2*time.Minute {
		t.Errorf("%+v", c)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	cases := map[string]string{
		"REDIS_DB":            "16",
		"REDIS_PORT":          "http",
		"CLICKHOUSE_PORT":     "0",
		"CACHE_TTL_DAILY":     "a day",
		"CACHE_TTL_BASIC":     "-1s",
		"CLICKHOUSE_DATABASE": "stock-data; DROP",
		"LOG_LEVEL":           "loud",
		"LOG_FORMAT":          "xml",
		"SYNC_AT":             "25:00",
		"CACHE_L1_SIZE":       "-5",
		"CACHE_L1_TTL":        "soon",
		"CACHE_TTL_LATEST":    "-5s",
		"CLICKHOUSE_CLUSTER":  "prod;",
		"CLICKHOUSE_HOST":     "ch1:9000,ch2:port",
		"SYNC_LEASE_TTL":      "500ms",
		"AGENT_MAX_ROUNDS":    "0",
		"AGENT_RUN_TIMEOUT":   "0s",
		"AGENT_TOOL_TIMEOUT":  "forever",
		"AGENT_MAX_RETRIES":   "11",
		"OPENAI_BASE_URL":     "api.deepseek.com",
		"LANGFUSE_HOST":       "http://langfuse:3000",
		"LANGFUSE_PUBLIC_URL": "localhost:3000",
	}
	for name, val := range cases {
		_, err := LoadFrom(env(map[string]string{name: val}))
		if err == nil {
			t.Errorf("%s=%q accepted", name, val)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, name) || strings.Contains(msg, "\n") {
			t.Errorf("%s=%q: error %q must be one line naming the variable", name, val, msg)
		}
	}
}

func TestClickHouseHosts(t *testing.T) {
	for host, want := range map[string]string{
		"ch":                     "ch:9440",
		"ch1, ch2:9001":          "ch1:9440 ch2:9001",
		"10.0.0.1:9000,10.0.0.2": "10.0.0.1:9000 10.0.0.2:9440",
		"[::1]:9000,::1":         "[::1]:9000 [::1]:9440",
	} {
		c, err := LoadFrom(env(map[string]string{"CLICKHOUSE_HOST": host, "CLICKHOUSE_PORT": "9440"}))
		if err != nil {
			t.Errorf("%q: %v", host, err)
			continue
		}
		if got := strings.Join(c.ClickHouseAddrs, " "); got != want {
			t.Errorf("CLICKHOUSE_HOST=%q: addresses %q, want %q", host, got, want)
		}
	}
	for _, host := range []string{"ch1,,ch2", "ch1:0", ":9000", "ch 1"} {
		if _, err := LoadFrom(env(map[string]string{"CLICKHOUSE_HOST": host})); err == nil || !strings.HasPrefix(err.Error(), "config: CLICKHOUSE_HOST=") {
			t.Errorf("CLICKHOUSE_HOST=%q: err = %v, want one naming the variable", host, err)
		}
	}
	c, err := LoadFrom(env(map[string]string{"CLICKHOUSE_HOST": "ch1,ch2", "CLICKHOUSE_CLUSTER": "stock_cluster"}))
	if err != nil || c.ClickHouseCluster != "stock_cluster" {
		t.Errorf("cluster: %+v, %v", c.ClickHouseCluster, err)
	}
	if _, err := LoadFrom(env(map[string]string{"CLICKHOUSE_CLUSTER": "stock_cluster"})); err == nil || !strings.Contains(err.Error(), "CLICKHOUSE_CLUSTER") {
		t.Errorf("a cluster without hosts: err = %v", err)
	}
}

// The model and Langfuse settings, and the limits of a run with their
// defaults; OPENAI_API_KEY and LANGFUSE_SECRET_KEY take *_FILE like every
// secret.
func TestAgentSettings(t *testing.T) {
	c, err := LoadFrom(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.OpenAIModel != "" || c.LangfuseHost != "" || c.AgentMaxRounds != 8 || c.AgentRunTimeout != 5*time.Minute || c.AgentToolTimeout != 15*time.Second ||
		c.AgentMaxOutputTokens != 4096 || c.AgentMaxToolResultBytes != 16384 || c.AgentMaxRetries != 2 || c.AgentMaxRetryDelay != 20*time.Second ||
		c.AgentMaxConcurrentRuns != 32 {
		t.Errorf("defaults: %+v", c)
	}
	key := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(key, []byte("sk-abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = LoadFrom(env(map[string]string{
		"OPENAI_BASE_URL": "https://api.deepseek.com/v1/", "OPENAI_API_KEY_FILE": key, "OPENAI_MODEL": "deepseek-chat", "OPENAI_PROVIDER": "deepseek",
		"LANGFUSE_HOST": "http://langfuse-web:3000", "LANGFUSE_PUBLIC_KEY": "pk-lf-1", "LANGFUSE_SECRET_KEY": "sk-lf-1", "LANGFUSE_PUBLIC_URL": "http://localhost:3000",
		"AGENT_MAX_ROUNDS": "3", "AGENT_RUN_TIMEOUT": "90s", "AGENT_MAX_RETRIES": "0", "AGENT_MAX_CONCURRENT_RUNS": "4",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.OpenAIBaseURL != "https://api.deepseek.com/v1" || c.OpenAIAPIKey != "sk-abc" || c.OpenAIModel != "deepseek-chat" || c.OpenAIProvider != "deepseek" ||
		c.LangfuseHost != "http://langfuse-web:3000" || c.LangfusePublicURL != "http://localhost:3000" || c.AgentMaxRounds != 3 ||
		c.AgentRunTimeout != 90*time.Second || c.AgentMaxRetries != 0 || c.AgentMaxConcurrentRuns != 4 {
		t.Errorf("values: %+v", c)
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFrom(env(map[string]string{"REDIS_PASSWORD_FILE": path}))
	if err != nil || c.RedisPassword != "s3cret" {
		t.Fatalf("got %q, %v", c.RedisPassword, err)
	}
	if _, err := LoadFrom(env(map[string]string{"API_TOKEN_FILE": "/nonexistent/x"})); err == nil || !strings.Contains(err.Error(), "API_TOKEN_FILE") {
		t.Fatalf("missing secret file: %v", err)
	}
}

func TestDotEnvFillsButEnvironmentWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	body := "# comment\nexport REDIS_HOST=from-file\nCACHE_PREFIX='x:'\nSTOCKD_CONFIG_TEST_ONLY=file\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STOCKD_CONFIG_TEST_ONLY", "env")
	look := lookupWithDotEnv(path)
	if v, _ := look("REDIS_HOST"); v != "from-file" {
		t.Errorf("REDIS_HOST = %q", v)
	}
	if v, _ := look("CACHE_PREFIX"); v != "x:" {
		t.Errorf("quoted value = %q", v)
	}
	if v, _ := look("STOCKD_CONFIG_TEST_ONLY"); v != "env" {
		t.Errorf("environment must win, got %q", v)
	}
}
