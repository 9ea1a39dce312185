package resolve

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/solve"
)

// ConflictError says a request cannot be satisfied: Needs is the smallest
// set of the request's own needs that clash (removing any one of them makes
// the rest satisfiable), and Chains[i] explains, for each install need, the
// dependency and conflict chain that makes it fail given the others ("" for
// avoid needs, which end other chains).
type ConflictError struct {
	Needs  []Need
	Kinds  []string // "need", "avoid" or "base" for each of Needs
	Chains []string
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	for i, n := range e.Needs {
		switch {
		case i == 0:
		case i == len(e.Needs)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		verb := e.Kinds[i]
		if verb == "base" {
			verb = "need"
		}
		fmt.Fprintf(&b, "%s %s", verb, n)
	}
	if len(e.Needs) == 1 {
		b.WriteString(" cannot be satisfied:")
	} else {
		b.WriteString(" conflict:")
	}
	for _, c := range e.Chains {
		if c != "" {
			b.WriteString("\n\t")
			b.WriteString(c)
		}
	}
	return b.String()
}

// Hint tells the user what to do.
func (e *ConflictError) Hint() string {
	if len(e.Needs) == 1 {
		return "drop or change this need; 'pdvm show NAME' lists the available versions"
	}
	return "drop or change one of these needs; every other need was not involved"
}

// explainer answers "can these needs hold together" questions over a
// model whose needs are guarded by selector variables.
type explainer struct {
	ctx      context.Context
	g        *model
	deadline time.Time
	rev      map[archive.ID][]revConflict
}

type revConflict struct {
	by   archive.ID
	kind archive.Kind
	atom relation.Atom
}

// sat reports whether the selected needs and extra literals have a model.
// When it cannot tell (budget), it answers true: no false claims.
func (x *explainer) sat(needs []int, extra ...solve.Lit) bool {
	left := time.Until(x.deadline)
	if left <= 0 {
		return true
	}
	assume := slices.Clone(extra)
	for _, i := range needs {
		assume = append(assume, x.g.sel[i])
	}
	res, err := x.g.p.Solve(x.ctx, solve.Options{Assume: assume, Budget: left})
	if err != nil {
		return true
	}
	return res.Status != solve.Unsat
}

// explain turns a core of need labels into a ConflictError.
func explain(ctx context.Context, u *archive.Universe, req *Request, base []Need, forbidden map[archive.ID]string, m *model, core []int) error {
	e := &ConflictError{}
	if len(core) == 0 {
		// Cannot happen (no need, nothing to install), but never
		// answer a bare "unsatisfiable".
		return fmt.Errorf("internal error: request unsatisfiable without any need")
	}
	g := encode(u, req, base, forbidden, guarded)
	x := &explainer{ctx: ctx, g: g, deadline: time.Now().Add(10 * time.Second), rev: map[archive.ID][]revConflict{}}
	var buf []archive.ID
	for _, id := range g.ids {
		p := u.Pkg(id)
		for _, k := range [...]archive.Kind{archive.Conflicts, archive.Breaks} {
			for _, c := range p.Rel[k] {
				for _, a := range c {
					for _, q := range g.candidates(buf[:0], a) {
						if _, ok := g.lit[q]; ok && q != id {
							x.rev[q] = append(x.rev[q], revConflict{id, k, a})
						}
					}
				}
			}
		}
	}
	for _, i := range core {
		n := g.needs[i]
		e.Needs = append(e.Needs, n.need)
		e.Kinds = append(e.Kinds, n.kind.verb())
		if n.kind == kindAvoid {
			e.Chains = append(e.Chains, "")
			continue
		}
		others := slices.DeleteFunc(slices.Clone(core), func(j int) bool { return j == i })
		e.Chains = append(e.Chains, x.chain(i, others))
	}
	return e
}

// chain explains why need i cannot hold together with the needs others.
func (x *explainer) chain(i int, others []int) string {
	g, u := x.g, x.g.u
	need := g.needs[i].need
	cands := g.needCandidates(nil, &g.needs[i])
	if len(cands) == 0 {
		return need.Clause.String() + ": " + x.noCandidate(need.Clause)
	}
	var b strings.Builder
	dead := map[archive.ID]bool{}
	isDead := func(q archive.ID) bool {
		if d, ok := dead[q]; ok {
			return d
		}
		d := !x.sat(others, g.lit[q])
		dead[q] = d
		return d
	}
	// Start at the first candidate that some avoid need does not reject
	// outright, so the chain shows the deeper reason when there is one.
	q := cands[0]
	for _, c := range cands {
		if x.avoidedBy(c, others) < 0 {
			q = c
			break
		}
	}
	visited := map[archive.ID]bool{}
	for depth := 0; depth < 16; depth++ {
		visited[q] = true
		p := u.Pkg(q)
		fmt.Fprintf(&b, "%s %s", p.Name, p.Version)
		if j := x.avoidedBy(q, others); j >= 0 {
			fmt.Fprintf(&b, ": avoided (%s)", g.needs[j].need.Origin)
			return b.String()
		}
		next := archive.ID(-1)
		for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
			for _, c := range p.Rel[k] {
				cs := g.clauseCandidates(nil, c)
				if len(cs) == 0 {
					fmt.Fprintf(&b, " %s %s: %s", k, c, x.noCandidate(c))
					return b.String()
				}
				all, avoided := true, -1
				for _, c := range cs {
					j := x.avoidedBy(c, others)
					if j < 0 {
						all = false
						break
					}
					avoided = j
				}
				if all {
					fmt.Fprintf(&b, " %s %s: avoided (%s)", k, c, g.needs[avoided].need.Origin)
					return b.String()
				}
				if !slices.ContainsFunc(cs, func(c archive.ID) bool { return !isDead(c) }) {
					for _, c := range cs {
						if !visited[c] {
							next = c
							break
						}
					}
					if next >= 0 {
						fmt.Fprintf(&b, " %s %s -> ", k, c)
						break
					}
				}
			}
			if next >= 0 {
				break
			}
		}
		if next >= 0 {
			q = next
			continue
		}
		b.WriteString(x.conflictReason(q, others))
		return b.String()
	}
	b.WriteString(" …")
	return b.String()
}

// conflictReason explains why q, whose dependencies are each satisfiable,
// cannot be installed with the needs others.
func (x *explainer) conflictReason(q archive.ID, others []int) string {
	g, u := x.g, x.g.u
	p := u.Pkg(q)
	for _, k := range [...]archive.Kind{archive.Conflicts, archive.Breaks} {
		for _, c := range p.Rel[k] {
			for _, a := range c {
				var neg []solve.Lit
				var targets []archive.ID
				for _, r := range g.candidates(nil, a) {
					if l, ok := g.lit[r]; ok && r != q {
						neg = append(neg, -l)
						targets = append(targets, r)
					}
				}
				if len(neg) == 0 || x.sat(others, neg...) {
					continue
				}
				return fmt.Sprintf(" %s %s, but %s", k, a, x.pathTo(targets, others))
			}
		}
	}
	for _, rc := range x.rev[q] {
		if !x.sat(others, -g.lit[rc.by]) {
			return fmt.Sprintf(": %s has %s: %s, and %s", pkgVersion(u, rc.by), rc.kind, rc.atom, x.pathTo([]archive.ID{rc.by}, others))
		}
	}
	for _, r := range u.Named(p.Name) {
		if l, ok := g.lit[r]; ok && r != q && !x.sat(others, -l) {
			return fmt.Sprintf(": another version of %s is needed: %s", p.Name, x.pathTo([]archive.ID{r}, others))
		}
	}
	// A dependency whose every candidate conflicts with q.
	for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
		for _, c := range p.Rel[k] {
			cs := g.clauseCandidates(nil, c)
			var why []string
			for _, r := range cs {
				if w := x.conflictBetween(q, r); w != "" {
					why = append(why, w)
				} else {
					break
				}
			}
			if len(cs) > 0 && len(why) == len(cs) {
				return fmt.Sprintf(" %s %s, but %s", k, c, strings.Join(why, "; "))
			}
		}
	}
	// q's own dependencies may force what it conflicts with: follow the
	// clauses that have a single candidate.
	forced := x.forcedBy(q)
	for _, k := range [...]archive.Kind{archive.Conflicts, archive.Breaks} {
		for _, c := range p.Rel[k] {
			for _, a := range c {
				for _, r := range g.candidates(nil, a) {
					if _, ok := forced[r]; ok && r != q {
						return fmt.Sprintf(" %s %s, but %s", k, a, renderForced(u, forced, r))
					}
				}
			}
		}
	}
	for _, rc := range x.rev[q] {
		if _, ok := forced[rc.by]; ok {
			return fmt.Sprintf(": %s has %s: %s, and %s", pkgVersion(u, rc.by), rc.kind, rc.atom, renderForced(u, forced, rc.by))
		}
	}
	return ": cannot be installed together with the other needs"
}

type forcedStep struct {
	from archive.ID
	via  string
}

// forcedBy returns the packages every installation of q contains because
// of dependency clauses with a single candidate, each with the clause that
// forces it.
func (x *explainer) forcedBy(q archive.ID) map[archive.ID]forcedStep {
	g, u := x.g, x.g.u
	seen := map[archive.ID]forcedStep{q: {from: -1}}
	queue := []archive.ID{q}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
			for _, c := range u.Pkg(id).Rel[k] {
				cs := g.clauseCandidates(nil, c)
				if len(cs) != 1 {
					continue
				}
				if _, ok := seen[cs[0]]; !ok {
					seen[cs[0]] = forcedStep{from: id, via: fmt.Sprintf("%s %s", k, c)}
					queue = append(queue, cs[0])
				}
			}
		}
	}
	return seen
}

// renderForced renders the forcing chain to r: "it Depends thunderbird ->
// thunderbird 1:140 is needed".
func renderForced(u *archive.Universe, forced map[archive.ID]forcedStep, r archive.ID) string {
	var parts []string
	for cur := r; ; {
		st := forced[cur]
		if st.from < 0 {
			parts = append(parts, "it")
			break
		}
		parts = append(parts, st.via+" -> "+pkgVersion(u, cur))
		cur = st.from
	}
	slices.Reverse(parts)
	return strings.Join(parts, " ") + " is needed"
}

// pathTo renders the shortest dependency path from the install needs among
// others to one of targets: "exim4 4.96 (need exim4) Depends … ->
// exim4-daemon-light 4.96 needs it".
func (x *explainer) pathTo(targets []archive.ID, others []int) string {
	g, u := x.g, x.g.u
	type node struct {
		from archive.ID
		via  string
		need int
	}
	seen := map[archive.ID]node{}
	var queue []archive.ID
	for _, i := range others {
		if g.needs[i].kind == kindAvoid {
			continue
		}
		for _, c := range g.needCandidates(nil, &g.needs[i]) {
			if _, ok := seen[c]; !ok {
				seen[c] = node{from: -1, need: i}
				queue = append(queue, c)
			}
		}
	}
	isTarget := func(id archive.ID) bool { return slices.Contains(targets, id) }
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if isTarget(id) {
			var parts []string
			for cur := id; ; {
				n := seen[cur]
				s := pkgVersion(u, cur)
				if n.from < 0 {
					s += fmt.Sprintf(" (need %s)", g.needs[n.need].need)
					parts = append(parts, s)
					break
				}
				parts = append(parts, n.via+" -> "+s)
				cur = n.from
			}
			slices.Reverse(parts)
			return strings.Join(parts, " ") + " is needed"
		}
		p := u.Pkg(id)
		for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
			for _, c := range p.Rel[k] {
				for _, r := range g.clauseCandidates(nil, c) {
					if _, ok := seen[r]; !ok {
						seen[r] = node{from: id, via: fmt.Sprintf("%s %s", k, c)}
						queue = append(queue, r)
					}
				}
			}
		}
	}
	var names []string
	for _, i := range others {
		names = append(names, g.needs[i].kind.verb()+" "+g.needs[i].need.String())
	}
	return "it is required by " + strings.Join(names, ", ")
}

// avoidedBy returns the index of an avoid need among others that rejects
// q, or -1.
func (x *explainer) avoidedBy(q archive.ID, others []int) int {
	g := x.g
	for _, j := range others {
		if g.needs[j].kind != kindAvoid {
			continue
		}
		for _, a := range g.needs[j].need.Clause {
			if g.u.Satisfies(q, a) {
				return j
			}
		}
	}
	return -1
}

// noCandidate says why nothing satisfies c: missing names, versions that
// do not match, or forbidden packages.
func (x *explainer) noCandidate(c relation.Clause) string {
	return noCandidate(x.g.u, x.g.forbidden, c)
}

func noCandidate(u *archive.Universe, forbidden map[archive.ID]string, c relation.Clause) string {
	var parts []string
	for _, a := range c {
		all := u.Candidates(nil, a)
		switch {
		case len(all) > 0:
			var why []string
			for _, id := range all {
				why = append(why, fmt.Sprintf("%s is forbidden (%s)", pkgVersion(u, id), forbidden[id]))
			}
			parts = append(parts, strings.Join(why, "; "))
		case !u.Known(a.Name):
			parts = append(parts, fmt.Sprintf("no package is called or provides %s", a.Name))
		default:
			var vs []string
			for _, id := range u.Named(a.Name) {
				vs = append(vs, u.Pkg(id).Version)
			}
			for _, pr := range u.Providers(a.Name) {
				v := pr.Version
				if v == "" {
					v = "unversioned"
				}
				vs = append(vs, fmt.Sprintf("%s via %s", v, u.Pkg(pr.ID).Name))
			}
			parts = append(parts, fmt.Sprintf("no version of %s matches (available: %s)", a.Name, strings.Join(vs, ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

func pkgVersion(u *archive.Universe, id archive.ID) string {
	p := u.Pkg(id)
	return p.Name + " " + p.Version
}

// conflictBetween describes the Conflicts or Breaks between q and r, or
// returns "".
func (x *explainer) conflictBetween(q, r archive.ID) string {
	u := x.g.u
	for _, k := range [...]archive.Kind{archive.Conflicts, archive.Breaks} {
		for _, c := range u.Pkg(q).Rel[k] {
			for _, a := range c {
				if r != q && u.Satisfies(r, a) {
					return fmt.Sprintf("it has %s: %s", k, a)
				}
			}
		}
	}
	for _, rc := range x.rev[q] {
		if rc.by == r {
			return fmt.Sprintf("%s has %s: %s", pkgVersion(u, r), rc.kind, rc.atom)
		}
	}
	return ""
}
