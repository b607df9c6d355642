# High-availability test: two replicas of the operator under the real Deployment and
# ReplicaSet controllers (kube-controller-manager), the test standing in for the kubelet
# (test/ha). Included by the Makefile; uses its LOCALBIN and ENVTEST_DIR. `make test` runs
# it with every other test.

##@ High availability

.PHONY: ha
ha: envtest kube-controller-manager ## Run the HA test alone: fail-over and a rolling update of a 2-replica Deployment under kube-controller-manager.
	KUBEBUILDER_ASSETS="$$(hack/envtest/assets.sh $(LOCALBIN))" KUBE_CONTROLLER_MANAGER="$(ENVTEST_DIR)/kube-controller-manager" \
	  go test ./test/ha/... -count=1 -v -timeout 10m
