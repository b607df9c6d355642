// Package chart owns what ties the Helm chart (charts/camera-operator) to the rest of the
// repository: it generates the chart's CRD templates, its RBAC rules and its Argo CD files
// from their single sources (config/crd, config/rbac, hack/argocd), and the examples in
// docs/gitops.md, so none of them is edited by hand. Its tests check those files are
// current, lint and render the chart with helm, apply every rendered manifest (and
// `kubectl kustomize config/default`) to a real kube-apiserver with server-side dry-run,
// and run the operator as the chart's ServiceAccount to show its RBAC is enough and no more.
//
// Regenerate with `make chart-generate` (go run ./hack/chart/gen).
package chart
