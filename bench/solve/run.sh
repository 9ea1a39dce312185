#!/bin/sh
# Measures pdvm's SAT/optimisation layer (package solve/) on synthetic
# instances, and cross-checks optima against clasp.
#
# Usage: bench/solve/run.sh [benchtime]      (default 3x; run from any directory)
# Needs: go; clasp (scripts/setup.sh) for the oracle test.
# Outputs, on stdout:
#   BenchmarkDebianLike      time to a proven optimum on Debian-like universes
#                            (count + tie-break level, and Installed-Size weights)
#   BenchmarkInstallability  Inc.Possible over all 64,000 variables of a
#                            Debian-like universe (whole-archive installability)
#   BenchmarkResearchFamily  the hard synthetic family of
#                            shared/research/libraries.md §2A with a 10 s budget
#                            (cost = best model, bound = proven lower bound)
#   TestRealClaspOracle      optima equal clasp's (--opt-strategy=usc)
# Times are wall-clock ns/op: on a shared machine compare runs made together.
set -eu
cd "$(dirname "$0")/../.."
bt="${1:-3x}"
go test -run XXX -bench 'DebianLike|Installability' -benchtime "$bt" ./solve
go test -run XXX -bench 'ResearchFamily' -benchtime 1x ./solve
go test -count=1 -run 'TestRealClaspOracle' -v ./solve | grep -E '^(---|ok|FAIL)'
