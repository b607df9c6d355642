# camera-operator: the GB/T 28181 camera operator. `make help` lists the targets.

# Image to build and deploy.
IMG ?= camera-operator:latest

# The local control plane (kube-apiserver, etcd) and kubectl, built from Go modules.
KUBE_VERSION ?= 1.36.3

# Tool versions, installed into bin/ from the Go module proxy.
CONTROLLER_TOOLS_VERSION ?= v0.23.0

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)

# golangci-lint v2, built from the Go module proxy at the version pinned in hack/lint/go.mod.
GOLANGCI_LINT_VERSION ?= $(shell cd hack/lint && go list -m -f '{{.Version}}' github.com/golangci/golangci-lint/v2)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)

# promtool, built from the Go module proxy at the Prometheus version hack/monitoring/go.mod
# pins: it checks and unit-tests the chart's alert rules.
PROMTOOL_VERSION ?= $(shell cd hack/monitoring && go list -m -f '{{.Version}}' github.com/prometheus/prometheus)
PROMTOOL ?= $(LOCALBIN)/promtool-$(PROMTOOL_VERSION)

# Packages whose tests need a control plane (kube-apiserver and etcd), kubectl, helm,
# podman or a build of the operator: `make unit` leaves them out. In the others, -short
# skips the tests that run ffprobe or kamailio, and -skip those that run sipp (TestSipp*).
INTEGRATION_PKGS := ./api/... ./controllers ./controllers/endpoints/... ./hack/chart/... ./internal/localcluster/... ./test/e2e/... ./test/ha/... ./test/image/...
UNIT_PKGS = $(filter-out $(shell go list $(INTEGRATION_PKGS)),$(shell go list ./...))

GOOS := $(shell go env GOOS)
GOARCH := $(shell go env GOARCH)
ENVTEST_DIR := $(LOCALBIN)/k8s/$(KUBE_VERSION)-$(GOOS)-$(GOARCH)

# kubectl: the one on the PATH when there is one, else the one built beside the control plane.
KUBECTL ?= $(or $(shell command -v kubectl 2>/dev/null),$(ENVTEST_DIR)/kubectl)

# The same build flags for `make build`, `make image` and the Dockerfile, which give the
# same binary byte for byte: -buildvcs=false because the Dockerfile's build context has no
# .git to stamp from.
GO_BUILD_FLAGS ?= -trimpath -buildvcs=false -ldflags "-s -w"

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRD and RBAC manifests from the API types and markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: monitoring
monitoring: ## Generate the fleet dashboard's JSON and the list of the metrics it and the alert rules query (hack/monitoring).
	cd hack/monitoring && go run ./cmd/gen -root ../..

.PHONY: dashboard-picture
dashboard-picture: envtest ## Run a 2,000-camera bench recording the operator's metrics, and draw the dashboard's panels from it (docs/images/dashboard.png).
	go run ./test/bench --cameras 2000 --no-sipp --go-bench=false --record-metrics $(LOCALBIN)/bench/metrics.rec --out $(LOCALBIN)/bench/picture.json
	mkdir -p docs/images
	cd hack/monitoring && go run ./cmd/render -in $(LOCALBIN)/bench/metrics.rec -out $(CURDIR)/docs/images/dashboard.png

.PHONY: generate
generate: controller-gen ## Generate the DeepCopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: verify-generated
verify-generated: controller-gen ## Fail when committed CRDs, RBAC or deepcopy differ from what the markers generate.
	@CONTROLLER_GEN=$(CONTROLLER_GEN) hack/verify-generated.sh

.PHONY: fmt
fmt: ## Run go fmt against the code.
	go fmt ./...

.PHONY: fmt-check
fmt-check: ## Fail, listing them, when Go files are not gofmt-formatted (bin/ excluded); changes nothing.
	@unformatted="$$(find . -path ./bin -prune -o -name '*.go' -type f -print | xargs gofmt -l)" && \
	  if [ -n "$$unformatted" ]; then echo "not gofmt-formatted (run make fmt):"; echo "$$unformatted"; exit 1; fi

.PHONY: vet
vet: ## Run go vet against the code (and the image builder's and monitoring generator's modules).
	go vet ./...
	cd hack/image && go vet ./...
	cd hack/monitoring && go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint (.golangci.yml) over the operator's module, the image builder's and the monitoring generator's.
	$(GOLANGCI_LINT) run ./...
	cd hack/image && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...
	cd hack/monitoring && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...

.PHONY: unit
unit: ## Run the tests that need no control plane, sipp, kamailio, podman or ffprobe (-short), in under a minute.
	go test -short -count=1 -skip '^TestSipp' $(UNIT_PKGS)
	cd hack/image && go test -short -count=1 ./...
	cd hack/monitoring && go test -short -count=1 ./...

.PHONY: test
test: verify-generated fmt-check vet lint envtest kube-controller-manager helm promtool ## Run all tests against a real kube-apiserver and etcd (builds them the first time).
	assets="$$(hack/envtest/assets.sh $(LOCALBIN))" && \
	  KUBEBUILDER_ASSETS="$$assets" KUBECTL="$$assets/kubectl" HELM="$(HELM)" \
	  KUBE_CONTROLLER_MANAGER="$(ENVTEST_DIR)/kube-controller-manager" \
	  go test ./... -count=1 -timeout 40m -coverprofile cover.out
	cd hack/image && go test ./... -count=1
	cd hack/monitoring && PROMTOOL="$(PROMTOOL)" go test ./... -count=1

.PHONY: dev
dev: build envtest ## Start a local control plane, install the CRDs and run the operator with SIP on 127.0.0.1:5060.
	go build -o $(LOCALBIN)/dev-launcher ./hack/dev
	$(LOCALBIN)/dev-launcher --bin-dir $(LOCALBIN) --assets "$$(hack/envtest/assets.sh $(LOCALBIN))" --manager $(LOCALBIN)/manager

##@ Build

.PHONY: build
build: ## Build the operator binary into bin/manager.
	CGO_ENABLED=0 go build $(GO_BUILD_FLAGS) -o $(LOCALBIN)/manager .

.PHONY: run
run: manifests generate fmt vet ## Run the operator against the cluster of the current kubeconfig.
	go run . --sip-listen=127.0.0.1:5060

.PHONY: docker-build
docker-build: ## Build the operator image with a Docker engine (`make image` needs none).
	docker build -t $(IMG) .

##@ Deployment

.PHONY: install
install: manifests ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUBECTL) apply --server-side -k config/crd

.PHONY: uninstall
uninstall: manifests ## Remove the CRDs (and so every Camera) from the cluster of the current kubeconfig.
	$(KUBECTL) delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy the operator with kustomize, using image IMG.
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cp -r config "$$tmp/" && \
	  printf 'images:\n- name: controller\n  newName: %s\n  newTag: %s\n' "$${IMG%:*}" "$${IMG##*:}" >> "$$tmp/config/default/kustomization.yaml" && \
	  $(KUBECTL) apply --server-side -k "$$tmp/config/default"

.PHONY: undeploy
undeploy: ## Remove the operator deployed by `make deploy`.
	$(KUBECTL) delete --ignore-not-found -k config/default

# Targets of the simulator, end-to-end suite, benchmarks and packaging live beside their code.
include $(wildcard hack/*.mk test/*.mk)

##@ Dependencies

.PHONY: envtest
envtest: ## Build kube-apiserver, etcd and kubectl (KUBE_VERSION) from Go modules into bin/k8s, once.
	@hack/envtest/assets.sh $(LOCALBIN) >/dev/null

.PHONY: kube-controller-manager
kube-controller-manager: ## Build kube-controller-manager (KUBE_VERSION) into bin/k8s, once: the HA test runs its Deployment controller.
	@hack/envtest/build.sh $(LOCALBIN) kube-controller-manager >/dev/null

.PHONY: promtool
promtool: $(PROMTOOL) ## Build promtool from the Go module proxy into bin/ (once).
$(PROMTOOL):
	@hack/monitoring/build-promtool.sh $(LOCALBIN) >/dev/null

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Build golangci-lint from the Go module proxy into bin/ (once).
$(GOLANGCI_LINT):
	@hack/lint/build.sh $(LOCALBIN) >/dev/null

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/.
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(LOCALBIN)/controller-gen $(CONTROLLER_GEN)
	ln -sf $(notdir $(CONTROLLER_GEN)) $(LOCALBIN)/controller-gen
