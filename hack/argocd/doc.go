// Package argocd owns the operator's Argo CD integration for the Camera kind: the Lua
// health check (camera-health.lua) and the ignoreResourceUpdates rule
// (camera-ignore-updates.yaml) that users add to argocd-cm. Those two files are the
// single source: the Helm chart and docs/gitops.md carry generated copies, and the tests
// run the health check the way Argo CD does, with github.com/yuin/gopher-lua, against a
// table of Camera objects laid out like Argo CD's own health_test.yaml.
package argocd
