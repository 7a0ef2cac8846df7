# Stock Datasource — the two commands are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN := bin/stockd
# grpcnotrace: the OTLP exporter links gRPC, whose golang.org/x/net/trace pulls in html/template;
# text/template's method lookup by name then keeps every exported method of every type in the
# binary (the model client's thousands among them): 75 MB instead of 45 MB. Nothing here uses
# gRPC tracing. Every go command run by make (builds, tests, scripts) gets the tag.
export GOFLAGS := $(strip $(GOFLAGS) -tags=grpcnotrace)
export SQLITE_PATH ?= ./data/stock.db

.PHONY: run build web test lint bench clean

## run: build the service and the web UI, create a synthetic demo market if the store is empty, serve on :8000
run: build web
	$(BIN) demo --if-empty
	WEB_DIR=web/dist $(BIN) serve

## build: the stockd binary (static, no cgo)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/stockd

## web: the production build of the web UI in web/dist
web:
	@if command -v npm >/dev/null; then \
		cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build; \
	else echo "npm not found: serving the API without the web UI"; fi

## test: install what is missing, start real servers, run every check and test, stop the servers
test:
	scripts/ci-test.sh

## lint: formatting and vet only
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: benchmarks with real servers; figures go to docs/BENCHMARKS.md
bench:
	scripts/bench.sh

## clean: build output, tmp/ and .cache/ (the Compose CLI and base image scripts/docker-e2e.sh builds once)
clean:
	rm -rf bin tmp web/dist .cache
