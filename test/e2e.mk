# End-to-end suite: the operator binary, a local control plane, kubectl and camsim as real
# processes (test/e2e). Included by the Makefile; uses its LOCALBIN. `make test` runs the
# same suite along with every other test.

##@ End-to-end

.PHONY: e2e
e2e: envtest ## Run the end-to-end suite alone: operator, control plane, kubectl and simulated devices as processes.
	KUBEBUILDER_ASSETS="$$(hack/envtest/assets.sh $(LOCALBIN))" go test ./test/e2e/... -count=1 -v -timeout 20m
