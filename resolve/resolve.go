package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/solve"
)

// Solution is a resolved installation set.
type Solution struct {
	Packages []archive.ID // sorted by name
	// Status is "optimal" when the solver proved that no smaller set (by
	// the objective) exists, else "feasible".
	Status        string
	Count         int
	InstalledSize int64 // KiB
	// LowerBound is the proven lower bound of the objective (count, or
	// KiB for "size"); equal to the objective's value when optimal.
	LowerBound int64
	Objective  string
	Elapsed    time.Duration
	// Cone is the number of packages the request could reach (variables).
	Cone int

	u      *archive.Universe
	needs  []needRef
	parent map[archive.ID]Step // how each package was pulled in
	order  []archive.ID        // BFS order from the requests
}

// Step is one link of a chain explaining why a package is installed.
type Step struct {
	Pkg archive.ID
	// Via is the relation of the previous step's package that pulled Pkg
	// in, e.g. "Depends: libssl3 (>= 3.0.0)"; empty for the first step.
	Via string
	// Need is the user's need the first step satisfies.
	Need *Need
	// From is the previous step's package (-1 for the first step).
	From archive.ID
}

// Resolve finds an installation set for req with the fewest packages (or
// least Installed-Size), proven optimal unless the budget runs out. When
// req cannot be satisfied the error is a *ConflictError naming the
// smallest set of needs that clash; unknown package names give an
// *UnknownPackageError.
func Resolve(ctx context.Context, u *archive.Universe, req Request) (*Solution, error) {
	start := time.Now()
	if err := checkKnown(u, req.Install, req.Avoid, req.Prefer); err != nil {
		return nil, err
	}
	base, err := baseNeeds(u, req.Base)
	if err != nil {
		return nil, err
	}
	forbidden := forbiddenSet(u, &req)
	m := encode(u, &req, base, forbidden, labelled)
	levels, err := m.objectives(req.Objective)
	if err != nil {
		return nil, err
	}
	budget := req.Budget
	if budget == 0 {
		budget = DefaultBudget
	}
	res, err := m.p.Minimize(ctx, levels, solve.Options{Budget: budget})
	if err != nil {
		return nil, fmt.Errorf("solving: %w", err)
	}
	switch res.Status {
	case solve.Unsat:
		return nil, explain(ctx, u, &req, base, forbidden, m, res.Core)
	case solve.Unknown:
		return nil, fmt.Errorf("no installation found within the %v budget (%d packages in the request's cone)", budget, len(m.ids))
	}
	s := &Solution{
		Status:    "feasible",
		Objective: req.Objective,
		Cone:      len(m.ids),
		u:         u,
		needs:     m.needs,
	}
	if s.Objective == "" {
		s.Objective = ObjectiveCount
	}
	if res.Status == solve.Optimal {
		s.Status = "optimal"
	}
	primary := 0
	if len(m.keep) > 0 {
		primary++
	}
	if len(m.upgrade) > 0 {
		primary++
	}
	s.LowerBound = res.LowerBound[primary]
	for _, id := range m.ids {
		if res.Value(m.lit[id]) {
			s.Packages = append(s.Packages, id)
			s.InstalledSize += u.Pkg(id).InstalledSize
		}
	}
	s.Count = len(s.Packages)
	s.trace(&req)
	s.Elapsed = time.Since(start)
	return s, nil
}

// trace records, by breadth-first search from the install needs over the
// chosen set, which package (and clause) pulled in each package.
func (s *Solution) trace(req *Request) {
	u := s.u
	chosen := make(map[archive.ID]bool, len(s.Packages))
	for _, id := range s.Packages {
		chosen[id] = true
	}
	s.parent = make(map[archive.ID]Step, len(s.Packages))
	var queue []archive.ID
	visit := func(id archive.ID, st Step) {
		if _, seen := s.parent[id]; seen {
			return
		}
		s.parent[id] = st
		queue = append(queue, id)
	}
	roots := func(n *Need) {
		for _, a := range n.Clause {
			for _, id := range u.Candidates(nil, a) {
				if chosen[id] {
					visit(id, Step{Pkg: id, Need: n, From: -1})
				}
			}
		}
	}
	for i := range s.needs {
		if s.needs[i].kind == kindInstall {
			roots(&s.needs[i].need)
		}
	}
	for i := range req.Prefer {
		roots(&req.Prefer[i])
	}
	for i := range s.needs {
		if s.needs[i].kind == kindBase {
			roots(&s.needs[i].need)
		}
	}
	for _, id := range req.Installed {
		p := u.Pkg(id)
		for _, q := range u.Named(p.Name) {
			if chosen[q] && u.Pkg(q).Arch == p.Arch {
				visit(q, Step{Pkg: q, Via: "installed", From: -1})
			}
		}
	}
	var buf []archive.ID
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		s.order = append(s.order, id)
		p := u.Pkg(id)
		for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
			for _, c := range p.Rel[k] {
				for _, a := range c {
					buf = u.Candidates(buf[:0], a)
					for _, q := range buf {
						if chosen[q] {
							visit(q, Step{Pkg: q, From: id, Via: k.String() + ": " + c.String()})
						}
					}
				}
			}
		}
	}
	// Anything left (possible with the size objective's zero-size
	// packages) is reported as unexplained rather than hidden.
	for _, id := range s.Packages {
		if _, ok := s.parent[id]; !ok {
			s.parent[id] = Step{Pkg: id, From: -1, Via: "not required by any need"}
		}
	}
}

// Why returns the shortest chain from a requested package to id: the
// first step carries the need, each later step the relation that pulled
// it in. It returns nil when id is not in the solution.
func (s *Solution) Why(id archive.ID) []Step {
	if _, ok := s.parent[id]; !ok {
		return nil
	}
	var chain []Step
	for cur := id; ; {
		st := s.parent[cur]
		chain = append(chain, st)
		if st.From < 0 || len(chain) > len(s.parent) {
			break
		}
		cur = st.From
	}
	slices.Reverse(chain)
	return chain
}

// PulledBy describes what pulled id in: "need nginx (argument 1)" or
// "nginx-core (Depends: libssl3 (>= 3.0.0))".
func (s *Solution) PulledBy(id archive.ID) string {
	st, ok := s.parent[id]
	switch {
	case !ok:
		return ""
	case st.Need != nil:
		return "need " + st.Need.String()
	case st.From < 0:
		return st.Via
	}
	return fmt.Sprintf("%s (%s)", s.u.Pkg(st.From).Name, st.Via)
}

// Universe returns the universe the solution's IDs refer to.
func (s *Solution) Universe() *archive.Universe { return s.u }

// FormatChain renders a Why chain on one line:
// "nginx 1.22.1-9 (need nginx) -> Depends: nginx-core ... -> nginx-core 1.22.1-9".
func FormatChain(u *archive.Universe, chain []Step) string {
	var b []byte
	for i, st := range chain {
		p := u.Pkg(st.Pkg)
		if i > 0 {
			b = fmt.Appendf(b, " -> %s -> ", st.Via)
		}
		b = fmt.Appendf(b, "%s %s", p.Name, p.Version)
		if st.Need != nil {
			b = fmt.Appendf(b, " (need %s)", st.Need)
		}
	}
	return string(b)
}

// errBadSet is wrapped by Check's errors.
var errBadSet = errors.New("invalid installation set")

// pkgString is "name version arch".
func pkgString(u *archive.Universe, id archive.ID) string {
	p := u.Pkg(id)
	return p.Name + " " + p.Version + " " + p.Arch
}
