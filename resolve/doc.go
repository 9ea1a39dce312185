// Package resolve turns requests over a Debian package universe into
// provably minimal installations, explains why a request cannot be met,
// and decides which packages of a whole archive are installable.
//
// It is the Debian adapter on top of [pdvm.dev/pdvm/solve], which knows
// nothing about packages: this package chooses the variables, writes the
// clauses and the objectives, and translates answers (models, cores) back
// into packages and sentences.
//
// # Encoding
//
// A request ([Request]) is first pruned to its dependency cone: the
// packages reachable from what was asked for (and from the base set)
// through Depends and Pre-Depends, with every alternative, version
// constraint and (versioned) Provides followed. Packages outside the cone
// can always stay uninstalled, so they get no variable. Inside the cone,
// each (name, version, architecture) is one boolean variable and
//
//   - each Depends/Pre-Depends clause of p is "¬p ∨ q1 ∨ … ∨ qk" over the
//     packages that satisfy one of its alternatives;
//   - each Conflicts/Breaks atom of p gives "¬p ∨ ¬q" for every other
//     package q that satisfies it (a package never conflicts with itself,
//     which is the "Conflicts on a virtual name it Provides" idiom);
//   - at most one version of a name is installed, except that
//     Multi-Arch: same packages of different architectures may coexist;
//   - each install need is a clause over its candidates, each avoid need
//     forbids its candidates; both are labelled with the need, so an
//     unsatisfiable request yields the smallest set of the user's own
//     needs that clash ([ConflictError]).
//
// Essential packages are not implied: the base policy is explicit.
// Base "debian" adds every Essential: yes and Priority: required name as an
// install need with origin "base debian"; base "none" adds nothing.
//
// # Objectives
//
// The solver minimises, lexicographically: the number of packages
// (objective "count") or their summed Installed-Size (objective "size",
// then the count); then the number of unmet Prefer needs; then the number
// of packages not at the newest available version of their name, which
// breaks ties toward the candidates apt would choose. A [Solution] is
// "optimal" only when the solver proved every level.
//
// # Checking
//
// [Check] verifies an installation set without any solver: every test of
// this package ends with it, so a bug in the encoding cannot hide behind a
// bug in the solver.
//
// # Whole-archive installability
//
// [Distcheck] answers, for every package of a universe, whether some
// installation contains it (the question dose-distcheck answers), with a
// reason for each broken one, without one SAT call per package: a few
// greedily grown installations prove almost every package installable at
// once, and only the rest goes to the solver.
//
// Subpackage [pdvm.dev/pdvm/resolve/edsp] lets apt use this resolver as an
// external solver (`apt-get --solver pdvm`).
package resolve
