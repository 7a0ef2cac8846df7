# shellcheck shell=bash
# Shared by scripts/docker-start.sh, docker-stop.sh, docker-smoke.sh and docker-e2e.sh: the one
# definition of the modes (compose files and project names) and of how Compose is called.
# Source it after setting ROOT (the repository root). Written for bash 3.2 as well (macOS): no
# associative arrays, and an array that may be empty is expanded as ${a[@]+"${a[@]}"} under set -u.

DC_MODES="full app dev infra"
DC_ENV_FILE=$ROOT/.env
DC_TEMPLATE=$ROOT/.env.docker
# Compose v2.24 brought the `!reset` tag docker-compose.dev.yml uses.
DC_MIN_VERSION=2.24

# Each mode is its own Compose project, so starting or stopping one (with --remove-orphans) never
# touches the containers, networks or volumes of another.
dc_project() {
	case $1 in
	full) echo stockd ;;
	app | dev | infra) echo "stockd-$1" ;;
	*) return 1 ;;
	esac
}

dc_mode_files() {
	case $1 in
	full) echo "docker-compose.infra.yml docker-compose.langfuse.yml docker-compose.yml docker-compose.stack.yml" ;;
	app) echo "docker-compose.yml" ;;
	dev) echo "docker-compose.infra.yml docker-compose.langfuse.yml docker-compose.yml docker-compose.stack.yml docker-compose.dev.yml" ;;
	infra) echo "docker-compose.infra.yml docker-compose.langfuse.yml" ;;
	*) return 1 ;;
	esac
}

# Modes that cannot run beside MODE on one Docker host: they publish the same ports.
dc_conflicts() {
	case $1 in
	full) echo "dev infra app" ;;
	dev) echo "full infra app" ;;
	infra) echo "full dev" ;;
	app) echo "full dev" ;;
	esac
}

# The variables of the "generated secrets" block of .env.docker.
dc_secret_names() {
	sed -n '/^# >>> generated secrets/,/^# <<< generated secrets/p' "$DC_TEMPLATE" | grep -E '^[A-Z0-9_]+=' | cut -d= -f1
}

# dc_env_value NAME: the value NAME has in .env (empty when unset or when there is no .env).
dc_env_value() {
	[ -f "$DC_ENV_FILE" ] || return 0
	grep -E "^$1=" "$DC_ENV_FILE" | tail -n 1 | cut -d= -f2-
}

dc_version_ok() { # version string such as 2.40.3 or v2.40.3-desktop.1
	local v=${1#v} major minor want_major want_minor
	major=${v%%.*}
	minor=${v#*.}
	minor=${minor%%.*}
	want_major=${DC_MIN_VERSION%%.*}
	want_minor=${DC_MIN_VERSION#*.}
	case $major$minor in *[!0-9]* | "") return 1 ;; esac
	[ "$major" -gt "$want_major" ] || { [ "$major" -eq "$want_major" ] && [ "$minor" -ge "$want_minor" ]; }
}

# dc_find sets DC_CMD to `docker compose` (plugin) or a standalone `docker-compose` v2.
DC_CMD=()
dc_find() {
	local v
	if v=$(docker compose version --short 2>/dev/null) && [ -n "$v" ]; then
		DC_CMD=(docker compose)
	elif command -v docker-compose >/dev/null 2>&1 && v=$(docker-compose version --short 2>/dev/null); then
		DC_CMD=(docker-compose)
	else
		echo "need Docker Compose v$DC_MIN_VERSION or later ('docker compose' plugin or a docker-compose v2 binary)" >&2
		return 1
	fi
	if ! dc_version_ok "$v"; then
		echo "Docker Compose $v is too old: these files need v$DC_MIN_VERSION or later (docker-compose 1.x cannot read them)" >&2
		return 1
	fi
}

# dc MODE ARGS…: Compose on MODE's project and files, with .env. Without a .env (a stop after it
# was deleted) the secrets get placeholders: `down`, `ps` and `logs` need none of their values.
dc() {
	local mode=$1 project f name
	shift
	project=$(dc_project "$mode") || return 1
	local args=(--project-name "$project" --project-directory "$ROOT")
	if [ -f "$DC_ENV_FILE" ]; then
		args+=(--env-file "$DC_ENV_FILE")
	else
		for name in $(dc_secret_names); do
			eval "[ -n \"\${$name:-}\" ] || export $name=unset-no-env-file"
		done
	fi
	for f in $(dc_mode_files "$mode"); do args+=(-f "$ROOT/$f"); done
	"${DC_CMD[@]}" ${args[@]+"${args[@]}"} "$@"
}

# dc_states MODE: one line "service state health" per container of the project, stopped ones too
# (health is empty for a service without healthcheck). Read through Compose itself, so it works
# with the standalone docker-compose as well.
dc_states() {
	dc "$1" ps -a --format '{{.Service}} {{.State}} {{.Health}}' 2>/dev/null
}

# dc_has_containers MODE: whether the mode's project has any container, running or not.
dc_has_containers() {
	[ -n "$(dc "$1" ps -a -q 2>/dev/null)" ]
}
