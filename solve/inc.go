package solve

import (
	"github.com/go-air/gini"
	"github.com/go-air/gini/z"
)

// Inc is one SAT solver loaded with all clauses of a Problem (labelled ones
// included, as hard clauses), for many satisfiability queries under
// different assumptions. Learnt clauses carry over between queries.
//
// # Whole-archive installability
//
// To learn which of many variables can be true (e.g. which packages are
// installable), use [Inc.Possible] rather than one Solve per variable.
// Every model proves all of its true variables possible at once, so
// Possible grows one model candidate by candidate, and it searches locally
// (propagation plus "everything else false") instead of letting gini assign
// all variables on every call: gini's Solve costs time linear in the whole
// problem per call, and gini offers no way to set a preferred polarity (its
// initial phases follow literal counts, which in a dependency encoding
// favour false), so repeated full solves yield small models and cover few
// queries each. On a 64,000-variable Debian-like universe, loading the
// clauses and answering all 64,000 queries with Possible takes about a
// second on a loaded 2-core machine (BenchmarkInstallability); one full
// Solve per query would take minutes.
//
// For a candidate Possible rejects, Solve(c) then Why() names the
// assumptions to blame.
//
// An Inc is not safe for concurrent use.
type Inc struct {
	p      *Problem
	g      *gini.Gini
	nvars  int
	solves int
	buf    []z.Lit
	// nclauses is how many of p's clauses were loaded.
	nclauses int
	pidx     *possibleIndex
	// state: 0 not yet checked, 1 the clauses alone have a model, -1 they
	// have none. gini must not be asked again once a solve without
	// assumptions failed (it may then report bogus models), so the first
	// Solve checks the clauses alone.
	state int8
}

// Incremental returns a solver over the current clauses of p. Clauses added
// to p later are not seen.
func (p *Problem) Incremental() *Inc {
	s := &Inc{p: p, g: gini.NewVc(p.nvars+2, len(p.clauses)+1), nvars: p.nvars, nclauses: len(p.clauses)}
	for _, c := range p.clauses {
		lits, ok := normClause(c.lits)
		if !ok {
			continue
		}
		for _, l := range lits {
			s.g.Add(toZ(l))
		}
		s.g.Add(0)
	}
	// Creating the activation machinery makes gini skip its full model
	// check on every satisfiable call after the first (it otherwise scans
	// all clauses each time), which matters for thousands of queries.
	s.g.ActivationLit()
	return s
}

// Solve reports whether the clauses and assumptions have a model.
func (s *Inc) Solve(assumptions ...Lit) bool {
	if s.state == 0 {
		s.solves++
		s.state = int8(s.g.Solve())
	}
	if s.state < 0 {
		return false
	}
	for _, l := range assumptions {
		s.g.Assume(toZ(l))
	}
	s.solves++
	return s.g.Solve() == 1
}

// Value returns the value of l in the model of the last satisfiable Solve
// (a later Possible call invalidates it).
func (s *Inc) Value(l Lit) bool {
	if l.Var() > int(s.g.MaxVar()) { // in no clause: false in the model
		return l < 0
	}
	return s.g.Value(toZ(l))
}

// Why returns, after an unsatisfiable Solve, a subset of the assumptions that
// is already unsatisfiable with the clauses (empty when the clauses alone
// are unsatisfiable).
func (s *Inc) Why() []Lit {
	if s.state < 0 {
		return []Lit{}
	}
	s.buf = s.g.Why(s.buf[:0])
	out := make([]Lit, len(s.buf))
	for i, m := range s.buf {
		out[i] = fromZ(m)
	}
	return out
}

// Solves returns the number of SAT calls made so far.
func (s *Inc) Solves() int { return s.solves }
