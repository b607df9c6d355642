// Package ha proves that the operator's high availability works with the real Kubernetes
// controllers, the way a GitOps tool judges it: a Deployment of two replicas with leader
// election reaches Available; the SIP Service, which has no selector, has its
// EndpointSlice point at the elected leader's Pod alone; when the leader's node dies the
// EndpointSlice follows the Lease to the other Pod within the lease duration, and devices
// register through the new address; and a rolling update (maxSurge 1, maxUnavailable 0)
// ends Available with two new Pods, the EndpointSlice on one of them.
//
// Real: etcd and kube-apiserver (envtest, with the operator's CRDs),
// kube-controller-manager running the Deployment and ReplicaSet controllers, one operator
// process per Pod (the binary built from this checkout, talking to the API server with
// the admin kubeconfig), and GB/T 28181 devices (camsim's device model, in process).
//
// Stood in for by the test: the scheduler and the kubelet. There is no container runtime
// here, so the test plays the node (see kubelet_test.go): it binds each new Pod to a
// fake Node, gives it its own loopback address (127.x.y.2, .3, ...) as its Pod IP, runs
// the operator binary with the container's args and downward-API environment, probes
// /readyz and /healthz as the kubelet would, writes the Pod status (phase, Pod IP,
// Ready) from what it sees, and stops the process with SIGTERM when the Pod is deleted,
// then removes the Pod as the kubelet does. Nor is there a kube-proxy: a device reaches
// the Service at the address its EndpointSlice names, read when the device starts, which
// is what kube-proxy would forward that device's packets to.
//
// Without kube-controller-manager (`make envtest` builds it) the test is skipped, except
// when CI is set, where it fails.
package ha
