#!/bin/sh
# Times `pdvm repo update` against the real Debian mirrors in this machine's
# apt sources: cold (empty cache), warm (everything cached: InRelease only),
# and offline (import of /var/lib/apt/lists). Prints wall time, peak RSS and
# bytes downloaded. Usage: bench/repo/update.sh  (from the repository root)
set -eu
bin=$(mktemp -d)/pdvm
go build -o "$bin" ./cmd/pdvm
cache=$(mktemp -d)
trap 'rm -rf "$cache" "$(dirname "$bin")"' EXIT
run() {
	label=$1; shift
	/usr/bin/time -f "%e %M" -o "$cache/time" "$bin" --cache-dir "$cache/c" "$@" repo update --json >"$cache/out.json" 2>/dev/null
	set -- $(cat "$cache/time")
	fetched=$(sed -n 's/^  "fetched_bytes": \([0-9]*\),$/\1/p' "$cache/out.json")
	printf '%-28s %6.2f s wall  %6d MB peak RSS  %6.1f MB downloaded\n' "$label" "$1" $(($2 / 1024)) "$(echo "$fetched" | awk '{print $1/1e6}')"
}
run "update, cold cache"
run "update, warm cache"
rm -rf "$cache/c"
run "update --offline (apt lists)" --offline
