#!/usr/bin/env bash
# Builds promtool from the Go module proxy into $BIN_DIR/promtool-<version>, at the
# Prometheus version pinned in this directory's go.mod (tools.go). The binary is reused
# when already built. The remove_all_sd tag leaves out the service discoveries (cloud
# SDKs, Kubernetes' client), which rule checks and tests do not use: half the build.
#
# Usage: hack/monitoring/build-promtool.sh [BIN_DIR]   (prints the binary's path on stdout)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=${1:-$(cd "$here/../.." && pwd)/bin}
mod=github.com/prometheus/prometheus
version=$(cd "$here" && go list -m -f '{{.Version}}' "$mod")
out="$bin_dir/promtool-$version"
mkdir -p "$bin_dir"

if [ ! -x "$out" ]; then
  echo "promtool: building promtool $version from the Go module proxy (first time only)..." >&2
  (cd "$here" && CGO_ENABLED=0 go build -tags remove_all_sd -trimpath -ldflags "-s -w" -o "$out.tmp" "$mod/cmd/promtool")
  mv "$out.tmp" "$out"
fi
echo "$out"
