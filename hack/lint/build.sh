#!/usr/bin/env bash
# Builds golangci-lint from the Go module proxy into $BIN_DIR/golangci-lint-<version>, at
# the version pinned in this directory's go.mod. A separate module keeps the linters'
# dependency graph out of the operator's go.mod. The binary is reused when already built.
#
# Usage: hack/lint/build.sh [BIN_DIR]   (prints the binary's path on stdout)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=${1:-$(cd "$here/../.." && pwd)/bin}
mod=github.com/golangci/golangci-lint/v2
version=$(cd "$here" && go list -m -f '{{.Version}}' "$mod")
out="$bin_dir/golangci-lint-$version"
mkdir -p "$bin_dir"

if [ ! -x "$out" ]; then
  echo "golangci-lint: building golangci-lint $version from the Go module proxy (first time only)..." >&2
  # The version ldflags of golangci-lint's own release build (its .goreleaser.yml), so
  # that `golangci-lint version` names the release; the date is the tag's, from the
  # module proxy. The commit is not known to the proxy and stays golangci-lint's "?".
  date=$(cd "$here" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "$mod")
  (cd "$here" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X main.version=${version#v} -X main.date=$date" \
    -o "$out.tmp" "$mod/cmd/golangci-lint")
  mv "$out.tmp" "$out"
fi
echo "$out"
