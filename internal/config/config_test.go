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
}

func TestValues(t *testing.T) {
	c, err := LoadFrom(env(map[string]string{
		"CLICKHOUSE_HOST": "ch", "CLICKHOUSE_PORT": "9440", "REDIS_HOST": "redis", "REDIS_DB": "3",
		"CACHE_TTL_OVERVIEW": "90", "CACHE_TTL_BASIC": "2h", "LOG_LEVEL": "debug", "LOG_FORMAT": "JSON", "SYNC_AT": "17:30",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.UseClickHouse() || c.ClickHousePort != 9440 || !c.UseRedis() || c.RedisDB != 3 {
		t.Errorf("%+v", c)
	}
	if c.CacheTTLOverview != 90*time.Second || c.CacheTTLBasic != 2*time.Hour || c.LogLevel != slog.LevelDebug || c.LogFormat != "json" || c.SyncAt != "17:30" {
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
