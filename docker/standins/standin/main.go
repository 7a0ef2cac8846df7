// Command standin plays the parts of the third-party images that no registry here can provide
// (Langfuse web and worker, MinIO and its mc client) in scripts/docker-e2e.sh. It is a TEST
// STAND-IN, built into local images that are never pushed; docker/standins/README.md lists every
// stand-in and what it honours of the real image.
//
// One binary, picked by its name (a symlink) or its first argument:
//
//	langfuse-web     Langfuse web on $HOSTNAME:$PORT (3000): /api/public/health, OTLP/HTTP trace
//	                 export at /api/public/otel/v1/traces (Basic auth with the init project's
//	                 keys), and GET /_standin/otel/traces to read back what was received
//	langfuse-worker  Langfuse worker on $HOSTNAME:$PORT (3030): /api/health
//	minio server [--address :9000] [--console-address :9001] DIR
//	mc ready ALIAS   exit 0 once the local MinIO answers /minio/health/ready
//
// Like the real Langfuse containers, both Langfuse parts listen on $HOSTNAME, which Docker sets to
// the container id unless the compose file sets HOSTNAME=0.0.0.0; they check their settings at
// start and report healthy only while Postgres, ClickHouse, Redis and the S3 bucket answer with
// the configured credentials.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	name, args := filepath.Base(os.Args[0]), os.Args[1:]
	if name == "standin" && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	var err error
	switch name {
	case "langfuse-web":
		err = runLangfuse(roleWeb, args)
	case "langfuse-worker":
		err = runLangfuse(roleWorker, args)
	case "minio":
		err = runMinio(args)
	case "mc":
		err = runMC(args)
	default:
		err = fmt.Errorf("unknown part %q (langfuse-web, langfuse-worker, minio, mc)", name)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s (stand-in): %v\n", name, err)
		os.Exit(1)
	}
}
