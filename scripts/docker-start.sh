#!/usr/bin/env bash
# Start stockd with Docker Compose in one of four modes and wait until every service is healthy.
#
#   scripts/docker-start.sh --full    infra + Langfuse + app (backend :8000, web :3001, Langfuse :3000)
#   scripts/docker-start.sh --app     app only; ClickHouse/Redis/Langfuse are the external ones named in .env
#   scripts/docker-start.sh --dev     like --full, with development images: Go hot reload, Vite HMR
#   scripts/docker-start.sh --infra   ClickHouse + Redis + Postgres + MinIO + Langfuse, no app
#   scripts/docker-start.sh --status | --logs [SERVICE] | --help
#   scripts/docker-start.sh --init-env        only create/fill .env, start nothing (no Docker needed)
#   scripts/docker-start.sh --files MODE      print the compose files of MODE (used by tests and scripts)
# Options after a mode: --demo (load a generated demo market into an empty store), --no-build.
#
# First run: .env.docker is copied to .env and every secret of its "generated secrets" block gets a
# fresh random value. Env: STOCKD_HEALTH_TIMEOUT (seconds, default 180).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TEMPLATE=$ROOT/.env.docker
ENV_FILE=$ROOT/.env
MODE_FILE=$ROOT/tmp/docker-mode
HEALTH_TIMEOUT=${STOCKD_HEALTH_TIMEOUT:-180}

say() { echo "docker-start: $*" >&2; }
die() { say "$*"; exit 1; }

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# The one definition of which files make up each mode.
mode_files() {
	case $1 in
	full) echo "docker-compose.infra.yml docker-compose.langfuse.yml docker-compose.yml docker-compose.stack.yml" ;;
	app) echo "docker-compose.yml" ;;
	dev) echo "docker-compose.infra.yml docker-compose.langfuse.yml docker-compose.yml docker-compose.stack.yml docker-compose.dev.yml" ;;
	infra) echo "docker-compose.infra.yml docker-compose.langfuse.yml" ;;
	*) return 1 ;;
	esac
}

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
	*) rand_hex 24 ;; # hex: safe inside redis:// and postgresql:// URLs
	esac
}

secret_names() {
	sed -n '/^# >>> generated secrets/,/^# <<< generated secrets/p' "$TEMPLATE" | grep -E '^[A-Z0-9_]+=' | cut -d= -f1
}

init_env() {
	[ -f "$TEMPLATE" ] || die "missing $TEMPLATE"
	if [ ! -f "$ENV_FILE" ]; then
		(umask 077 && cp "$TEMPLATE" "$ENV_FILE")
		say "created .env from .env.docker"
	fi
	local name value filled=0 tmp
	for name in $(secret_names); do
		if ! grep -qE "^${name}=" "$ENV_FILE"; then
			printf '%s=\n' "$name" >>"$ENV_FILE"
		fi
		value=$(grep -E "^${name}=" "$ENV_FILE" | tail -n 1 | cut -d= -f2-)
		if [ -z "$value" ]; then
			value=$(gen_secret "$name")
			tmp=$(mktemp "$ENV_FILE.XXXXXX")
			awk -v n="$name" -v v="$value" 'BEGIN{done=0} index($0, n"=")==1 { if (!done) { print n"="v; done=1 }; next } { print }' "$ENV_FILE" >"$tmp"
			chmod 600 "$tmp"
			mv "$tmp" "$ENV_FILE"
			filled=$((filled + 1))
		fi
	done
	[ "$filled" -gt 0 ] && say "generated $filled secret(s) in .env"
	local key
	key=$(grep -E '^ENCRYPTION_KEY=' "$ENV_FILE" | tail -n 1 | cut -d= -f2-)
	[[ $key =~ ^[0-9a-fA-F]{64}$ ]] || die "ENCRYPTION_KEY in .env must be 64 hex characters (openssl rand -hex 32)"
	return 0
}

COMPOSE=()
find_compose() {
	if docker compose version >/dev/null 2>&1; then
		COMPOSE=(docker compose)
	elif command -v docker-compose >/dev/null 2>&1 && docker-compose version --short 2>/dev/null | grep -qE '^v?[2-9]'; then
		COMPOSE=(docker-compose)
	else
		die "need Docker Compose v2 ('docker compose' plugin or docker-compose >= 2); docker-compose 1.x cannot read these files"
	fi
}

compose() { # mode, args…
	local mode=$1; shift
	local args=() f
	for f in $(mode_files "$mode"); do args+=(-f "$ROOT/$f"); done
	COMPOSE_IGNORE_ORPHANS=true "${COMPOSE[@]}" --project-directory "$ROOT" --env-file "$ENV_FILE" "${args[@]}" "$@"
}

health_of() { # container id → healthy | starting | unhealthy | exited | running (no healthcheck)
	docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null || echo missing
}

wait_healthy() {
	local mode=$1 deadline=$((SECONDS + HEALTH_TIMEOUT)) svc id st pending
	local services
	services=$(compose "$mode" config --services)
	say "waiting up to ${HEALTH_TIMEOUT}s for: $(echo $services)"
	while :; do
		pending=()
		for svc in $services; do
			id=$(compose "$mode" ps -q "$svc" 2>/dev/null | head -n 1)
			st=missing
			[ -n "$id" ] && st=$(health_of "$id")
			[ "$st" = healthy ] || pending+=("$svc:$st")
		done
		if [ ${#pending[@]} -eq 0 ]; then
			say "all services healthy after ${SECONDS}s"
			return 0
		fi
		if [ $SECONDS -ge $deadline ]; then
			say "not healthy after ${HEALTH_TIMEOUT}s: ${pending[*]}"
			for svc in "${pending[@]}"; do
				echo "----- last log lines of ${svc%%:*} -----" >&2
				compose "$mode" logs --no-color --tail 40 "${svc%%:*}" >&2 || true
			done
			return 1
		fi
		sleep 3
	done
}

print_urls() {
	case $1 in
	full | dev)
		echo "web UI     http://localhost:3001"
		echo "backend    http://localhost:8000/health"
		echo "Langfuse   http://localhost:3000  (user: see LANGFUSE_INIT_USER_EMAIL / _PASSWORD in .env)"
		echo "ClickHouse http://localhost:8123 (native :9000), Redis localhost:6379 (password in .env)"
		;;
	app)
		echo "web UI     http://localhost:3001"
		echo "backend    http://localhost:8000/health"
		;;
	infra)
		echo "Langfuse   http://localhost:3000"
		echo "ClickHouse http://localhost:8123 (native :9000), Redis localhost:6379, Postgres 127.0.0.1:5432"
		;;
	esac
}

recorded_mode() { [ -f "$MODE_FILE" ] && cat "$MODE_FILE" || echo full; }

main() {
	local mode="" demo=0 build=(--build) cmd=up
	[ $# -gt 0 ] || { usage; exit 2; }
	while [ $# -gt 0 ]; do
		case $1 in
		--full | --app | --dev | --infra) mode=${1#--} ;;
		--demo) demo=1 ;;
		--no-build) build=() ;;
		--status) cmd=status ;;
		--logs) cmd=logs; shift; break ;;
		--init-env) init_env; exit 0 ;;
		--files) mode_files "${2:-}" || die "unknown mode '${2:-}' (full, app, dev, infra)"; exit 0 ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; die "unknown option $1" ;;
		esac
		shift
	done
	case $cmd in
	status)
		find_compose
		compose "${mode:-$(recorded_mode)}" ps
		exit 0
		;;
	logs)
		find_compose
		compose "${mode:-$(recorded_mode)}" logs -f --tail 100 "$@"
		exit 0
		;;
	esac
	[ -n "$mode" ] || die "choose a mode: --full, --app, --dev or --infra"
	find_compose
	init_env
	if [ "$mode" = app ]; then
		say "app-only: backend uses CLICKHOUSE_HOST=$(grep -E '^CLICKHOUSE_HOST=' "$ENV_FILE" | cut -d= -f2-) REDIS_HOST=$(grep -E '^REDIS_HOST=' "$ENV_FILE" | cut -d= -f2-) from .env"
	fi
	mkdir -p "$(dirname "$MODE_FILE")"
	echo "$mode" >"$MODE_FILE"
	compose "$mode" up -d --remove-orphans "${build[@]}"
	wait_healthy "$mode"
	if [ "$demo" = 1 ] && [ "$mode" != infra ]; then
		say "loading a demo market (stockd demo)"
		compose "$mode" exec -T backend /stockd demo
	fi
	print_urls "$mode"
}

main "$@"
