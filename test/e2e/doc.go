// Package e2e is the end-to-end suite of camera-operator: everything as real processes.
// A local control plane (etcd and kube-apiserver, the binaries `make dev` runs), the
// operator binary built from this checkout and run as its own process, Secrets and Cameras
// applied with kubectl, and camsim devices over UDP and TCP. What is asserted is what a
// user sees: the Cameras through kubectl, and the devices' own account of their SIP
// exchanges (camsim's figures).
//
// `make e2e` runs it alone; `make test` runs it with every other test. Its times are
// scaled down through the Camera spec and the operator's flags so that a run takes a few
// minutes, most of them the 30 s API outage it simulates.
package e2e
