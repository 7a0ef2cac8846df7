#!/usr/bin/env bash
# Starts and stops the replicated Redis topologies the cache's fault tests run
# against, as plain redis-server processes on loopback (Debian's redis-server
# and redis-sentinel packages; nothing else):
#
#   sentinel: a master, one replica and three Sentinels (quorum 2) watching
#             them under the master name "stockd-test";
#   cluster:  six nodes, three masters with one replica each.
#
# Failure detection is set short (Sentinel down-after 1 s, cluster node
# timeout 1 s) so that a killed master is replaced within seconds; the
# production figures are in docs/SCALING.md.
#
#   eval "$(scripts/redis-topology.sh start)"   # prints the STOCKD_TEST_* variables
#   scripts/redis-topology.sh start sentinel     # only one of the two (scripts/cluster-stack.sh)
#   scripts/redis-topology.sh stop
#
# Ports (each a run of consecutive ports, movable so parallel runs do not collide;
# by default they follow test-services.sh's TEST_REDIS_PORT, 16379 unless set):
#   TEST_REDIS_SENTINEL_PORT  first of 5: master, replica, 3 sentinels (TEST_REDIS_PORT+1)
#   TEST_REDIS_CLUSTER_PORT   first of 12: 6 nodes, then their 6 cluster-bus ports (TEST_REDIS_PORT+7)
# State lives in TEST_REDIS_TOPOLOGY_DIR (default: TEST_SERVICES_DIR + "-topology").
set -euo pipefail

STATE=${TEST_REDIS_TOPOLOGY_DIR:-${TEST_SERVICES_DIR:-${TMPDIR:-/tmp}/stockd-test-services}-topology}
SENTINEL_BASE=${TEST_REDIS_SENTINEL_PORT:-$((${TEST_REDIS_PORT:-16379} + 1))}
CLUSTER_BASE=${TEST_REDIS_CLUSTER_PORT:-$((${TEST_REDIS_PORT:-16379} + 7))}
PASSWORD=${TEST_REDIS_PASSWORD:-stockd-test}
SENTINEL_PASSWORD=${TEST_REDIS_SENTINEL_PASSWORD:-stockd-sentinel}
MASTER_NAME=stockd-test

log() { echo "redis-topology: $*" >&2; }

cli() { # port, args…
	local port=$1; shift
	REDISCLI_AUTH=$PASSWORD redis-cli -h 127.0.0.1 -p "$port" --no-auth-warning "$@"
}

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

# node_conf dir port [extra lines…]: the config of one data node. Every node
# gets masterauth, because any of them may become a replica.
node_conf() {
	local dir=$1 port=$2; shift 2
	mkdir -p "$dir"
	{
		echo "port $port"
		echo "bind 127.0.0.1"
		echo "daemonize yes"
		echo "pidfile $dir/redis.pid"
		echo "logfile $dir/redis.log"
		echo "dir $dir"
		echo "save \"\""
		echo "appendonly no"
		echo "requirepass $PASSWORD"
		echo "masterauth $PASSWORD"
		echo "maxmemory 256mb"
		echo "maxmemory-policy volatile-lru"
		for line in "$@"; do echo "$line"; done
	} >"$dir/redis.conf"
}

start_sentinel_topology() {
	local master=$SENTINEL_BASE replica=$((SENTINEL_BASE + 1))
	node_conf "$STATE/node-$master" "$master"
	node_conf "$STATE/node-$replica" "$replica" "replicaof 127.0.0.1 $master"
	redis-server "$STATE/node-$master/redis.conf"
	redis-server "$STATE/node-$replica/redis.conf"
	wait_until 10 "sentinel master" cli "$master" ping
	wait_until 10 "replica in sync" sh -c "REDISCLI_AUTH=$PASSWORD redis-cli -p $replica --no-auth-warning info replication | grep -q 'master_link_status:up'"
	local i port dir
	for i in 2 3 4; do
		port=$((SENTINEL_BASE + i))
		dir=$STATE/sentinel-$port
		mkdir -p "$dir"
		# Sentinel rewrites its file as it learns the topology.
		cat >"$dir/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
requirepass $SENTINEL_PASSWORD
sentinel sentinel-pass $SENTINEL_PASSWORD
sentinel monitor $MASTER_NAME 127.0.0.1 $master 2
sentinel auth-pass $MASTER_NAME $PASSWORD
sentinel down-after-milliseconds $MASTER_NAME 1000
sentinel failover-timeout $MASTER_NAME 5000
sentinel parallel-syncs $MASTER_NAME 1
CONF
		redis-sentinel "$dir/sentinel.conf"
	done
	# The Sentinels find each other through hello messages on the master.
	wait_until 30 "three sentinels agree on a quorum" sh -c \
		"REDISCLI_AUTH=$SENTINEL_PASSWORD redis-cli -p $((SENTINEL_BASE + 2)) --no-auth-warning sentinel ckquorum $MASTER_NAME | grep -q 'OK 3 usable'"
}

start_cluster_topology() {
	local i port addrs=()
	for i in 0 1 2 3 4 5; do
		port=$((CLUSTER_BASE + i))
		node_conf "$STATE/node-$port" "$port" \
			"cluster-enabled yes" \
			"cluster-config-file $STATE/node-$port/nodes.conf" \
			"cluster-port $((CLUSTER_BASE + 6 + i))" \
			"cluster-node-timeout 1000" \
			"cluster-require-full-coverage no"
		redis-server "$STATE/node-$port/redis.conf"
		addrs+=("127.0.0.1:$port")
	done
	for i in 0 1 2 3 4 5; do
		wait_until 10 "cluster node $((CLUSTER_BASE + i))" cli $((CLUSTER_BASE + i)) ping
	done
	REDISCLI_AUTH=$PASSWORD redis-cli --no-auth-warning --cluster create "${addrs[@]}" \
		--cluster-replicas 1 --cluster-yes >"$STATE/cluster-create.log" 2>&1 || {
		log "cluster create failed:"; cat "$STATE/cluster-create.log" >&2; return 1
	}
	for i in 0 1 2 3 4 5; do
		wait_until 30 "cluster state ok on $((CLUSTER_BASE + i))" sh -c \
			"REDISCLI_AUTH=$PASSWORD redis-cli -p $((CLUSTER_BASE + i)) --no-auth-warning cluster info | grep -q 'cluster_state:ok'"
	done
	# Replicas report in sync before a test may kill their master.
	wait_until 30 "cluster replicas in sync" sh -c "
		n=0
		for p in $(seq -s ' ' "$CLUSTER_BASE" $((CLUSTER_BASE + 5))); do
			REDISCLI_AUTH=$PASSWORD redis-cli -p \$p --no-auth-warning info replication | grep -q 'master_link_status:up' && n=\$((n+1))
		done
		[ \$n -eq 3 ]"
}

start() { # which: all (default), sentinel or cluster
	local which=${1:-all}
	case $which in all | sentinel | cluster) ;; *) log "start: want all, sentinel or cluster, not $which"; exit 2 ;; esac
	command -v redis-server >/dev/null && command -v redis-sentinel >/dev/null || {
		log "redis-server and redis-sentinel are needed (scripts/test-services.sh install)"; exit 1
	}
	stop >/dev/null 2>&1 || true
	rm -rf "$STATE"
	mkdir -p "$STATE"
	[ "$which" = cluster ] || start_sentinel_topology
	[ "$which" = sentinel ] || start_cluster_topology
	local sentinels nodes cluster
	sentinels=$(seq -s, -f "127.0.0.1:%g" $((SENTINEL_BASE + 2)) $((SENTINEL_BASE + 4)))
	nodes=$(seq -s, -f "127.0.0.1:%g" "$SENTINEL_BASE" $((SENTINEL_BASE + 1)))
	cluster=$(seq -s, -f "127.0.0.1:%g" "$CLUSTER_BASE" $((CLUSTER_BASE + 5)))
	if [ "$which" != cluster ]; then
		log "sentinel: data $nodes, sentinels $sentinels; state $STATE"
		cat <<ENV
export STOCKD_TEST_REDIS_SENTINELS=$sentinels
export STOCKD_TEST_REDIS_SENTINEL_MASTER=$MASTER_NAME
export STOCKD_TEST_REDIS_SENTINEL_PASSWORD=$SENTINEL_PASSWORD
export STOCKD_TEST_REDIS_SENTINEL_NODES=$nodes
ENV
	fi
	if [ "$which" != sentinel ]; then
		log "cluster: $cluster; state $STATE"
		echo "export STOCKD_TEST_REDIS_CLUSTER=$cluster"
	fi
	cat <<ENV
export STOCKD_TEST_REDIS_TOPOLOGY_PASSWORD=$PASSWORD
export STOCKD_TEST_REDIS_TOPOLOGY_DIR=$STATE
ENV
}

# stop kills every process of the topology by its pid file (tests restart
# the nodes they kill, so a node may have a new pid; the file has it).
stop() {
	[ -d "$STATE" ] || return 0
	local pidfile pid pids=()
	for pidfile in "$STATE"/*/redis.pid; do
		[ -f "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		rm -f "$pidfile"
		# A node killed with SIGKILL leaves its file behind: only signal a
		# pid that is still one of ours.
		case $(ps -o comm= -p "$pid" 2>/dev/null) in
		redis-server | redis-sentinel) kill "$pid" 2>/dev/null && pids+=("$pid") ;;
		esac
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
}

case "${1:-}" in
start) start "${2:-all}" ;;
stop) stop ;;
*) echo "usage: $0 start [all|sentinel|cluster] | stop" >&2; exit 2 ;;
esac
