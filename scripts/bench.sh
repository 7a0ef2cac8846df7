#!/usr/bin/env bash
# `make bench`: benchmarks against real servers, on this machine, in one run.
#   1. Go benchmarks: store writes and hot reads (5,000 stocks × 1,000 days,
#      built once and kept in $TMPDIR / the test ClickHouse), cache tiers,
#      sync throughput against the fake Tushare server, import/demo rows/s.
#   2. HTTP: wrk on every cached endpoint of a stockd loaded with the real
#      snapshot — L1+Redis, Redis only (L1 off), and the no-logic baseline
#      server that writes the same bytes; cold vs warm latency; backend RSS.
#   3. Workflow runs: server time per agent round without the model, and
#      the delay the server adds to the model's first token (runs.txt).
#   4. The demo market of 5,000 stocks × 1,000 days loaded by `stockd demo`
#      into each store (rows/s), then the uncached latency of every endpoint
#      on it: one connection, no cache, every request reaches the store.
# Output goes to tmp/bench/; docs/BENCHMARKS.md quotes it.
# BENCH_QUICK=1 skips steps 1 and 4 (the big data sets take ~25 minutes);
# BENCH_GO=0 skips only step 1. BENCH_PORT (default 18900) is the first of
# the 14 ports the servers listen on. BENCH_ROUNDS (default 3) is how many
# times each cached-endpoint setup is measured, in turn with the others.
# When taskset exists and there are at least 2 CPUs, wrk runs on CPU 0 and
# the servers on the others, so the load generator does not steal the
# servers' CPU in the middle of a measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=tmp/bench
mkdir -p "$OUT"
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-50}
P=${BENCH_PORT:-18900}
ROUNDS=${BENCH_ROUNDS:-3}

scripts/test-services.sh install
eval "$(scripts/test-services.sh start)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; scripts/test-services.sh stop; }
trap cleanup EXIT
make build >/dev/null
go build -o bin/benchbaseline ./cmd/benchbaseline

if [ "${BENCH_QUICK:-}" != 1 ] && [ "${BENCH_GO:-1}" != 0 ]; then
	echo "== Go benchmarks" | tee "$OUT/go.txt"
	# Loads and big-table reads: three runs each are enough and keep this
	# step short; the cache's micro-benchmarks need the default second.
	go test -run '^$' -bench . -benchtime 3x -timeout 60m \
		./internal/store/... ./internal/tushare ./internal/ingest ./internal/httpapi | tee -a "$OUT/go.txt"
	go test -run '^$' -bench . -benchmem ./internal/cache | tee -a "$OUT/go.txt"
fi

# Workflow runs: the server's time per agent round with the model left out
# (in-memory model; micro-benchmark of the agent alone, and the whole HTTP
# stack with the run stored and streamed), and the delay the server adds to
# the model's first token over loopback HTTP. Cheap (no big data set), so it
# runs even with BENCH_QUICK; three repetitions, as the figures move with the
# machine's load.
echo "== Workflow runs (agent rounds, first-token delay)" | tee "$OUT/runs.txt"
go test -run '^$' -bench 'BenchmarkAgentRound|BenchmarkFirstTokenDelay' -benchtime 300x -count 3 ./internal/agent | tee -a "$OUT/runs.txt"
go test -run '^$' -bench 'BenchmarkRunRound|BenchmarkRunFirstToken' -benchtime 300x -count 3 ./internal/httpapi | tee -a "$OUT/runs.txt"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/runs.txt"

# CPU split between load generator and servers (see the header).
LOADGEN=() SERVER=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	LOADGEN=(taskset -c 0) SERVER=(taskset -c "1-$(($(nproc) - 1))")
fi

# ch_quiet: until ClickHouse has no merge running (at most 3 minutes), so
# merges after a big load do not run into the next measurement.
ch_quiet() {
	for _ in $(seq 180); do
		[ "$(curl -fsS "http://$STOCKD_TEST_CLICKHOUSE_HTTP/" --data-binary "SELECT count() FROM system.merges")" = 0 ] && return
		sleep 1
	done
}

# wait_up URL: until the server answers /health.
wait_up() {
	for _ in $(seq 200); do curl -fs "$1/health" >/dev/null && return; sleep 0.1; done
	echo "no server at $1" >&2
	exit 1
}

# start_stockd DIR PORT ENV…: `stockd serve` on 127.0.0.1:PORT with ENV, in
# DIR (so no .env of the checkout is read), on the servers' CPUs.
start_stockd() {
	local dir=$1 port=$2
	shift 2
	(cd "$dir" && exec env HTTP_ADDR=127.0.0.1:$port LOG_LEVEL=warn "$@" "${SERVER[@]}" "$OLDPWD/bin/stockd" serve) &
	pids+=($!)
	wait_up "http://127.0.0.1:$port"
}

ch_quiet
echo "== HTTP benchmarks (wrk -t2 -c$CONNS -d$DURATION, $ROUNDS rounds, median)" | tee "$OUT/http.txt"
tmp=$(mktemp -d)
SQLITE_PATH=$tmp/s.db bin/stockd import testdata/tushare-2025-12-18 >/dev/null 2>&1
SQLITE_PATH=$tmp/s.db bin/stockd demo --stocks 1 --etfs 50 --days 5 --end 2025-12-18 >/dev/null  # the snapshot has no ETFs: add synthetic ones (and one synthetic stock)

paths=(
	"/api/overview/hot-stocks?date=2025-12-18&sort_by=amount&limit=20"
	"/api/overview/hot-etfs?date=2025-12-18&sort_by=amount&limit=20"
	"/api/overview/market-stats?date=2025-12-18"
	"/api/stock/600519.SH/basic"
	"/api/stock/600519.SH/daily?adjust=qfq"
	"/api/stock/600519.SH/kline?period=week&adjust=qfq"
)

serve() { # port, extra env…
	local port=$1
	shift
	start_stockd "$tmp" "$port" SQLITE_PATH="$tmp/s.db" \
		REDIS_HOST=127.0.0.1 REDIS_PORT=${STOCKD_TEST_REDIS##*:} REDIS_PASSWORD=$STOCKD_TEST_REDIS_PASSWORD "$@"
}
serve $((P + 1)) CACHE_PREFIX=benchl1:
serve $((P + 2)) CACHE_PREFIX=benchl2: CACHE_L1_SIZE=0
serve $((P + 3)) CACHE_L1_SIZE=0 REDIS_HOST= # no cache at all: every request reaches the store
"${SERVER[@]}" bin/benchbaseline -from http://127.0.0.1:$((P + 1)) -addr 127.0.0.1:$P "${paths[@]}" 2>/dev/null &
pids+=($!)
sleep 0.5
# The server process of each setup, for its CPU time per request: unlike
# req/s, that figure hardly moves when other work shares the machine.
declare -A pid_of=([l1+redis]=${pids[0]} [redis-only]=${pids[1]} [uncached]=${pids[2]} [baseline]=${pids[3]})
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick_us=$((1000000 / $(getconf CLK_TCK)))

printf '| endpoint | setup | req/s | p50 | p99 | server CPU per request |\n|---|---|---|---|---|---|\n' >"$OUT/http.md"
printf '| endpoint | l1+redis ÷ baseline | redis-only ÷ baseline | baseline CPU ÷ l1+redis CPU | baseline CPU ÷ redis-only CPU |\n|---|---|---|---|---|\n' >"$OUT/ratio.md"
for p in "${paths[@]}"; do
	# cold vs warm: the first request for the key (a miss), then the median
	# of 21 more (hits); one curl alone is too noisy to quote.
	cold=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$((P + 2))$p")
	warm=$(for _ in $(seq 21); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$((P + 2))$p"; done | sort -n | sed -n 11p)
	echo "cold/warm $p: ${cold}s / ${warm}s" | tee -a "$OUT/http.txt"
	# ROUNDS rounds of every setup in turn; each figure is the run with the
	# median req/s, so a burst of other load on the machine hits all four
	# setups alike instead of one.
	declare -A rate=() runs=() cpus=() cpu=()
	for round in $(seq "$ROUNDS"); do
		for setup in baseline:$P l1+redis:$((P + 1)) redis-only:$((P + 2)) uncached:$((P + 3)); do
			name=${setup%%:*} port=${setup##*:}
			t0=$(cpu_ticks "${pid_of[$name]}")
			res=$("${LOADGEN[@]}" wrk -t2 -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$port$p")
			t1=$(cpu_ticks "${pid_of[$name]}")
			rps=$(awk '/Requests\/sec/ {print $2}' <<<"$res")
			p50=$(awk '$1=="50%" {print $2}' <<<"$res")
			p99=$(awk '$1=="99%" {print $2}' <<<"$res")
			reqs=$(awk '/requests in/ {print $1}' <<<"$res")
			us=$(awk -v t=$((t1 - t0)) -v n="$reqs" -v k="$tick_us" 'BEGIN { printf "%.1f", t * k / n }')
			echo "$p $name round $round: $rps req/s p50 $p50 p99 $p99 cpu ${us}us/req" | tee -a "$OUT/http.txt"
			runs[$name]+="$rps $p50 $p99"$'\n'
			cpus[$name]+="$us"$'\n'
		done
	done
	mid=$(((ROUNDS + 1) / 2))
	for name in baseline l1+redis redis-only uncached; do
		read -r rps p50 p99 < <(sort -n <<<"${runs[$name]%$'\n'}" | sed -n "${mid}p")
		cpu[$name]=$(sort -n <<<"${cpus[$name]%$'\n'}" | sed -n "${mid}p")
		printf '| `%s` | %s | %s | %s | %s | %s µs |\n' "$p" "$name" "$rps" "$p50" "$p99" "${cpu[$name]}" >>"$OUT/http.md"
		rate[$name]=$rps
	done
	awk -v p="$p" -v b="${rate[baseline]}" -v l="${rate[l1+redis]}" -v r="${rate[redis-only]}" \
		-v cb="${cpu[baseline]}" -v cl="${cpu[l1+redis]}" -v cr="${cpu[redis-only]}" \
		'BEGIN { printf "| `%s` | %.2f | %.2f | %.2f | %.2f |\n", p, l / b, r / b, cb / cl, cb / cr }' >>"$OUT/ratio.md"
done
cat "$OUT/http.md" "$OUT/ratio.md"
for pid in "${pids[@]:0:3}"; do
	echo "RSS of stockd pid $pid: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status) (peak)" | tee -a "$OUT/http.txt"
done
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
pids=()

# Last, so the big loads and ClickHouse's merges after them cannot disturb
# the runs above.
if [ "${BENCH_QUICK:-}" != 1 ]; then
	echo "== Demo market 5,000 × 1,000 and uncached latency" | tee "$OUT/big.txt"
	big=$PWD/$OUT/big
	rm -rf "$big" && mkdir -p "$big"
	ch_env=(CLICKHOUSE_HOST="${STOCKD_TEST_CLICKHOUSE%:*}" CLICKHOUSE_PORT="${STOCKD_TEST_CLICKHOUSE##*:}" CLICKHOUSE_DATABASE=stockd_bench_demo)
	curl -fsS "http://$STOCKD_TEST_CLICKHOUSE_HTTP/" --data-binary "DROP DATABASE IF EXISTS stockd_bench_demo" >/dev/null
	demo=(demo --stocks 5000 --etfs 200 --days 1000 --end 2025-12-18)
	for store in clickhouse sqlite; do
		if [ $store = clickhouse ]; then envs=("${ch_env[@]}"); else envs=(SQLITE_PATH="$big/demo.db"); fi
		env "${envs[@]}" bin/stockd migrate >/dev/null
		/usr/bin/time -f "$store: %e s, max RSS %M KB" env "${envs[@]}" bin/stockd "${demo[@]}" 2>&1 |
			grep -E 'rows/s|max RSS' | tee -a "$OUT/big.txt"
	done
	ch_quiet
	# No cache tier at all: every request reaches the store.
	start_stockd "$big" $((P + 11)) "${ch_env[@]}" REDIS_HOST= CACHE_L1_SIZE=0
	start_stockd "$big" $((P + 12)) SQLITE_PATH="$big/demo.db" REDIS_HOST= CACHE_L1_SIZE=0
	code=$(curl -fs "http://127.0.0.1:$((P + 12))/api/overview/hot-stocks?limit=1" | jq -r '.data[0].ts_code')
	etf=$(curl -fs "http://127.0.0.1:$((P + 12))/api/overview/hot-etfs?limit=1" | jq -r '.data[0].ts_code')
	big_paths=(
		"/api/overview/hot-stocks?sort_by=amount&limit=20"
		"/api/overview/hot-stocks?sort_by=pct_chg&limit=50"
		"/api/overview/hot-etfs?sort_by=amount&limit=20"
		"/api/overview/market-stats"
		"/api/overview/trade-dates"
		"/api/stock/$code/basic"
		"/api/stock/$code/daily?adjust=qfq"
		"/api/stock/$code/daily?adjust=qfq&start=2022-01-01"
		"/api/stock/$etf/daily"
		"/api/stock/search?q=%E6%BC%94%E7%A4%BA"
		"/health"
	)
	printf '| endpoint | ClickHouse p50 | ClickHouse p99 | SQLite p50 | SQLite p99 |\n|---|---|---|---|---|\n' >"$OUT/big.md"
	for p in "${big_paths[@]}"; do
		row="| \`$p\`"
		for port in $((P + 11)) $((P + 12)); do
			curl -fs -o /dev/null "http://127.0.0.1:$port$p" || { echo "$p failed on $port" >&2; exit 1; }
			# One connection: the latency of a request alone, not of a queue.
			res=$("${LOADGEN[@]}" wrk -t1 -c1 -d"$DURATION" --latency "http://127.0.0.1:$port$p")
			p50=$(awk '$1=="50%" {print $2}' <<<"$res")
			p99=$(awk '$1=="99%" {print $2}' <<<"$res")
			echo "$p on $port: p50 $p50 p99 $p99" | tee -a "$OUT/big.txt"
			row+=" | $p50 | $p99"
		done
		echo "$row |" >>"$OUT/big.md"
	done
	cat "$OUT/big.md"
	for pid in "${pids[@]}"; do kill "$pid"; done
	pids=()
	# Stop the background merges of the big tables before anything else runs.
	curl -fsS "http://$STOCKD_TEST_CLICKHOUSE_HTTP/" --data-binary "DROP DATABASE IF EXISTS stockd_bench_demo" >/dev/null
	rm -rf "$big"
fi


(cd web && [ -d dist ] && node scripts/size-report.mjs) | tee "$OUT/web.txt" || true
echo "results in $OUT/"
