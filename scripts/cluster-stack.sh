#!/usr/bin/env bash
# The cluster topology of docker-compose.cluster.yml as plain processes on loopback
# (docs/SCALING.md): Redis (a master, a replica and three Sentinels, or a six-node Redis
# Cluster), a replicated ClickHouse (scripts/clickhouse-cluster.sh: ZooKeeper and two
# clickhouse-server replicas of one shard of the cluster "stockd"), three `stockd serve`
# replicas sharing both (CLICKHOUSE_HOST names both ClickHouse replicas: client-side
# failover; CLICKHOUSE_CLUSTER=stockd), and nginx with an upstream of the three
# (docker/nginx-cluster.conf). The fault tests of internal/deploy/cluster
# drive it; it is also how to try the topology by hand.
#
#   scripts/cluster-stack.sh up               start everything, wait until healthy, print the URLs
#   scripts/cluster-stack.sh down             stop what `up` started (recorded pids only)
#   scripts/cluster-stack.sh env              shell exports: URLs, ports, the Redis topology, pid files
#   scripts/cluster-stack.sh status           one line per process; exit 1 when one is down
#   scripts/cluster-stack.sh kill-backend N   SIGKILL stockd replica N (1..3), as a crash
#   scripts/cluster-stack.sh start-backend N [K=V…]  start replica N again; N=4..9 starts one more
#                                             stockd on BASE+N outside nginx's upstream; K=V are
#                                             settings of its own (e.g. CACHE_L1_SIZE=10000)
#   scripts/cluster-stack.sh kill-clickhouse N    SIGKILL ClickHouse replica N (1 or 2), as a crash
#   scripts/cluster-stack.sh start-clickhouse N   start ClickHouse replica N again on its data
#
# Env (read by `up`; later commands use what `up` recorded):
#   CLUSTER_DIR         state, logs, pid files (default ./tmp/cluster-stack)
#   CLUSTER_PORT_BASE   first of 100 ports (default 20700): nginx +0, stockd +1..+3,
#                       Redis Sentinel topology +10..+14, Redis Cluster +20..+31,
#                       ClickHouse: ZooKeeper +40, replica N +10N+41 native, +10N+42 HTTP,
#                       +10N+43 interserver (replica 1 +51..+53, replica 2 +61..+63)
#   CLUSTER_REDIS       sentinel (default) or cluster
#   CLUSTER_DEMO_ARGS   the demo market loaded once (default "--stocks 300 --etfs 40 --days 60")
#   CLUSTER_STOCKD_ENV  extra settings for every replica, "K=V K=V" (e.g. SYNC_AT=17:30 TUSHARE_…)
#   STOCKD_BIN          the stockd binary (default: go build into CLUSTER_DIR)
#   CLUSTER_WEB_DIR     the built UI (default web/dist; a placeholder page when it is not built)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${CLUSTER_DIR:-$ROOT/tmp/cluster-stack}
BASE=${CLUSTER_PORT_BASE:-20700}
REDIS_KIND=${CLUSTER_REDIS:-sentinel}
DEMO_ARGS=${CLUSTER_DEMO_ARGS:---stocks 300 --etfs 40 --days 60}
EXTRA_ENV=${CLUSTER_STOCKD_ENV:-}
REPLICAS=(1 2 3)
# After `up`, the other commands use what it recorded.
if [ "${1:-}" != up ] && [ -f "$STATE/settings" ]; then
	# shellcheck disable=SC1091
	. "$STATE/settings"
fi
P_NGINX=$BASE
P_CH_CLUSTER=$((BASE + 40)) # clickhouse-cluster.sh's base: ZooKeeper there, the replicas above
CH_CLUSTER_NAME=stockd       # as in docker-compose.cluster.yml
backend_port() { echo $((BASE + $1)); }

log() { echo "cluster-stack: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# shellcheck source=scripts/stack-lib.sh
. "$ROOT/scripts/stack-lib.sh"

# The helpers of the test suite start the servers; their state goes under ours.
chcluster() { TEST_CLICKHOUSE_CLUSTER_DIR=$STATE/clickhouse TEST_CLICKHOUSE_CLUSTER_PORT=$P_CH_CLUSTER \
	TEST_CLICKHOUSE_CLUSTER_NAME=$CH_CLUSTER_NAME "$ROOT/scripts/clickhouse-cluster.sh" "$@"; }
topology() { TEST_REDIS_TOPOLOGY_DIR=$STATE/redis TEST_REDIS_SENTINEL_PORT=$((BASE + 10)) \
	TEST_REDIS_CLUSTER_PORT=$((BASE + 20)) "$ROOT/scripts/redis-topology.sh" "$@"; }

# start_clickhouse starts ZooKeeper and the two replicas; `stockd migrate`
# creates the database and the tables on both (ON CLUSTER).
start_clickhouse() {
	chcluster start >"$STATE/clickhouse.env"
	# shellcheck disable=SC1091
	. "$STATE/clickhouse.env"
	log "clickhouse cluster $CH_CLUSTER_NAME: $STOCKD_TEST_CLICKHOUSE_CLUSTER_HOSTS (http $STOCKD_TEST_CLICKHOUSE_CLUSTER_HTTP)"
}

start_redis() {
	topology start "$REDIS_KIND" >"$STATE/redis.env"
	log "redis $REDIS_KIND topology up"
}


# stockd_env fills STOCKD_ENV with the settings every replica shares: the
# compose file's, pointed at the local servers. stockd runs in STATE, so a
# developer's ./.env is not read.
STOCKD_ENV=()
stockd_env() {
	# shellcheck disable=SC1091
	. "$STATE/redis.env"
	# shellcheck disable=SC1091
	. "$STATE/clickhouse.env"
	STOCKD_ENV=(-C "$STATE" -u SQLITE_PATH -u WEB_DIR -u REDIS_HOST -u REDIS_PORT -u CLICKHOUSE_PORT -u CLICKHOUSE_HTTP_PORT
		CLICKHOUSE_HOST="$STOCKD_TEST_CLICKHOUSE_CLUSTER_HOSTS" CLICKHOUSE_CLUSTER="$STOCKD_TEST_CLICKHOUSE_CLUSTER"
		CLICKHOUSE_USER=default CLICKHOUSE_PASSWORD= CLICKHOUSE_DATABASE=stock_data
		REDIS_MODE="$REDIS_KIND" REDIS_PASSWORD="$STOCKD_TEST_REDIS_TOPOLOGY_PASSWORD"
		CACHE_PREFIX=stock: LOG_LEVEL="${LOG_LEVEL:-info}" LOG_FORMAT="${LOG_FORMAT:-text}")
	if [ "$REDIS_KIND" = sentinel ]; then
		STOCKD_ENV+=(REDIS_ADDRS="$STOCKD_TEST_REDIS_SENTINELS" REDIS_SENTINEL_MASTER="$STOCKD_TEST_REDIS_SENTINEL_MASTER"
			REDIS_SENTINEL_PASSWORD="$STOCKD_TEST_REDIS_SENTINEL_PASSWORD" REDIS_DB=1)
	else
		STOCKD_ENV+=(REDIS_ADDRS="$STOCKD_TEST_REDIS_CLUSTER" REDIS_DB=0)
	fi
	local kv
	for kv in $EXTRA_ENV; do STOCKD_ENV+=("$kv"); done
}

load_data() {
	local bin
	bin=$(stockd_bin)
	echo "$bin" >"$STATE/stockd.bin"
	stockd_env
	env "${STOCKD_ENV[@]}" "$bin" migrate >>"$STATE/log/load.log" 2>&1 || die "stockd migrate failed; see $STATE/log/load.log"
	# shellcheck disable=SC2086
	env "${STOCKD_ENV[@]}" "$bin" demo --if-empty $DEMO_ARGS >>"$STATE/log/load.log" 2>&1 ||
		die "stockd demo failed; see $STATE/log/load.log"
}

start_backend() { # N [K=V…]
	local n=$1 port bin
	shift
	case $n in [1-9]) ;; *) die "replica number $n: want 1..9 (1..3 are nginx's upstream)" ;; esac
	port=$(backend_port "$n")
	alive "stockd-$n" && { log "stockd $n already running"; return; }
	if curl -fsS --max-time 2 "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
		die "port $port already answers /health: another stockd is running (CLUSTER_PORT_BASE picks other ports)"
	fi
	bin=$(cat "$STATE/stockd.bin")
	stockd_env
	# env execs stockd, so $! is stockd's own pid.
	env "${STOCKD_ENV[@]}" "$@" HTTP_ADDR="127.0.0.1:$port" "$bin" serve >>"$STATE/log/stockd-$n.log" 2>&1 &
	echo $! >"$STATE/stockd-$n.pid"
	wait_for "stockd $n" 60 curl -fsS "http://127.0.0.1:$port/health"
	alive "stockd-$n" || die "stockd $n exited; see $STATE/log/stockd-$n.log"
	log "stockd $n http://127.0.0.1:$port"
}

kill_backend() {
	local n=$1 pid
	[ -f "$STATE/stockd-$n.pid" ] || die "stockd $n is not running"
	pid=$(cat "$STATE/stockd-$n.pid")
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$STATE/stockd-$n.pid"
	log "killed stockd $n (pid $pid)"
}

web_root() {
	local dir=${CLUSTER_WEB_DIR:-$ROOT/web/dist}
	if [ -f "$dir/index.html" ]; then
		echo "$dir"
		return
	fi
	mkdir -p "$STATE/www"
	printf '<!doctype html><title>stockd</title><p>The web UI is not built (make web).</p>\n' >"$STATE/www/index.html"
	echo "$STATE/www"
}

start_nginx() {
	alive nginx && { log "nginx already running"; return; }
	local dir=$STATE/nginx
	mkdir -p "$dir/conf.d"
	LISTEN_PORT=$P_NGINX WEB_ROOT=$(web_root) BACKEND_1=127.0.0.1:$(backend_port 1) \
		BACKEND_2=127.0.0.1:$(backend_port 2) BACKEND_3=127.0.0.1:$(backend_port 3) \
		envsubst '${LISTEN_PORT} ${WEB_ROOT} ${BACKEND_1} ${BACKEND_2} ${BACKEND_3}' \
		<"$ROOT/docker/nginx-cluster.conf" >"$dir/conf.d/default.conf"
	run_nginx "http://127.0.0.1:$P_NGINX/health"
}


print_env() {
	local n urls="" pids=""
	# shellcheck disable=SC1091
	. "$STATE/clickhouse.env"
	for n in "${REPLICAS[@]}"; do
		urls+="${urls:+,}http://127.0.0.1:$(backend_port "$n")"
		pids+="${pids:+,}$STATE/stockd-$n.pid"
	done
	cat <<ENV
export CLUSTER_URL=http://127.0.0.1:$P_NGINX
export CLUSTER_BACKEND_URLS=$urls
export CLUSTER_BACKEND_PIDS=$pids
export CLUSTER_REDIS=$REDIS_KIND
export CLUSTER_CLICKHOUSE=$STOCKD_TEST_CLICKHOUSE_CLUSTER_HOSTS
export CLUSTER_CLICKHOUSE_HTTP=${STOCKD_TEST_CLICKHOUSE_CLUSTER_HTTP%%,*}
export CLUSTER_DIR=$STATE
export CLUSTER_STACK="$ROOT/scripts/cluster-stack.sh"
ENV
	# The Redis topology, as redis-topology.sh prints it (addresses, password, node pid files),
	# and the ClickHouse cluster as clickhouse-cluster.sh does (name, hosts, HTTP, state dir).
	cat "$STATE/redis.env" "$STATE/clickhouse.env"
}

case ${1:-} in
up)
	case $REDIS_KIND in sentinel | cluster) ;; *) die "CLUSTER_REDIS=$REDIS_KIND: want sentinel or cluster" ;; esac
	tools="clickhouse-server java redis-server redis-sentinel redis-cli nginx envsubst curl"
	[ -n "${STOCKD_BIN:-}" ] || tools="$tools go"
	for tool in $tools; do
		command -v "$tool" >/dev/null || die "$tool is not installed (scripts/test-services.sh install)"
	done
	mkdir -p "$STATE/log" "$STATE/bin"
	printf 'BASE=%s\nREDIS_KIND=%s\nEXTRA_ENV=%q\n' "$BASE" "$REDIS_KIND" "$EXTRA_ENV" >"$STATE/settings"
	start_clickhouse
	start_redis
	load_data
	for n in "${REPLICAS[@]}"; do start_backend "$n"; done
	start_nginx
	log "up: http://127.0.0.1:$P_NGINX (three replicas, Redis $REDIS_KIND; exports: $0 env)"
	;;
down)
	stop_one nginx
	for n in 1 2 3 4 5 6 7 8 9; do stop_one "stockd-$n"; done
	topology stop
	chcluster stop
	log "stopped"
	;;
env)
	[ -f "$STATE/settings" ] || die "not up (no $STATE/settings)"
	print_env
	;;
status)
	rc=0
	# name=pid file (clickhouse-cluster.sh keeps its own under clickhouse/)
	for entry in nginx=nginx.pid stockd-1=stockd-1.pid stockd-2=stockd-2.pid stockd-3=stockd-3.pid \
		zookeeper=clickhouse/zookeeper/pid clickhouse-1=clickhouse/replica-1/pid clickhouse-2=clickhouse/replica-2/pid; do
		name=${entry%%=*} pidfile=$STATE/${entry#*=}
		if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
			echo "$name running (pid $(cat "$pidfile"))"
		else
			echo "$name stopped"
			rc=1
		fi
	done
	exit $rc
	;;
kill-backend)
	kill_backend "${2:?replica number (1..3)}"
	;;
start-backend)
	shift
	start_backend "${1:?replica number (1..9)}" "${@:2}"
	;;
kill-clickhouse)
	chcluster kill "${2:?replica number (1 or 2)}"
	log "killed clickhouse replica $2"
	;;
start-clickhouse)
	chcluster start-replica "${2:?replica number (1 or 2)}"
	log "clickhouse replica $2 up"
	;;
*)
	sed -n '2,32p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
