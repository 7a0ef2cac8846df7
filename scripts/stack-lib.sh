# shellcheck shell=bash
# What scripts/local-stack.sh and scripts/cluster-stack.sh share: both keep each process's pid in
# $STATE/NAME.pid and its log under $STATE/log, and set ROOT, STATE and log() before sourcing this.

# wait_for NAME SECONDS COMMAND…: until COMMAND succeeds, at most SECONDS.
wait_for() {
	local name=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	log "$name did not come up within ${secs}s; logs in $STATE/log"
	return 1
}

# alive NAME: the recorded process runs.
alive() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

# stop_one NAME: SIGTERM to the recorded process, SIGKILL after 10 s.
stop_one() {
	local name=$1 pidfile=$STATE/$1.pid pid i
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && { log "$name did not stop in 10 s; killing"; kill -9 "$pid" 2>/dev/null || true; }
	fi
	rm -f "$pidfile"
	log "stopped $name"
}

# stockd_bin prints the stockd binary to run: STOCKD_BIN when set (relative to the repository
# root), else $STATE/bin/stockd, built again whenever a Go file or go.mod is newer than it.
stockd_bin() {
	if [ -n "${STOCKD_BIN:-}" ]; then
		case $STOCKD_BIN in /*) echo "$STOCKD_BIN" ;; *) echo "$ROOT/$STOCKD_BIN" ;; esac
		return
	fi
	local bin=$STATE/bin/stockd
	if [ ! -x "$bin" ] || [ -n "$(find "$ROOT/cmd" "$ROOT/internal" "$ROOT/go.mod" -newer "$bin" -name '*.go' -o -newer "$bin" -name go.mod 2>/dev/null | head -n 1)" ]; then
		log "building stockd"
		(cd "$ROOT" && CGO_ENABLED=0 go build -tags grpcnotrace -o "$bin" ./cmd/stockd) >&2
	fi
	echo "$bin"
}

# run_nginx URL: nginx with $STATE/nginx/conf.d/default.conf (rendered by the caller) inside
# docker/nginx-local.conf's http block, checked with nginx -t, started and waited for at URL.
run_nginx() {
	local url=$1 dir=$STATE/nginx
	NGINX_STATE=$dir envsubst '${NGINX_STATE}' <"$ROOT/docker/nginx-local.conf" >"$dir/nginx.conf"
	nginx -t -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >"$STATE/log/nginx-t.log" 2>&1 ||
		{ cat "$STATE/log/nginx-t.log" >&2; die "nginx -t failed"; }
	nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' >"$STATE/log/nginx.log" 2>&1 &
	echo $! >"$STATE/nginx.pid"
	wait_for nginx 10 curl -fsS "$url"
	log "nginx $url"
}
