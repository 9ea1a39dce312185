package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/solve"
)

// Broken is a package no installation can contain, with the reason.
type Broken struct {
	Pkg archive.ID
	// Kind is "missing" (a dependency chain ends in a clause nothing
	// satisfies) or "conflict".
	Kind   string
	Reason string
}

// DistcheckResult is the installability of every package of a universe.
type DistcheckResult struct {
	Total  int
	Broken []Broken // sorted by package ID
	// How the installable packages were proven: by one of a few greedy
	// installation sets (each a valid installation, so every member is
	// installable), or by a SAT call on the package's own cone.
	Greedy, SATCalls int
	Elapsed          time.Duration
}

// DistcheckOptions tune Distcheck.
type DistcheckOptions struct {
	// IgnoreEssential leaves the Essential packages out of every
	// installation (dose-distcheck's --deb-ignore-essential). By
	// default, as dose-distcheck does, a package is installable only
	// together with (one version of) every Essential package.
	IgnoreEssential bool
}

// Distcheck decides, for every package of u, whether some installation
// contains it, as dose-distcheck does.
//
// One SAT call per package would cost minutes. Instead:
//
//  1. Packages with a dependency clause that nothing satisfies are broken,
//     and so are, transitively, packages with a clause whose candidates are
//     all broken (a fixpoint over the reverse dependencies).
//  2. A few installation sets are grown greedily: each starts from the
//     Essential closure, and each remaining package is added with its
//     dependencies (first viable alternative) when that keeps the set
//     closed and conflict-free. A closed, conflict-free set is an
//     installation, so it proves every member installable at once; the
//     archive's few conflicts need only a handful of sets.
//  3. What no set took is decided by the SAT solver on the package's own
//     dependency cone; unsatisfiable ones are explained like any failed
//     request.
func Distcheck(ctx context.Context, u *archive.Universe, opt DistcheckOptions) (*DistcheckResult, error) {
	start := time.Now()
	g := newDepGraph(u)
	res := &DistcheckResult{Total: u.Len()}
	broken := g.missingFixpoint()

	var essential []archive.ID // one root per Essential name: its newest version
	if !opt.IgnoreEssential {
		seen := map[string]bool{}
		for i := range u.Packages {
			p := &u.Packages[i]
			if p.Essential && !seen[p.Name] {
				seen[p.Name] = true
				essential = append(essential, u.Named(p.Name)[0])
			}
		}
	}

	proven := make([]bool, u.Len())
	var sets []*greedySet
	newSet := func() *greedySet {
		s := g.newSet()
		for _, e := range essential {
			if !s.add(e, broken) {
				return nil
			}
		}
		sets = append(sets, s)
		return s
	}
	newSet()
	var rest []archive.ID
	for i := range u.Packages {
		if i&4095 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		id := archive.ID(i)
		if broken[id] || proven[id] {
			continue
		}
		ok := false
		for _, s := range sets {
			if s.in[id] || s.add(id, broken) {
				ok = true
				break
			}
		}
		if !ok && len(sets) < 8 {
			if s := newSet(); s != nil && s.add(id, broken) {
				ok = true
			}
		}
		if ok {
			res.Greedy++
			proven[id] = true
			continue
		}
		rest = append(rest, id)
	}
	for _, s := range sets {
		for id, in := range s.in {
			if in && !proven[id] {
				proven[id] = true
				res.Greedy++
			}
		}
	}

	var baseEss []Need
	if !opt.IgnoreEssential {
		baseEss, _ = baseNeeds(u, baseEssential)
	}
	for _, id := range rest {
		if proven[id] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		req := &Request{exact: []archive.ID{id}}
		m := encode(u, req, baseEss, nil, labelled)
		sol, err := m.p.Solve(ctx, solve.Options{})
		res.SATCalls++
		if err != nil {
			return nil, fmt.Errorf("checking %s: %w", pkgString(u, id), err)
		}
		switch sol.Status {
		case solve.Optimal:
			for q, x := range m.lit {
				if sol.Value(x) {
					proven[q] = true
				}
			}
		case solve.Unsat:
			broken[id] = true
			b := Broken{Pkg: id, Kind: "conflict"}
			err := explain(ctx, u, req, baseEss, nil, m, sol.Core)
			var ce *ConflictError
			if errors.As(err, &ce) {
				b.Reason = ce.reasonFor(0)
			} else {
				b.Reason = err.Error()
			}
			res.Broken = append(res.Broken, b)
		default:
			return nil, fmt.Errorf("checking %s: no answer", pkgString(u, id))
		}
	}
	explained := map[archive.ID]bool{}
	for _, b := range res.Broken {
		explained[b.Pkg] = true
	}
	for i := range u.Packages {
		id := archive.ID(i)
		if broken[id] && !explained[id] {
			res.Broken = append(res.Broken, Broken{Pkg: id, Kind: "missing", Reason: g.missingChain(id, broken)})
		}
	}
	slices.SortFunc(res.Broken, func(a, b Broken) int { return int(a.Pkg - b.Pkg) })
	res.Elapsed = time.Since(start)
	return res, nil
}

// reasonFor returns the chain of the need at index i; it names the other
// needs involved.
func (e *ConflictError) reasonFor(i int) string { return e.Chains[i] }

// depGraph is the whole universe's dependency and conflict structure,
// resolved to package IDs once.
type depGraph struct {
	u *archive.Universe
	// clauses of package i: clauseOf[i]..clauseOf[i+1] index clauseStart;
	// clause c's candidates are cands[clauseStart[c]:clauseStart[c+1]].
	clauseOf    []int32
	clauseStart []int32
	cands       []archive.ID
	// conflicts of package i (both directions, deduplicated per pair
	// only approximately): conf[confOf[i]:confOf[i+1]].
	confOf []int32
	conf   []archive.ID
	name   []int32 // name index of each package
	nNames int
}

func newDepGraph(u *archive.Universe) *depGraph {
	n := u.Len()
	g := &depGraph{u: u, clauseOf: make([]int32, n+1), name: make([]int32, n)}
	var buf []archive.ID
	type edge struct{ a, b archive.ID }
	var edges []edge
	for i := range u.Packages {
		p := &u.Packages[i]
		if i > 0 && u.Packages[i-1].Name != p.Name {
			g.nNames++
		}
		g.name[i] = int32(g.nNames)
		g.clauseOf[i] = int32(len(g.clauseStart))
		for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
			for _, c := range p.Rel[k] {
				g.clauseStart = append(g.clauseStart, int32(len(g.cands)))
				start := len(g.cands)
				for _, a := range c {
					g.cands = u.Candidates(g.cands, a)
				}
				g.cands = dedupe(g.cands, start)
			}
		}
		for _, k := range [...]archive.Kind{archive.Conflicts, archive.Breaks} {
			for _, c := range p.Rel[k] {
				for _, a := range c {
					buf = u.Candidates(buf[:0], a)
					for _, q := range buf {
						if q != archive.ID(i) {
							edges = append(edges, edge{archive.ID(i), q})
						}
					}
				}
			}
		}
	}
	g.nNames++
	g.clauseOf[n] = int32(len(g.clauseStart))
	g.clauseStart = append(g.clauseStart, int32(len(g.cands)))
	g.confOf = make([]int32, n+1)
	for _, e := range edges {
		g.confOf[e.a+1]++
		g.confOf[e.b+1]++
	}
	for i := 1; i <= n; i++ {
		g.confOf[i] += g.confOf[i-1]
	}
	g.conf = make([]archive.ID, g.confOf[n])
	fill := make([]int32, n)
	for _, e := range edges {
		g.conf[g.confOf[e.a]+fill[e.a]] = e.b
		fill[e.a]++
		g.conf[g.confOf[e.b]+fill[e.b]] = e.a
		fill[e.b]++
	}
	return g
}

func (g *depGraph) clauses(id archive.ID) (int32, int32) { return g.clauseOf[id], g.clauseOf[id+1] }
func (g *depGraph) clauseCands(c int32) []archive.ID {
	return g.cands[g.clauseStart[c]:g.clauseStart[c+1]]
}

// missingFixpoint marks packages broken by missing dependencies: a clause
// without candidates, or whose candidates are all broken.
func (g *depGraph) missingFixpoint() []bool {
	n := g.u.Len()
	broken := make([]bool, n)
	for changed := true; changed; {
		changed = false
		for i := range n {
			if broken[i] {
				continue
			}
			lo, hi := g.clauses(archive.ID(i))
			for c := lo; c < hi; c++ {
				alive := false
				for _, q := range g.clauseCands(c) {
					if !broken[q] {
						alive = true
						break
					}
				}
				if !alive {
					broken[i] = true
					changed = true
					break
				}
			}
		}
	}
	return broken
}

// missingChain explains a package broken by missing dependencies: the
// chain of clauses whose candidates are all broken, down to the clause
// nothing satisfies.
func (g *depGraph) missingChain(id archive.ID, broken []bool) string {
	u := g.u
	var b strings.Builder
	visited := map[archive.ID]bool{}
	for depth := 0; depth < 32; depth++ {
		visited[id] = true
		p := u.Pkg(id)
		fmt.Fprintf(&b, "%s %s", p.Name, p.Version)
		c, k := g.deadClause(id, broken)
		if c == nil {
			b.WriteString(": cannot be installed")
			return b.String()
		}
		cs := g.clauseCands(c.idx)
		if len(cs) == 0 {
			fmt.Fprintf(&b, " %s %s: %s", k, c.text, noCandidate(u, nil, c.clause))
			return b.String()
		}
		next := archive.ID(-1)
		for _, q := range cs {
			if !visited[q] {
				next = q
				break
			}
		}
		if next < 0 {
			fmt.Fprintf(&b, " %s %s: every candidate is broken", k, c.text)
			return b.String()
		}
		fmt.Fprintf(&b, " %s %s -> ", k, c.text)
		id = next
	}
	return b.String()
}

type clauseRef struct {
	idx    int32
	text   string
	clause relation.Clause
}

// deadClause finds id's first dependency clause whose candidates are all
// broken, preferring one without any candidate.
func (g *depGraph) deadClause(id archive.ID, broken []bool) (*clauseRef, archive.Kind) {
	p := g.u.Pkg(id)
	c := g.clauseOf[id]
	var found *clauseRef
	var fk archive.Kind
	for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
		for _, cl := range p.Rel[k] {
			alive := false
			cs := g.clauseCands(c)
			for _, q := range cs {
				if !broken[q] {
					alive = true
					break
				}
			}
			if !alive && (found == nil || len(cs) == 0 && len(g.clauseCands(found.idx)) > 0) {
				found, fk = &clauseRef{idx: c, text: cl.String(), clause: cl}, k
			}
			c++
		}
	}
	return found, fk
}

// greedySet is an installation grown greedily: closed under dependencies
// and free of conflicts after every successful add.
type greedySet struct {
	g       *depGraph
	in      []bool
	blocked []int32      // members conflicting with each package
	taken   []archive.ID // per name: the member of that name, or -1
	trail   []archive.ID // packages added by the current attempt
	stack   []archive.ID
}

func (g *depGraph) newSet() *greedySet {
	s := &greedySet{g: g, in: make([]bool, g.u.Len()), blocked: make([]int32, g.u.Len()), taken: make([]archive.ID, g.nNames)}
	for i := range s.taken {
		s.taken[i] = -1
	}
	return s
}

// viable reports whether q could join the set now.
func (s *greedySet) viable(q archive.ID, broken []bool) bool {
	if broken[q] || s.blocked[q] > 0 {
		return false
	}
	t := s.taken[s.g.name[q]]
	return t < 0 || t == q
}

func (s *greedySet) put(q archive.ID) {
	s.in[q] = true
	s.taken[s.g.name[q]] = q
	for _, r := range s.g.conf[s.g.confOf[q]:s.g.confOf[q+1]] {
		s.blocked[r]++
	}
	s.trail = append(s.trail, q)
	s.stack = append(s.stack, q)
}

// add tries to add id with its dependencies; on failure the set is left
// unchanged.
func (s *greedySet) add(id archive.ID, broken []bool) bool {
	if s.in[id] {
		return true
	}
	if !s.viable(id, broken) {
		return false
	}
	s.trail, s.stack = s.trail[:0], s.stack[:0]
	s.put(id)
	g := s.g
	for len(s.stack) > 0 {
		p := s.stack[len(s.stack)-1]
		s.stack = s.stack[:len(s.stack)-1]
		lo, hi := g.clauses(p)
	clauses:
		for c := lo; c < hi; c++ {
			cs := g.clauseCands(c)
			for _, q := range cs {
				if s.in[q] {
					continue clauses
				}
			}
			for _, q := range cs {
				if s.viable(q, broken) {
					s.put(q)
					continue clauses
				}
			}
			s.rollback()
			return false
		}
	}
	// A member added early may conflict with one added later only if the
	// later one was viable when added, which checks blocked: so the set
	// stays conflict-free.
	return true
}

func (s *greedySet) rollback() {
	for _, q := range s.trail {
		s.in[q] = false
		s.taken[s.g.name[q]] = -1
		for _, r := range s.g.conf[s.g.confOf[q]:s.g.confOf[q+1]] {
			s.blocked[r]--
		}
	}
	s.trail = s.trail[:0]
	s.stack = s.stack[:0]
}
