#!/bin/sh
# TEST STAND-IN: the official nginx image's entrypoint. For `nginx …` it runs the executable
# /docker-entrypoint.d/*.sh scripts in order (and sources *.envsh), then execs the command.
set -e
entrypoint_log() {
	if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
		echo "$@"
	fi
}
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
	if find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | read -r _; then
		entrypoint_log "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
		for f in $(find /docker-entrypoint.d/ -follow -type f -print | sort -V); do
			case $f in
			*.envsh) if [ -x "$f" ]; then entrypoint_log "$0: Sourcing $f"; . "$f"; fi ;;
			*.sh) if [ -x "$f" ]; then entrypoint_log "$0: Launching $f"; "$f"; fi ;;
			*) entrypoint_log "$0: Ignoring $f" ;;
			esac
		done
		entrypoint_log "$0: Configuration complete; ready for start up"
	fi
fi
exec "$@"
