#!/bin/bash
# bench/solver/run.sh -- pdvm's resolver against apt and aspcud, and pdvm
# distcheck against dose-distcheck, in one run on this machine's Debian
# bookworm (+ updates + security) main amd64 apt lists.
#
# Per purpose (the 13 package sets of /work/shared/bench/solver/04_min_install_anchors.sh),
# on an empty dpkg status and WITHOUT the Essential set:
#   pdvm    the built pdvm binary: `pdvm resolve --offline --base none P...` (its CPU includes
#           loading the archive model from pdvm's binary cache, warmed once beforehand)
#   apt     `apt-get -s install P...` (apt's own solver, isolated config, no Recommends, warm pkgcache)
#   aspcud  the EDSP request apt writes (`apt-get -s --solver dump`), "Essential: yes" lines removed,
#           solved by `apt-cudf --solver=aspcud -c "-removed,-new"` (fewest removals, then fewest new
#           packages: the optimum); CPU of apt-cudf + aspcud, not of the dump
# "!name" in a purpose avoids name: `--avoid name` for pdvm, a Pin-Priority -1 for apt and aspcud.
# Counts: pdvm's summary line, apt's "Inst" lines, the EDSP solution's "Install:" stanzas.
# Then distcheck over bookworm main amd64: `pdvm distcheck --suite bookworm` vs
# `dose-distcheck --deb-native-arch=amd64 -f deb://Packages` (CPU = user+sys, peak RSS).
#
# Targets (issue 3): pdvm count == aspcud's on every purpose and <= apt's; pdvm CPU <= apt's and
# <= 0.1x aspcud's; distcheck CPU <= 0.1x dose's, RSS <= 0.5x.
# Usage: bench/solver/run.sh [PURPOSE ...]     env: OUT (scratch, default /tmp/pdvm-bench/run),
#        NO_ASPCUD=1 (skip aspcud), NO_DISTCHECK=1
# Needs: go, apt, apt-cudf, aspcud, dose-distcheck, lz4, /usr/bin/time (scripts/setup.sh).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-${SCRATCH:-/tmp/pdvm-bench}/run}
mkdir -p "$OUT"/{runs,state,etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,cache}
if [ "$#" -gt 0 ]; then PURPOSES=("$@"); else
PURPOSES=("nginx" "openssh-server" "postgresql" "redis-server" "python3" "bwa samtools"
          "haproxy" "bind9" "apache2" "nginx openssh-server" "docker.io" "build-essential"
          "nginx openssh-server !systemd")
fi
PDVM=$OUT/pdvm
(cd "$ROOT" && go build -o "$PDVM" ./cmd/pdvm)

# --- isolated apt: machine lists, empty status, private cache, no Recommends
K=/usr/share/keyrings/debian-archive-keyring.gpg
uri() { apt-get indextargets --format '$(REPO_URI)' "Label: $1" | awk 'NR==1'; }
DEB=$(uri Debian); SEC=$(uri Debian-Security)
{ echo "deb [signed-by=$K] ${DEB%/} bookworm main"
  echo "deb [signed-by=$K] ${DEB%/} bookworm-updates main"
  echo "deb [signed-by=$K] ${SEC%/} bookworm-security main"; } > "$OUT/etc/sources.list"
: > "$OUT/state/status"; : > "$OUT/state/extended_states"
mkconf() { # mkconf NAME PREFSDIR
  cat > "$OUT/apt.conf.$1" <<EOC
Dir::Etc::parts "$OUT/etc/apt.conf.d";
Dir::Etc::main "/dev/null";
Dir::Etc::sourcelist "$OUT/etc/sources.list";
Dir::Etc::sourceparts "$OUT/etc/sources.list.d";
Dir::Etc::preferences "/dev/null";
Dir::Etc::preferencesparts "$2";
Dir::State::lists "/var/lib/apt/lists/";
Dir::State::status "$OUT/state/status";
Dir::State::extended_states "$OUT/state/extended_states";
Dir::Cache::pkgcache "$OUT/cache/pkgcache.$1.bin";
Dir::Cache::srcpkgcache "$OUT/cache/srcpkgcache.$1.bin";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Debug::NoLocking "true";
Acquire::Languages "none";
EOC
  echo "$OUT/apt.conf.$1"
}
PLAIN=$(mkconf plain "$OUT/etc/preferences.d")

# timed PREFIX cmd... : runs cmd, stdout->PREFIX.out, stderr->PREFIX.err; prints "cpu_s maxrss_kb"
timed() {
  local p=$1; shift
  /usr/bin/time -f '%U %S %M' -o "$p.time" "$@" > "$p.out" 2> "$p.err" || true
  tail -1 "$p.time" | awk '{printf "%.2f %d\n", $1+$2, $3}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.3f", a/b; else print "-" }'; }

"$PDVM" resolve --offline nginx > /dev/null 2>&1 || true           # warm pdvm's archive cache
APT_CONFIG=$PLAIN apt-get -s install nginx > /dev/null 2>&1 || true  # warm apt's pkgcache

printf '%-32s | %5s %7s | %5s %7s | %6s %7s | %s\n' purpose pdvm cpu_s apt cpu_s aspcud cpu_s "targets (count==aspcud, <=apt; cpu<=apt, <=0.1x aspcud)"
printf -- '-%.0s' {1..130}; echo
fails=0
for PP in "${PURPOSES[@]}"; do
  slug=$(echo "$PP" | tr ' !' '+_')
  P=(); AV=(); conf=$PLAIN
  for t in $PP; do
    if [ "${t#!}" != "$t" ]; then AV+=(--avoid "${t#!}"); else P+=("$t"); fi
  done
  if [ "${#AV[@]}" -gt 0 ]; then
    mkdir -p "$OUT/prefs-$slug"; : > "$OUT/prefs-$slug/exclude"
    for t in $PP; do [ "${t#!}" != "$t" ] && printf 'Package: %s\nPin: version *\nPin-Priority: -1\n\n' "${t#!}" >> "$OUT/prefs-$slug/exclude"; done
    conf=$(mkconf "$slug" "$OUT/prefs-$slug")
    APT_CONFIG=$conf apt-get -s install nginx > /dev/null 2>&1 || true
  fi
  r=$OUT/runs/$slug
  read -r pc _ < <(timed "$r.pdvm" "$PDVM" resolve --offline --base none "${AV[@]}" "${P[@]}")
  pn=$(awk '/ packages, .* installed, /{print $1}' "$r.pdvm.out")
  read -r ac _ < <(APT_CONFIG=$conf timed "$r.apt" apt-get -s install "${P[@]}")
  an=$(grep -c '^Inst ' "$r.apt.out" || true)
  sn=-; sc=-
  if [ -z "${NO_ASPCUD:-}" ]; then
    APT_EDSP_DUMP_FILENAME=$r.edsp APT_CONFIG=$conf apt-get -s --solver dump install "${P[@]}" > /dev/null 2>&1 || true
    sed '/^Essential: yes$/d' "$r.edsp" > "$r.noess.edsp"
    read -r sc _ < <(timed "$r.aspcud" apt-cudf --solver=aspcud -c "-removed,-new" "$r.noess.edsp")
    sn=$(grep -c '^Install:' "$r.aspcud.out" || true)
    rm -f "$r.edsp" "$r.noess.edsp"
  fi
  verdict=ok
  [ "$pn" = "$sn" ] || [ "$sn" = - ] || verdict="COUNT!=aspcud"
  [ "${pn:-999}" -le "$an" ] || verdict="$verdict COUNT>apt"
  awk -v p="$pc" -v a="$ac" 'BEGIN{exit !(p <= a)}' || verdict="$verdict CPU>apt"
  [ "$sc" = - ] || awk -v p="$pc" -v s="$sc" 'BEGIN{exit !(p <= 0.1*s)}' || verdict="$verdict CPU>0.1xaspcud"
  [ "$verdict" = ok ] || fails=$((fails+1))
  printf '%-32s | %5s %7s | %5s %7s | %6s %7s | %s\n' "$PP" "$pn" "$pc" "$an" "$ac" "$sn" "$sc" "$verdict"
done

if [ -z "${NO_DISTCHECK:-}" ]; then
  MAIN=$(apt-get indextargets --format '$(FILENAME)' 'Codename: bookworm' 'Created-By: Packages' 'Architecture: amd64' 'Component: main' | awk 'NR==1')
  case "$MAIN" in *.lz4) lz4cat "$MAIN" > "$OUT/Packages.main" ;; *) cat "$MAIN" > "$OUT/Packages.main" ;; esac
  "$PDVM" distcheck --offline --suite bookworm > /dev/null 2>&1 || true   # warm the cache for this suite set
  read -r pc pr < <(timed "$OUT/runs/distcheck.pdvm" "$PDVM" distcheck --offline --suite bookworm)
  read -r dc dr < <(timed "$OUT/runs/distcheck.dose" dose-distcheck --deb-native-arch=amd64 -f "deb://$OUT/Packages.main")
  pb=$(awk '/ packages, .* broken/{print $(NF-5)}' "$OUT/runs/distcheck.pdvm.out")
  db=$(awk '/^broken-packages:/{print $2}' "$OUT/runs/distcheck.dose.out")
  echo
  printf '%-14s | %7s %8s | %6s\n' distcheck cpu_s rss_MB broken
  printf '%-14s | %7s %8d | %6s\n' pdvm "$pc" $((pr/1024)) "$pb" dose-distcheck "$dc" $((dr/1024)) "$db"
  awk '/^  package: /{p=$2} /^  version: /{v=$2} /^  architecture: /{a=$2} /^  status: broken/{print p, v, a}' "$OUT/runs/distcheck.dose.out" | sort > "$OUT/runs/distcheck.dose.broken"
  awk -F'[= :]' '/: (missing|conflict): /{print $1, $2, $3}' "$OUT/runs/distcheck.pdvm.out" | sort > "$OUT/runs/distcheck.pdvm.broken"
  same=DIFFER; cmp -s "$OUT/runs/distcheck.dose.broken" "$OUT/runs/distcheck.pdvm.broken" && same=identical
  echo "pdvm/dose: CPU $(ratio "$pc" "$dc") (target <= 0.1), RSS $(ratio "$pr" "$dr") (target <= 0.5), broken sets $same"
  awk -v p="$pc" -v d="$dc" -v pr="$pr" -v dr="$dr" 'BEGIN{exit !(p <= 0.1*d && pr <= 0.5*dr)}' && [ "$same" = identical ] || fails=$((fails+1))
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); logs in $OUT/runs"
[ "$fails" -eq 0 ] || { echo "$fails rows missed a target"; exit 1; }
