package solve

import (
	"cmp"
	"fmt"
	"slices"
)

// Possible reports, for each candidate literal, whether some model of the
// clauses makes it true (for packages: whether each is installable). The
// answers are exactly those of calling Solve(c) for each candidate, at a
// fraction of the cost.
//
// gini's Solve assigns every variable, so one call costs time linear in
// the whole problem even when the question is local. Possible instead
// builds models out of unit propagation (its own, over watched literals:
// it touches only the consequences of what is assumed) completed by making
// every other variable false. A clause that completion violates is repaired
// by assuming one of its unassigned positive literals, the first whose
// propagation does not conflict. For dependency clauses (¬p ∨ q1 ∨ q2) that
// is exactly "install p, its dependencies, one choice for each alternative
// and nothing else".
//
// One model is grown candidate by candidate (candidates that occur
// positively in few clauses, i.e. that nothing depends on, first), and
// every true variable in it is proven possible. A candidate that clashes
// with the model so far waits for the next round, which starts from an
// empty model. On an empty model a candidate that propagation alone refutes
// is impossible, and one the greedy repair cannot settle is decided by a
// full Solve, so each round decides at least one candidate and the answers
// are exact.
//
// Candidates must be literals over the Problem's variables (Possible panics
// otherwise, like Add).
func (s *Inc) Possible(cands []Lit) []bool {
	for _, c := range cands {
		if c == 0 || c.Var() > s.nvars {
			panic(fmt.Sprintf("solve: Possible: literal %d out of range (NumVars %d)", c, s.nvars))
		}
	}
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
	ls := newLocalSearch(pc)
	for len(pending) > 0 {
		var next []int
		for _, i := range pending {
			c := cands[i]
			if c > 0 && proven[c] {
				ok[i] = true
				continue
			}
			base := ls.empty()
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

// possibleIndex holds the clauses and occurrence lists Possible needs.
type possibleIndex struct {
	negOcc   [][]int32 // by variable: clauses containing ¬v
	allPos   []int32   // clauses without a negative literal
	posCount []int32   // by variable: clauses containing +v
	clauses  [][]Lit   // normalised; the first two literals are watched
	units    []Lit     // unit clauses
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
		if len(lits) == 1 {
			pc.units = append(pc.units, lits[0])
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

// localSearch grows a model made of a unit-propagation trail plus "every
// other variable false". Its propagation is its own (two watched literals
// per clause), so every literal it makes true is on its trail and the
// clauses that literal may break are checked; nothing is learnt.
type localSearch struct {
	pc      *possibleIndex
	val     []int8    // by variable: 1 true, -1 false, 0 unassigned
	watches [][]int32 // by literal index: clauses watching that literal
	trail   []Lit
	qhead   int     // next trail literal to propagate
	base    int     // trail length of the level-0 consequences of units
	work    []int32 // clauses to check
	refuted bool    // last add: c alone failed propagation on an empty model
}

func lidx(l Lit) int {
	if l > 0 {
		return 2 * int(l)
	}
	return 2*int(-l) + 1
}

func newLocalSearch(pc *possibleIndex) *localSearch {
	n := len(pc.negOcc) - 1
	ls := &localSearch{pc: pc, val: make([]int8, n+1), watches: make([][]int32, 2*n+2)}
	for ci, c := range pc.clauses {
		if len(c) >= 2 {
			ls.watches[lidx(c[0])] = append(ls.watches[lidx(c[0])], int32(ci))
			ls.watches[lidx(c[1])] = append(ls.watches[lidx(c[1])], int32(ci))
		}
	}
	for _, u := range pc.units {
		if !ls.assign(u) || !ls.propagate() {
			// Unsatisfiable under propagation: Possible checked
			// satisfiability first, so this cannot happen.
			panic("solve: internal error: satisfiable clauses refuted by propagation")
		}
	}
	ls.base = len(ls.trail)
	return ls
}

func (ls *localSearch) litVal(l Lit) int8 {
	if l > 0 {
		return ls.val[l]
	}
	return -ls.val[-l]
}

// assign makes l true; false if l is already false.
func (ls *localSearch) assign(l Lit) bool {
	switch ls.litVal(l) {
	case 1:
		return true
	case -1:
		return false
	}
	if l > 0 {
		ls.val[l] = 1
	} else {
		ls.val[-l] = -1
	}
	ls.trail = append(ls.trail, l)
	return true
}

// propagate runs unit propagation over the trail; false on conflict.
func (ls *localSearch) propagate() bool {
	for ls.qhead < len(ls.trail) {
		f := ls.trail[ls.qhead].Not() // just became false
		ls.qhead++
		ws := ls.watches[lidx(f)]
		j := 0
		for i := 0; i < len(ws); i++ {
			ci := ws[i]
			c := ls.pc.clauses[ci]
			if c[0] == f {
				c[0], c[1] = c[1], c[0]
			}
			if ls.litVal(c[0]) == 1 {
				ws[j] = ci
				j++
				continue
			}
			moved := false
			for k := 2; k < len(c); k++ {
				if ls.litVal(c[k]) != -1 {
					c[1], c[k] = c[k], c[1]
					ls.watches[lidx(c[1])] = append(ls.watches[lidx(c[1])], ci)
					moved = true
					break
				}
			}
			if moved {
				continue
			}
			ws[j] = ci
			j++
			if !ls.assign(c[0]) {
				j += copy(ws[j:], ws[i+1:])
				ls.watches[lidx(f)] = ws[:j]
				return false
			}
		}
		ls.watches[lidx(f)] = ws[:j]
	}
	return true
}

// undo unassigns the trail back to length mark.
func (ls *localSearch) undo(mark int) {
	for _, l := range ls.trail[mark:] {
		ls.val[l.Var()] = 0
	}
	ls.trail = ls.trail[:mark]
	ls.qhead = min(ls.qhead, mark)
}

// try assumes l and propagates; on conflict it undoes and reports false.
// New true literals queue the clauses they may break.
func (ls *localSearch) try(l Lit) bool {
	mark := len(ls.trail)
	if !ls.assign(l) || !ls.propagate() {
		ls.undo(mark)
		return false
	}
	for _, m := range ls.trail[mark:] {
		if m > 0 {
			ls.work = append(ls.work, ls.pc.negOcc[m]...)
		}
	}
	return true
}

// violated reports whether clause ci is false when every unassigned
// variable is false, and returns its unassigned positive literals.
func (ls *localSearch) violated(ci int32, open []Lit) (bool, []Lit) {
	open = open[:0]
	for _, l := range ls.pc.clauses[ci] {
		switch ls.litVal(l) {
		case 1:
			return false, open
		case 0:
			if l < 0 {
				return false, open
			}
			open = append(open, l)
		}
	}
	return true, open
}

func (ls *localSearch) empty() bool { return len(ls.trail) == ls.base }

// reset empties the model (keeping the consequences of unit clauses).
func (ls *localSearch) reset() {
	ls.undo(ls.base)
	ls.work = ls.work[:0]
}

// add extends the model with c true, repairing violated clauses greedily
// (first alternative that propagates without conflict). On failure the
// model is restored.
func (ls *localSearch) add(c Lit) bool {
	ls.refuted = false
	if ls.empty() {
		// Starting a model: check the clauses no assumption will queue,
		// those without negative literals and those of the variables
		// the unit clauses make true.
		ls.work = append(ls.work[:0], ls.pc.allPos...)
		for _, m := range ls.trail[:ls.base] {
			if m > 0 {
				ls.work = append(ls.work, ls.pc.negOcc[m]...)
			}
		}
	}
	empty, mark := ls.empty(), len(ls.trail)
	if !ls.try(c) {
		ls.refuted = empty
		ls.work = ls.work[:0]
		return false
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
			if ls.try(a) {
				fixed = true
				break
			}
		}
		if !fixed {
			ls.undo(mark)
			ls.work = ls.work[:0]
			return false
		}
	}
	return true
}
