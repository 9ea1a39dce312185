#!/bin/sh
# Wall time of `pdvm plan examples/web.pdvm.hcl` with a warm cache
# (issue 4 target: <= 0.5 s). Builds pdvm, plans once to warm the universe
# cache, then times N runs of the binary and prints min / median / max.
#
#   bench/plan/run.sh [N]          (default N=10; run from the repository root)
set -eu
n=${1:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
go build -o "$tmp/pdvm" ./cmd/pdvm
mkdir -p "$tmp/examples/web"
cp examples/web.pdvm.hcl "$tmp/examples/"
cp examples/web/index.html "$tmp/examples/web/"
"$tmp/pdvm" plan "$tmp/examples/web.pdvm.hcl" >/dev/null   # warm-up (fills the cache if needed)
i=0
: > "$tmp/times"
while [ "$i" -lt "$n" ]; do
	s=$(date +%s%N)
	"$tmp/pdvm" --offline plan "$tmp/examples/web.pdvm.hcl" >/dev/null
	e=$(date +%s%N)
	echo $(( (e - s) / 1000000 )) >> "$tmp/times"
	i=$((i + 1))
done
sort -n "$tmp/times" | awk -v n="$n" '
	{ t[NR] = $1 }
	END { printf "pdvm plan examples/web.pdvm.hcl (warm cache, %d runs): min %d ms, median %d ms, max %d ms (target <= 500 ms)\n", n, t[1], t[int((n+1)/2)], t[n] }'
