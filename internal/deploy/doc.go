// Package deploy holds the tests of the deployment files: the Docker Compose files of every mode
// (loaded with compose-spec/compose-go, as Docker Compose itself loads them), docker/nginx.conf
// (checked and run by a real nginx in front of a real stockd) and scripts/docker-start.sh's
// secret generation. No Docker engine is needed. See docs/DOCKER.md.
package deploy
