#!/usr/bin/env bash
# Start stockd with Docker Compose in one of four modes and wait until every service is healthy.
#
#   scripts/docker-start.sh --full    infra + Langfuse + app (web UI, backend, Langfuse)
#   scripts/docker-start.sh --app     app only; ClickHouse/Redis/Langfuse are the external ones named in .env
#   scripts/docker-start.sh --dev     like --full, with development images: Go hot reload, Vite HMR
#   scripts/docker-start.sh --infra   ClickHouse + Redis + Postgres + MinIO + Langfuse, no app
#   scripts/docker-start.sh --status | --logs [SERVICE] | --help
#   scripts/docker-start.sh --init-env        only create/fill .env, start nothing (no Docker needed)
#   scripts/docker-start.sh --files MODE      print the compose files of MODE (used by tests and scripts)
#   scripts/docker-start.sh --project MODE    print the Compose project name of MODE
# Options after a mode: --demo (load a generated demo market into an empty store), --no-build.
#
# Each mode is its own Compose project (stockd, stockd-app, stockd-dev, stockd-infra). First run:
# .env.docker is copied to .env and every secret of its "generated secrets" block gets a fresh
# random value. Ports and bind addresses come from .env. Env: STOCKD_HEALTH_TIMEOUT (seconds, 180).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/docker-lib.sh
. "$ROOT/scripts/docker-lib.sh"
MODE_FILE=$ROOT/tmp/docker-mode
HEALTH_TIMEOUT=${STOCKD_HEALTH_TIMEOUT:-180}

say() { echo "docker-start: $*" >&2; }
die() {
	say "$*"
	exit 1
}

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

rand_hex() { # bytes
	if command -v openssl >/dev/null 2>&1; then
		openssl rand -hex "$1"
	else
		od -An -tx1 -N "$1" /dev/urandom | tr -d ' \n'
		echo
	fi
}

gen_secret() {
	case $1 in
	ENCRYPTION_KEY) rand_hex 32 ;; # Langfuse wants exactly 64 hex characters
	LANGFUSE_PUBLIC_KEY) echo "pk-lf-$(rand_hex 16)" ;;
	LANGFUSE_SECRET_KEY) echo "sk-lf-$(rand_hex 16)" ;;
	*) rand_hex 24 ;; # hex: safe inside redis:// and postgresql:// URLs and Redis' config syntax
	esac
}

init_env() {
	[ -f "$DC_TEMPLATE" ] || die "missing $DC_TEMPLATE"
	if [ ! -f "$DC_ENV_FILE" ]; then
		(umask 077 && cp "$DC_TEMPLATE" "$DC_ENV_FILE")
		say "created .env from .env.docker"
	fi
	local name value filled=0 tmp
	for name in $(dc_secret_names); do
		if ! grep -qE "^${name}=" "$DC_ENV_FILE"; then
			printf '%s=\n' "$name" >>"$DC_ENV_FILE"
		fi
		value=$(dc_env_value "$name")
		if [ -z "$value" ]; then
			value=$(gen_secret "$name")
			tmp=$(mktemp "$DC_ENV_FILE.XXXXXX")
			awk -v n="$name" -v v="$value" 'BEGIN{done=0} index($0, n"=")==1 { if (!done) { print n"="v; done=1 }; next } { print }' "$DC_ENV_FILE" >"$tmp"
			chmod 600 "$tmp"
			mv "$tmp" "$DC_ENV_FILE"
			filled=$((filled + 1))
		fi
	done
	if [ "$filled" -gt 0 ]; then say "generated $filled secret(s) in .env"; fi
	[[ $(dc_env_value ENCRYPTION_KEY) =~ ^[0-9a-fA-F]{64}$ ]] || die "ENCRYPTION_KEY in .env must be 64 hex characters (openssl rand -hex 32)"
	return 0
}

# show_problems MODE: the state of every container and the last log lines of each one that is
# not healthy, so a failed start says why.
show_problems() {
	local mode=$1 svc state health
	say "state of mode $mode:"
	dc "$mode" ps -a >&2 || true
	# Compose reads standard input: keep it away from the list being read.
	dc_states "$mode" | while read -r svc state health; do
		if [ "$state" != running ] || { [ -n "$health" ] && [ "$health" != healthy ]; }; then
			echo "----- last log lines of $svc ($state${health:+, $health}) -----" >&2
			dc "$mode" logs --no-color --tail 40 "$svc" </dev/null >&2 || true
		fi
	done
}

wait_healthy() {
	local mode=$1 start=$SECONDS services states svc state health pending ready line
	services=$(dc "$mode" config --services)
	say "waiting up to ${HEALTH_TIMEOUT}s for: $(echo $services)"
	while :; do
		pending=""
		states=$(dc_states "$mode")
		for svc in $services; do
			ready=0
			line=$(echo "$states" | awk -v s="$svc" '$1 == s { print; exit }')
			read -r _ state health <<<"${line:-$svc missing}"
			# A service without healthcheck is ready once it runs.
			if [ "$state" = running ] && { [ "$health" = healthy ] || [ -z "$health" ]; }; then ready=1; fi
			[ "$ready" = 1 ] || pending="$pending $svc:$state${health:+/$health}"
		done
		if [ -z "$pending" ]; then
			say "all services healthy after $((SECONDS - start))s"
			return 0
		fi
		if [ $((SECONDS - start)) -ge "$HEALTH_TIMEOUT" ]; then
			say "not healthy after ${HEALTH_TIMEOUT}s:$pending"
			show_problems "$mode"
			return 1
		fi
		sleep 3
	done
}

port_of() { # variable, default
	local v
	v=$(dc_env_value "$1")
	echo "${v:-$2}"
}

print_urls() {
	local app_host infra_host
	app_host=$(port_of STOCKD_APP_BIND_ADDRESS 127.0.0.1)
	infra_host=$(port_of STOCKD_INFRA_BIND_ADDRESS 127.0.0.1)
	case $1 in
	full | dev | app)
		echo "web UI     http://$app_host:$(port_of STOCKD_PORT_FRONTEND 3001)"
		echo "backend    http://$app_host:$(port_of STOCKD_PORT_BACKEND 8000)/health"
		;;
	esac
	case $1 in
	full | dev | infra)
		echo "Langfuse   http://$infra_host:$(port_of STOCKD_PORT_LANGFUSE 3000)  (user: LANGFUSE_INIT_USER_EMAIL / _PASSWORD in .env)"
		echo "ClickHouse http://$infra_host:$(port_of STOCKD_PORT_CLICKHOUSE_HTTP 8123) (native :$(port_of STOCKD_PORT_CLICKHOUSE 9000)), Redis $infra_host:$(port_of STOCKD_PORT_REDIS 6379) (passwords in .env)"
		;;
	esac
}

recorded_mode() {
	if [ -f "$MODE_FILE" ]; then cat "$MODE_FILE"; else echo full; fi
}

# refuse_conflicts MODE: a mode that publishes the same ports must not be running.
refuse_conflicts() {
	local other
	for other in $(dc_conflicts "$1"); do
		if dc_has_containers "$other"; then
			die "mode $other (project $(dc_project "$other")) is running and uses the same ports; stop it first: scripts/docker-stop.sh --$other"
		fi
	done
}

main() {
	local mode="" demo=0 build=(--build) cmd=up
	[ $# -gt 0 ] || {
		usage
		exit 2
	}
	while [ $# -gt 0 ]; do
		case $1 in
		--full | --app | --dev | --infra) mode=${1#--} ;;
		--demo) demo=1 ;;
		--no-build) build=() ;;
		--status) cmd=status ;;
		--logs)
			cmd=logs
			shift
			break
			;;
		--init-env)
			init_env
			exit 0
			;;
		--files)
			dc_mode_files "${2:-}" || die "unknown mode '${2:-}' (full, app, dev, infra)"
			exit 0
			;;
		--project)
			dc_project "${2:-}" || die "unknown mode '${2:-}' (full, app, dev, infra)"
			exit 0
			;;
		-h | --help)
			usage
			exit 0
			;;
		*)
			usage >&2
			die "unknown option $1"
			;;
		esac
		shift
	done
	case $cmd in
	status)
		dc_find || exit 1
		dc "${mode:-$(recorded_mode)}" ps -a
		exit 0
		;;
	logs)
		dc_find || exit 1
		dc "${mode:-$(recorded_mode)}" logs -f --tail 100 ${1+"$@"}
		exit 0
		;;
	esac
	[ -n "$mode" ] || die "choose a mode: --full, --app, --dev or --infra"
	dc_find || exit 1
	init_env
	refuse_conflicts "$mode"
	if [ "$mode" = app ]; then
		say "app-only: the backend uses CLICKHOUSE_HOST=$(dc_env_value CLICKHOUSE_HOST):$(dc_env_value CLICKHOUSE_PORT) REDIS_HOST=$(dc_env_value REDIS_HOST):$(dc_env_value REDIS_PORT) from .env"
	fi
	mkdir -p "$(dirname "$MODE_FILE")"
	echo "$mode" >"$MODE_FILE"
	# `up` itself fails when a dependency turns unhealthy: show why before leaving.
	if ! dc "$mode" up -d --remove-orphans ${build[@]+"${build[@]}"}; then
		show_problems "$mode"
		die "mode $mode did not start"
	fi
	wait_healthy "$mode" || die "mode $mode is not healthy"
	if [ "$demo" = 1 ] && [ "$mode" != infra ]; then
		say "loading a demo market (stockd demo)"
		dc "$mode" exec -T backend /stockd demo --if-empty
	fi
	print_urls "$mode"
}

main "$@"
