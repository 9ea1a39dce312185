package solve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Minimize finds a model minimising the objectives lexicographically: level 0
// is minimised first and fixed at its optimum, then level 1 among those
// models, and so on. Terms may have any sign and a literal may repeat.
//
// Status is Optimal only when every level is proven optimal. When
// opt.Budget runs out, the result carries the best model found (Feasible)
// or none (Unknown) and the proven lower bounds. When ctx is cancelled the
// call stops promptly and returns that same partial result with ctx.Err().
// When no model exists, Status is Unsat and Core names a minimal set of
// labels to blame.
func (p *Problem) Minimize(ctx context.Context, objectives [][]Term, opt Options) (*Result, error) {
	if err := p.checkLits("assumptions", opt.Assume); err != nil {
		return nil, err
	}
	for k, level := range objectives {
		for _, t := range level {
			if err := p.checkLits(fmt.Sprintf("objective level %d", k), []Lit{t.Lit}); err != nil {
				return nil, err
			}
		}
	}
	var deadline, searchDeadline time.Time
	if opt.Budget > 0 {
		now := time.Now()
		deadline = now.Add(opt.Budget)
		searchDeadline = now.Add(opt.Budget * 4 / 5)
	}
	m := &minimizer{p: p, objectives: objectives, res: &Result{}, deadline: deadline}
	m.res.LowerBound = make([]int64, len(objectives))
	for k, level := range objectives {
		m.res.LowerBound[k], _ = normalise(level)
	}

	m.pr = prune(p.nvars, p.clauses, opt.Assume, prefer(p.nvars, objectives))
	if m.pr.unsat {
		return p.unsat(ctx, deadline, opt, m.res)
	}
	// The first model may use the whole budget; the optimisation proper
	// stops at 4/5 of it to leave time for improving the incumbent.
	m.e = newEngine(ctx, p.nvars, deadline)
	for _, c := range m.pr.clauses {
		m.e.add(c...)
	}
	ok, err := m.e.solve(nil)
	m.e.deadline = searchDeadline
	if err != nil {
		return m.stop(err)
	}
	if !ok {
		solves := m.e.solves
		res, err := p.unsat(ctx, deadline, opt, m.res)
		res.Solves += solves
		return res, err
	}
	m.record()
	for k := range objectives {
		if err := m.level(k); err != nil {
			if errors.Is(err, errBudget) && m.descend(k) && k == len(objectives)-1 {
				break // the descent reached the lower bound
			}
			return m.stop(err)
		}
		m.res.LowerBound[k] = m.res.Cost[k]
	}
	m.res.Status = Optimal
	m.res.Solves = m.e.solves
	return m.res, nil
}

// Solve decides satisfiability under opt.Assume. Status is Optimal (there
// is a model), Unsat (with a minimal Core) or Unknown (budget exhausted).
func (p *Problem) Solve(ctx context.Context, opt Options) (*Result, error) {
	return p.Minimize(ctx, nil, opt)
}

// normalise turns a level into a constant plus positive weights on
// literals: offset + Σ w·[l true], w > 0, one literal per variable.
func normalise(level []Term) (offset int64, softs map[Lit]int64) {
	coef := map[int]int64{}
	for _, t := range level {
		if t.Lit > 0 {
			coef[t.Lit.Var()] += t.Weight
		} else {
			offset += t.Weight
			coef[t.Lit.Var()] -= t.Weight
		}
	}
	softs = map[Lit]int64{}
	for v, c := range coef {
		switch {
		case c > 0:
			softs[Lit(v)] = c
		case c < 0:
			offset += c
			softs[Lit(-v)] = -c
		}
	}
	return offset, softs
}

type minimizer struct {
	deadline   time.Time // end of the budget (the search proper ends earlier)
	p          *Problem
	objectives [][]Term
	pr         *pruned
	e          *engine
	res        *Result
}

// stop ends the search early: budget (no error to the caller) or context.
func (m *minimizer) stop(err error) (*Result, error) {
	m.res.Solves = m.e.solves
	if m.res.Model != nil {
		m.res.Status = Feasible
	} else {
		m.res.Status = Unknown
	}
	if errors.Is(err, errBudget) {
		return m.res, nil
	}
	return m.res, err
}

// record reads the engine's model and keeps it when it beats the incumbent.
func (m *minimizer) record() {
	model := make([]bool, m.p.nvars+1)
	for v := 1; v <= m.p.nvars; v++ {
		switch m.pr.fixed[v] {
		case 1:
			model[v] = true
		case 0:
			model[v] = m.e.value(Lit(v))
		}
	}
	cost := make([]int64, len(m.objectives))
	for k, level := range m.objectives {
		cost[k] = evalLevel(level, model)
	}
	if m.res.Model == nil || slices.Compare(cost, m.res.Cost) < 0 {
		m.res.Model, m.res.Cost = model, cost
	}
}

func evalLevel(level []Term, model []bool) int64 {
	var c int64
	for _, t := range level {
		if model[t.Lit.Var()] == (t.Lit > 0) {
			c += t.Weight
		}
	}
	return c
}

// descend spends the rest of the budget improving the incumbent on level k
// (the search proper stops at 4/5 of the budget): for each costly literal
// true in the best model, heaviest first, it asks for a model that keeps
// every costly literal the incumbent has false still false and drops this
// one too. Each success lowers the cost. It reports whether the cost
// reached the lower bound, which proves the level optimal.
func (m *minimizer) descend(k int) bool {
	if m.deadline.IsZero() || m.res.Model == nil {
		return false
	}
	m.e.deadline = m.deadline
	lb := m.res.LowerBound[k]
	_, weights := normalise(m.objectives[k])
	lits := make([]Lit, 0, len(weights))
	for l := range weights {
		if m.pr.fixed[l.Var()] == 0 {
			lits = append(lits, l)
		}
	}
	slices.SortFunc(lits, func(a, b Lit) int {
		return cmp.Or(cmp.Compare(weights[b], weights[a]), cmp.Compare(a, b))
	})
	var assume []Lit
	stuck := map[Lit]bool{} // cannot be dropped from the current incumbent
	for improved := true; improved && m.res.Cost[k] > lb; {
		improved = false
		for _, c := range lits {
			if m.res.Cost[k] <= lb {
				break
			}
			if !m.res.Value(c) || stuck[c] {
				continue
			}
			assume = assume[:0]
			for _, l := range lits {
				if !m.res.Value(l) || l == c {
					assume = append(assume, l.Not())
				}
			}
			ok, err := m.e.solve(assume)
			if err != nil {
				improved = false
				break
			}
			if !ok {
				stuck[c] = true
				continue
			}
			m.record()
			// A new incumbent may free literals that were stuck.
			clear(stuck)
			improved = true
		}
	}
	if m.res.Cost[k] > lb {
		return false
	}
	m.res.LowerBound[k] = m.res.Cost[k]
	return true
}

// soft is a literal whose truth costs w.
type soft struct {
	w       int64
	tot     *totalizer // when the literal is tot.out[k]
	k       int
	totW    int64 // weight of each output of tot
	delayed bool  // created since the last sat call (disjoint cores first)
	hard    bool  // already fixed false by hardening
}

// level minimises objective level k with the OLL core-guided algorithm,
// stratified by weight, then fixes the level at its optimum.
func (m *minimizer) level(k int) error {
	e := m.e
	offset, weights := normalise(m.objectives[k])
	// softs, iterated in the order of order (map order is random, and the
	// order of assumptions steers gini: answers must be reproducible).
	softs := map[Lit]*soft{}
	var order []Lit
	addSoft := func(l Lit, s *soft) {
		softs[l] = s
		order = append(order, l)
	}
	each := func(f func(Lit, *soft)) {
		live := order[:0]
		for _, l := range order {
			if s, ok := softs[l]; ok {
				live = append(live, l)
				f(l, s)
			}
		}
		order = live
	}
	for _, l := range slices.Sorted(maps.Keys(weights)) {
		switch m.pr.fixed[l.Var()] * int8(cmp.Compare(l, 0)) {
		case 1:
			offset += weights[l]
		case 0:
			addSoft(l, &soft{w: weights[l]})
		}
	}
	lb := offset
	m.res.LowerBound[k] = lb
	thresh := int64(0)
	for _, s := range softs {
		thresh = max(thresh, s.w)
	}
	var assume []Lit
	for {
		assume = assume[:0]
		each(func(l Lit, s *soft) {
			if s.w >= thresh && !s.delayed {
				assume = append(assume, l.Not())
			}
		})
		ok, err := e.solve(assume)
		if err != nil {
			return err
		}
		if ok {
			m.record()
			delayed := false
			var below int64 = -1
			each(func(l Lit, s *soft) {
				if s.delayed {
					s.delayed = false
					delayed = true
				}
				if s.w < thresh {
					below = max(below, s.w)
				}
				// Hardening: a soft literal heavier than the gap
				// between the incumbent and the bound is false in
				// every better model.
				if !s.hard && s.w > m.res.Cost[k]-lb {
					s.hard = true
					e.add(l.Not())
				}
			})
			if delayed {
				continue
			}
			if below < 0 {
				if m.res.Cost[k] != lb {
					return fmt.Errorf("solve: internal error: level %d cost %d != bound %d", k, m.res.Cost[k], lb)
				}
				each(func(l Lit, _ *soft) { e.add(l.Not()) })
				return nil
			}
			if below >= thresh/2 {
				thresh /= 2
			} else {
				thresh = below
			}
			thresh = max(thresh, 1)
			continue
		}
		core, err := m.trim(e.why())
		if err != nil {
			return err
		}
		if len(core) == 0 {
			return errors.New("solve: internal error: empty core under soft assumptions")
		}
		wmin := softs[core[0]].w
		for _, l := range core {
			wmin = min(wmin, softs[l].w)
		}
		lb += wmin
		m.res.LowerBound[k] = lb
		for _, l := range core {
			s := softs[l]
			s.w -= wmin
			if s.w > 0 {
				continue
			}
			delete(softs, l)
			if s.tot != nil && s.k+1 < s.tot.n {
				s.tot.extend(e, s.k+2)
				addSoft(s.tot.out[s.k+1], &soft{w: s.totW, tot: s.tot, k: s.k + 1, totW: s.totW, delayed: true})
			}
		}
		if len(core) == 1 {
			e.add(core[0])
			continue
		}
		t := newTotalizer(core)
		t.extend(e, 2)
		addSoft(t.out[1], &soft{w: wmin, tot: t, k: 1, totW: wmin, delayed: true})
	}
}

// trim turns failed assumptions (negated soft literals) into a core of soft
// literals, shrinking it by re-solving while that helps.
func (m *minimizer) trim(failed []Lit) ([]Lit, error) {
	core := make([]Lit, len(failed))
	for i, l := range failed {
		core[i] = l.Not()
	}
	for range 3 {
		if len(core) <= 1 {
			break
		}
		assume := make([]Lit, len(core))
		for i, l := range core {
			assume[i] = l.Not()
		}
		ok, err := m.e.solve(assume)
		if err != nil {
			return nil, err
		}
		if ok {
			return nil, errors.New("solve: internal error: core became satisfiable")
		}
		w := m.e.why()
		if len(w) >= len(core) {
			break
		}
		core = core[:0]
		for _, l := range w {
			core = append(core, l.Not())
		}
	}
	return core, nil
}

// unsat fills res for an unsatisfiable problem: a minimal core of labels,
// found by deletion over the labels' selector literals.
func (p *Problem) unsat(ctx context.Context, deadline time.Time, opt Options, res *Result) (*Result, error) {
	res.Status = Unsat
	res.Model, res.Cost = nil, nil
	e := newEngine(ctx, p.nvars, deadline)
	sel := map[int]Lit{}
	label := map[Lit]int{}
	for _, l := range slices.Sorted(maps.Keys(p.labels)) {
		s := e.newVar()
		sel[l], label[s] = s, l
	}
	isAssume := map[Lit]bool{}
	for _, l := range opt.Assume {
		isAssume[l] = true
	}
	for _, c := range p.clauses {
		lits, ok := normClause(c.lits)
		if !ok {
			continue
		}
		if c.label == hard {
			e.add(lits...)
		} else {
			e.add(append(lits, sel[c.label].Not())...)
		}
	}
	// solveWith reports whether the labels' clauses (and assumptions) are
	// unsatisfiable, returning the labels and assumptions to blame.
	solveWith := func(labels []int) (bool, []int, []Lit, error) {
		assume := slices.Clone(opt.Assume)
		for _, l := range labels {
			assume = append(assume, sel[l])
		}
		ok, err := e.solve(assume)
		if err != nil || ok {
			return false, nil, nil, err
		}
		var ls []int
		var as []Lit
		for _, l := range e.why() {
			if lab, found := label[l]; found {
				ls = append(ls, lab)
			} else if isAssume[l] {
				as = append(as, l)
			}
		}
		slices.Sort(ls)
		return true, ls, as, nil
	}
	finish := func(err error) (*Result, error) {
		res.Solves += e.solves
		if errors.Is(err, errBudget) {
			return res, nil // Core is an upper approximation
		}
		return res, err
	}
	// The clauses alone, then with the assumptions: if either fails, no
	// label is to blame. (Checking this first also keeps gini sound: it
	// must not be asked again after failing without assumptions.)
	ok, err := e.solve(nil)
	if err != nil || !ok {
		res.Core = []int{}
		return finish(err)
	}
	bad, core, failed, err := solveWith(nil)
	if err != nil || bad {
		res.Core, res.FailedAssume = []int{}, failed
		return finish(err)
	}
	bad, core, failed, err = solveWith(slices.Sorted(maps.Keys(p.labels)))
	if err != nil {
		return finish(err)
	}
	if !bad {
		return finish(errors.New("solve: internal error: unsat problem became satisfiable"))
	}
	res.Core, res.FailedAssume = core, failed
	// Deletion: drop each label in turn; if still unsat, keep the smaller
	// core gini reports, else the label is necessary.
	critical := map[int]bool{}
	for {
		i := slices.IndexFunc(res.Core, func(l int) bool { return !critical[l] })
		if i < 0 {
			break
		}
		drop := res.Core[i]
		rest := slices.Delete(slices.Clone(res.Core), i, i+1)
		bad, core, failed, err := solveWith(rest)
		if err != nil {
			return finish(err)
		}
		if bad {
			res.Core, res.FailedAssume = core, failed
		} else {
			critical[drop] = true
		}
	}
	return finish(nil)
}
