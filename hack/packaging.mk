# Packaging targets: the operator image, the Helm chart, its generated files and their
# tests. Included by the Makefile (include hack/packaging.mk); uses its LOCALBIN, IMG and
# ENVTEST_DIR.

# The OCI image tarball `make image` writes, and the time of every timestamp in it: the
# last commit's, so that a checkout always builds the same image.
IMAGE_TAR ?= dist/camera-operator.tar
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

# helm v4, built from the Go module proxy at the version pinned in hack/helm/go.mod.
HELM_VERSION ?= $(shell cd hack/helm && go list -m -f '{{.Version}}' helm.sh/helm/v4)
HELM ?= $(LOCALBIN)/helm-$(HELM_VERSION)
CHART_DIR := charts/camera-operator

##@ Packaging

.PHONY: image
image: build ## Build the operator image without Docker: bin/manager on a minimal nonroot base, as an OCI image tarball (IMAGE_TAR) named IMG.
	cd hack/image && go build -o $(LOCALBIN)/image-builder .
	$(LOCALBIN)/image-builder --binary $(LOCALBIN)/manager --tag $(IMG) --output $(IMAGE_TAR) --source-date-epoch $(SOURCE_DATE_EPOCH)

.PHONY: helm
helm: $(HELM) ## Build helm v4 from the Go module proxy into bin/ (once).
$(HELM):
	@hack/helm/build.sh $(LOCALBIN) >/dev/null

.PHONY: chart-generate
chart-generate: manifests ## Regenerate the chart's CRDs, RBAC rules and Argo CD files, and docs/gitops.md's examples.
	go run ./hack/chart/gen

.PHONY: chart-crds
chart-crds: chart-generate ## Alias of chart-generate.

.PHONY: chart-lint
chart-lint: helm ## Lint the chart with its default values.
	$(HELM) lint --strict $(CHART_DIR)

.PHONY: chart-template
chart-template: helm ## Print the chart rendered with its default values.
	$(HELM) template camera-operator $(CHART_DIR) --namespace camera-operator-system

.PHONY: chart-package
chart-package: helm ## Package the chart into dist/.
	$(HELM) package $(CHART_DIR) --destination dist

.PHONY: chart-test
chart-test: helm envtest ## Run the chart, kustomize, RBAC, Argo CD health and image tests (the image's run needs podman, as root).
	KUBEBUILDER_ASSETS="$(ENVTEST_DIR)" HELM="$(HELM)" KUBECTL="$(ENVTEST_DIR)/kubectl" \
	  go test ./hack/chart/... ./hack/argocd/... ./test/image/... -count=1 -timeout 20m
