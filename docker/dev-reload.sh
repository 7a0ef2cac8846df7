#!/bin/sh
# Development loop for the backend container: the source is mounted at /app.
# Twice a second it looks for files under cmd/ and internal/ (and go.mod/go.sum) newer than the
# last build; on a change it rebuilds /stockd while the old server keeps answering, then restarts
# `stockd serve` (which applies pending migrations before it listens).
# A failed build keeps the old process running and prints the compiler output.
# STOCKD_BUILD_FLAGS are the image's build flags (the same as its compiled-package cache).
# APP_DIR and STOCKD_OUT exist so the loop can be tried outside the container.
set -u
APP_DIR=${APP_DIR:-/app}
OUT=${STOCKD_OUT:-/stockd}
FLAGS=${STOCKD_BUILD_FLAGS:-}
cd "$APP_DIR" || exit 1
STAMP=${TMPDIR:-/tmp}/stockd-dev.$$.stamp
pid=""

build() {
	echo "dev-reload: building stockd"
	# shellcheck disable=SC2086
	go build $FLAGS -ldflags "-s -w" -o "$OUT.new" ./cmd/stockd && mv "$OUT.new" "$OUT"
}

start() {
	"$OUT" serve &
	pid=$!
	echo "dev-reload: stockd serve running (pid $pid)"
}

stop() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	pid=""
}

changed() {
	find cmd internal go.mod go.sum -newer "$STAMP" \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.sql' \) \
		-type f 2>/dev/null | head -n 1
}

trap 'stop; exit 0' INT TERM

touch "$STAMP"
if build; then start; fi
while :; do
	sleep 0.5
	if [ -n "$(changed)" ]; then
		touch "$STAMP"
		if build; then
			stop
			start
		else
			echo "dev-reload: build failed, keeping the previous binary" >&2
		fi
	elif [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		echo "dev-reload: stockd exited; restarting in 2 s" >&2
		sleep 2
		start
	fi
done
