package deploy

// nginxTemplateVars are the only variables docker/nginx.conf is rendered with, by the nginx image
// (NGINX_ENVSUBST_FILTER) and by the local stack and tests (envsubst with this list).
var nginxTemplateVars = []string{"BACKEND_HOST", "BACKEND_PORT", "LISTEN_PORT", "RESOLVER", "WEB_ROOT"}
