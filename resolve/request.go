package resolve

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/debian/version"
)

// Need is one requested clause, a disjunction of atoms ("a | b (>= 2)"),
// with where it came from, e.g. "web.pdvm.hcl:7:5" or "argument 2".
type Need struct {
	Clause relation.Clause
	Origin string
}

func (n Need) String() string {
	if n.Origin == "" {
		return n.Clause.String()
	}
	return fmt.Sprintf("%s (%s)", n.Clause, n.Origin)
}

// ParseNeed parses one need: a relation clause ("nginx",
// "openssh-server | dropbear-bin", "python3 (>= 3.11)") or a pin written
// as apt does ("nginx=1.22.1-9", meaning "nginx (= 1.22.1-9)").
func ParseNeed(s, origin string) (Need, error) {
	t := strings.TrimSpace(s)
	if i := strings.IndexByte(t, '='); i > 0 && !strings.ContainsAny(t, "(|") {
		name, ver := strings.TrimSpace(t[:i]), strings.TrimSpace(t[i+1:])
		if !version.Valid(ver) {
			return Need{}, fmt.Errorf("%s: pin %q: %q is not a Debian version", origin, s, ver)
		}
		c, err := relation.ParseClause(name)
		if err != nil {
			return Need{}, fmt.Errorf("%s: %w", origin, err)
		}
		if len(c) != 1 {
			return Need{}, fmt.Errorf("%s: pin %q names more than one package", origin, s)
		}
		c[0].Op, c[0].Version = relation.EQ, ver
		return Need{Clause: c, Origin: origin}, nil
	}
	c, err := relation.ParseClause(t)
	if err != nil {
		return Need{}, fmt.Errorf("%s: %w", origin, err)
	}
	return Need{Clause: c, Origin: origin}, nil
}

// Request is what to install and what to keep out.
type Request struct {
	// Install needs must all hold; each is a disjunction.
	Install []Need
	// Avoid needs must not hold: no package satisfying an atom of an
	// avoid need (by name, version range or Provides) is installed.
	Avoid []Need
	// Prefer needs are soft: met when that costs nothing on the objective.
	Prefer []Need
	// Base is "debian" (add every Essential: yes and Priority: required
	// package as an install need, origin "base debian") or "none" (the
	// default: add nothing).
	Base string
	// Objective is "count" (default: fewest packages) or "size" (least
	// summed Installed-Size, then fewest packages).
	Objective string
	// Budget bounds the solver's time; 0 means 30 s. When it runs out the
	// best set found is returned with Status "feasible".
	Budget time.Duration
	// Forbid, if set, excludes packages (e.g. known-vulnerable versions);
	// the reason is kept for explanations.
	Forbid func(p *archive.Package) (reason string, forbidden bool)

	// Installed lists packages already installed (EDSP): keeping them
	// costs nothing, removing them costs more than any new package (a
	// different version of the same name keeps it installed).
	Installed []archive.ID
	// Upgrade moves installed packages to the newest version of their
	// name where possible (apt's Upgrade-All), before counting packages.
	Upgrade bool

	// exact packages to install (distcheck).
	exact []archive.ID
}

// Base policies.
const (
	BaseNone   = "none"
	BaseDebian = "debian"
	// baseEssential is distcheck's policy (as dose-distcheck's default):
	// at least one version of every Essential name.
	baseEssential = "essential"
)

// Objectives.
const (
	ObjectiveCount = "count"
	ObjectiveSize  = "size"
)

// DefaultBudget is the solver time budget when Request.Budget is 0.
const DefaultBudget = 30 * time.Second

// UnknownPackageError is a need naming a package that is neither a real
// package nor provided by one.
type UnknownPackageError struct {
	Need        Need
	Name        string
	Suggestions []string // similar real package names, closest first
}

func (e *UnknownPackageError) Error() string {
	s := fmt.Sprintf("%s: unknown package %q", e.Need.Origin, e.Name)
	if len(e.Suggestions) > 0 {
		s += fmt.Sprintf(" (did you mean %s?)", strings.Join(e.Suggestions, ", "))
	}
	return s
}

// Hint tells the user what to do.
func (e *UnknownPackageError) Hint() string {
	return "check the spelling with 'pdvm show NAME'; only the loaded suites, components and architectures are searched"
}

// baseNeeds returns the install needs the base policy adds.
func baseNeeds(u *archive.Universe, base string) ([]Need, error) {
	switch base {
	case "", BaseNone:
		return nil, nil
	case BaseDebian, baseEssential:
	default:
		return nil, fmt.Errorf("unknown base policy %q (want debian or none)", base)
	}
	seen := map[string]bool{}
	var out []Need
	for i := range u.Packages {
		p := &u.Packages[i]
		if seen[p.Name] {
			continue
		}
		if p.Essential || (base == BaseDebian && p.Priority == "required") {
			seen[p.Name] = true
			out = append(out, Need{Clause: relation.Clause{{Name: p.Name}}, Origin: "base " + base})
		}
	}
	return out, nil
}

// checkKnown reports the first need naming an unknown package.
func checkKnown(u *archive.Universe, needs ...[]Need) error {
	for _, ns := range needs {
		for _, n := range ns {
			if len(n.Clause) == 0 {
				return fmt.Errorf("%s: empty need", n.Origin)
			}
			for _, a := range n.Clause {
				if !u.Known(a.Name) {
					return &UnknownPackageError{Need: n, Name: a.Name, Suggestions: Suggest(u, a.Name, 3)}
				}
			}
		}
	}
	return nil
}

// Suggest returns up to max real package names close to name (edit
// distance), closest first.
func Suggest(u *archive.Universe, name string, max int) []string {
	type cand struct {
		s string
		d int
	}
	limit := 2
	if len(name) >= 9 {
		limit = 3
	}
	var cs []cand
	for _, n := range u.Names() {
		if abs(len(n)-len(name)) > limit {
			continue
		}
		if d := editDistance(name, n, limit); d <= limit {
			cs = append(cs, cand{n, d})
		}
	}
	for _, n := range u.VirtualNames() {
		if abs(len(n)-len(name)) > limit {
			continue
		}
		if d := editDistance(name, n, limit); d <= limit {
			cs = append(cs, cand{n, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].s < cs[j].s
	})
	var out []string
	for _, c := range cs {
		if len(out) == max {
			break
		}
		out = append(out, c.s)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// editDistance is the Damerau (adjacent transposition) edit distance of a
// and b, or limit+1 when it exceeds limit.
func editDistance(a, b string, limit int) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			best = min(best, v)
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
