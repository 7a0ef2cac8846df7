#!/usr/bin/env bash
# Stop what scripts/docker-start.sh started (the mode it recorded in tmp/docker-mode).
#   scripts/docker-stop.sh              stop and remove the containers; data volumes are kept
#   scripts/docker-stop.sh --volumes    also delete the named volumes (ClickHouse, Redis, Postgres, MinIO data)
#   scripts/docker-stop.sh --full|--app|--dev|--infra   stop that mode instead of the recorded one
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE_FILE=$ROOT/tmp/docker-mode
mode=""
volumes=()
while [ $# -gt 0 ]; do
	case $1 in
	--volumes) volumes=(--volumes) ;;
	--full | --app | --dev | --infra) mode=${1#--} ;;
	-h | --help) sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "docker-stop: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$mode" ]; then
	mode=$(cat "$MODE_FILE" 2>/dev/null || echo full)
fi
files=$("$ROOT/scripts/docker-start.sh" --files "$mode")

if docker compose version >/dev/null 2>&1; then
	COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
	COMPOSE=(docker-compose)
else
	echo "docker-stop: Docker Compose v2 not found" >&2
	exit 1
fi
args=()
for f in $files; do args+=(-f "$ROOT/$f"); done
env_args=()
[ -f "$ROOT/.env" ] && env_args=(--env-file "$ROOT/.env")
if [ ${#volumes[@]} -gt 0 ]; then
	echo "docker-stop: stopping mode '$mode' and DELETING its data volumes" >&2
else
	echo "docker-stop: stopping mode '$mode' (data volumes kept; --volumes deletes them)" >&2
fi
COMPOSE_IGNORE_ORPHANS=true "${COMPOSE[@]}" --project-directory "$ROOT" "${env_args[@]}" "${args[@]}" down --remove-orphans "${volumes[@]}"
rm -f "$MODE_FILE"
