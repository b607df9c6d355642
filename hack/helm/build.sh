#!/usr/bin/env bash
# Builds the helm v4 CLI from the Go module proxy into $BIN_DIR/helm-<version>, at the
# version pinned in this directory's go.mod. A separate module keeps helm's dependency
# graph out of the operator's go.mod. The binary is reused when already built.
#
# Usage: hack/helm/build.sh [BIN_DIR]   (prints the binary's path on stdout)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=${1:-$(cd "$here/../.." && pwd)/bin}
version=$(cd "$here" && go list -m -f '{{.Version}}' helm.sh/helm/v4)
out="$bin_dir/helm-$version"
mkdir -p "$bin_dir"

if [ ! -x "$out" ]; then
  echo "helm: building helm $version from the Go module proxy (first time only)..." >&2
  # The same version ldflags helm's own Makefile sets for a tagged release.
  pkg=helm.sh/helm/v4/internal/version
  (cd "$here" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X $pkg.version=$version -X $pkg.metadata= -X $pkg.gitTreeState=clean" \
    -o "$out.tmp" helm.sh/helm/v4/cmd/helm)
  mv "$out.tmp" "$out"
fi
echo "$out"
