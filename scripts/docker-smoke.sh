#!/usr/bin/env bash
# End-to-end check on a machine with a Docker engine: start the full deployment, load the demo
# market, run the acceptance list against localhost, stop again (volumes kept unless --volumes).
#   scripts/docker-smoke.sh [--volumes]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
stop_args=()
[ "${1:-}" = --volumes ] && stop_args=(--volumes)
trap 'scripts/docker-stop.sh "${stop_args[@]}"' EXIT

start=$SECONDS
scripts/docker-start.sh --full --demo
echo "docker-smoke: full deployment healthy after $((SECONDS - start)) s (limit 180 s)"

val() { grep -E "^$1=" .env | tail -n 1 | cut -d= -f2-; }
files=$(scripts/docker-start.sh --files full)
compose_args=()
for f in $files; do compose_args+=(-f "$f"); done
if docker compose version >/dev/null 2>&1; then dc="docker compose"; else dc="docker-compose"; fi

REDIS_HOST=127.0.0.1 REDIS_PORT=6379 REDIS_PASSWORD=$(val REDIS_PASSWORD) \
	CLICKHOUSE_HOST=127.0.0.1 CLICKHOUSE_HTTP_PORT=8123 CLICKHOUSE_USER=$(val CLICKHOUSE_USER) CLICKHOUSE_PASSWORD=$(val CLICKHOUSE_PASSWORD) \
	LANGFUSE_URL=http://localhost:3000 \
	RESTART_BACKEND_CMD="$dc --project-directory $ROOT --env-file $ROOT/.env ${compose_args[*]} restart backend" \
	scripts/acceptance.sh http://localhost:3001 http://localhost:8000
