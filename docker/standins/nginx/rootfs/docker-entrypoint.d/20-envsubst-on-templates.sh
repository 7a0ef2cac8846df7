#!/bin/sh
# TEST STAND-IN: the official nginx image's template step. Every
# $NGINX_ENVSUBST_TEMPLATE_DIR/**/*$NGINX_ENVSUBST_TEMPLATE_SUFFIX (default /etc/nginx/templates,
# .template) is rendered by envsubst into $NGINX_ENVSUBST_OUTPUT_DIR (default /etc/nginx/conf.d),
# substituting only the defined environment variables whose names match NGINX_ENVSUBST_FILTER.
set -e
ME=$(basename "$0")
entrypoint_log() {
	if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
		echo "$@"
	fi
}
template_dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
output_dir=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
filter=${NGINX_ENVSUBST_FILTER:-}

defined_envs=$(printf '${%s} ' $(awk "END { for (name in ENVIRON) { print ( name ~ /${filter}/ ) ? name : \"\" } }" </dev/null))
[ -d "$template_dir" ] || exit 0
if [ ! -w "$output_dir" ]; then
	entrypoint_log "$ME: ERROR: $template_dir exists, but $output_dir is not writable"
	exit 0
fi
find "$template_dir" -follow -type f -name "*$suffix" -print | while read -r template; do
	relative_path=${template#"$template_dir/"}
	output_path=$output_dir/${relative_path%"$suffix"}
	mkdir -p "$(dirname "$output_path")"
	entrypoint_log "$ME: Running envsubst on $template to $output_path"
	envsubst "$defined_envs" <"$template" >"$output_path"
done
exit 0
