#!/usr/bin/env bash
# Stop what scripts/docker-start.sh started: the mode it recorded in tmp/docker-mode, or, without a
# record, the one mode that has containers. Only that mode's Compose project is touched.
#   scripts/docker-stop.sh              stop and remove the containers; data volumes are kept
#   scripts/docker-stop.sh --volumes    also delete the mode's named volumes (ClickHouse, Redis, Postgres, MinIO, backend data)
#   scripts/docker-stop.sh --full|--app|--dev|--infra   stop that mode instead
# Works without .env (the secrets are not needed to stop).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/docker-lib.sh
. "$ROOT/scripts/docker-lib.sh"
MODE_FILE=$ROOT/tmp/docker-mode

say() { echo "docker-stop: $*" >&2; }

mode=""
volumes=()
while [ $# -gt 0 ]; do
	case $1 in
	--volumes) volumes=(--volumes) ;;
	--full | --app | --dev | --infra) mode=${1#--} ;;
	-h | --help)
		sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		say "unknown option $1"
		exit 2
		;;
	esac
	shift
done
dc_find || exit 1

recorded=""
[ -f "$MODE_FILE" ] && recorded=$(cat "$MODE_FILE")
if [ -z "$mode" ] && [ -n "$recorded" ] && dc_project "$recorded" >/dev/null; then
	mode=$recorded
fi
if [ -z "$mode" ]; then
	found=""
	for m in $DC_MODES; do
		if dc_has_containers "$m"; then found="$found $m"; fi
	done
	# shellcheck disable=SC2086
	set -- $found
	case $# in
	0)
		say "no mode is running; name one (--full, --app, --dev, --infra) to remove its volumes"
		[ ${#volumes[@]} -eq 0 ] && exit 0
		exit 1
		;;
	1) mode=${found# } ;;
	*)
		say "several modes are running:$found; name the one to stop (--full, --app, --dev, --infra)"
		exit 1
		;;
	esac
fi

if [ ${#volumes[@]} -gt 0 ]; then
	say "stopping mode '$mode' (project $(dc_project "$mode")) and DELETING its data volumes"
else
	say "stopping mode '$mode' (project $(dc_project "$mode")); data volumes kept (--volumes deletes them)"
fi
dc "$mode" down --remove-orphans ${volumes[@]+"${volumes[@]}"}
if [ "$recorded" = "$mode" ]; then rm -f "$MODE_FILE"; fi
