// Package ha proves that the operator's high availability works with the real Kubernetes
// controllers, the way a GitOps tool judges it: a Deployment of two replicas with leader
// election reaches Available; the SIP Service, which has no selector, has its
// EndpointSlice point at the elected leader's Pod alone; when the leader's node dies the
// EndpointSlice follows the Lease to another Pod (the standby, or the lost Pod's
// replacement, whichever takes the Lease first) within the lease duration and some
// slack, and devices register through the new address; and a rolling update (maxSurge 1,
// maxUnavailable 0) ends Available with two new Pods, the EndpointSlice on one of them.
// The leader is told by each process's own leader_election_master_status metric, not by
// the Lease, whose holder names the host that every process here shares.
//
// Real: etcd and kube-apiserver (envtest, with the operator's CRDs),
// kube-controller-manager running the Deployment and ReplicaSet controllers, one operator
// process per Pod (the binary built from this checkout, talking to the API server with
// the admin kubeconfig), and GB/T 28181 devices (camsim's device model, in process).
//
// Stood in for by the test: the scheduler, the kubelet and the Pod network. There is no
// container runtime here, so the test plays the node (see kubelet_test.go): it binds
// each new Pod to a fake Node, runs the operator binary with the container's args and
// downward-API environment, probes /readyz and /healthz as the kubelet would, writes the
// Pod status (phase, Pod IP, Ready) from what it sees, and stops the process with SIGTERM
// when the Pod is deleted, then removes the Pod as the kubelet does. The processes share
// the host's network, where only loopback addresses come without privileges, and the API
// server refuses those as endpoints; so each Pod gets a Pod IP from 10.244.0.0/24, which
// is what the API server and the operator see, and a loopback address of its own where
// it listens ($POD_BIND_IP, which the test's Deployment puts in its listen flags). The
// test reaches a Pod IP through that loopback address (podNetwork), as the Pod network
// would. Nor is there a kube-proxy: a device reaches the Service at the address its
// EndpointSlices name, read when the device starts, which is where kube-proxy would send
// that device's packets.
//
// Without kube-controller-manager (`make envtest` builds it) the test is skipped, except
// when CI is set, where it fails.
package ha
