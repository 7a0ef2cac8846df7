#!/bin/sh
# Production entrypoint: apply migrations, then hand the process over to `stockd serve`.
# Any other command is run as given (`docker compose run backend demo`, `... import /data/csv`).
set -eu
if [ "$#" -eq 0 ] || [ "$1" = "serve" ]; then
	/stockd migrate
	exec /stockd serve
fi
exec /stockd "$@"
