// Package image holds the tests of the operator's container image: the one `make image`
// builds without Docker (hack/image) and the Dockerfile's. Both must hold the binary `make
// build` builds, byte for byte, static and stripped, from sources the Docker build
// context really holds; `make image`'s OCI tarball must be reproducible and say what the
// Dockerfile says (user, entrypoint, ports, labels). No Docker engine or registry is
// needed. The last test runs the image: podman (as root, with a store of its own) loads
// the tarball and starts it on the host network against a local control plane, under the
// chart's securityContext, and a simulated device registers through it. Under CI podman
// is required; elsewhere that test is skipped without it.
package image
