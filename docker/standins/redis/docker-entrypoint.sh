#!/bin/sh
# TEST STAND-IN entrypoint for redis (docker/standins/README.md), as the official image's:
# a first argument that is an option or a .conf file means redis-server; as root, /data is given to
# the redis user and the server runs as that user; stdin is passed on (`redis-server -` reads
# configuration lines from it).
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
um=$(umask)
if [ "$um" = 0022 ]; then
	umask 0077
fi
exec "$@"
