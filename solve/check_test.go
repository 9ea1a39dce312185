package solve

import (
	"slices"
	"testing"
)

// The oracles here are independent of the solver: plain evaluation and
// exhaustive enumeration over at most ~16 variables.

// checkModel returns the first clause (or assumption) model violates, or nil.
func checkModel(model []bool, clauses [][]Lit, assume []Lit) []Lit {
	holds := func(l Lit) bool { return model[l.Var()] == (l > 0) }
	for _, c := range clauses {
		if !slices.ContainsFunc(c, holds) {
			return c
		}
	}
	for _, l := range assume {
		if !holds(l) {
			return []Lit{l}
		}
	}
	return nil
}

func evalTerms(level []Term, model []bool) int64 {
	var c int64
	for _, t := range level {
		if model[t.Lit.Var()] == (t.Lit > 0) {
			c += t.Weight
		}
	}
	return c
}

// bruteMin returns the lexicographically smallest cost vector over all
// models, or nil when there is none.
func bruteMin(n int, clauses [][]Lit, assume []Lit, objectives [][]Term) []int64 {
	var best []int64
	model := make([]bool, n+1)
	for bits := 0; bits < 1<<n; bits++ {
		for v := 1; v <= n; v++ {
			model[v] = bits&(1<<(v-1)) != 0
		}
		if checkModel(model, clauses, assume) != nil {
			continue
		}
		cost := make([]int64, len(objectives))
		for k, level := range objectives {
			cost[k] = evalTerms(level, model)
		}
		if best == nil || slices.Compare(cost, best) < 0 {
			best = cost
		}
	}
	return best
}

// satWith reports whether the hard clauses plus the clauses of the given
// labels (and the assumptions) have a model, by enumeration.
func satWith(n int, clauses []labeledClause, assume []Lit, labels []int) bool {
	var cs [][]Lit
	for _, c := range clauses {
		if c.label == hard || slices.Contains(labels, c.label) {
			cs = append(cs, c.lits)
		}
	}
	return bruteMin(n, cs, assume, nil) != nil
}

// checkCore asserts that core is unsatisfiable and minimal.
func checkCore(t *testing.T, n int, clauses []labeledClause, assume []Lit, core []int) {
	t.Helper()
	if satWith(n, clauses, assume, core) {
		t.Fatalf("core %v is satisfiable", core)
	}
	for i := range core {
		rest := slices.Delete(slices.Clone(core), i, i+1)
		if !satWith(n, clauses, assume, rest) {
			t.Fatalf("core %v is not minimal: %v is unsatisfiable too", core, rest)
		}
	}
}
