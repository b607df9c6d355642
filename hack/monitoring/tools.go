//go:build tools

// Package monitoring's tools: promtool is built from the version of Prometheus this
// module pins (build-promtool.sh).
package monitoring

import _ "github.com/prometheus/prometheus/cmd/promtool"
