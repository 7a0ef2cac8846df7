#!/usr/bin/env bash
# Installs (when missing), starts and stops the real servers the tests use:
# clickhouse-server and redis-server on loopback, on their own ports and in a
# throwaway state directory. `start` prints the environment the Go tests read.
#
#   scripts/test-services.sh install     # Debian packages the tests need
#   eval "$(scripts/test-services.sh start)"
#   scripts/test-services.sh start clickhouse  # only one of the two (scripts/cluster-stack.sh)
#   scripts/test-services.sh down clickhouse|redis [--kill]   # one server down (the soak's faults)
#   scripts/test-services.sh up clickhouse|redis              # and up again, its state kept
#   scripts/test-services.sh stop
set -euo pipefail

STATE=${TEST_SERVICES_DIR:-${TMPDIR:-/tmp}/stockd-test-services}
CH_TCP=${TEST_CLICKHOUSE_PORT:-19000}
CH_HTTP=${TEST_CLICKHOUSE_HTTP_PORT:-18123}
CH_INTER=${TEST_CLICKHOUSE_INTERSERVER_PORT:-19009}
REDIS_PORT=${TEST_REDIS_PORT:-16379}
REDIS_PASSWORD=${TEST_REDIS_PASSWORD:-stockd-test}

PACKAGES=(redis-server redis-sentinel redis-tools clickhouse-server clickhouse-client zookeeper nginx chromium fonts-wqy-microhei wrk curl ca-certificates gettext-base jq time util-linux)

log() { echo "test-services: $*" >&2; }

install() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		log "all packages present"
		return
	fi
	log "installing ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

wait_for() { # name, command… (30 s: a busy machine starts ClickHouse slowly)
	local name=$1; shift
	for _ in $(seq 1 300); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	log "$name did not come up; see $STATE"
	return 1
}

start_clickhouse() {
	local dir=$STATE/clickhouse
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
	sed -e "s#<path>/var/lib/clickhouse/</path>#<path>$dir/data/</path>#" \
		-e "s#<tmp_path>.*</tmp_path>#<tmp_path>$dir/tmp/</tmp_path>#" \
		-e "s#<user_files_path>.*</user_files_path>#<user_files_path>$dir/user_files/</user_files_path>#" \
		-e "s#<format_schema_path>.*</format_schema_path>#<format_schema_path>$dir/format_schemas/</format_schema_path>#" \
		-e "s#<log>.*</log>#<log>$dir/log/server.log</log>#" \
		-e "s#<errorlog>.*</errorlog>#<errorlog>$dir/log/server.err.log</errorlog>#" \
		-e "s#<http_port>8123</http_port>#<http_port>$CH_HTTP</http_port>#" \
		-e "s#<tcp_port>9000</tcp_port>#<tcp_port>$CH_TCP</tcp_port>#" \
		-e "s#<interserver_http_port>9009</interserver_http_port>#<interserver_http_port>$CH_INTER</interserver_http_port>#" \
		-e "/<https_port>/d" -e "/<tcp_port_secure>/d" \
		-e "s#<listen_host>::1</listen_host>##" \
		/etc/clickhouse-server/config.xml >"$dir/config.xml"
	cp /etc/clickhouse-server/users.xml "$dir/users.xml"
	clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
	echo $! >"$STATE/clickhouse.pid"
	wait_for clickhouse curl -fsS "http://127.0.0.1:$CH_HTTP/ping"
}

start_redis() {
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
		--requirepass "$REDIS_PASSWORD" --maxmemory 1gb --maxmemory-policy volatile-lru \
		--dir "$STATE" >"$STATE/redis.log" 2>&1 &
	echo $! >"$STATE/redis.pid"
	wait_for redis redis-cli -p "$REDIS_PORT" -a "$REDIS_PASSWORD" --no-auth-warning ping
}

start() { # which: all (default), clickhouse or redis
	local which=${1:-all}
	case $which in all | clickhouse | redis) ;; *) log "start: want all, clickhouse or redis, not $which"; exit 2 ;; esac
	stop >/dev/null 2>&1 || true
	rm -rf "$STATE"
	mkdir -p "$STATE"
	[ "$which" = redis ] || start_clickhouse
	[ "$which" = clickhouse ] || start_redis
	log "clickhouse 127.0.0.1:$CH_TCP (http $CH_HTTP), redis 127.0.0.1:$REDIS_PORT ($which started), state $STATE"
	cat <<ENV
export STOCKD_TEST_CLICKHOUSE=127.0.0.1:$CH_TCP
export STOCKD_TEST_CLICKHOUSE_HTTP=127.0.0.1:$CH_HTTP
export STOCKD_TEST_REDIS=127.0.0.1:$REDIS_PORT
export STOCKD_TEST_REDIS_PASSWORD=$REDIS_PASSWORD
export STOCKD_TEST_SERVICES_DIR=$STATE
ENV
}

# stop_one NAME [SIGNAL]: SIGTERM (then SIGKILL after 5 s), or the signal
# given (KILL: the server dies at once, as in a crash).
stop_one() {
	local pidfile=$STATE/$1.pid sig=${2:-TERM}
	[ -f "$pidfile" ] || return 0
	local pid
	pid=$(cat "$pidfile")
	kill -s "$sig" "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pidfile"
}

stop() {
	for name in clickhouse redis; do stop_one "$name"; done
}

case "${1:-}" in
install) install ;;
start) start "${2:-all}" ;;
stop) stop ;;
# One server down and up again, its state kept (ClickHouse keeps its data;
# Redis runs without persistence, so it comes back empty): the soak's faults.
down)
	case "${2:-}" in clickhouse | redis) ;; *) echo "usage: $0 down clickhouse|redis [--kill]" >&2; exit 2 ;; esac
	sig=TERM
	[ "${3:-}" = --kill ] && sig=KILL
	stop_one "$2" "$sig"
	;;
up)
	case "${2:-}" in clickhouse | redis) ;; *) echo "usage: $0 up clickhouse|redis" >&2; exit 2 ;; esac
	stop_one "$2"
	"start_$2"
	;;
*) echo "usage: $0 install|start [all|clickhouse|redis]|stop|down NAME [--kill]|up NAME" >&2; exit 2 ;;
esac
