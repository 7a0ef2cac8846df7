#!/usr/bin/env bash
# Starts and stops a replicated ClickHouse cluster as plain processes on
# loopback, from Debian's packages (zookeeper, clickhouse-server; 18.16 has
# no clickhouse-keeper): one ZooKeeper and two clickhouse-server processes
# that are the two replicas of one shard of the cluster "stockd_test"
# (CLICKHOUSE_CLUSTER=stockd_test in stockd). The store's cluster tests and
# the cluster stack (scripts/cluster-stack.sh) run against it.
#
#   eval "$(scripts/clickhouse-cluster.sh start)"   # prints the STOCKD_TEST_CLICKHOUSE_CLUSTER* variables
#   scripts/clickhouse-cluster.sh env               # prints them again for a running cluster
#   scripts/clickhouse-cluster.sh kill N            # SIGKILL replica N (1 or 2), as a crash
#   scripts/clickhouse-cluster.sh start-replica N   # start replica N again on its data
#   scripts/clickhouse-cluster.sh stop
#
# Ports: TEST_CLICKHOUSE_CLUSTER_PORT (default 19240) is ZooKeeper's client
# port; replica N listens on base+10N+1 (native), base+10N+2 (HTTP) and
# base+10N+3 (interserver, where replicas fetch parts from each other).
# State (data, logs, configs, pid files) lives in TEST_CLICKHOUSE_CLUSTER_DIR
# (default: TEST_SERVICES_DIR + "-chcluster").
#
# Each replica's config is Debian's config.xml with paths and ports moved,
# plus config.d/cluster.xml with what a cluster needs (the same elements a
# container deployment mounts): remote_servers (the cluster: one shard, two
# replicas, internal_replication), zookeeper, macros ({shard}, {replica})
# and interserver_http_host. The ZooKeeper session timeout is 5 s (default
# 30 s) so a killed replica's session ends, and it can rejoin, soon.
set -euo pipefail

BASE=${TEST_CLICKHOUSE_CLUSTER_PORT:-19240}
STATE=${TEST_CLICKHOUSE_CLUSTER_DIR:-${TEST_SERVICES_DIR:-${TMPDIR:-/tmp}/stockd-test-services}-chcluster}
CLUSTER=${TEST_CLICKHOUSE_CLUSTER_NAME:-stockd_test}
ZK_PORT=$BASE
REPLICAS=(1 2)

log() { echo "clickhouse-cluster: $*" >&2; }

port() { echo $((BASE + 10 * $1 + $2)); } # replica, 1 native | 2 http | 3 interserver

wait_until() { # seconds, description, command…
	local secs=$1 what=$2; shift 2
	local i
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	log "$what: not within ${secs}s; logs in $STATE"
	return 1
}

zk_ok() { # ZooKeeper answers its four-letter "ruok"
	exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" || return 1
	echo ruok >&3
	local answer
	read -r -t 2 answer <&3 || true
	exec 3<&-
	[ "$answer" = imok ]
}

start_zookeeper() {
	local dir=$STATE/zookeeper
	mkdir -p "$dir/data"
	cat >"$dir/zoo.cfg" <<-CFG
		tickTime=500
		minSessionTimeout=1000
		dataDir=$dir/data
		clientPort=$ZK_PORT
		clientPortAddress=127.0.0.1
		admin.enableServer=false
		4lw.commands.whitelist=ruok,srvr
		maxClientCnxns=0
	CFG
	java -Xmx256m -Dzookeeper.log.dir="$dir" -Dzookeeper.root.logger=WARN,CONSOLE \
		-cp "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar" \
		org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" >"$dir/zookeeper.log" 2>&1 &
	echo $! >"$dir/pid"
	wait_until 60 zookeeper zk_ok
}

# replica_config N: Debian's config with paths and ports moved, and the
# cluster's part in config.d.
replica_config() {
	local n=$1 dir=$STATE/replica-$1
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log" "$dir/config.d"
	sed -e "s#<path>/var/lib/clickhouse/</path>#<path>$dir/data/</path>#" \
		-e "s#<tmp_path>[^<]*</tmp_path>#<tmp_path>$dir/tmp/</tmp_path>#" \
		-e "s#<user_files_path>[^<]*</user_files_path>#<user_files_path>$dir/user_files/</user_files_path>#" \
		-e "s#<format_schema_path>[^<]*</format_schema_path>#<format_schema_path>$dir/format_schemas/</format_schema_path>#" \
		-e "s#<log>[^<]*</log>#<log>$dir/log/server.log</log>#" \
		-e "s#<errorlog>[^<]*</errorlog>#<errorlog>$dir/log/server.err.log</errorlog>#" \
		-e "s#<http_port>8123</http_port>#<http_port>$(port "$n" 2)</http_port>#" \
		-e "s#<tcp_port>9000</tcp_port>#<tcp_port>$(port "$n" 1)</tcp_port>#" \
		-e "s#<interserver_http_port>9009</interserver_http_port>#<interserver_http_port>$(port "$n" 3)</interserver_http_port>#" \
		-e "/<https_port>/d" -e "/<tcp_port_secure>/d" -e "/<listen_host>::1<\/listen_host>/d" \
		/etc/clickhouse-server/config.xml >"$dir/config.xml"
	cp /etc/clickhouse-server/users.xml "$dir/users.xml"
	local r
	{
		echo "<yandex>"
		echo "  <remote_servers>"
		echo "    <$CLUSTER>"
		echo "      <shard>"
		echo "        <internal_replication>true</internal_replication>"
		for r in "${REPLICAS[@]}"; do
			echo "        <replica><host>127.0.0.1</host><port>$(port "$r" 1)</port></replica>"
		done
		echo "      </shard>"
		echo "    </$CLUSTER>"
		echo "  </remote_servers>"
		echo "  <zookeeper>"
		echo "    <node><host>127.0.0.1</host><port>$ZK_PORT</port></node>"
		echo "    <session_timeout_ms>5000</session_timeout_ms>"
		echo "  </zookeeper>"
		echo "  <macros><shard>01</shard><replica>r$n</replica></macros>"
		echo "  <interserver_http_host>127.0.0.1</interserver_http_host>"
		echo "</yandex>"
	} >"$dir/config.d/cluster.xml"
}

start_replica() {
	local n=$1 dir=$STATE/replica-$1
	[ -f "$dir/config.xml" ] || replica_config "$n"
	clickhouse-server --config-file="$dir/config.xml" >>"$dir/log/stdout.log" 2>&1 &
	echo $! >"$dir/pid"
	wait_until 60 "replica $n" curl -fsS "http://127.0.0.1:$(port "$n" 2)/ping"
}

kill_replica() {
	local pidfile=$STATE/replica-$1/pid
	[ -f "$pidfile" ] || { log "replica $1 is not running"; return 1; }
	kill -9 "$(cat "$pidfile")" 2>/dev/null || true
	rm -f "$pidfile"
}

print_env() {
	local hosts="" http="" r
	for r in "${REPLICAS[@]}"; do
		hosts+="${hosts:+,}127.0.0.1:$(port "$r" 1)"
		http+="${http:+,}127.0.0.1:$(port "$r" 2)"
	done
	cat <<-ENV
		export STOCKD_TEST_CLICKHOUSE_CLUSTER=$CLUSTER
		export STOCKD_TEST_CLICKHOUSE_CLUSTER_HOSTS=$hosts
		export STOCKD_TEST_CLICKHOUSE_CLUSTER_HTTP=$http
		export STOCKD_TEST_CLICKHOUSE_CLUSTER_DIR=$STATE
		export STOCKD_TEST_CLICKHOUSE_CLUSTER_PORT=$BASE
	ENV
}

start() {
	for tool in java clickhouse-server curl; do
		command -v "$tool" >/dev/null || { log "$tool not found: run scripts/test-services.sh install"; exit 1; }
	done
	[ -f /usr/share/java/zookeeper.jar ] || { log "ZooKeeper not found: run scripts/test-services.sh install"; exit 1; }
	stop >/dev/null 2>&1 || true
	rm -rf "$STATE"
	mkdir -p "$STATE"
	start_zookeeper
	local r
	for r in "${REPLICAS[@]}"; do start_replica "$r"; done
	# Both replicas see each other and ZooKeeper: a cluster-wide query answers.
	wait_until 60 "the cluster" sh -c "curl -fsS 'http://127.0.0.1:$(port 1 2)/' --data-binary \
		\"SELECT count() FROM remote('127.0.0.1:$(port 2 1)', system.one)\" | grep -q 1 &&
		curl -fsS 'http://127.0.0.1:$(port 1 2)/' --data-binary 'SELECT count() FROM system.zookeeper WHERE path = '\''/'\''' | grep -qv '^0$'"
	log "cluster $CLUSTER: zookeeper 127.0.0.1:$ZK_PORT, replicas 127.0.0.1:$(port 1 1) and 127.0.0.1:$(port 2 1), state $STATE"
	print_env
}

stop() {
	local pidfile pid
	for pidfile in "$STATE"/replica-*/pid "$STATE/zookeeper/pid"; do
		[ -f "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$pidfile"
	done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) print_env ;;
kill) kill_replica "${2:?replica number}" ;;
start-replica) start_replica "${2:?replica number}" ;;
*) echo "usage: $0 start|stop|env|kill N|start-replica N" >&2; exit 2 ;;
esac
