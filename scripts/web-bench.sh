#!/usr/bin/env bash
# Bytes on the wire and time to chart of the web UI on a throttled link (1.6 Mbit/s, 150 ms by default),
# measured in headless Chromium against `stockd serve` on a synthetic demo market. Prints a markdown table
# for the "Web" section of docs/BENCHMARKS.md.
# Usage: scripts/web-bench.sh      (env: SKIP_WEB_BUILD=1 to reuse web/dist, BENCH_RUNS, BENCH_DOWN_KBPS,
#                                        BENCH_UP_KBPS, BENCH_RTT_MS, CHROMIUM;
#                                        BENCH_REF=<commit> measures the UI and stockd of that commit instead,
#                                        built in a temp folder — the "before" of docs/BENCHMARKS.md)
set -euo pipefail

cd "$(dirname "$0")/.."
here=$(pwd)
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

if [[ -n "${STOCKD_NETNS:-}" ]]; then
  root=${BENCH_ROOT:?}
elif [[ -n "${BENCH_REF:-}" ]]; then
  # The other commit's tree, built as it was; the measuring script is this one's.
  root="$tmp/ref"
  mkdir -p "$root"
  git archive "$BENCH_REF" | tar -x -C "$root"
  (cd "$root/web" && npm ci --no-audit --no-fund >/dev/null && npm run build >/dev/null)
else
  root=$here
  if [[ "${SKIP_WEB_BUILD:-}" != "1" ]]; then
    (cd web && { [[ -d node_modules ]] || npm ci --no-audit --no-fund; } && npm run build)
  fi
fi
if [[ -z "${STOCKD_NETNS:-}" ]]; then
  mkdir -p "$root/bin"
  (cd "$root" && go build -o bin/stockd ./cmd/stockd)
fi

# Chromium fails every request in flight when the machine's network changes (another job adding a
# bridge or a veth): measured here, ERR_NETWORK_CHANGED. As root, the run happens in a network namespace
# of its own that has only loopback, which nothing else touches.
if [[ -z "${STOCKD_NETNS:-}" && $(id -u) == 0 ]] && command -v unshare >/dev/null && command -v ip >/dev/null \
  && unshare --net true 2>/dev/null; then
  status=0
  BENCH_ROOT="$root" STOCKD_NETNS=1 unshare --net bash "$here/scripts/web-bench.sh" "$@" || status=$?
  exit $status
fi
if [[ -n "${STOCKD_NETNS:-}" ]]; then ip link set lo up; fi


# A fixed demo market ending today (a market synced daily): the same flags give the same data.
(cd "$tmp" && env -u CLICKHOUSE_HOST -u REDIS_HOST SQLITE_PATH="$tmp/stock.db" \
  "$root/bin/stockd" demo --stocks 300 --etfs 30 --days 500 --seed 1 >/dev/null)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
  || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
base="http://127.0.0.1:$port"
(cd "$tmp" && exec env -u CLICKHOUSE_HOST -u REDIS_HOST -u API_TOKEN HTTP_ADDR="127.0.0.1:$port" \
  SQLITE_PATH="$tmp/stock.db" WEB_DIR="$root/web/dist" "$root/bin/stockd" serve >"$tmp/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  sleep 0.2
done

# The busiest stock of the last day: a real chart, a full year of bars.
code=$(curl -fsS "$base/api/overview/hot-stocks?limit=1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).data[0].ts_code))')
echo "web-bench: $(git rev-parse --short "${BENCH_REF:-HEAD}"), demo market, stock page of $code"
node "$here/web/scripts/wire-bench.mjs" "$base" "$code"
