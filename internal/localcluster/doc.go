// Package localcluster runs a local Kubernetes control plane for development and end-to-end
// tests: etcd and kube-apiserver from hack/envtest's binaries with the operator's CRDs, a
// kubeconfig for an admin user, and child processes (the operator) started against it.
// It ends exactly the processes it started, and on start-up those a killed earlier run
// recorded, by PID.
package localcluster
