package solve

import (
	"cmp"
	"slices"

	"github.com/go-air/gini/z"
)

// Possible reports, for each candidate literal, whether some model of the
// clauses makes it true (for packages: whether each is installable). The
// answers are exactly those of calling Solve(c) for each candidate, at a
// fraction of the cost.
//
// gini's Solve assigns every variable, so one call costs time linear in
// the whole problem even when the question is local. Possible instead
// builds models out of gini's unit propagation (Test scopes, which touch
// only the consequences of what is assumed) completed by making every other
// variable false. A clause that completion violates is repaired by assuming
// one of its unassigned positive literals, the first whose propagation does
// not conflict. For dependency clauses (¬p ∨ q1 ∨ q2) that is exactly
// "install p, its dependencies, one choice for each alternative and nothing
// else".
//
// One model is grown candidate by candidate (candidates that occur
// positively in few clauses, i.e. that nothing depends on, first), and
// every true variable in it is proven possible. A candidate that clashes
// with the model so far waits for the next round, which starts from an
// empty model. On an empty model a candidate that propagation alone refutes
// is impossible, and one the greedy repair cannot settle is decided by a
// full Solve, so each round decides at least one candidate and the answers
// are exact.
func (s *Inc) Possible(cands []Lit) []bool {
	ok := make([]bool, len(cands))
	if s.state == 0 {
		s.solves++
		s.state = int8(s.g.Solve())
	}
	if s.state < 0 {
		return ok
	}
	pc := s.index()
	proven := make([]bool, s.nvars+1) // positive literal proven possible
	pending := make([]int, len(cands))
	for i := range pending {
		pending[i] = i
	}
	slices.SortStableFunc(pending, func(a, b int) int {
		return cmp.Compare(pc.posCount[cands[a].Var()], pc.posCount[cands[b].Var()])
	})
	// Rounds: each grows one model candidate by candidate; a candidate that
	// clashes with the model so far waits for the next round. The first
	// candidate tried on an empty model is always decided, so every round
	// makes progress.
	ls := &localSearch{s: s, pc: pc}
	for len(pending) > 0 {
		var next []int
		for _, i := range pending {
			c := cands[i]
			if c > 0 && proven[c] {
				ok[i] = true
				continue
			}
			base := ls.depth == 0
			mark := len(ls.trail)
			if ls.add(c) {
				ok[i] = true
				for _, l := range ls.trail[mark:] {
					if l > 0 {
						proven[l] = true
					}
				}
				continue
			}
			if !base {
				next = append(next, i)
				continue
			}
			if ls.refuted {
				continue // impossible by propagation alone
			}
			// The greedy repair failed: full search.
			if s.Solve(c) {
				ok[i] = true
				for v := 1; v <= s.nvars; v++ {
					if !proven[v] && s.Value(Lit(v)) {
						proven[v] = true
					}
				}
			}
		}
		ls.reset()
		pending = next
	}
	return ok
}

// possibleIndex holds the clause occurrence lists Possible needs.
type possibleIndex struct {
	negOcc   [][]int32 // by variable: clauses containing ¬v
	allPos   []int32   // clauses without a negative literal
	posCount []int32   // by variable: clauses containing +v
	clauses  [][]Lit
}

func (s *Inc) index() *possibleIndex {
	if s.pidx != nil {
		return s.pidx
	}
	pc := &possibleIndex{
		negOcc:   make([][]int32, s.nvars+1),
		posCount: make([]int32, s.nvars+1),
	}
	for _, c := range s.p.clauses[:s.nclauses] {
		lits, ok := normClause(c.lits)
		if !ok {
			continue
		}
		ci := int32(len(pc.clauses))
		pc.clauses = append(pc.clauses, lits)
		hasNeg := false
		for _, l := range lits {
			if l < 0 {
				hasNeg = true
				pc.negOcc[-l] = append(pc.negOcc[-l], ci)
			} else {
				pc.posCount[l]++
			}
		}
		if !hasNeg {
			pc.allPos = append(pc.allPos, ci)
		}
	}
	s.pidx = pc
	return pc
}

// val returns 1, -1 or 0 (unassigned) for l on gini's current trail.
func (s *Inc) val(l Lit) int8 {
	if l.Var() > int(s.g.MaxVar()) {
		return 0
	}
	m := toZ(l)
	switch {
	case s.g.Value(m):
		return 1
	case s.g.Value(m.Not()):
		return -1
	}
	return 0
}

// localSearch grows a model made of gini's propagation trail (under
// nested Test scopes) plus "every other variable false".
type localSearch struct {
	s       *Inc
	pc      *possibleIndex
	depth   int     // open Test scopes
	trail   []Lit   // literals assigned in those scopes
	work    []int32 // clauses to check
	refuted bool    // last add: c alone failed under propagation at depth 0
}

// test assumes l in a new scope. On conflict it closes the scope again and
// reports false; dead reports that gini's learning refuted the enclosing
// scopes as well (they must all be closed).
func (ls *localSearch) test(l Lit) (ok, dead bool) {
	g := ls.s.g
	g.Assume(toZ(l))
	if ls.s.buf == nil {
		ls.s.buf = make([]z.Lit, 0, 64) // gini reports nothing into nil
	}
	res, out := g.Test(ls.s.buf[:0])
	ls.depth++
	if res < 0 {
		ls.depth--
		return false, g.Untest() < 0
	}
	ls.s.buf = out
	for _, m := range out {
		l := fromZ(m)
		if l.Var() > ls.s.nvars {
			continue
		}
		ls.trail = append(ls.trail, l)
		if l > 0 {
			ls.work = append(ls.work, ls.pc.negOcc[l]...)
		}
	}
	return true, false
}

// violated reports whether clause ci is false when every unassigned
// variable is false, and returns its unassigned positive literals.
func (ls *localSearch) violated(ci int32, open []Lit) (bool, []Lit) {
	open = open[:0]
	for _, l := range ls.pc.clauses[ci] {
		switch ls.s.val(l) {
		case 1:
			return false, nil
		case 0:
			if l < 0 {
				return false, nil
			}
			open = append(open, l)
		}
	}
	return true, open
}

// reset closes every scope.
func (ls *localSearch) reset() {
	for ; ls.depth > 0; ls.depth-- {
		ls.s.g.Untest()
	}
	ls.trail, ls.work = ls.trail[:0], ls.work[:0]
}

// add extends the model with c true, repairing violated clauses greedily
// (first alternative that propagates without conflict). On failure the
// model is restored, or emptied when gini refuted it.
func (ls *localSearch) add(c Lit) bool {
	ls.refuted = false
	if ls.depth == 0 {
		ls.work = append(ls.work[:0], ls.pc.allPos...)
	}
	depth, mark := ls.depth, len(ls.trail)
	fail := func(dead bool) bool {
		if dead {
			ls.reset()
			return false
		}
		for ; ls.depth > depth; ls.depth-- {
			if ls.s.g.Untest() < 0 {
				ls.depth--
				ls.reset()
				return false
			}
		}
		ls.trail, ls.work = ls.trail[:mark], ls.work[:0]
		return false
	}
	ok, dead := ls.test(c)
	if !ok {
		ls.refuted = depth == 0 && !dead
		return fail(dead)
	}
	var open []Lit
	for len(ls.work) > 0 {
		ci := ls.work[len(ls.work)-1]
		ls.work = ls.work[:len(ls.work)-1]
		var bad bool
		bad, open = ls.violated(ci, open)
		if !bad {
			continue
		}
		fixed := false
		for _, a := range open {
			ok, dead := ls.test(a)
			if ok {
				fixed = true
				break
			}
			if dead {
				return fail(true)
			}
		}
		if !fixed {
			return fail(false)
		}
	}
	return true
}
