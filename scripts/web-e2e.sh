#!/usr/bin/env bash
# End-to-end test of the web UI: builds the UI and stockd, imports the real 2025-12-18 snapshot into a
# temporary SQLite file, serves API + UI from one stockd, and drives headless Chromium through every page
# at phone and desktop width. A generated demo market (many days) feeds the K-line checks, the
# screenshots and the server-goes-away test, whose stockd the test starts and stops itself.
# Usage: scripts/web-e2e.sh        (env: SKIP_WEB_BUILD=1 to reuse web/dist and web/node_modules,
#                                        E2E_DATA_DIR to use another snapshot, CHROMIUM=/path/to/chromium,
#                                        E2E_SCREENSHOTS=dir for the screenshots, default a temp folder;
#                                        `cd web && npm run screenshots` refreshes docs/screenshots)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
data_dir=${E2E_DATA_DIR:-testdata/tushare-2025-12-18}

if [[ ! -f "$data_dir/daily.csv" ]]; then
  echo "web-e2e: snapshot not found at $data_dir" >&2
  exit 2
fi

if [[ "${SKIP_WEB_BUILD:-}" != "1" ]]; then
  echo "== web: npm ci && npm run build"
  (cd web && npm ci --no-audit --no-fund && npm run build)
fi
[[ -n "${STOCKD_NETNS:-}" ]] || (cd web && node scripts/size-report.mjs)

if [[ "${SKIP_GO_BUILD:-}" != "1" ]]; then
  echo "== backend: go build"
  mkdir -p bin
  go build -o bin/stockd ./cmd/stockd
fi

# Chromium fails every request in flight when the machine's network changes (another job adding a
# bridge or a veth): measured here, ERR_NETWORK_CHANGED. As root, the run happens in a network namespace
# of its own that has only loopback, which nothing else touches.
if [[ -z "${STOCKD_NETNS:-}" && $(id -u) == 0 ]] && command -v unshare >/dev/null && command -v ip >/dev/null \
  && unshare --net true 2>/dev/null; then
  status=0
  STOCKD_NETNS=1 SKIP_WEB_BUILD=1 SKIP_GO_BUILD=1 unshare --net bash "$root/scripts/web-e2e.sh" "$@" || status=$?
  exit $status
fi
if [[ -n "${STOCKD_NETNS:-}" ]]; then ip link set lo up; fi


tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

echo "== import $data_dir into $tmp/stock.db"
# Run stockd from the temp dir so no .env of the checkout (API_TOKEN, CLICKHOUSE_HOST…) applies.
data_abs=$(cd "$data_dir" && pwd)
(cd "$tmp" && env -u API_TOKEN -u CLICKHOUSE_HOST -u REDIS_HOST SQLITE_PATH="$tmp/stock.db" "$root/bin/stockd" import "$data_abs")

echo "== demo market into $tmp/demo.db"
(cd "$tmp" && env -u CLICKHOUSE_HOST -u REDIS_HOST SQLITE_PATH="$tmp/demo.db" \
  "$root/bin/stockd" demo --stocks 300 --etfs 30 --days 320 --seed 1 --end 2025-12-18 >/dev/null)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
  || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
base="http://127.0.0.1:$port"

# Writes need a bearer token: the UI must ask for it once (dialog), keep it and retry.
api_token="e2e-$RANDOM$RANDOM"

echo "== serve on $base"
(cd "$tmp" && exec env -u CLICKHOUSE_HOST -u REDIS_HOST API_TOKEN="$api_token" \
  HTTP_ADDR="127.0.0.1:$port" SQLITE_PATH="$tmp/stock.db" WEB_DIR="$root/web/dist" \
  "$root/bin/stockd" serve >"$tmp/server.log" 2>&1) &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "$base/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "web-e2e: stockd exited early:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -fsS "$base/health" >/dev/null || { echo "web-e2e: /health never answered" >&2; cat "$tmp/server.log" >&2; exit 1; }

echo "== e2e"
status=0
E2E_DATA_DIR="$data_dir" E2E_API_TOKEN="$api_token" E2E_STOCKD="$root/bin/stockd" E2E_DEMO_DB="$tmp/demo.db" \
  E2E_WEB_DIR="$root/web/dist" node web/e2e/run.mjs "$base" || status=$?
if [[ $status -ne 0 ]]; then
  echo "---- stockd log (tail) ----"
  tail -n 40 "$tmp/server.log"
fi
exit $status
