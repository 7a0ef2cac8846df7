// Package config reads the service's settings from the environment, in one
// place, with defaults and validation.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	neturl "net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of stockd. Field comments name the variable.
type Config struct {
	HTTPAddr string // HTTP_ADDR
	WebDir   string // WEB_DIR

	ClickHouseHost     string   // CLICKHOUSE_HOST; empty selects the embedded store
	ClickHouseAddrs    []string // CLICKHOUSE_HOST as host:port, one per host (several: client-side failover)
	ClickHousePort     int      // CLICKHOUSE_PORT: the port of a host given without one
	ClickHouseHTTPPort int      // CLICKHOUSE_HTTP_PORT
	ClickHouseUser     string   // CLICKHOUSE_USER
	ClickHousePassword string   // CLICKHOUSE_PASSWORD
	ClickHouseDatabase string   // CLICKHOUSE_DATABASE
	ClickHouseCluster  string   // CLICKHOUSE_CLUSTER: a cluster of remote_servers; empty = one server

	SQLitePath string // SQLITE_PATH

	RedisMode             string        // REDIS_MODE: single, sentinel or cluster
	RedisHost             string        // REDIS_HOST (single mode); empty means no Redis tier
	RedisPort             int           // REDIS_PORT (single mode)
	RedisAddrs            []string      // REDIS_ADDRS: Sentinels or cluster nodes, host:port,…
	RedisSentinelMaster   string        // REDIS_SENTINEL_MASTER (sentinel mode)
	RedisSentinelPassword string        // REDIS_SENTINEL_PASSWORD (sentinel mode)
	RedisPassword         string        // REDIS_PASSWORD
	RedisDB               int           // REDIS_DB; 1, or 0 in cluster mode (the only one there)
	RedisTimeout          time.Duration // REDIS_TIMEOUT: one Redis call on a request's path

	CachePrefix      string        // CACHE_PREFIX
	CacheTTLOverview time.Duration // CACHE_TTL_OVERVIEW
	CacheTTLBasic    time.Duration // CACHE_TTL_BASIC
	CacheTTLDaily    time.Duration // CACHE_TTL_DAILY
	CacheTTLLatest   time.Duration // CACHE_TTL_LATEST
	CacheTTLWorkflow time.Duration // CACHE_TTL_WORKFLOWS
	CacheL1Size      int           // CACHE_L1_SIZE; 0 disables the in-process tier
	CacheL1TTL       time.Duration // CACHE_L1_TTL

	TushareToken string        // TUSHARE_TOKEN
	TushareURL   string        // TUSHARE_URL
	TushareRPM   int           // TUSHARE_RPM: requests per minute per api_name
	SyncAt       string        // SYNC_AT: HH:MM Asia/Shanghai, empty = no schedule
	SyncLeaseTTL time.Duration // SYNC_LEASE_TTL: how long a dead replica holds the sync lease
	APIToken     string        // API_TOKEN
	ShutdownWait time.Duration // SHUTDOWN_TIMEOUT

	// Tracing of workflow runs to Langfuse; no host, no exporter.
	LangfuseHost      string // LANGFUSE_HOST: where the backend sends traces
	LangfusePublicKey string // LANGFUSE_PUBLIC_KEY
	LangfuseSecretKey string // LANGFUSE_SECRET_KEY
	LangfusePublicURL string // LANGFUSE_PUBLIC_URL: Langfuse as a browser reaches it (links); default LANGFUSE_HOST

	// The model of workflow runs; no model, no runs (503 llm_not_configured).
	OpenAIBaseURL  string // OPENAI_BASE_URL; empty: OpenAI's
	OpenAIAPIKey   string // OPENAI_API_KEY
	OpenAIModel    string // OPENAI_MODEL
	OpenAIProvider string // OPENAI_PROVIDER: gen_ai.provider.name of the traces (deepseek, ollama…); default openai

	// Limits of a run.
	AgentMaxRounds          int           // AGENT_MAX_ROUNDS: model calls per run
	AgentRunTimeout         time.Duration // AGENT_RUN_TIMEOUT: a whole run (and a generation)
	AgentToolTimeout        time.Duration // AGENT_TOOL_TIMEOUT: one tool call
	AgentMaxOutputTokens    int           // AGENT_MAX_OUTPUT_TOKENS: max_tokens of each model call
	AgentMaxToolResultBytes int           // AGENT_MAX_TOOL_RESULT_BYTES: what the model sees of one tool result
	AgentMaxRetries         int           // AGENT_MAX_RETRIES: retries of a 408/409/429/5xx or a failed connection; 0 = none
	AgentMaxRetryDelay      time.Duration // AGENT_MAX_RETRY_DELAY: the longest wait before a retry (Retry-After beyond it fails at once)
	AgentMaxConcurrentRuns  int           // AGENT_MAX_CONCURRENT_RUNS: runs in progress per server; one more gets 429

	LogLevel  slog.Level // LOG_LEVEL
	LogFormat string     // LOG_FORMAT: text or json
}

// UseClickHouse reports whether ClickHouse is configured.
func (c Config) UseClickHouse() bool { return c.ClickHouseHost != "" }

// Redis deployment modes (REDIS_MODE).
const (
	RedisSingle   = "single"
	RedisSentinel = "sentinel"
	RedisCluster  = "cluster"
)

// UseRedis reports whether the Redis tier is configured.
func (c Config) UseRedis() bool { return len(c.RedisAddresses()) > 0 }

// RedisAddresses is where the Redis client starts: REDIS_HOST:REDIS_PORT
// in single mode, REDIS_ADDRS (the Sentinels or cluster nodes) otherwise.
func (c Config) RedisAddresses() []string {
	if c.RedisMode == RedisSingle || c.RedisMode == "" {
		if c.RedisHost == "" {
			return nil
		}
		return []string{net.JoinHostPort(c.RedisHost, strconv.Itoa(c.RedisPort))}
	}
	return c.RedisAddrs
}

// Load reads the settings from the environment. A .env file in the working
// directory fills variables the environment does not set. The first invalid
// value stops the load with an error naming the variable.
func Load() (Config, error) {
	return LoadFrom(lookupWithDotEnv(".env"))
}

// LoadFrom reads the settings through lookup, which tests replace.
func LoadFrom(lookup func(string) (string, bool)) (Config, error) {
	r := reader{lookup: lookup}
	c := Config{
		HTTPAddr:           r.str("HTTP_ADDR", ":8000"),
		WebDir:             r.str("WEB_DIR", "web/dist"),
		ClickHouseHost:     r.str("CLICKHOUSE_HOST", ""),
		ClickHousePort:     r.port("CLICKHOUSE_PORT", 9000),
		ClickHouseHTTPPort: r.port("CLICKHOUSE_HTTP_PORT", 8123),
		ClickHouseUser:     r.str("CLICKHOUSE_USER", "default"),
		ClickHousePassword: r.secret("CLICKHOUSE_PASSWORD"),
		ClickHouseDatabase: r.ident("CLICKHOUSE_DATABASE", "stock_data"),
		ClickHouseCluster:  r.ident("CLICKHOUSE_CLUSTER", ""),
		SQLitePath:         r.str("SQLITE_PATH", "./data/stock.db"),
		RedisMode:          r.oneOf("REDIS_MODE", RedisSingle, RedisSingle, RedisSentinel, RedisCluster),
		RedisHost:          r.str("REDIS_HOST", ""),
		RedisPort:          r.port("REDIS_PORT", 6379),
		RedisAddrs:         r.addrs("REDIS_ADDRS"),
		RedisPassword:      r.secret("REDIS_PASSWORD"),
		RedisTimeout:       r.duration("REDIS_TIMEOUT", time.Second),
		CachePrefix:        r.str("CACHE_PREFIX", "stock:"),
		CacheTTLOverview:   r.duration("CACHE_TTL_OVERVIEW", 60*time.Second),
		CacheTTLBasic:      r.duration("CACHE_TTL_BASIC", time.Hour),
		CacheTTLDaily:      r.duration("CACHE_TTL_DAILY", 24*time.Hour),
		CacheTTLLatest:     r.duration("CACHE_TTL_LATEST", 60*time.Second),
		CacheTTLWorkflow:   r.duration("CACHE_TTL_WORKFLOWS", 5*time.Minute),
		CacheL1Size:        r.intRange("CACHE_L1_SIZE", 10000, 0, 10_000_000),
		CacheL1TTL:         r.duration("CACHE_L1_TTL", 2*time.Second),
		TushareToken:       r.secret("TUSHARE_TOKEN"),
		TushareURL:         r.str("TUSHARE_URL", "http://api.tushare.pro"),
		TushareRPM:         r.intRange("TUSHARE_RPM", 200, 1, 100000),
		SyncAt:             r.clock("SYNC_AT"),
		SyncLeaseTTL:       r.duration("SYNC_LEASE_TTL", 30*time.Second),
		APIToken:           r.secret("API_TOKEN"),
		ShutdownWait:       r.duration("SHUTDOWN_TIMEOUT", 15*time.Second),
		LangfuseHost:       r.url("LANGFUSE_HOST"),
		LangfusePublicKey:  r.str("LANGFUSE_PUBLIC_KEY", ""),
		LangfuseSecretKey:  r.secret("LANGFUSE_SECRET_KEY"),
		LangfusePublicURL:  r.url("LANGFUSE_PUBLIC_URL"),
		OpenAIBaseURL:      r.url("OPENAI_BASE_URL"),
		OpenAIAPIKey:       r.secret("OPENAI_API_KEY"),
		OpenAIModel:        r.str("OPENAI_MODEL", ""),
		OpenAIProvider:     r.str("OPENAI_PROVIDER", ""),

		AgentMaxRounds:          r.intRange("AGENT_MAX_ROUNDS", 8, 1, 50),
		AgentRunTimeout:         r.durationRange("AGENT_RUN_TIMEOUT", 5*time.Minute, time.Second, 2*time.Hour),
		AgentToolTimeout:        r.durationRange("AGENT_TOOL_TIMEOUT", 15*time.Second, 100*time.Millisecond, 10*time.Minute),
		AgentMaxOutputTokens:    r.intRange("AGENT_MAX_OUTPUT_TOKENS", 4096, 16, 1_000_000),
		AgentMaxToolResultBytes: r.intRange("AGENT_MAX_TOOL_RESULT_BYTES", 16<<10, 256, 16<<20),
		AgentMaxRetries:         r.intRange("AGENT_MAX_RETRIES", 2, 0, 10),
		AgentMaxRetryDelay:      r.durationRange("AGENT_MAX_RETRY_DELAY", 20*time.Second, 0, 10*time.Minute),
		AgentMaxConcurrentRuns:  r.intRange("AGENT_MAX_CONCURRENT_RUNS", 32, 1, 10000),
		LogLevel:                r.level("LOG_LEVEL", slog.LevelInfo),
		LogFormat:               r.oneOf("LOG_FORMAT", "text", "text", "json"),
	}
	c.ClickHouseAddrs = r.hosts("CLICKHOUSE_HOST", c.ClickHouseHost, c.ClickHousePort)
	if c.ClickHouseCluster != "" && c.ClickHouseHost == "" {
		r.fail("CLICKHOUSE_CLUSTER", c.ClickHouseCluster, errors.New("needs CLICKHOUSE_HOST (the cluster's hosts); the embedded store has no cluster mode"))
	}
	c.RedisDB, c.RedisSentinelMaster, c.RedisSentinelPassword = r.redisTopology(c.RedisMode, c.RedisHost, c.RedisAddrs)
	if c.RedisTimeout <= 0 || c.RedisTimeout > time.Minute {
		r.fail("REDIS_TIMEOUT", c.RedisTimeout.String(), errors.New("must be more than 0 and at most 1m (default 1s)"))
	}
	if c.SyncLeaseTTL < time.Second || c.SyncLeaseTTL > time.Hour {
		r.fail("SYNC_LEASE_TTL", c.SyncLeaseTTL.String(), errors.New("must be between 1s and 1h (default 30s)"))
	}
	if c.CachePrefix == "" {
		r.fail("CACHE_PREFIX", "", errors.New("must not be empty: every key we write lives under it"))
	}
	if c.LangfuseHost != "" && (c.LangfusePublicKey == "" || c.LangfuseSecretKey == "") {
		r.fail("LANGFUSE_HOST", c.LangfuseHost, errors.New("needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (the project's API keys); unset it to run without tracing"))
	}
	if r.err != nil {
		return Config{}, r.err
	}
	return c, nil
}

// redisTopology checks that the Redis settings fit the mode and reads
// the mode-dependent ones: REDIS_DB (1 by default; cluster mode has only
// database 0 and refuses any other) and the Sentinel master and password.
func (r *reader) redisTopology(mode, host string, addrs []string) (db int, master, sentinelPassword string) {
	switch mode {
	case RedisSingle:
		if len(addrs) > 0 {
			r.fail("REDIS_ADDRS", strings.Join(addrs, ","), errors.New("is for REDIS_MODE=sentinel or cluster; single mode reads REDIS_HOST and REDIS_PORT"))
		}
	default:
		if host != "" {
			r.fail("REDIS_HOST", host, fmt.Errorf("is for single mode; REDIS_MODE=%s reads REDIS_ADDRS", mode))
		}
		what := "the Sentinels' addresses"
		if mode == RedisCluster {
			what = "the addresses of one or more cluster nodes"
		}
		if len(addrs) == 0 {
			r.fail("REDIS_ADDRS", "", fmt.Errorf("REDIS_MODE=%s needs %s as host:port,host:port", mode, what))
		}
	}
	if mode == RedisCluster {
		db = r.intRange("REDIS_DB", 0, 0, 15)
		if db != 0 {
			r.fail("REDIS_DB", strconv.Itoa(db), errors.New("Redis Cluster has only database 0; unset REDIS_DB (the cache is isolated by CACHE_PREFIX alone there)"))
		}
	} else {
		db = r.intRange("REDIS_DB", 1, 0, 15)
	}
	master, sentinelPassword = r.str("REDIS_SENTINEL_MASTER", ""), r.secret("REDIS_SENTINEL_PASSWORD")
	switch {
	case mode == RedisSentinel && master == "":
		r.fail("REDIS_SENTINEL_MASTER", "", errors.New("REDIS_MODE=sentinel needs the master name the Sentinels watch"))
	case mode != RedisSentinel && master != "":
		r.fail("REDIS_SENTINEL_MASTER", master, fmt.Errorf("is for REDIS_MODE=sentinel, not %s", mode))
	case mode != RedisSentinel && sentinelPassword != "":
		r.fail("REDIS_SENTINEL_PASSWORD", "***", fmt.Errorf("is for REDIS_MODE=sentinel, not %s", mode))
	}
	return db, master, sentinelPassword
}

type reader struct {
	lookup func(string) (string, bool)
	err    error
}

func (r *reader) fail(name, val string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("config: %s=%q: %v", name, val, err)
	}
}

func (r *reader) str(name, def string) string {
	if v, ok := r.lookup(name); ok && v != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// secret reads NAME, or the file named by NAME_FILE (Docker secrets).
func (r *reader) secret(name string) string {
	if v, ok := r.lookup(name); ok && v != "" {
		return v
	}
	path, ok := r.lookup(name + "_FILE")
	if !ok || path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.fail(name+"_FILE", path, err)
		return ""
	}
	return strings.TrimRight(string(b), "\r\n")
}

func (r *reader) intRange(name string, def, lo, hi int) int {
	v, ok := r.lookup(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(name, v, errors.New("not an integer"))
		return def
	}
	if n < lo || n > hi {
		r.fail(name, v, fmt.Errorf("must be between %d and %d", lo, hi))
		return def
	}
	return n
}

func (r *reader) port(name string, def int) int { return r.intRange(name, def, 1, 65535) }

// addrs reads a comma-separated list of host:port.
func (r *reader) addrs(name string) []string {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	var out []string
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		host, port, err := net.SplitHostPort(a)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			r.fail(name, v, fmt.Errorf("%q is not host:port", a))
			return nil
		}
		out = append(out, a)
	}
	return out
}

// hosts reads a comma-separated list of host or host:port (an IPv6 host
// with a port in brackets), the port defaulting to port.
func (r *reader) hosts(name, v string, port int) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, h := range strings.Split(v, ",") {
		h = strings.TrimSpace(h)
		addr := net.JoinHostPort(strings.Trim(h, "[]"), strconv.Itoa(port))
		if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
			host, p, err := net.SplitHostPort(h)
			if n, perr := strconv.Atoi(p); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
				r.fail(name, v, fmt.Errorf("%q is not host or host:port", h))
				return nil
			}
			addr = h
		}
		if h == "" || strings.ContainsAny(h, " /") {
			r.fail(name, v, fmt.Errorf("%q is not host or host:port (several: comma-separated)", h))
			return nil
		}
		out = append(out, addr)
	}
	return out
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v, ok := r.lookup(name)
	if !ok || v == "" {
		return def
	}
	v = strings.TrimSpace(v)
	d, err := time.ParseDuration(v)
	if err != nil {
		// Plain numbers are seconds, as in the original settings.
		n, nerr := strconv.Atoi(v)
		if nerr != nil {
			r.fail(name, v, errors.New("not a duration (e.g. 60s, 5m, 1h)"))
			return def
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 {
		r.fail(name, v, errors.New("must not be negative"))
		return def
	}
	return d
}

// durationRange reads a duration within [lo, hi].
func (r *reader) durationRange(name string, def, lo, hi time.Duration) time.Duration {
	d := r.duration(name, def)
	if d < lo || d > hi {
		r.fail(name, d.String(), fmt.Errorf("must be between %s and %s", lo, hi))
		return def
	}
	return d
}

// url reads an optional http(s) URL, without a trailing slash.
func (r *reader) url(name string) string {
	v := strings.TrimRight(r.str(name, ""), "/")
	if v == "" {
		return ""
	}
	u, err := neturl.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, v, errors.New("not an http(s) URL"))
		return ""
	}
	return v
}

func (r *reader) ident(name, def string) string {
	v := r.str(name, def)
	for i, c := range v {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			r.fail(name, v, errors.New("must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)"))
			return def
		}
	}
	return v
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, v, fmt.Errorf("want one of %s", strings.Join(allowed, ", ")))
	return def
}

func (r *reader) level(name string, def slog.Level) slog.Level {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, v, errors.New("want debug, info, warn or error"))
		return def
	}
	return l
}

func (r *reader) clock(name string) string {
	v := r.str(name, "")
	if v == "" {
		return ""
	}
	if _, err := time.Parse("15:04", v); err != nil {
		r.fail(name, v, errors.New("want HH:MM (Asia/Shanghai)"))
		return ""
	}
	return v
}

// lookupWithDotEnv returns a lookup that prefers the real environment and
// falls back to KEY=VALUE lines of the file at path, if it exists.
func lookupWithDotEnv(path string) func(string) (string, bool) {
	file := map[string]string{}
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			line = strings.TrimPrefix(line, "export ")
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
				v = v[1 : len(v)-1]
			}
			file[strings.TrimSpace(k)] = v
		}
	}
	return func(k string) (string, bool) {
		if v, ok := os.LookupEnv(k); ok {
			return v, true
		}
		v, ok := file[k]
		return v, ok
	}
}
