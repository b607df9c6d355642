//go:build tools

// Package tools pins the helm CLI the chart tests use. It lives in its own module so
// that helm's large dependency graph never moves the operator's go.mod.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
