# shellcheck shell=bash
# Sourced by scripts/local-stack.sh and scripts/cluster-stack.sh (which set ROOT, STATE and log).
#
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
