#!/usr/bin/env bash
# `make bench`: benchmarks against real servers, on this machine, in one run.
#   1. Go benchmarks: store writes and hot reads (5,000 stocks × 1,000 days,
#      built once and kept in $TMPDIR / the test ClickHouse), cache tiers,
#      sync throughput against the fake Tushare server, import/demo rows/s.
#   2. HTTP: wrk on every cached endpoint of a stockd loaded with the real
#      snapshot — L1+Redis, Redis only (L1 off), and the no-logic baseline
#      server that writes the same bytes; cold vs warm latency; backend RSS.
# Output goes to tmp/bench/; docs/BENCHMARKS.md quotes it.
# BENCH_QUICK=1 skips step 1 (the big data sets take ~15 minutes to build).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=tmp/bench
mkdir -p "$OUT"
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-50}

scripts/test-services.sh install
eval "$(scripts/test-services.sh start)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; scripts/test-services.sh stop; }
trap cleanup EXIT
make build >/dev/null
go build -o bin/benchbaseline ./cmd/benchbaseline

if [ "${BENCH_QUICK:-}" != 1 ]; then
	echo "== Go benchmarks" | tee "$OUT/go.txt"
	go test -run '^$' -bench . -benchtime 3x -timeout 60m \
		./internal/store/... ./internal/cache ./internal/tushare ./internal/ingest ./internal/httpapi | tee -a "$OUT/go.txt"
fi

echo "== HTTP benchmarks (wrk -t2 -c$CONNS -d$DURATION)" | tee "$OUT/http.txt"
tmp=$(mktemp -d)
SQLITE_PATH=$tmp/s.db bin/stockd import ../shared/data/tushare-2025-12-18 >/dev/null 2>&1
SQLITE_PATH=$tmp/s.db bin/stockd demo --stocks 1 --etfs 50 --days 5 --end 2025-12-18 >/dev/null  # the snapshot has no ETFs: add synthetic ones (and one synthetic stock)

paths=(
	"/api/overview/hot-stocks?date=2025-12-18&sort_by=amount&limit=20"
	"/api/overview/hot-etfs?date=2025-12-18&sort_by=amount&limit=20"
	"/api/overview/market-stats?date=2025-12-18"
	"/api/stock/600519.SH/basic"
	"/api/stock/600519.SH/daily?adjust=qfq"
)

serve() { # port, extra env…
	local port=$1; shift
	(cd "$tmp" && exec env SQLITE_PATH="$tmp/s.db" HTTP_ADDR=127.0.0.1:$port LOG_LEVEL=warn \
		REDIS_HOST=127.0.0.1 REDIS_PORT=${STOCKD_TEST_REDIS##*:} REDIS_PASSWORD=$STOCKD_TEST_REDIS_PASSWORD "$@" \
		"$OLDPWD/bin/stockd" serve) &
	pids+=($!)
	for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && return; sleep 0.1; done
	echo "stockd on $port did not start" >&2; exit 1
}
serve 18901 CACHE_PREFIX=benchl1:
serve 18902 CACHE_PREFIX=benchl2: CACHE_L1_SIZE=0
serve 18903 CACHE_L1_SIZE=0 REDIS_HOST= # no cache at all: every request reaches the store
bin/benchbaseline -from http://127.0.0.1:18901 -addr 127.0.0.1:18900 "${paths[@]}" 2>/dev/null &
pids+=($!)
sleep 0.5

printf '| endpoint | setup | req/s | p50 | p99 |\n|---|---|---|---|---|\n' >"$OUT/http.md"
for p in "${paths[@]}"; do
	# cold vs warm: first request after an invalidation, then the next one
	cold=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:18902$p")
	warm=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:18902$p")
	echo "cold/warm $p: ${cold}s / ${warm}s" | tee -a "$OUT/http.txt"
	for setup in baseline:18900 l1+redis:18901 redis-only:18902 uncached:18903; do
		name=${setup%%:*} port=${setup##*:}
		res=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$port$p")
		rps=$(awk '/Requests\/sec/ {print $2}' <<<"$res")
		p50=$(awk '$1=="50%" {print $2}' <<<"$res")
		p99=$(awk '$1=="99%" {print $2}' <<<"$res")
		echo "$p $name: $rps req/s p50 $p50 p99 $p99" | tee -a "$OUT/http.txt"
		printf '| `%s` | %s | %s | %s | %s |\n' "${p%%\?*}" "$name" "$rps" "$p50" "$p99" >>"$OUT/http.md"
	done
done
for pid in "${pids[@]:0:3}"; do
	echo "RSS of stockd pid $pid: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status) (peak)" | tee -a "$OUT/http.txt"
done
(cd web && [ -d dist ] && node scripts/size-report.mjs) | tee "$OUT/web.txt" || true
echo "results in $OUT/"
