#!/usr/bin/env bash
# End-to-end check on a machine with a Docker engine and registry access: build the images, start
# the full deployment with the demo market, run the acceptance list against the published ports,
# stop again (volumes kept unless --volumes).
#   scripts/docker-smoke.sh [--volumes]
# The start (images already built) must be healthy within STOCKD_SMOKE_LIMIT seconds (default 180);
# the smoke test fails when it is not. scripts/docker-e2e.sh runs this script against local stand-ins.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/docker-lib.sh
. "$ROOT/scripts/docker-lib.sh"
LIMIT=${STOCKD_SMOKE_LIMIT:-180}
stop_args=()
[ "${1:-}" = --volumes ] && stop_args=(--volumes)

dc_find
scripts/docker-start.sh --init-env
echo "docker-smoke: building the images (not timed)"
dc full build

trap 'scripts/docker-stop.sh --full ${stop_args[@]+"${stop_args[@]}"}' EXIT
start=$SECONDS
STOCKD_HEALTH_TIMEOUT=$LIMIT scripts/docker-start.sh --full --demo
took=$((SECONDS - start))
if [ "$took" -gt "$LIMIT" ]; then
	echo "docker-smoke: FAIL full deployment healthy with the demo market after ${took} s, over the limit of ${LIMIT} s" >&2
	exit 1
fi
echo "docker-smoke: full deployment healthy with the demo market after ${took} s (limit ${LIMIT} s)"

val() { dc_env_value "$1"; }
host=$(val STOCKD_APP_BIND_ADDRESS)
infra=$(val STOCKD_INFRA_BIND_ADDRESS)
host=${host:-127.0.0.1}
infra=${infra:-127.0.0.1}
[ "$host" = 0.0.0.0 ] && host=127.0.0.1
[ "$infra" = 0.0.0.0 ] && infra=127.0.0.1
port() {
	local v
	v=$(val "$1")
	echo "${v:-$2}"
}
REDIS_HOST=$infra REDIS_PORT=$(port STOCKD_PORT_REDIS 6379) REDIS_PASSWORD=$(val REDIS_PASSWORD) \
	CLICKHOUSE_HOST=$infra CLICKHOUSE_HTTP_PORT=$(port STOCKD_PORT_CLICKHOUSE_HTTP 8123) \
	CLICKHOUSE_USER=$(val CLICKHOUSE_USER) CLICKHOUSE_PASSWORD=$(val CLICKHOUSE_PASSWORD) \
	LANGFUSE_URL=http://$infra:$(port STOCKD_PORT_LANGFUSE 3000) \
	RESTART_BACKEND_CMD="ROOT=$(printf %q "$ROOT"); . \"\$ROOT/scripts/docker-lib.sh\" && dc_find && dc full restart backend" \
	scripts/acceptance.sh "http://$host:$(port STOCKD_PORT_FRONTEND 3001)" "http://$host:$(port STOCKD_PORT_BACKEND 8000)"
