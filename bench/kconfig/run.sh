#!/bin/bash
# run.sh — pdvm's Kconfig parse + solve time next to the kernel's own
# `make olddefconfig` / `make allnoconfig` on the same configuration.
#
# Usage: bench/kconfig/run.sh [runs]        (default 3 runs each)
# Needs: go, make, gcc, flex, bison, /usr/bin/time (scripts/setup.sh). Uses the cached
# linux-source tree (pdvm fetches it on first use, ~140 MB download).
# Prints wall times (median of the runs) and CPU time (user+sys).
set -euo pipefail
RUNS=${1:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
go build -o "$WORK/pdvm" ./cmd/pdvm
PDVM="$WORK/pdvm"
NEED=VIRTIO_PCI,VIRTIO_BLK,VIRTIO_NET,EXT4_FS,NET,INET,UNIX
"$PDVM" kernel stats >/dev/null # fetch + unpack the tree once
SRC=${XDG_CACHE_HOME:-$HOME/.cache}/pdvm/kernel/linux-source-$("$PDVM" kernel stats --json | sed -n 's/.*"source": "linux-source \(.*\)".*/\1/p')
[ -f "$SRC/Kconfig" ] || { echo "kernel tree not found at $SRC" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timeit CMD... : prints "wall cpu" in seconds
timeit() {
  /usr/bin/time -o "$WORK/time.out" -f '%e %U %S' "$@" >/dev/null 2>&1
  awk '{printf "%.3f %.3f\n", $1, $2+$3}' "$WORK/time.out"
}

echo "kernel tree: $SRC"
echo "request: init pdvm + $NEED"
: >"$WORK/pdvm.t"; : >"$WORK/pdvm.cpu"
for i in $(seq "$RUNS"); do
  read -r w c < <(timeit "$PDVM" kernel config --need "$NEED" -o "$WORK/pdvm.config" --fragment "$WORK/pdvm.fragment")
  echo "$w" >>"$WORK/pdvm.t"; echo "$c" >>"$WORK/pdvm.cpu"
done
"$PDVM" kernel config --need "$NEED" --json -o "$WORK/pdvm.config" --fragment "$WORK/pdvm.fragment" >"$WORK/pdvm.json"
parse=$(sed -n 's/.*"parse_ms": \([0-9.]*\).*/\1/p' "$WORK/pdvm.json")
solve=$(sed -n 's/.*"solve_ms": \([0-9.]*\).*/\1/p' "$WORK/pdvm.json")

O="$WORK/o"
make -s -C "$SRC" ARCH=x86_64 O="$O" allnoconfig >/dev/null 2>&1 # builds scripts/kconfig/conf once
: >"$WORK/old.t"; : >"$WORK/old.cpu"; : >"$WORK/allno.t"; : >"$WORK/allno.cpu"
for i in $(seq "$RUNS"); do
  cp "$WORK/pdvm.config" "$WORK/k.config"
  read -r w c < <(timeit make -s -C "$SRC" ARCH=x86_64 O="$O" KCONFIG_CONFIG="$WORK/k.config" olddefconfig)
  echo "$w" >>"$WORK/old.t"; echo "$c" >>"$WORK/old.cpu"
  read -r w c < <(timeit make -s -C "$SRC" ARCH=x86_64 O="$O" KCONFIG_CONFIG="$WORK/a.config" KCONFIG_ALLCONFIG="$WORK/pdvm.fragment" allnoconfig)
  echo "$w" >>"$WORK/allno.t"; echo "$c" >>"$WORK/allno.cpu"
done
same=$("$SRC/scripts/diffconfig" "$WORK/pdvm.config" "$WORK/k.config" | wc -l)
same2=$("$SRC/scripts/diffconfig" "$WORK/pdvm.config" "$WORK/a.config" | wc -l)
printf '\n%-52s %8s %8s\n' "step (median of $RUNS)" "wall s" "cpu s"
printf '%-52s %8s %8s\n' "pdvm kernel config (parse + solve + write)" "$(median <"$WORK/pdvm.t")" "$(median <"$WORK/pdvm.cpu")"
printf '%-52s %8s\n' "  of which parse (in-process)" "$(awk -v x="$parse" 'BEGIN{printf "%.3f", x/1000}')"
printf '%-52s %8s\n' "  of which solve (in-process)" "$(awk -v x="$solve" 'BEGIN{printf "%.3f", x/1000}')"
printf '%-52s %8s %8s\n' "make olddefconfig on pdvm's .config" "$(median <"$WORK/old.t")" "$(median <"$WORK/old.cpu")"
printf '%-52s %8s %8s\n' "make allnoconfig KCONFIG_ALLCONFIG=pdvm fragment" "$(median <"$WORK/allno.t")" "$(median <"$WORK/allno.cpu")"
echo
echo "enabled: $(grep -cE '=(y|m)$' "$WORK/pdvm.config") ($(grep -c '=y$' "$WORK/pdvm.config") y); fragment: $(wc -l <"$WORK/pdvm.fragment") lines"
echo "olddefconfig changed $same lines; allnoconfig+fragment differs in $same2 lines (diffconfig)"
