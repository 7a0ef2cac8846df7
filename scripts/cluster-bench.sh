#!/usr/bin/env bash
# Capacity of each part of the clustered deployment on this machine (docs/SCALING.md, "Capacity"):
# scripts/cluster-stack.sh with Redis Sentinel on a demo market of 1,000 stocks × 250 days, then wrk
# on the basic answers of random codes:
#
#   1. through nginx to the three replicas, 50 hot codes (mostly in-process hits: each is asked for
#      many times within the in-process tier's 2 s)
#   2. one replica directly, the same
#   3. one replica with its in-process tier off, the same 50 codes: every request a Redis GET
#   4. one replica with no cache at all, all 1,000 codes: every request a ClickHouse query (basic; then
#      the whole history, 250 bars)
#   5. redis-benchmark GET/SET on the Sentinel master, values of 1 KB and 16 KB
#
# and for each the CPU time every server process spent per request (user + system from
# /proc/PID/stat over the run, divided by the requests): on a shared 2-core machine req/s move with
# whatever else runs, CPU per request much less, and it is what the sizing in docs/SCALING.md divides
# by. Output: a table on stdout, raw runs in CLUSTER_BENCH_OUT (default tmp/cluster-bench).
#
# Env: CLUSTER_PORT_BASE (as cluster-stack.sh), BENCH_DURATION (10s), BENCH_CONNECTIONS (50),
# STOCKD_BIN, CLUSTER_DEMO_ARGS (default here "--stocks 1000 --etfs 40 --days 250").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${CLUSTER_BENCH_OUT:-$ROOT/tmp/cluster-bench}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-50}
export CLUSTER_DIR=${CLUSTER_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/stockd-cluster-bench.XXXXXX")}
export CLUSTER_REDIS=sentinel LOG_LEVEL=warn
export CLUSTER_DEMO_ARGS=${CLUSTER_DEMO_ARGS:---stocks 1000 --etfs 40 --days 250}
STACK=$ROOT/scripts/cluster-stack.sh
mkdir -p "$OUT"

log() { echo "cluster-bench: $*" >&2; }
for tool in wrk redis-benchmark jq curl; do command -v "$tool" >/dev/null || { log "$tool is not installed"; exit 1; }; done

cleanup() {
	"$STACK" down >/dev/null 2>&1 || true
	rm -rf "$CLUSTER_DIR"
}
trap cleanup EXIT

"$STACK" up >"$OUT/up.log" 2>&1 || { tail -n 30 "$OUT/up.log" >&2; exit 1; }
eval "$("$STACK" env)"
IFS=, read -r -a BACKENDS <<<"$CLUSTER_BACKEND_URLS"
base_port=${BACKENDS[0]##*:}
base_port=$((base_port - 1))

# Extra replicas outside the upstream: 4 without the in-process tier, 5 without any cache.
"$STACK" start-backend 4 CACHE_L1_SIZE=0 >>"$OUT/up.log" 2>&1
"$STACK" start-backend 5 CACHE_L1_SIZE=0 REDIS_MODE=single REDIS_ADDRS= REDIS_SENTINEL_MASTER= \
	REDIS_SENTINEL_PASSWORD= >>"$OUT/up.log" 2>&1

# The paths: every stock's basic answer, and a year of daily bars.
codes=$(curl -fsS "http://$CLUSTER_CLICKHOUSE_HTTP/" --data-binary "SELECT DISTINCT ts_code FROM stock_data.stock_basic ORDER BY ts_code")
n=$(echo "$codes" | wc -l)
[ "$n" -ge 50 ] || { log "only $n codes"; exit 1; }
lua() { # suffix name codes → a wrk script picking a random code of codes per request
	{
		echo 'local codes = {'
		echo "$3" | sed 's/.*/"&",/'
		echo '}'
		echo "math.randomseed(os.time())"
		echo "request = function() return wrk.format(\"GET\", \"/api/stock/\" .. codes[math.random(#codes)] .. \"$1\") end"
	} >"$OUT/paths$2.lua"
	echo "$OUT/paths$2.lua"
}
hot=$(echo "$codes" | awk 'NR % 20 == 1' | head -n 50)
HOT=$(lua /basic h "$hot")
BASIC=$(lua /basic b "$codes")
DAILY=$(lua /daily d "$codes") # the whole history: 250 days by default here, about a year
# Every hot answer in Redis before the first run (the in-process tiers fill in the warm-up).
for c in $hot; do curl -fsS -o /dev/null "${BACKENDS[0]}/api/stock/$c/basic"; done

ticks() { # pid… → user+system clock ticks
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
pids_nginx() { local m; m=$(cat "$CLUSTER_DIR/nginx.pid"); echo "$m $(pgrep -P "$m" | tr '\n' ' ')"; }
pids_stockd() { local r; for r in "$@"; do cat "$CLUSTER_DIR/stockd-$r.pid"; done | tr '\n' ' '; }
redis_master_pid() {
	local port
	port=$(redis-cli -p "${STOCKD_TEST_REDIS_SENTINELS##*:}" -a "$STOCKD_TEST_REDIS_SENTINEL_PASSWORD" --no-auth-warning \
		sentinel get-master-addr-by-name "$STOCKD_TEST_REDIS_SENTINEL_MASTER" | tail -n 1)
	cat "$STOCKD_TEST_REDIS_TOPOLOGY_DIR/node-$port/redis.pid"
}
# Both ClickHouse replicas: a Distributed read may run on either.
pids_clickhouse() { cat "$STOCKD_TEST_CLICKHOUSE_CLUSTER_DIR"/replica-*/pid | tr '\n' ' '; }
HZ=$(getconf CLK_TCK)

printf '| run | req/s | p50 | p99 | errors | CPU µs per request: nginx | stockd | Redis | ClickHouse |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
run() { # name url script stockd-replicas…
	local name=$1 url=$2 script=$3 ng st rd ch res reqs rps p50 p99 errs
	shift 3
	wrk -t2 -c"$CONNS" -d3s --timeout 10s -s "$script" "$url" >/dev/null 2>&1 # warm-up
	local n0 s0 r0 c0
	n0=$(ticks $(pids_nginx)); s0=$(ticks $(pids_stockd "$@")); r0=$(ticks "$(redis_master_pid)"); c0=$(ticks $(pids_clickhouse))
	res=$(wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 10s --latency -s "$script" "$url")
	ng=$(($(ticks $(pids_nginx)) - n0)); st=$(($(ticks $(pids_stockd "$@")) - s0))
	rd=$(($(ticks "$(redis_master_pid)") - r0)); ch=$(($(ticks $(pids_clickhouse)) - c0))
	echo "== $name" >>"$OUT/wrk.txt"
	echo "$res" >>"$OUT/wrk.txt"
	reqs=$(echo "$res" | awk '/requests in/ {print $1}')
	rps=$(echo "$res" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
	p50=$(echo "$res" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$res" | awk '$1 == "99%" {print $2}')
	errs=$(echo "$res" | awk '/Non-2xx|Socket errors/ {e = e $0 "; "} END {print (e == "" ? "0" : e)}')
	us() { awk -v t="$1" -v n="$reqs" -v hz="$HZ" 'BEGIN { if (t == 0) print "–"; else printf "%.1f", t / hz * 1e6 / n }'; }
	local ngv="–"
	[ "$url" = "$CLUSTER_URL" ] && ngv=$(us "$ng")
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "$errs" "$ngv" "$(us "$st")" "$(us "$rd")" "$(us "$ch")"
}
run "nginx → 3 replicas, basic of 50 hot codes" "$CLUSTER_URL" "$HOT" 1 2 3
run "one replica, basic of 50 hot codes" "${BACKENDS[0]}" "$HOT" 1
run "one replica, in-process tier off, basic of 50 hot codes (Redis hits)" "http://127.0.0.1:$((base_port + 4))" "$HOT" 4
run "one replica, no cache, basic of 1,000 codes (ClickHouse)" "http://127.0.0.1:$((base_port + 5))" "$BASIC" 5
run "one replica, no cache, 250 bars of 1,000 codes (ClickHouse)" "http://127.0.0.1:$((base_port + 5))" "$DAILY" 5

# Redis alone: the master of the Sentinel topology, 50 clients, no pipelining.
master=$(redis-cli -p "${STOCKD_TEST_REDIS_SENTINELS##*:}" -a "$STOCKD_TEST_REDIS_SENTINEL_PASSWORD" --no-auth-warning \
	sentinel get-master-addr-by-name "$STOCKD_TEST_REDIS_SENTINEL_MASTER" | tail -n 1)
echo
printf '| redis-benchmark (50 clients, no pipelining) | ops/s | Redis CPU µs per op |\n| --- | --- | --- |\n'
for size in 1024 16384; do
	for op in set get; do
		r0=$(ticks "$(redis_master_pid)")
		res=$(redis-benchmark -p "$master" -a "$STOCKD_TEST_REDIS_TOPOLOGY_PASSWORD" --dbnum 9 -c 50 -n 100000 -d "$size" \
			-t "$op" -q 2>/dev/null | tr '\r' '\n' | grep -E '^[A-Z]+: [0-9.]+ requests per second' | tail -n 1)
		ops=$(echo "$res" | awk '{printf "%.0f", $2}')
		rd=$(($(ticks "$(redis_master_pid)") - r0))
		printf '| %s %s B | %s | %s |\n' "$(echo "$op" | tr a-z A-Z)" "$size" "$ops" "$(awk -v t="$rd" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz * 1e6 / 100000 }')"
	done
done
redis-cli -p "$master" -a "$STOCKD_TEST_REDIS_TOPOLOGY_PASSWORD" --no-auth-warning -n 9 flushdb >/dev/null

# What the sizing scales by: Redis memory per cached answer, ClickHouse bytes per bar.
rc() { redis-cli -p "$master" -a "$STOCKD_TEST_REDIS_TOPOLOGY_PASSWORD" --no-auth-warning -n 1 "$@"; }
echo
for c in $hot; do
	bytes=$(curl -fsS -o /dev/null -w '%{size_download}' "${BACKENDS[0]}/api/stock/$c/daily")
done
echo "daily answer of 250 bars: $bytes B of JSON (uncompressed), $((bytes / 250)) B per bar"
for kind in basic daily; do
	key=$(rc --scan --pattern "stock:$kind:*" | head -n 1 || true)
	[ -n "$key" ] && echo "Redis MEMORY USAGE of one $kind answer ($key): $(rc memory usage "$key") B"
done
echo "Redis DB 1: $(rc dbsize) keys, used_memory $(rc info memory | awk -F: '/^used_memory:/ {printf "%.1f MB", $2/1e6}')"
curl -fsS "http://$CLUSTER_CLICKHOUSE_HTTP/" --data-binary "SELECT replaceRegexpOne(table, '_local\$', '') AS t, sum(rows), sum(bytes_on_disk), round(sum(bytes_on_disk)/sum(rows), 1) FROM system.parts WHERE database = 'stock_data' AND active AND t IN ('daily', 'daily_basic', 'adj_factor') GROUP BY t ORDER BY t FORMAT TSV" |
	awk -F'\t' '{printf "ClickHouse %s: %d rows, %.1f MB on disk, %s B per row\n", $1, $2, $3/1e6, $4}'
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $n codes; wrk -t2 -c$CONNS -d$DURATION"
