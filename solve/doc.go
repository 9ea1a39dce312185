// Package solve is pdvm's SAT and optimisation layer. It knows nothing about
// Debian: it works on numbered boolean variables, clauses over their
// literals, and linear objectives, and answers three kinds of questions.
//
// # Satisfiability with explanations
//
// [Problem.Solve] decides whether the clauses (plus per-call assumptions) have
// a model. Clauses may carry a label ([Problem.AddLabeled]); labels name the
// groups an explanation may blame. When the problem is unsatisfiable,
// [Result.Core] is a minimal set of labels whose clauses, together with all
// unlabelled ("hard") clauses and the assumptions, cannot be satisfied:
// removing any one label makes the rest satisfiable. The resolver labels each
// user request, so a core is the smallest set of the user's own requests that
// clash.
//
// # Provably optimal models
//
// [Problem.Minimize] minimises a lexicographic list of linear objectives
// (level 0 first; each later level only breaks ties of the earlier ones).
// Status [Optimal] is reported only when proven, that is, when the lower
// bound equals the cost of the returned model. With a time budget the call
// returns the best model found and the proven lower bound instead of running
// on ([Feasible]); the last fifth of the budget goes to improving the best
// model greedily (dropping one costly literal at a time), which sometimes
// closes the gap and proves it optimal after all.
//
// The search is core-guided (OLL): every soft literal is first assumed false;
// each unsatisfiable subset of those assumptions (found with the SAT solver's
// failed assumptions) raises the lower bound by its smallest weight and is
// replaced by a lazily grown totalizer over its members. Weighted objectives
// are stratified: heavy literals are handled first, so models (upper bounds)
// appear early even with Installed-Size weights of 10^6. Before any of that,
// a cheap preprocessing pass fixes literals that unit propagation forces and
// removes objective literals that occur only negatively in the clauses (pure
// literals): for a dependency encoding this prunes the problem to the cone
// of what was requested.
//
// # Many satisfiability queries over one problem
//
// [Problem.Incremental] returns an [Inc]: one SAT solver loaded once with
// all clauses, for many queries under different assumptions (learnt clauses
// are kept between queries). [Inc.Possible] answers "can each of these
// literals be true?" for a whole archive at once: it grows models out of
// unit propagation plus "everything else false" and lets each model prove
// all its true variables, falling back to a full solve only where that
// greedy search cannot decide.
//
// # Concurrency
//
// Solve and Minimize only read the Problem, so several may run at once on
// the same Problem; adding clauses meanwhile is not allowed. An Inc is for
// one goroutine.
//
// # Cross-checking
//
// [Problem.WriteWCNF] writes a problem and one objective level in the
// DIMACS WCNF format read by MaxSAT solvers; the tests compare optima with
// clasp's.
//
// The SAT engine underneath is github.com/go-air/gini.
package solve
