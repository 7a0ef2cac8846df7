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
source "$here/scripts/web-common.sh"
web_tmp

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

web_netns "$here/scripts/web-bench.sh" BENCH_ROOT="$root"

# A fixed demo market ending today (a market synced daily): the same flags give the same data.
(cd "$tmp" && env -u CLICKHOUSE_HOST -u REDIS_HOST SQLITE_PATH="$tmp/stock.db" \
  "$root/bin/stockd" demo --stocks 300 --etfs 30 --days 500 --seed 1 >/dev/null)

web_serve "$root/bin/stockd" "$tmp/stock.db" "$root/web/dist"

# The busiest stock of the last day: a real chart, a full year of bars.
code=$(curl -fsS "$base/api/overview/hot-stocks?limit=1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).data[0].ts_code))')
echo "web-bench: $(git rev-parse --short "${BENCH_REF:-HEAD}"), demo market, stock page of $code"
node "$here/web/scripts/wire-bench.mjs" "$base" "$code"
