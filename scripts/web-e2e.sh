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
  go build -o bin/fakellm ./internal/agent/llmtest/fakellm
fi

source "$root/scripts/web-common.sh"
web_netns "$root/scripts/web-e2e.sh" SKIP_WEB_BUILD=1 SKIP_GO_BUILD=1
web_tmp

echo "== import $data_dir into $tmp/stock.db"
# Run stockd from the temp dir so no .env of the checkout (API_TOKEN, CLICKHOUSE_HOST…) applies.
data_abs=$(cd "$data_dir" && pwd)
(cd "$tmp" && env -u API_TOKEN -u CLICKHOUSE_HOST -u REDIS_HOST SQLITE_PATH="$tmp/stock.db" "$root/bin/stockd" import "$data_abs")

echo "== demo market into $tmp/demo.db"
(cd "$tmp" && env -u CLICKHOUSE_HOST -u REDIS_HOST SQLITE_PATH="$tmp/demo.db" \
  "$root/bin/stockd" demo --stocks 300 --etfs 30 --days 320 --seed 1 --end 2025-12-18 >/dev/null)

# Workflow runs go to the fake model (a scripted OpenAI-compatible server; -hostile ends every report
# with HTML and script the UI must show as text).
fake_port=$(free_port)
"$root/bin/fakellm" -addr "127.0.0.1:$fake_port" -delay 60ms -hostile >"$tmp/fakellm.log" 2>&1 &
extra_pids+=($!)
wait_port "$fake_port"

# Writes need a bearer token: the UI must ask for it once (dialog), keep it and retry.
api_token="e2e-$RANDOM$RANDOM"
web_serve "$root/bin/stockd" "$tmp/stock.db" "$root/web/dist" API_TOKEN="$api_token" \
  OPENAI_BASE_URL="http://127.0.0.1:$fake_port/v1" OPENAI_MODEL=fake-analyst
echo "== serving the snapshot on $base"

echo "== e2e"
status=0
E2E_DATA_DIR="$data_dir" E2E_API_TOKEN="$api_token" E2E_FAKE_MODEL=1 E2E_STOCKD="$root/bin/stockd" E2E_DEMO_DB="$tmp/demo.db" \
  E2E_WEB_DIR="$root/web/dist" node web/e2e/run.mjs "$base" || status=$?
if [[ $status -ne 0 ]]; then
  echo "---- stockd log (tail) ----"
  tail -n 40 "$tmp/server.log"
fi
exit $status
