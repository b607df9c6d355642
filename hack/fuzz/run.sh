#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for a total time (a Go duration in s, m
# or h, e.g. 10m), split evenly between the targets. A target that finds a crasher stops
# (`go test -fuzz` writes it to the package's testdata/fuzz/<Target>/); the others still
# run, and the script fails at the end naming the targets that failed.
set -euo pipefail

total="${1:-10m}"
cd "$(dirname "$0")/../.."

case "$total" in
*h) seconds=$((${total%h} * 3600)) ;;
*m) seconds=$((${total%m} * 60)) ;;
*s) seconds=${total%s} ;;
*) echo "FUZZTIME must be a whole number of s, m or h: $total" >&2; exit 2 ;;
esac

# "package-dir target" pairs, from the test files that declare fuzz targets.
mapfile -t targets < <(grep -rl --include='*_test.go' '^func Fuzz' . |
	grep -v '^./bin/' |
	while read -r file; do
		dir=$(dirname "$file")
		sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file" | while read -r name; do
			echo "$dir $name"
		done
	done | sort)

if [ ${#targets[@]} -eq 0 ]; then
	echo "no fuzz targets" >&2
	exit 1
fi
each=$((seconds / ${#targets[@]}))
if [ "$each" -lt 1 ]; then
	each=1
fi
echo "fuzzing ${#targets[@]} targets for ${each}s each"
failed=()
for t in "${targets[@]}"; do
	read -r dir name <<<"$t"
	echo "== $dir $name"
	if ! go test "$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "${each}s"; then
		failed+=("$dir $name")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failed[@]}" >&2
	exit 1
fi
