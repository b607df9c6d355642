#!/usr/bin/env bash
# Prints the directory holding kube-apiserver, etcd and kubectl for envtest and `make dev`,
# making it first if needed. In order of preference:
#   1. an existing KUBEBUILDER_ASSETS that holds the binaries;
#   2. setup-envtest, when the user has it (on the PATH or in bin/) and it can download;
#   3. the binaries built from the Go module proxy by build.sh (no internet needed).
#
# Usage: hack/envtest/assets.sh [BIN_DIR]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=${1:-$(cd "$here/../.." && pwd)/bin}
kube_version=1.36.3

has_binaries() { [ -x "$1/kube-apiserver" ] && [ -x "$1/etcd" ]; }

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && has_binaries "$KUBEBUILDER_ASSETS"; then
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

built="$bin_dir/k8s/$kube_version-$(go env GOOS)-$(go env GOARCH)"
if ! has_binaries "$built"; then
  setup_envtest=$(command -v setup-envtest || true)
  [ -z "$setup_envtest" ] && [ -x "$bin_dir/setup-envtest" ] && setup_envtest="$bin_dir/setup-envtest"
  if [ -n "$setup_envtest" ]; then
    if dir=$(timeout 120 "$setup_envtest" use "$kube_version" --bin-dir "$bin_dir" -p path 2>/dev/null) && has_binaries "$dir"; then
      echo "$dir"
      exit 0
    fi
    echo "envtest: setup-envtest could not provide $kube_version; building it from Go modules" >&2
  fi
fi

exec "$here/build.sh" "$bin_dir" etcd kube-apiserver kubectl
