#!/bin/sh
# TEST STAND-IN entrypoint for clickhouse/clickhouse-server (docker/standins/README.md). What it
# honours of the official image's entrypoint:
#   CLICKHOUSE_USER / CLICKHOUSE_PASSWORD  the one user the server accepts (users.d/default-user.xml,
#                                           as the official image writes it), from any address
#   CLICKHOUSE_DB                           created on the first start
#   /docker-entrypoint-initdb.d/*.sql|*.sql.gz|*.sh  run once, on the first start (empty data dir),
#                                           or on every start with CLICKHOUSE_ALWAYS_RUN_INITDB_SCRIPTS
#   CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT    accepted; 18.16 has no SQL access management
# Starts as root, fixes the ownership of the data and log folders, then runs the server as the
# clickhouse user. Any other command runs as given.
set -eu
CONFIG=${CLICKHOUSE_CONFIG:-/etc/clickhouse-server/config.xml}
DATA_DIR=/var/lib/clickhouse
LOG_DIR=/var/log/clickhouse-server
USER_NAME=${CLICKHOUSE_USER:-default}
PASSWORD=${CLICKHOUSE_PASSWORD:-}
DB=${CLICKHOUSE_DB:-}

if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
	exec "$@"
fi

AS_CLICKHOUSE="setpriv --reuid=clickhouse --regid=clickhouse --init-groups"

for dir in "$DATA_DIR" "$LOG_DIR"; do
	mkdir -p "$dir"
	if [ "$(stat -c %U:%G "$dir")" != clickhouse:clickhouse ]; then
		chown -R clickhouse:clickhouse "$dir"
	fi
done

xml_escape() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }
{
	echo '<yandex><users>'
	[ "$USER_NAME" = default ] || echo '    <default remove="remove"/>'
	echo "    <$(xml_escape "$USER_NAME")>"
	echo "        <password>$(xml_escape "$PASSWORD")</password>"
	echo '        <networks replace="replace"><ip>::/0</ip></networks>'
	echo '        <profile>default</profile><quota>default</quota>'
	echo "    </$(xml_escape "$USER_NAME")>"
	echo '</users></yandex>'
} >/etc/clickhouse-server/users.d/default-user.xml

# The official image decides "first start" by the data folder's data/ subfolder.
first_start=0
[ -d "$DATA_DIR/data" ] || first_start=1
if [ "$first_start" = 1 ] || [ -n "${CLICKHOUSE_ALWAYS_RUN_INITDB_SCRIPTS:-}" ]; then
	if [ -n "$DB" ] || [ -n "$(ls -A /docker-entrypoint-initdb.d 2>/dev/null)" ]; then
		# Not through a shell function: $! must be the server itself, which the kill below stops.
		$AS_CLICKHOUSE clickhouse-server --config-file="$CONFIG" &
		pid=$!
		tries=150
		until wget -q -O /dev/null http://127.0.0.1:8123/ping; do
			tries=$((tries - 1))
			[ "$tries" -gt 0 ] || { echo "clickhouse (stand-in): server did not start for the init scripts" >&2; exit 1; }
			sleep 0.2
		done
		client() { clickhouse-client --user "$USER_NAME" --password "$PASSWORD" --multiquery "$@"; }
		if [ -n "$DB" ]; then
			echo "CREATE DATABASE IF NOT EXISTS \`$DB\`" | client
		fi
		for f in /docker-entrypoint-initdb.d/*; do
			[ -e "$f" ] || continue
			case $f in
			*.sh) echo "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
			*.sql) echo "running $f"; client <"$f" ;;
			*.sql.gz) echo "running $f"; gunzip -c "$f" | client ;;
			*) echo "ignoring $f" ;;
			esac
		done
		kill -TERM "$pid"
		wait "$pid" || true
	fi
fi

exec $AS_CLICKHOUSE clickhouse-server --config-file="$CONFIG" "$@"
