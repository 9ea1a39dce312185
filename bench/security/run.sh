#!/bin/bash
# bench/security/run.sh — measures pdvm's security verbs on realistic data:
#   * pdvm affected ADVISORY over 1,000 locks (target <= 100 ms), with the
#     fleet index warm, cold, and without it (--no-index);
#   * pdvm audit of one lock with the advisory data read from the cache
#     (target <= 50 ms);
#   * the Go benchmarks of the same operations (vuln/fleet_test.go).
# Advisory data: the CVE fixes named in the changelogs of every
# bookworm-security source (shared/data/security/bookworm-security-fixes.json,
# 17,825 records in the tracker's JSON shape) plus the tracker and OSV
# samples. Locks: 150-300 real bookworm packages each (bin2src table),
# every Priority: required package, openssh-server/nginx/libexpat1 in about
# half of them.
# Usage: bench/security/run.sh   (SHARED= points at shared/, default ../shared)
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-../shared}
DATA=$SHARED/data/security
[ -f "$DATA/bookworm-security-fixes.json" ] || { echo "no $DATA/bookworm-security-fixes.json (set SHARED=)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PDVM_CACHE_DIR=$WORK/cache
go build -o "$WORK/pdvm" ./cmd/pdvm
go build -o "$WORK/benchdata" ./bench/security/benchdata
"$WORK/benchdata" tracker "$DATA/bookworm-security-fixes.json" "$WORK/tracker.json"
"$WORK/pdvm" vuln update --tracker "$WORK/tracker.json" --tracker vuln/testdata/tracker-json-bookworm-sample.json \
  --osv vuln/testdata/osv-debian12-sample.json > "$WORK/status.txt"
"$WORK/benchdata" locks "$WORK/fleet" 1000 "$DATA/bin2src-bookworm.tsv.gz"
echo "advisory records: $(awk '/records per release/ {print $NF}' "$WORK/status.txt"); fleet: $(ls "$WORK/fleet" | wc -l) locks, $(du -sm "$WORK/fleet" | cut -f1) MiB"

ms() { local s e; s=$(date +%s%N); "$@" > /dev/null || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
runs() { # LABEL N CMD...: prints each wall time and the median
  local label=$1 n=$2; shift 2; local t=()
  for _ in $(seq "$n"); do t+=("$(ms "$@")"); done
  local med; med=$(printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-46s median %5s ms   runs: %s\n' "$label" "$med" "${t[*]}"
}
ADV=CVE-2023-44487
runs "affected $ADV, 1000 locks, cold index" 1 "$WORK/pdvm" affected "$ADV" "$WORK/fleet"
runs "affected $ADV, 1000 locks, warm index" 7 "$WORK/pdvm" affected "$ADV" "$WORK/fleet"
runs "affected DSA-5724-1, 1000 locks, warm index" 7 "$WORK/pdvm" affected DSA-5724-1 "$WORK/fleet"
runs "affected $ADV, 1000 locks, --no-index" 3 "$WORK/pdvm" affected --no-index "$ADV" "$WORK/fleet"
locks=("$WORK"/fleet/*.lock)
LOCK=${locks[0]}
runs "audit of one lock ($(grep -c '"name"' "$LOCK") pkgs)" 7 "$WORK/pdvm" audit "$LOCK"
"$WORK/pdvm" affected --json "$ADV" "$WORK/fleet" | awk -F': ' '/"elapsed_ms"|"locks_scanned"/ {gsub(/[,]/, "", $2); printf "  (in-process: %s %s)\n", $1, $2}'
echo "hits: $("$WORK/pdvm" affected "$ADV" "$WORK/fleet" | head -1)"
echo
echo "Go benchmarks (process start excluded):"
go test -run '^$' -bench 'Affected1000Locks|Audit' -benchtime 10x ./vuln | grep -E '^Benchmark'
