#!/usr/bin/env bash
# Builds the local control plane (kube-apiserver, etcd), kubectl, and kube-controller-manager
# (its Deployment and ReplicaSet controllers, for test/ha) from the Go module proxy into
# $BIN_DIR/k8s/<version>-<os>-<arch>/, the layout setup-envtest uses, so
# KUBEBUILDER_ASSETS can point at it. Binaries are reused when already built; the first
# build takes several minutes on a small machine.
#
# Usage: hack/envtest/build.sh [BIN_DIR [NAME...]]   (prints the assets directory on stdout)
# NAMEs (etcd kube-apiserver kubectl kube-controller-manager) build only those; the
# default is all four. setup-envtest provides no kube-controller-manager, so `make
# envtest` asks for it by name beside whatever assets.sh chose.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=${1:-$(cd "$here/../.." && pwd)/bin}
kube_version=v1.36.3
etcd_version=v3.6.8
goos=$(go env GOOS)
goarch=$(go env GOARCH)
assets="$bin_dir/k8s/${kube_version#v}-$goos-$goarch"
mkdir -p "$assets"

# Kubernetes' own hack/lib/version.sh sets these, so that `kubectl version` and the
# apiserver's /version (and its emulation-version checks) report the real release.
minor=${kube_version#v1.}; minor=${minor%%.*}
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  version_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

log() { echo "envtest: $*" >&2; }

build_kube() {
  local name=$1
  [ -x "$assets/$name" ] && return 0
  log "building $name $kube_version from the Go module proxy (first time only)..."
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $version_ldflags" \
    -o "$assets/$name.tmp" "k8s.io/kubernetes/cmd/$name")
  mv "$assets/$name.tmp" "$assets/$name"
}

build_etcd() {
  [ -x "$assets/etcd" ] && return 0
  log "building etcd $etcd_version from the Go module proxy (first time only)..."
  (cd "$here/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
    -o "$assets/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$assets/etcd.tmp" "$assets/etcd"
}

names=("${@:2}")
[ ${#names[@]} -gt 0 ] || names=(etcd kube-apiserver kubectl kube-controller-manager)
for name in "${names[@]}"; do
  case $name in
    etcd) build_etcd ;;
    kube-apiserver | kubectl | kube-controller-manager) build_kube "$name" ;;
    *) log "unknown binary $name"; exit 2 ;;
  esac
done
echo "$assets"
