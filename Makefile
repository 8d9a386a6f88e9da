# restproxy-operator. `make help` lists the targets.
#
# Everything a target needs is built from Go sources or installed into bin/
# (gitignored) on first use and reused after: controller-gen and kustomize from
# hack/tools, kube-apiserver, kubectl and the node components from hack/k8s,
# etcd from hack/etcd, helm from hack/helm, promtool from hack/promtool, mkimg
# from hack/mkimg, jaeger by hack/jaeger/build.sh.
# Each of those is its own Go module, so the project's go.mod never carries
# their dependencies. hack/build-tool.sh rebuilds a tool only when its module's
# go.mod/go.sum (the pinned versions) or its build flags change.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
.DEFAULT_GOAL := help

BIN ?= $(CURDIR)/bin
GO ?= go
export GO

## Tools, all built into $(BIN).
CONTROLLER_GEN ?= $(BIN)/controller-gen
KUSTOMIZE ?= $(BIN)/kustomize
BUILD_TOOL := $(CURDIR)/hack/build-tool.sh
TOOL_LDFLAGS := -s -w

## The test API server: K8S_VERSION is the k8s.io/kubernetes version pinned in
## hack/k8s/go.mod; keep its minor in step with k8s.io/api in go.mod.
K8S_VERSION := $(shell sed -nE 's,^(require)?[[:space:]]*k8s\.io/kubernetes (v[^[:space:]]+).*,\2,p' hack/k8s/go.mod)
K8S_MAJOR := $(patsubst v%,%,$(word 1,$(subst ., ,$(K8S_VERSION))))
K8S_MINOR := $(word 2,$(subst ., ,$(K8S_VERSION)))
## Without these the binaries report v0.0.0-master, which breaks kubectl's
## version skew check. client-go's copy is what kubectl prints as its own version.
K8S_LDFLAGS := $(strip $(TOOL_LDFLAGS) $(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
	-X $(pkg).gitVersion=$(K8S_VERSION) -X $(pkg).gitMajor=$(K8S_MAJOR) \
	-X $(pkg).gitMinor=$(K8S_MINOR) -X $(pkg).gitTreeState=clean))
## The k8s.io/api minor the operator is compiled against; `make verify` fails
## when the test API server is another minor.
K8S_API_MINOR := $(word 2,$(subst ., ,$(shell sed -nE 's,^[[:space:]]*k8s\.io/api (v[^[:space:]]+).*,\1,p' go.mod)))
## envtest's KUBEBUILDER_ASSETS: kube-apiserver, etcd and kubectl side by side.
ENVTEST_DIR := $(BIN)/k8s/$(K8S_VERSION)
KUBECTL ?= $(ENVTEST_DIR)/kubectl

## Operator image for deploy.
IMG ?= restproxy:latest

## Files controller-gen writes; `make verify` fails when they differ from git.
GENERATED_PATHS := config/crd/bases config/rbac/role.yaml config/webhook ':(glob)api/**/zz_generated.*.go'

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: dev
dev: build ## Try it: an in-process Kafka broker and Schema Registry plus a proxy on 127.0.0.1:8082.
	$(BIN)/restproxy dev $(DEV_ARGS)

.PHONY: manifests
manifests: controller-gen ## Generate the CRD (config/crd/bases) and the manager ClusterRole (config/rbac/role.yaml).
	@if [[ -d api ]]; then \
		$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./..." \
			output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac; \
	else echo "manifests: no api/ directory yet, nothing to generate"; fi

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods (api/**/zz_generated.deepcopy.go).
	@if [[ -d api ]]; then \
		$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."; \
	else echo "generate: no api/ directory yet, nothing to generate"; fi

.PHONY: fmt
fmt: ## Format the Go sources.
	$(GO) fmt ./...

.PHONY: fmt-check
fmt-check: ## Fail if any tracked Go file needs gofmt.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: verify
verify: manifests generate helm-crds kustomize ## Fail if generated files drift from their sources, config/default does not render, or the test API server's minor is not go.mod's.
	@[[ "$(K8S_API_MINOR)" == "$(K8S_MINOR)" ]] || { \
		echo "verify: hack/k8s builds Kubernetes $(K8S_VERSION) but go.mod has k8s.io/api minor $(K8S_API_MINOR): run hack/bump-k8s.sh with a 1.$(K8S_API_MINOR) release"; exit 1; }
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		drift=$$(git status --porcelain --untracked-files=all -- $(GENERATED_PATHS)); \
		if [[ -n $$drift ]]; then \
			echo "$$drift"; git --no-pager diff --stat -- $(GENERATED_PATHS); \
			echo "verify: generated files differ from git: run 'make manifests generate helm-crds' and commit the result"; \
			exit 1; \
		fi; \
	else echo "verify: not a git work tree, skipping the drift check"; fi
	@if ls config/crd/bases/*.yaml >/dev/null 2>&1; then \
		$(KUSTOMIZE) build config/crd >/dev/null || { echo "verify: kustomize build config/crd failed"; exit 1; }; \
		if [[ -f config/rbac/role.yaml ]]; then \
			$(KUSTOMIZE) build config/default >/dev/null || { echo "verify: kustomize build config/default failed"; exit 1; }; \
		else echo "verify: no config/rbac/role.yaml yet (no +kubebuilder:rbac markers), skipping kustomize build config/default"; fi; \
	else echo "verify: no CRD in config/crd/bases yet, skipping kustomize build"; fi

.PHONY: test
test: envtest helm promtool jaeger build build-installer verify vet fmt-check ## Run the whole test suite (envtest against a real kube-apiserver and etcd).
	KUBEBUILDER_ASSETS=$(ENVTEST_DIR) HELM=$(HELM) PROMTOOL=$(PROMTOOL) JAEGER=$(JAEGER) RESTPROXY=$(BIN)/restproxy INSTALL_YAML=$(CURDIR)/dist/install.yaml $(GO) test -count=1 ./...

##@ Build

.PHONY: build
build: ## Build bin/restproxy.
	$(GO) build -o $(BIN)/restproxy .

.PHONY: run
run: ## Run the operator against the cluster of the current kubeconfig.
	$(GO) run . operator $(RUN_ARGS)

.PHONY: build-installer
build-installer: manifests kustomize ## Render config/default with IMG into dist/install.yaml, and the same split into dist/crds.yaml and dist/operator.yaml.
	@mkdir -p dist
	@{ $(RENDER_DEFAULT); } > dist/install.yaml.tmp && mv dist/install.yaml.tmp dist/install.yaml
	@$(KUSTOMIZE) build config/crd > dist/crds.yaml.tmp && mv dist/crds.yaml.tmp dist/crds.yaml
	@{ $(RENDER_OPERATOR); } > dist/operator.yaml.tmp && mv dist/operator.yaml.tmp dist/operator.yaml
	@echo "wrote dist/install.yaml, dist/crds.yaml and dist/operator.yaml"

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize kubectl ## Install the CRD into the cluster of the current kubeconfig.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: manifests kustomize kubectl ## Remove the CRD (and with it every RestProxy). ignore-not-found=true to ignore missing objects.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: deploy
deploy: manifests kustomize kubectl ## Deploy the operator with image IMG to the cluster of the current kubeconfig.
	@{ $(RENDER_DEFAULT); } | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize kubectl ## Remove the operator. ignore-not-found=true to ignore missing objects.
	@{ $(RENDER_DEFAULT); } | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

# RENDER_DEFAULT prints config/default with the manager image set to IMG. It
# edits a temporary copy of config/, so deploying never dirties the tree. It is
# a recipe snippet, not a recursive make, so `make -n` prints it and runs nothing.
RENDER_DEFAULT = tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -R config "$$tmp/"; \
	(cd "$$tmp/config/manager" && $(KUSTOMIZE) edit set image controller=$(IMG)) && \
	$(KUSTOMIZE) build "$$tmp/config/default"

# RENDER_OPERATOR is RENDER_DEFAULT without the CRD: `kubectl delete -f
# dist/operator.yaml` removes the operator and keeps every RestProxy.
RENDER_OPERATOR = tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -R config "$$tmp/"; \
	sed -i '/^- \.\.\/crd$$/d' "$$tmp/config/default/kustomization.yaml" && \
	(cd "$$tmp/config/manager" && $(KUSTOMIZE) edit set image controller=$(IMG)) && \
	$(KUSTOMIZE) build "$$tmp/config/default"

.PHONY: render-default
render-default: kustomize ## Print config/default with the manager image set to IMG.
	@$(RENDER_DEFAULT)

##@ Dependencies

.PHONY: tools
tools: controller-gen kustomize envtest helm promtool jaeger ## Build every tool into bin/.

.PHONY: controller-gen
controller-gen: ## Build bin/controller-gen (sigs.k8s.io/controller-tools, pinned in hack/tools).
	@$(BUILD_TOOL) hack/tools $(CONTROLLER_GEN) sigs.k8s.io/controller-tools/cmd/controller-gen "$(TOOL_LDFLAGS)"

.PHONY: kustomize
kustomize: ## Build bin/kustomize (pinned in hack/tools).
	@$(BUILD_TOOL) hack/tools $(KUSTOMIZE) sigs.k8s.io/kustomize/kustomize/v5 "$(TOOL_LDFLAGS)"

## Jaeger, the trace backend of the tracing tests: its module has replace
## directives, so hack/jaeger/build.sh builds a copy of the pinned release.
JAEGER ?= $(BIN)/jaeger

.PHONY: jaeger
jaeger: ## Build bin/jaeger (github.com/jaegertracing/jaeger, pinned in hack/jaeger/build.sh).
	@hack/jaeger/build.sh $(JAEGER)

.PHONY: kubectl
kubectl: ## Build kubectl into bin/k8s/<version> (pinned in hack/k8s).
	@$(BUILD_TOOL) hack/k8s $(ENVTEST_DIR)/kubectl k8s.io/kubernetes/cmd/kubectl "$(K8S_LDFLAGS)"

.PHONY: envtest
envtest: ## Build kube-apiserver, etcd and kubectl into bin/k8s/<version> and print that directory (KUBEBUILDER_ASSETS).
	@$(BUILD_TOOL) hack/k8s $(ENVTEST_DIR)/kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$(K8S_LDFLAGS)"
	@$(BUILD_TOOL) hack/etcd $(ENVTEST_DIR)/etcd . "$(TOOL_LDFLAGS)"
	@$(MAKE) -s --no-print-directory kubectl
	@echo $(ENVTEST_DIR)

##@ End to end on a real cluster

## make e2e brings up a real single-node cluster on this machine and runs the
## scenarios of hack/e2e against the operator installed with its chart. It
## needs root; the node's components are built like envtest's, containerd,
## runc and the CNI plugins come from Debian. E2E_ARGS go to the harness, e.g.
## E2E_ARGS=-keep to leave the cluster up after the scenarios.
E2E_DIR ?= $(BIN)/e2e
E2E_ARGS ?=
MKIMG ?= $(BIN)/mkimg
K8S_NODE_COMPONENTS := kube-controller-manager kube-scheduler kubelet kube-proxy

.PHONY: e2e
e2e: envtest k8s-node helm mkimg e2e-packages ## Run the real-cluster end-to-end scenarios (root; see hack/e2e).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(TOOL_LDFLAGS)' -o $(E2E_DIR)/image/restproxy .
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(TOOL_LDFLAGS)' -o $(E2E_DIR)/image/pause ./hack/e2e/pause
	$(GO) build -o $(E2E_DIR)/harness ./hack/e2e
	$(E2E_DIR)/harness -work $(E2E_DIR) -k8s-bin $(ENVTEST_DIR) -helm $(HELM) -mkimg $(MKIMG) \
		-restproxy $(E2E_DIR)/image/restproxy -pause $(E2E_DIR)/image/pause $(E2E_ARGS)

.PHONY: e2e-restore
e2e-restore: ## Undo what a killed make e2e left on the host (the next make e2e also does this first).
	$(GO) build -o $(E2E_DIR)/harness ./hack/e2e
	$(E2E_DIR)/harness -work $(E2E_DIR) -restore

.PHONY: k8s-node
k8s-node: ## Build kube-controller-manager, kube-scheduler, kubelet and kube-proxy into bin/k8s/<version> (pinned in hack/k8s).
	@for c in $(K8S_NODE_COMPONENTS); do \
		$(BUILD_TOOL) hack/k8s $(ENVTEST_DIR)/$$c k8s.io/kubernetes/cmd/$$c "$(K8S_LDFLAGS)"; done

.PHONY: mkimg
mkimg: ## Build bin/mkimg, which writes an image tarball without a container engine (hack/mkimg).
	@$(BUILD_TOOL) hack/mkimg $(MKIMG) . "$(TOOL_LDFLAGS)"

.PHONY: e2e-packages
e2e-packages: ## Install containerd, runc, the CNI plugins, iptables, conntrack and nftables from Debian when missing.
	@hack/e2e/install-packages.sh

##@ Helm chart and image

## The chart in charts/restproxy-operator. Its CRD template and the rules of its
## manager (Cluster)Role are copied from controller-gen's output by helm-crds,
## so `make verify` fails when they drift from the Go types and RBAC markers.
CHART := charts/restproxy-operator
HELM ?= $(BIN)/helm
HELM_VERSION := $(shell sed -nE 's,^(require)?[[:space:]]*helm\.sh/helm/v4 (v[^[:space:]]+).*,\2,p' hack/helm/go.mod)
## Without the version stamp `helm version` reports v4.3, not the pinned release.
HELM_LDFLAGS := $(TOOL_LDFLAGS) -X helm.sh/helm/v4/internal/version.version=$(HELM_VERSION) -X helm.sh/helm/v4/internal/version.gitTreeState=clean
GENERATED_PATHS += $(CHART)/templates/crd $(CHART)/templates/rbac/_manager-rules.tpl
CONTAINER_TOOL ?= docker

.PHONY: helm
helm: ## Build bin/helm (helm.sh/helm/v4, pinned in hack/helm).
	@$(BUILD_TOOL) hack/helm $(HELM) helm.sh/helm/v4/cmd/helm "$(HELM_LDFLAGS)"

## promtool checks the chart's alerting rules and runs their unit tests
## (charts/rules_test.go). Its build tags are read from hack/promtool/go.mod,
## which the stamp of build-tool.sh covers.
PROMTOOL ?= $(BIN)/promtool
PROMTOOL_TAGS := $(shell sed -nE 's,^// build tags: (.*),\1,p' hack/promtool/go.mod)

.PHONY: promtool
promtool: ## Build bin/promtool (github.com/prometheus/prometheus, pinned in hack/promtool).
	@GOFLAGS="$$($(GO) env GOFLAGS) -tags=$(PROMTOOL_TAGS)" $(BUILD_TOOL) hack/promtool $(PROMTOOL) github.com/prometheus/prometheus/cmd/promtool "$(TOOL_LDFLAGS)"

.PHONY: helm-crds
helm-crds: manifests ## Copy the CRD and the manager's RBAC rules from controller-gen's output into the chart.
	@hack/helm/sync-chart.sh $(CHART)

.PHONY: helm-lint
helm-lint: helm ## helm lint the chart with its default values and with each ci/*-values.yaml.
	$(HELM) lint --strict $(CHART)
	@for f in $(CHART)/ci/*-values.yaml; do echo "$(HELM) lint --strict $(CHART) -f $$f"; $(HELM) lint --strict $(CHART) -f "$$f"; done

.PHONY: docker-build
docker-build: ## Build the image IMG (operator and proxy, one binary) with CONTAINER_TOOL (docker).
	$(CONTAINER_TOOL) build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the image IMG with CONTAINER_TOOL.
	$(CONTAINER_TOOL) push $(IMG)

##@ Benchmarks

## make bench writes $(BENCH_OUT).json and $(BENCH_OUT).png; BENCH_OUT=docs/bench
## refreshes the README's figures. BENCH_ARGS go to hack/bench, e.g.
## BENCH_ARGS='--duration 10s --record-bytes 1000' (go run ./hack/bench --help).
BENCH_OUT ?= $(BIN)/bench
BENCH_ARGS ?=

.PHONY: bench
bench: build ## Measure the proxy binary against a kfake broker: records/s per mode vs kafka-go direct, latency, RSS, CPU per record.
	@mkdir -p $(dir $(BENCH_OUT))
	$(GO) run ./hack/bench --proxy-bin $(BIN)/restproxy --out $(BENCH_OUT).json --plot $(BENCH_OUT).png $(BENCH_ARGS)

## RestProxies BenchmarkOperatorScale creates (500 by default). Separate from
## `make bench`, which needs no kube-apiserver build.
OPERATOR_SCALE ?= 500
## Secrets and ConfigMaps no RestProxy uses, created first (a shared cluster).
OPERATOR_UNRELATED ?= 0

.PHONY: bench-operator
bench-operator: envtest ## Benchmark the operator in envtest: time until OPERATOR_SCALE RestProxies are reconciled and Ready, API writes per RestProxy, and a full resync's writes (must be 0).
	KUBEBUILDER_ASSETS=$(ENVTEST_DIR) $(GO) test -count=1 -run '^$$' -bench BenchmarkOperatorScale -benchtime 1x -timeout 30m ./controllers/ -args -operator-scale=$(OPERATOR_SCALE) -operator-unrelated=$(OPERATOR_UNRELATED)

##@ Soak

## make soak runs bin/restproxy for SOAK_DURATION at half the rate the
## benchmark's stream-8 mode measures just before, with streams ending and new
## connections opening all the time and a broker fault every SOAK_FAULT_EVERY.
## It fails if the proxy's RSS, goroutines or open fds grow past their bounds or
## if any record is lost (hack/soak). Not part of make test. SOAK_ARGS go to
## hack/soak, e.g. SOAK_ARGS='--rate 100000' (go run ./hack/soak --help).
SOAK_DURATION ?= 30m
SOAK_FAULT_EVERY ?= 5m
SOAK_ARGS ?=

.PHONY: soak
soak: build ## Soak the proxy: half its measured capacity for SOAK_DURATION (30m), client churn, a broker fault every SOAK_FAULT_EVERY (5m); fails on growth or loss.
	$(GO) build -o $(BIN)/bench ./hack/bench
	$(GO) build -o $(BIN)/soak ./hack/soak
	$(BIN)/soak --proxy-bin $(BIN)/restproxy --bench-bin $(BIN)/bench \
		--duration $(SOAK_DURATION) --fault-every $(SOAK_FAULT_EVERY) $(SOAK_ARGS)

##@ Fuzzing

FUZZTIME ?= 30s

.PHONY: fuzz-security
fuzz-security: ## Fuzz the config loader, the credentials-file parser and the records:batch body parser for FUZZTIME each; make test runs their seed corpora.
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./proxy/config
	$(GO) test -run '^$$' -fuzz '^FuzzParseCredentials$$' -fuzztime $(FUZZTIME) ./proxy
	$(GO) test -run '^$$' -fuzz '^FuzzBatchDecode$$' -fuzztime $(FUZZTIME) ./proxy/record

.PHONY: fuzz-schemas
fuzz-schemas: ## Fuzz the JSON-to-Avro, JSON-to-Protobuf and JSON Schema paths and the schema stage for FUZZTIME each; make test runs their seed corpora.
	$(GO) test -run '^$$' -fuzz '^FuzzAvroJSON$$' -fuzztime $(FUZZTIME) ./proxy/schema/avro
	$(GO) test -run '^$$' -fuzz '^FuzzProtobufJSON$$' -fuzztime $(FUZZTIME) ./proxy/schema/protobuf
	$(GO) test -run '^$$' -fuzz '^FuzzJSONSchemaAppend$$' -fuzztime $(FUZZTIME) ./proxy/schema/jsonschema
	$(GO) test -run '^$$' -fuzz '^FuzzEncodeSchema$$' -fuzztime $(FUZZTIME) ./proxy/schema
