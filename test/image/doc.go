// Package image holds the tests of the operator's container image (the Dockerfile and
// .dockerignore at the repository root). No Docker engine or registry is needed: the tests
// check what can be checked without one, namely that the Dockerfile builds the binary
// `make build` builds, with the same flags, from sources the build context really holds,
// into a static, stripped binary on a distroless nonroot base with the operator's ports.
package image
