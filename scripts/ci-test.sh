#!/usr/bin/env bash
# `make test`: installs missing Debian packages, starts real ClickHouse and
# Redis on their own ports, then runs the format check, vet, the race-enabled
# Go tests, the web UI's unit and browser tests, the local-stack acceptance
# check and the Docker deployment on a private Docker engine. Servers are
# stopped on exit, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

cleanup() {
	[ -n "${STACK_DIR:-}" ] && scripts/local-stack.sh down >/dev/null 2>&1 || true
	scripts/redis-topology.sh stop
	scripts/test-services.sh stop
}

step "install missing packages"
scripts/test-services.sh install

step "start ClickHouse and Redis for the tests"
eval "$(scripts/test-services.sh start)"
trap cleanup EXIT

step "start Redis Sentinel and Redis Cluster topologies for the cache's fault tests"
eval "$(scripts/redis-topology.sh start)"

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "build stockd"
make build
export STOCKD_BIN=bin/stockd

step "go test -race"
go test -race -count=1 -timeout 40m ./...

step "fuzz: every go test -fuzz target, ${FUZZ_TIME:-12s} each"
FUZZ_TIME=${FUZZ_TIME:-12s} scripts/fuzz.sh

step "soak: ${SOAK_DURATION:-75s} of mixed traffic while Redis is killed and the store restarted"
# The short run keeps scripts/soak.sh honest; docs/BENCHMARKS.md has a full
# 10-minute run. Its servers take ports of their own (SOAK_PORT_BASE).
SOAK_DURATION=${SOAK_DURATION:-75s} SOAK_PORT_BASE=${SOAK_PORT_BASE:-$(( ${TEST_REDIS_PORT:-16379} + 40 ))} scripts/soak.sh

step "web: unit tests (Vitest), type check and production build"
(cd web && npm ci --no-audit --no-fund && npm test && npm run build)

step "web: end-to-end in headless Chromium against stockd with the real snapshot"
# Screenshots go to a temp folder: a test run must not change tracked files.
E2E_SCREENSHOTS=$(mktemp -d) SKIP_WEB_BUILD=1 scripts/web-e2e.sh

step "local stack (ClickHouse, Redis, stockd, nginx) + deployment acceptance"
# Ports can be moved (STACK_PORT_*, TEST_*_PORT of test-services.sh) so two
# runs on one machine do not collide.
export STACK_DIR=$(mktemp -d) \
	STACK_PORT_FRONTEND=${STACK_PORT_FRONTEND:-23001} STACK_PORT_BACKEND=${STACK_PORT_BACKEND:-28000} \
	STACK_PORT_REDIS=${STACK_PORT_REDIS:-26379} STACK_PORT_CLICKHOUSE_HTTP=${STACK_PORT_CLICKHOUSE_HTTP:-28123} \
	STACK_PORT_CLICKHOUSE=${STACK_PORT_CLICKHOUSE:-29000} STACK_PORT_CLICKHOUSE_INTERSERVER=${STACK_PORT_CLICKHOUSE_INTERSERVER:-29009}
scripts/local-stack.sh up
eval "$(scripts/local-stack.sh env)"
scripts/acceptance.sh "$FRONTEND_URL" "$BACKEND_URL"

step "Docker deployment on a private Docker engine (every mode, stand-ins for third-party images)"
# The Compose stack publishes on the local stack's ports, so that one stops first.
scripts/local-stack.sh down
unset STACK_DIR
docker_start=$SECONDS
scripts/docker-e2e.sh
echo "docker-e2e took $((SECONDS - docker_start)) s"
