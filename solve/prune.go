package solve

// Preprocessing before optimisation: unit propagation plus pure-literal
// fixing guided by the objectives.
//
// A variable whose literal occurs in no clause that is still open can be set
// to the value the objectives prefer without losing any optimal model: every
// model stays a model after the flip, and the flip can only improve the first
// objective level that mentions the variable. Dependency encodings are
// dominated by clauses "¬p ∨ q1 ∨ q2": a package outside the cone of what is
// forced occurs only negatively, so iterating this rule prunes the problem to
// the cone of the request before the SAT solver sees it.

// pruned is the problem left after preprocessing.
type pruned struct {
	fixed   []int8  // per variable: 1 true, -1 false, 0 open
	clauses [][]Lit // open clauses, fixed literals removed
	unsat   bool    // propagation found a conflict
}

// prefer returns, per variable, the value the objectives prefer: 1 true,
// -1 false, 0 indifferent (no level mentions it).
func prefer(nvars int, objectives [][]Term) []int8 {
	pref := make([]int8, nvars+1)
	decided := make([]bool, nvars+1)
	coef := make(map[int]int64)
	for _, level := range objectives {
		clear(coef)
		for _, t := range level {
			if t.Lit > 0 {
				coef[t.Lit.Var()] += t.Weight
			} else {
				coef[t.Lit.Var()] -= t.Weight
			}
		}
		for v, c := range coef {
			if decided[v] || c == 0 {
				continue
			}
			decided[v] = true
			if c > 0 {
				pref[v] = -1
			} else {
				pref[v] = 1
			}
		}
	}
	return pref
}

// prune simplifies clauses under the unit assumptions assume.
func prune(nvars int, clauses []clause, assume []Lit, pref []int8) *pruned {
	val := make([]int8, nvars+1)
	litVal := func(l Lit) int8 {
		if l > 0 {
			return val[l]
		}
		return -val[-l]
	}
	idx := func(l Lit) int { // index into occurrence lists
		if l > 0 {
			return 2 * int(l)
		}
		return 2*int(-l) + 1
	}
	// Normalise clauses: drop duplicate literals and tautologies.
	cls := make([][]Lit, 0, len(clauses))
	seen := make([]int, 2*nvars+2)
	stamp := 0
	for _, c := range clauses {
		stamp++
		out := make([]Lit, 0, len(c.lits))
		taut := false
		for _, l := range c.lits {
			if seen[idx(l)] == stamp {
				continue
			}
			if seen[idx(-l)] == stamp {
				taut = true
				break
			}
			seen[idx(l)] = stamp
			out = append(out, l)
		}
		if !taut {
			cls = append(cls, out)
		}
	}
	occ := make([][]int32, 2*nvars+2)
	for i, c := range cls {
		for _, l := range c {
			occ[idx(l)] = append(occ[idx(l)], int32(i))
		}
	}
	sat := make([]bool, len(cls))
	nfalse := make([]int32, len(cls))
	nocc := make([]int32, 2*nvars+2) // occurrences in open clauses
	for i := range occ {
		nocc[i] = int32(len(occ[i]))
	}
	var queue []Lit
	conflict := false
	assign := func(l Lit) {
		switch litVal(l) {
		case 1:
			return
		case -1:
			conflict = true
			return
		}
		if l > 0 {
			val[l] = 1
		} else {
			val[-l] = -1
		}
		queue = append(queue, l)
	}
	var pureCand []int
	for _, l := range assume {
		assign(l)
	}
	for _, c := range cls {
		if len(c) == 0 {
			conflict = true
		} else if len(c) == 1 {
			assign(c[0])
		}
	}
	for v := 1; v <= nvars; v++ {
		pureCand = append(pureCand, v)
	}
	for !conflict {
		for len(queue) > 0 && !conflict {
			l := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			for _, ci := range occ[idx(l)] {
				if sat[ci] {
					continue
				}
				sat[ci] = true
				for _, m := range cls[ci] {
					nocc[idx(m)]--
					if nocc[idx(m)] == 0 {
						pureCand = append(pureCand, m.Var())
					}
				}
			}
			for _, ci := range occ[idx(-l)] {
				if sat[ci] {
					continue
				}
				nfalse[ci]++
				n := int32(len(cls[ci]))
				if nfalse[ci] == n {
					conflict = true
					break
				}
				if nfalse[ci] == n-1 {
					for _, m := range cls[ci] {
						if litVal(m) == 0 {
							assign(m)
							break
						}
					}
				}
			}
		}
		if conflict || len(pureCand) == 0 {
			break
		}
		// Pure literals: fix to the preferred value when the opposite
		// literal no longer occurs in open clauses.
		cands := pureCand
		pureCand = nil
		for _, v := range cands {
			if val[v] != 0 {
				continue
			}
			pos, neg := nocc[2*v], nocc[2*v+1]
			switch {
			case pos == 0 && pref[v] <= 0:
				assign(Lit(-v))
			case neg == 0 && pref[v] >= 0:
				assign(Lit(v))
			}
		}
		if len(queue) == 0 {
			break
		}
	}
	pr := &pruned{fixed: val, unsat: conflict}
	if conflict {
		return pr
	}
	for i, c := range cls {
		if sat[i] {
			continue
		}
		out := make([]Lit, 0, len(c)-int(nfalse[i]))
		for _, l := range c {
			if litVal(l) == 0 {
				out = append(out, l)
			}
		}
		pr.clauses = append(pr.clauses, out)
	}
	return pr
}
