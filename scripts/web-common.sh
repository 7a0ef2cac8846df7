# Shared by scripts/web-e2e.sh and scripts/web-bench.sh (sourced, not run): a temp folder cleaned on
# exit, a private network for the browser, and one `stockd serve` on a free loopback port.

# web_tmp: $tmp, removed on exit together with the server started by web_serve.
# Other processes a script starts go into extra_pids and are stopped with it.
web_tmp() {
  tmp=$(mktemp -d)
  server_pid=""
  extra_pids=()
  trap web_cleanup EXIT INT TERM
}
web_cleanup() {
  local p
  for p in ${server_pid:-} "${extra_pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      kill "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}

# free_port: a free loopback port.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most).
wait_port() {
  for _ in $(seq 1 100); do
    if (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  exit 1
}

# web_netns SCRIPT [VAR=VALUE…]: Chromium fails every request in flight when the machine's network
# changes (another job adding a bridge or a veth): measured here, ERR_NETWORK_CHANGED. As root, SCRIPT
# runs again in a network namespace of its own that has only loopback, which nothing else touches, with
# STOCKD_NETNS=1 and the given variables; this shell then exits with its status. Elsewhere it returns.
web_netns() {
  local script=$1
  shift
  if [[ -z "${STOCKD_NETNS:-}" && $(id -u) == 0 ]] && command -v unshare >/dev/null && command -v ip >/dev/null \
    && unshare --net true 2>/dev/null; then
    local status=0
    env STOCKD_NETNS=1 "$@" unshare --net bash "$script" || status=$?
    exit $status
  fi
  if [[ -n "${STOCKD_NETNS:-}" ]]; then ip link set lo up; fi
}

# web_serve STOCKD DB WEB_DIR [VAR=VALUE…]: `stockd serve` of DB on a free port, from $tmp so no .env
# of the checkout applies; sets $base and $server_pid, logs to $tmp/server.log, waits for /health.
web_serve() {
  local bin=$1 db=$2 web=$3
  shift 3
  local port
  port=$(free_port)
  base="http://127.0.0.1:$port"
  (cd "$tmp" && exec env -u CLICKHOUSE_HOST -u REDIS_HOST -u API_TOKEN "$@" HTTP_ADDR="127.0.0.1:$port" \
    SQLITE_PATH="$db" WEB_DIR="$web" "$bin" serve >"$tmp/server.log" 2>&1) &
  server_pid=$!
  for _ in $(seq 1 100); do
    if curl -fsS "$base/health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "stockd did not answer /health on $base:" >&2
  cat "$tmp/server.log" >&2
  exit 1
}
