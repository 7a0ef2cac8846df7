#!/usr/bin/env bash
# The acceptance list of the deployment (DESIGN.md §10), against any running stack:
#   scripts/acceptance.sh FRONTEND_URL BACKEND_URL
# Env: REDIS_HOST (127.0.0.1) REDIS_PORT (6379) REDIS_PASSWORD; CLICKHOUSE_HOST (127.0.0.1)
# CLICKHOUSE_HTTP_PORT (8123) CLICKHOUSE_USER (default) CLICKHOUSE_PASSWORD;
# RESTART_BACKEND_CMD (a command that restarts the backend; the restart check is skipped without it);
# LANGFUSE_URL (optional: also check Langfuse's health).
# Prints one line per check, `ok` or `FAIL`, and exits non-zero when any check fails.
set -uo pipefail

FRONT=${1:?usage: acceptance.sh FRONTEND_URL BACKEND_URL}
BACK=${2:?usage: acceptance.sh FRONTEND_URL BACKEND_URL}
FRONT=${FRONT%/}
BACK=${BACK%/}
RH=${REDIS_HOST:-127.0.0.1}
RP=${REDIS_PORT:-6379}
CH="http://${CLICKHOUSE_HOST:-127.0.0.1}:${CLICKHOUSE_HTTP_PORT:-8123}/"
CH_USER=${CLICKHOUSE_USER:-default}
CH_PASS=${CLICKHOUSE_PASSWORD:-}
STATS=/api/overview/market-stats
# stockd's tables (DESIGN.md §5): none of them may appear in ClickHouse's `default` database.
OUR_TABLES="stock_basic daily daily_basic adj_factor etf_basic etf_daily trade_cal workflows schema_migrations"

failed=0
ok() { printf 'ok    %s\n' "$1"; }
fail() { printf 'FAIL  %s: %s\n' "$1" "$2"; failed=1; }
skip() { printf 'skip  %s: %s\n' "$1" "$2"; }

rcli() { REDISCLI_AUTH=${REDIS_PASSWORD:-} redis-cli -h "$RH" -p "$RP" --no-auth-warning "$@"; }
chq() { curl -fsS --max-time 10 -u "$CH_USER:$CH_PASS" "$CH" --data-binary "$1"; }
code() { curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$@"; }
json_get() { # file, jq path (.a.b.c); jq, else python3, else a grep for the last key's string value
	if command -v jq >/dev/null; then jq -er "$2 // empty" <"$1" 2>/dev/null; return; fi
	if ! command -v python3 >/dev/null; then
		local key=${2##*.} scope
		scope=$(echo "$2" | awk -F. '{print $(NF-1)}')
		if [ -n "$scope" ] && [ "$scope" != "$key" ]; then
			grep -oE "\"$scope\"[[:space:]]*:[[:space:]]*\{[^}]*\"$key\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" "$1" | grep -oE '"[^"]*"$' | tr -d '"'
		else
			grep -oE "\"$key\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" "$1" | head -n 1 | grep -oE '"[^"]*"$' | tr -d '"'
		fi
		return
	fi
	python3 - "$1" "$2" <<'PY' 2>/dev/null
import json, sys
v = json.load(open(sys.argv[1]))
for part in sys.argv[2].lstrip('.').split('.'):
    v = v[part]
print(v if not isinstance(v, (dict, list)) else json.dumps(v))
PY
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/health" "$tmp/stats"

# 1. Web UI on the frontend port, served by nginx, with the SPA fallback.
c=$(code "$FRONT/")
[ "$c" = 200 ] && ok "frontend $FRONT/ answers 200" || fail "frontend $FRONT/ answers 200" "HTTP $c"
c=$(code "$FRONT/some/client/route")
[ "$c" = 200 ] && ok "frontend SPA fallback" || fail "frontend SPA fallback" "HTTP $c"

# 2. Backend /health: 200 with redis and clickhouse status, directly and through nginx.
c=$(curl -s -o "$tmp/health" --max-time 10 -w '%{http_code}' "$BACK/health")
ch_status=$(json_get "$tmp/health" .services.clickhouse.status)
redis_status=$(json_get "$tmp/health" .services.redis.status)
if [ "$c" = 200 ] && [ -n "$ch_status" ] && [ -n "$redis_status" ]; then
	ok "backend /health 200 (clickhouse: $ch_status, redis: $redis_status)"
else
	fail "backend /health 200 with clickhouse and redis status" "HTTP $c $(head -c 300 "$tmp/health")"
fi
[ "$redis_status" = up ] || [ "$redis_status" = ok ] || [ "$redis_status" = healthy ] && ok "redis reported up" || fail "redis reported up" "status '$redis_status'"
[ "$ch_status" = up ] || [ "$ch_status" = ok ] || [ "$ch_status" = healthy ] && ok "clickhouse reported up" || fail "clickhouse reported up" "status '$ch_status'"
c=$(code "$FRONT/health")
[ "$c" = 200 ] && ok "frontend proxies /health" || fail "frontend proxies /health" "HTTP $c"
c=$(curl -s -o "$tmp/stats" --max-time 10 -w '%{http_code}' "$FRONT$STATS")
if [ "$c" = 200 ] && [ -n "$(json_get "$tmp/stats" .trade_date)" ]; then
	ok "frontend proxies $STATS"
else
	fail "frontend proxies $STATS" "HTTP $c $(head -c 200 "$tmp/stats")"
fi

# 3. A cache hit answers in < 50 ms (first request may fill the cache; the best of the next three counts).
curl -s -o /dev/null --max-time 10 "$BACK$STATS"
best=""
for _ in 1 2 3; do
	t=$(curl -s -o /dev/null --max-time 10 -w '%{time_total}' "$BACK$STATS")
	if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
done
ms=$(awk -v t="$best" 'BEGIN{printf "%.1f", t*1000}')
awk -v t="$best" 'BEGIN{exit !(t>0 && t<0.05)}' && ok "cache hit in ${ms} ms (< 50 ms)" || fail "cache hit < 50 ms" "${ms} ms"

# 4. Redis: our keys only in DB 1 under stock:, none in DB 0; 1 GB limit, volatile-lru.
if rcli ping 2>/dev/null | grep -q PONG; then
	rcli -n 1 --scan >"$tmp/db1"
	total=$(wc -l <"$tmp/db1")
	foreign=$(grep -vc '^stock:' "$tmp/db1")
	if [ "$total" -gt 0 ] && [ "$foreign" -eq 0 ]; then
		ok "redis DB 1 holds $total keys, all under stock:"
	else
		fail "redis DB 1 holds our keys, all under stock:" "$total keys, $foreign outside stock:"
	fi
	n0=$(rcli -n 0 --scan --pattern 'stock:*' | wc -l)
	[ "$n0" -eq 0 ] && ok "redis DB 0 has no stock: keys" || fail "redis DB 0 has no stock: keys" "$n0 found"
	mm=$(rcli config get maxmemory | sed -n 2p)
	[ "$mm" = 1073741824 ] && ok "redis maxmemory 1 GB" || fail "redis maxmemory 1 GB" "maxmemory=$mm"
	pol=$(rcli config get maxmemory-policy | sed -n 2p)
	[ "$pol" = volatile-lru ] && ok "redis maxmemory-policy volatile-lru" || fail "redis maxmemory-policy volatile-lru" "$pol"
else
	fail "redis reachable at $RH:$RP" "no PONG"
fi

# 5. ClickHouse: stock_data holds our tables, default holds none of them.
if dbs=$(chq 'SHOW DATABASES' 2>"$tmp/cherr"); then
	echo "$dbs" | grep -qx stock_data && ok "clickhouse has database stock_data" || fail "clickhouse has database stock_data" "$(echo $dbs)"
	ours=$(chq 'SHOW TABLES FROM stock_data')
	echo "$ours" | grep -qx daily && echo "$ours" | grep -qx stock_basic &&
		ok "stock_data holds stockd's tables" || fail "stock_data holds stockd's tables" "$(echo $ours)"
	def=$(chq 'SHOW TABLES FROM default')
	leaked=""
	for t in $OUR_TABLES; do echo "$def" | grep -qx "$t" && leaked="$leaked $t"; done
	[ -z "$leaked" ] && ok "default database has no stockd tables" || fail "default database has no stockd tables" "found:$leaked"
else
	fail "clickhouse reachable at $CH" "$(cat "$tmp/cherr")"
fi

# 6. A backend restart loses no data.
counts() { chq "SELECT (SELECT count() FROM stock_data.daily), (SELECT count() FROM stock_data.stock_basic), (SELECT count() FROM stock_data.etf_daily)" | tr '\t' ' '; }
if [ -n "${RESTART_BACKEND_CMD:-}" ]; then
	before=$(counts 2>&1)
	curl -s --max-time 10 "$BACK$STATS" >"$tmp/stats.before"
	if bash -c "$RESTART_BACKEND_CMD" >"$tmp/restart.log" 2>&1; then
		up=0
		for _ in $(seq 1 120); do
			[ "$(code "$BACK/health")" = 200 ] && { up=1; break; }
			sleep 0.5
		done
		after=$(counts 2>&1)
		curl -s --max-time 10 "$BACK$STATS" >"$tmp/stats.after"
		if [ "$up" = 1 ] && [ "$before" = "$after" ] && [ "${before%% *}" -gt 0 ] 2>/dev/null && cmp -s "$tmp/stats.before" "$tmp/stats.after"; then
			ok "backend restart keeps the data (daily, stock_basic, etf_daily rows: $after)"
		else
			fail "backend restart keeps the data" "healthy=$up before='$before' after='$after'"
		fi
	else
		fail "backend restart" "$(tail -n 5 "$tmp/restart.log")"
	fi
else
	skip "backend restart keeps the data" "RESTART_BACKEND_CMD not set"
fi

# 7. Langfuse, when part of the stack.
if [ -n "${LANGFUSE_URL:-}" ]; then
	c=$(code "${LANGFUSE_URL%/}/api/public/health")
	[ "$c" = 200 ] && ok "langfuse ${LANGFUSE_URL} healthy" || fail "langfuse ${LANGFUSE_URL} healthy" "HTTP $c"
fi

exit $failed
