#!/usr/bin/env bash
# The Docker topology as plain processes on loopback, for machines without a Docker engine:
#   clickhouse-server (stock_data + default), redis-server (the flags of docker-compose.infra.yml),
#   stockd (migrate, demo when empty, serve) and nginx (docker/nginx.conf rendered as the image does).
#
#   scripts/local-stack.sh up        start everything, wait until healthy, print the URLs
#   scripts/local-stack.sh down      stop what `up` started (recorded pids only)
#   scripts/local-stack.sh status    one line per process
#   scripts/local-stack.sh env       shell exports for scripts/acceptance.sh
#   scripts/local-stack.sh restart-backend
#
# Env: STACK_DIR (./tmp/local-stack), STACK_PORT_FRONTEND 3001, STACK_PORT_BACKEND 8000,
# STACK_PORT_REDIS 6379, STACK_PORT_CLICKHOUSE_HTTP 8123, STACK_PORT_CLICKHOUSE 9000,
# STACK_PORT_CLICKHOUSE_INTERSERVER 9009, STOCKD_BIN (default: go build into STACK_DIR),
# STACK_WEB_DIR (default web/dist; a placeholder page when it is not built),
# STACK_DEMO_ARGS (default "--stocks 300 --etfs 40 --days 60").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${STACK_DIR:-$ROOT/tmp/local-stack}
P_FRONT=${STACK_PORT_FRONTEND:-3001}
P_BACK=${STACK_PORT_BACKEND:-8000}
P_REDIS=${STACK_PORT_REDIS:-6379}
P_CH_HTTP=${STACK_PORT_CLICKHOUSE_HTTP:-8123}
P_CH_TCP=${STACK_PORT_CLICKHOUSE:-9000}
P_CH_INTER=${STACK_PORT_CLICKHOUSE_INTERSERVER:-9009}
DEMO_ARGS=${STACK_DEMO_ARGS:---stocks 300 --etfs 40 --days 60}
# After `up`, the other commands use the ports it recorded.
if [ "${1:-}" != up ] && [ -f "$STATE/ports" ]; then
	# shellcheck disable=SC1091
	. "$STATE/ports"
fi

log() { echo "local-stack: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=scripts/stack-lib.sh
. "$ROOT/scripts/stack-lib.sh"

redis_password() {
	if [ ! -s "$STATE/redis.password" ]; then
		(umask 077 && (openssl rand -hex 24 2>/dev/null || od -An -tx1 -N24 /dev/urandom | tr -d ' \n') >"$STATE/redis.password")
	fi
	tr -d '\n' <"$STATE/redis.password"
}

# Redis flags come from the compose file (one place for both): the `command: redis-server …`
# line of docker-compose.infra.yml, without --requirepass (the local password is our own).
redis_flags() {
	local line
	line=$(grep -E '^[[:space:]]*command:[[:space:]]*redis-server ' "$ROOT/docker-compose.infra.yml" | head -n 1)
	[ -n "$line" ] || die "no 'command: redis-server …' line in docker-compose.infra.yml"
	line=${line#*redis-server }
	echo "${line%%--requirepass*}"
}

start_clickhouse() {
	alive clickhouse && { log "clickhouse already running"; return; }
	local dir=$STATE/clickhouse
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$STATE/log"
	sed -e "s#<path>/var/lib/clickhouse/</path>#<path>$dir/data/</path>#" \
		-e "s#<tmp_path>.*</tmp_path>#<tmp_path>$dir/tmp/</tmp_path>#" \
		-e "s#<user_files_path>.*</user_files_path>#<user_files_path>$dir/user_files/</user_files_path>#" \
		-e "s#<format_schema_path>.*</format_schema_path>#<format_schema_path>$dir/format_schemas/</format_schema_path>#" \
		-e "s#<log>.*</log>#<log>$STATE/log/clickhouse.log</log>#" \
		-e "s#<errorlog>.*</errorlog>#<errorlog>$STATE/log/clickhouse.err.log</errorlog>#" \
		-e "s#<http_port>8123</http_port>#<http_port>$P_CH_HTTP</http_port>#" \
		-e "s#<tcp_port>9000</tcp_port>#<tcp_port>$P_CH_TCP</tcp_port>#" \
		-e "s#<interserver_http_port>9009</interserver_http_port>#<interserver_http_port>$P_CH_INTER</interserver_http_port>#" \
		-e "/<https_port>/d" -e "/<tcp_port_secure>/d" \
		-e "s#<listen_host>::1</listen_host>##" \
		-e "s#<listen_host>::</listen_host>##" \
		-e "s#<listen_host>0.0.0.0</listen_host>##" \
		/etc/clickhouse-server/config.xml >"$dir/config.xml"
	grep -q '<listen_host>127.0.0.1</listen_host>' "$dir/config.xml" ||
		sed -i 's#</yandex>#<listen_host>127.0.0.1</listen_host></yandex>#; s#</clickhouse>#<listen_host>127.0.0.1</listen_host></clickhouse>#' "$dir/config.xml"
	cp /etc/clickhouse-server/users.xml "$dir/users.xml"
	clickhouse-server --config-file="$dir/config.xml" >"$STATE/log/clickhouse.stdout" 2>&1 &
	echo $! >"$STATE/clickhouse.pid"
	wait_for clickhouse 30 curl -fsS "http://127.0.0.1:$P_CH_HTTP/ping"
	# What docker/init-clickhouse.sql does in the container.
	curl -fsS "http://127.0.0.1:$P_CH_HTTP/" --data-binary @"$ROOT/docker/init-clickhouse.sql" >/dev/null
	log "clickhouse 127.0.0.1:$P_CH_TCP (http $P_CH_HTTP)"
}

start_redis() {
	alive redis && { log "redis already running"; return; }
	mkdir -p "$STATE/redis" "$STATE/log"
	local pw flags
	pw=$(redis_password)
	flags=$(redis_flags)
	# shellcheck disable=SC2086 # flags are words
	redis-server --port "$P_REDIS" --bind 127.0.0.1 --dir "$STATE/redis" $flags --requirepass "$pw" \
		>"$STATE/log/redis.log" 2>&1 &
	echo $! >"$STATE/redis.pid"
	wait_for redis 15 redis-cli -p "$P_REDIS" -a "$pw" --no-auth-warning ping
	log "redis 127.0.0.1:$P_REDIS ($flags)"
}


# stockd runs in STATE (so a developer's ./.env is not read) with the settings the compose files
# give it. `env` execs stockd, so a pid taken with $! is stockd's own.
STOCKD_ENV=()
stockd_env() {
	STOCKD_ENV=(-C "$STATE" -u SQLITE_PATH -u WEB_DIR
		HTTP_ADDR="127.0.0.1:$P_BACK"
		CLICKHOUSE_HOST=127.0.0.1 CLICKHOUSE_PORT="$P_CH_TCP" CLICKHOUSE_HTTP_PORT="$P_CH_HTTP"
		CLICKHOUSE_USER=default CLICKHOUSE_PASSWORD= CLICKHOUSE_DATABASE=stock_data
		REDIS_HOST=127.0.0.1 REDIS_PORT="$P_REDIS" REDIS_PASSWORD="$(redis_password)" REDIS_DB=1
		CACHE_PREFIX=stock: LOG_LEVEL="${LOG_LEVEL:-info}" LOG_FORMAT="${LOG_FORMAT:-text}")
}
stockd_run() { stockd_env; env "${STOCKD_ENV[@]}" "$@"; }

start_backend() {
	alive stockd && { log "stockd already running"; return; }
	local bin
	bin=$(stockd_bin)
	echo "$bin" >"$STATE/stockd.bin"
	stockd_run "$bin" migrate >>"$STATE/log/stockd.log" 2>&1 || die "stockd migrate failed; see $STATE/log/stockd.log"
	if [ ! -f "$STATE/demo.done" ]; then
		# shellcheck disable=SC2086
		stockd_run "$bin" demo $DEMO_ARGS >>"$STATE/log/stockd.log" 2>&1 || die "stockd demo failed; see $STATE/log/stockd.log"
		touch "$STATE/demo.done"
	fi
	serve_backend
}

serve_backend() {
	local bin
	bin=$(cat "$STATE/stockd.bin")
	if curl -fsS --max-time 2 "http://127.0.0.1:$P_BACK/health" >/dev/null 2>&1; then
		die "port $P_BACK already answers /health: another stockd is running (STACK_PORT_BACKEND picks another port)"
	fi
	stockd_env
	env "${STOCKD_ENV[@]}" "$bin" serve >>"$STATE/log/stockd.log" 2>&1 &
	echo $! >"$STATE/stockd.pid"
	wait_for stockd 30 curl -fsS "http://127.0.0.1:$P_BACK/health"
	alive stockd || die "stockd exited; see $STATE/log/stockd.log"
	log "stockd http://127.0.0.1:$P_BACK"
}

web_root() {
	local dir=${STACK_WEB_DIR:-$ROOT/web/dist}
	if [ -f "$dir/index.html" ]; then
		echo "$dir"
		return
	fi
	log "no built UI in $dir (make web); serving a placeholder page"
	mkdir -p "$STATE/www"
	printf '<!doctype html><title>stockd</title><p>The web UI is not built (make web).</p>\n' >"$STATE/www/index.html"
	echo "$STATE/www"
}

start_nginx() {
	alive nginx && { log "nginx already running"; return; }
	local dir=$STATE/nginx
	mkdir -p "$dir/conf.d"
	# Rendered exactly as the nginx image renders /etc/nginx/templates/default.conf.template.
	BACKEND_HOST=127.0.0.1 BACKEND_PORT=$P_BACK LISTEN_PORT=$P_FRONT RESOLVER=127.0.0.1 WEB_ROOT=$(web_root) \
		envsubst '${BACKEND_HOST} ${BACKEND_PORT} ${LISTEN_PORT} ${RESOLVER} ${WEB_ROOT}' \
		<"$ROOT/docker/nginx.conf" >"$dir/conf.d/default.conf"
	run_nginx "http://127.0.0.1:$P_FRONT/"
}


print_env() {
	cat <<ENV
export FRONTEND_URL=http://127.0.0.1:$P_FRONT
export BACKEND_URL=http://127.0.0.1:$P_BACK
export REDIS_HOST=127.0.0.1
export REDIS_PORT=$P_REDIS
export REDIS_PASSWORD=$(redis_password)
export CLICKHOUSE_HOST=127.0.0.1
export CLICKHOUSE_HTTP_PORT=$P_CH_HTTP
export CLICKHOUSE_USER=default
export CLICKHOUSE_PASSWORD=
export RESTART_BACKEND_CMD="$ROOT/scripts/local-stack.sh restart-backend"
ENV
}

case ${1:-} in
up)
	tools="clickhouse-server redis-server redis-cli nginx envsubst curl"
	[ -n "${STOCKD_BIN:-}" ] || tools="$tools go"
	for tool in $tools; do
		command -v "$tool" >/dev/null || die "$tool is not installed (scripts/test-services.sh install)"
	done
	mkdir -p "$STATE/log" "$STATE/bin"
	printf 'P_FRONT=%s\nP_BACK=%s\nP_REDIS=%s\nP_CH_HTTP=%s\nP_CH_TCP=%s\nP_CH_INTER=%s\n' \
		"$P_FRONT" "$P_BACK" "$P_REDIS" "$P_CH_HTTP" "$P_CH_TCP" "$P_CH_INTER" >"$STATE/ports"
	start_clickhouse
	start_redis
	start_backend
	start_nginx
	print_env >"$STATE/env"
	log "up: web http://127.0.0.1:$P_FRONT  backend http://127.0.0.1:$P_BACK/health  (exports: $0 env)"
	;;
down)
	for name in nginx stockd redis clickhouse; do stop_one "$name"; done
	;;
restart-backend)
	stop_one stockd
	if curl -fsS "http://127.0.0.1:$P_BACK/health" >/dev/null 2>&1; then
		die "something still answers on :$P_BACK after stopping stockd"
	fi
	serve_backend
	;;
status)
	rc=0
	for name in clickhouse redis stockd nginx; do
		if alive "$name"; then echo "$name running (pid $(cat "$STATE/$name.pid"))"; else echo "$name stopped"; rc=1; fi
	done
	exit $rc
	;;
env)
	print_env
	;;
*)
	sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
