# restproxy-operator. `make help` lists the targets.
#
# Everything a target needs is built from Go sources or installed into bin/
# (gitignored) on first use and reused after.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
.DEFAULT_GOAL := help

BIN ?= $(CURDIR)/bin
GO ?= go

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: dev
dev: build ## Try it: an in-process Kafka broker plus a proxy on 127.0.0.1:8082.
	$(BIN)/restproxy dev $(DEV_ARGS)

.PHONY: fmt
fmt: ## Format the Go sources.
	$(GO) fmt ./...

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: test
test: vet ## Run the whole test suite.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) test -count=1 ./...

##@ Build

.PHONY: build
build: ## Build bin/restproxy.
	$(GO) build -o $(BIN)/restproxy .
