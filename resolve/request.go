package resolve

import (
	"fmt"
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

// Suggest returns up to max package names close to name, closest first.
func Suggest(u *archive.Universe, name string, max int) []string {
	return u.Suggest(name, max)
}
