#!/usr/bin/env bash
# Soak: mixed traffic against a real stockd for SOAK_DURATION (default 10m)
# while Redis is killed and restarted and the store (ClickHouse) is
# restarted, twice each. Everything runs on loopback on its own ports
# (SOAK_PORT_BASE, default 27600: stockd +0, Redis +1, ClickHouse +2..+4) in
# a temp folder, and is stopped at the end. The driver
# (internal/soak/driver) prints requests, answers by class and status, p50/
# p99 latency, RSS and goroutines (from /metrics) at the start, after the
# warm-up and at the end, and fails (exit 1) unless:
#   - no answer is a 5xx but a 503, and a 503 only while the store is down;
#   - no write acknowledged is lost and none answered as failed happened;
#   - RSS grows less than 20 % from the end of the warm-up to the end;
#   - the goroutines come back to their start.
# SOAK_JSON=file also writes the report as JSON. docs/BENCHMARKS.md has the
# figures of a full run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
duration=${SOAK_DURATION:-10m}
base=${SOAK_PORT_BASE:-27600}
dir=$(mktemp -d "${TMPDIR:-/tmp}/stockd-soak.XXXXXX")
export TEST_SERVICES_DIR=$dir/services TEST_REDIS_PORT=$((base + 1)) TEST_CLICKHOUSE_PORT=$((base + 2)) \
	TEST_CLICKHOUSE_HTTP_PORT=$((base + 3)) TEST_CLICKHOUSE_INTERSERVER_PORT=$((base + 4))
stockd_pid=""
cleanup() {
	local rc=$?
	[ -n "$stockd_pid" ] && kill "$stockd_pid" 2>/dev/null && wait "$stockd_pid" 2>/dev/null
	scripts/test-services.sh stop >/dev/null 2>&1 || true
	if [ "$rc" -ne 0 ] && [ -f "$dir/stockd.log" ]; then
		keep=${TMPDIR:-/tmp}/stockd-soak-$(date +%Y%m%d-%H%M%S).log
		cp "$dir/stockd.log" "$keep" && printf 'soak: the whole stockd log is in %s\n' "$keep" >&2
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

say() { printf 'soak: %s\n' "$*" >&2; }

scripts/test-services.sh install
eval "$(scripts/test-services.sh start)"

bin=${STOCKD_BIN:-}
if [ -z "$bin" ]; then
	bin=$dir/stockd
	CGO_ENABLED=0 go build -o "$bin" ./cmd/stockd
fi
case $bin in /*) ;; *) bin=$root/$bin ;; esac
go build -o "$dir/driver" ./internal/soak/driver

token=soak-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
# stockd runs in the temp folder so no .env of the checkout applies.
export_env=(env -i PATH="$PATH" HOME="$dir" HTTP_ADDR=127.0.0.1:$base API_TOKEN="$token"
	CLICKHOUSE_HOST=127.0.0.1 CLICKHOUSE_PORT=$TEST_CLICKHOUSE_PORT CLICKHOUSE_HTTP_PORT=$TEST_CLICKHOUSE_HTTP_PORT CLICKHOUSE_DATABASE=stock_soak
	REDIS_HOST=127.0.0.1 REDIS_PORT=$TEST_REDIS_PORT REDIS_PASSWORD="$STOCKD_TEST_REDIS_PASSWORD" LOG_LEVEL=warn)
say "demo market into ClickHouse"
(cd "$dir" && "${export_env[@]}" "$bin" demo --stocks 300 --etfs 30 --days 250 >"$dir/demo.log" 2>&1)
(cd "$dir" && exec "${export_env[@]}" "$bin" serve >"$dir/stockd.log" 2>&1) &
stockd_pid=$!
for _ in $(seq 1 300); do
	curl -fsS "http://127.0.0.1:$base/health" >/dev/null 2>&1 && break
	kill -0 "$stockd_pid" 2>/dev/null || { cat "$dir/stockd.log" >&2; exit 1; }
	sleep 0.1
done

say "$duration of traffic on http://127.0.0.1:$base"
status=0
"$dir/driver" -url "http://127.0.0.1:$base" -token "$token" -duration "$duration" ${SOAK_RATE:+-rate "$SOAK_RATE"} \
	-redis-down "scripts/test-services.sh down redis --kill" -redis-up "scripts/test-services.sh up redis" \
	-store-down "scripts/test-services.sh down clickhouse" -store-kill "scripts/test-services.sh down clickhouse --kill" \
	-store-up "scripts/test-services.sh up clickhouse" ${SOAK_JSON:+-json "$SOAK_JSON"} || status=$?

kill -0 "$stockd_pid" 2>/dev/null || { say "stockd died"; status=1; }
# What stockd logged, by level (ERRORs are expected while the store is down).
say "stockd log lines by level: $(grep -oE 'level=[A-Z]+' "$dir/stockd.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
if grep -q 'panic' "$dir/stockd.log"; then
	say "stockd logged a panic:"; grep -m5 -A5 panic "$dir/stockd.log" >&2; status=1
fi
[ "$status" -eq 0 ] || { say "stockd log tail:"; tail -n 30 "$dir/stockd.log" >&2; }
exit $status
