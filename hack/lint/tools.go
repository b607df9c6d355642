//go:build tools

// Package tools pins golangci-lint, which `make lint` runs. It lives in its own module so
// that the linters' large dependency graph never moves the operator's go.mod.
package tools

import _ "github.com/golangci/golangci-lint/v2/cmd/golangci-lint"
