#!/bin/bash
# Measures loading the Debian archive model (issue 2 targets):
#   cold parse of bookworm main+updates+security amd64   <= 2 s wall
#   warm load from the binary cache                       <= 0.3 s wall
#   peak RSS                                              <= 300 MB
# next to apt-cache stats and apt-cache depends nginx on the same machine.
#
# Usage: bench/archive/run.sh [ROUNDS]      (run from anywhere; needs indexes:
#        it runs `pdvm repo update` once if the cache is empty, else --offline)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
bin=$(mktemp -d)/pdvm
go build -o "$bin" ./cmd/pdvm
cache=${PDVM_BENCH_CACHE:-/tmp/pdvm-bench/archive-cache}
mkdir -p "$cache"
"$bin" --cache-dir "$cache" repo update >/dev/null

t() { # label, command...: prints wall, user+sys CPU, max RSS
	local label=$1; shift
	local tf
	tf=$(mktemp)
	/usr/bin/time -o "$tf" -f '%e %U %S %M' "$@" >/dev/null 2>&1
	read -r wall user sys rss <"$tf"
	rm -f "$tf"
	printf '%-44s %7.2f s wall %7.2f s CPU %6d MB RSS\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024))
}

echo "pdvm $(git rev-parse --short HEAD 2>/dev/null || echo dev), $(nproc) cores, $(date -u +%F)"
for i in $(seq "$rounds"); do
	rm -rf "$cache/universe"
	t "pdvm repo stats (cold: parse indexes)" "$bin" --cache-dir "$cache" --offline repo stats
	t "pdvm repo stats (warm: binary cache)" "$bin" --cache-dir "$cache" --offline repo stats
	t "pdvm deps nginx (warm)" "$bin" --cache-dir "$cache" --offline deps nginx
	t "apt-cache stats" apt-cache stats
	t "apt-cache depends nginx" apt-cache depends nginx
done
