#!/usr/bin/env bash
# Fails when the committed generated files (the CRD, the RBAC role, the deepcopy methods)
# differ from what controller-gen makes of the current markers. It generates into a
# scratch directory and compares, so it never rewrites the working tree.
set -euo pipefail

: "${CONTROLLER_GEN:?set CONTROLLER_GEN to the controller-gen binary}"
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

"$CONTROLLER_GEN" rbac:roleName=manager-role crd paths="./..." \
  output:crd:dir="$scratch/crd" output:rbac:dir="$scratch/rbac"

# The deepcopy generator writes beside the types, so run it on a copy of the API module.
mkdir -p "$scratch/module/hack"
cp go.mod go.sum "$scratch/module/"
cp -r api "$scratch/module/"
cp hack/boilerplate.go.txt "$scratch/module/hack/"
(cd "$scratch/module" && "$CONTROLLER_GEN" object:headerFile=hack/boilerplate.go.txt paths=./api/...)

stale=0
compare() {
  if ! diff -u "$1" "$2" >"$scratch/diff" 2>&1; then
    echo "stale generated file: $2 (run 'make manifests generate' and commit the result)" >&2
    head -40 "$scratch/diff" >&2
    stale=1
  fi
}
for f in "$scratch"/crd/*.yaml; do compare "$f" "config/crd/bases/$(basename "$f")"; done
compare "$scratch/rbac/role.yaml" config/rbac/role.yaml
for f in $(cd "$scratch/module" && find api -name 'zz_generated.*.go'); do
  compare "$scratch/module/$f" "$f"
done
exit $stale
