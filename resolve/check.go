package resolve

import (
	"errors"
	"fmt"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/relation"
)

// CheckError lists every problem Check found.
type CheckError struct{ Problems []string }

func (e *CheckError) Error() string {
	s := fmt.Sprintf("%v: %d problems", errBadSet, len(e.Problems))
	for i, p := range e.Problems {
		if i == 10 {
			s += fmt.Sprintf("\n\t… and %d more", len(e.Problems)-10)
			break
		}
		s += "\n\t" + p
	}
	return s
}

func (e *CheckError) Unwrap() error { return errBadSet }

// Check verifies an installation set without any solver, straight from the
// package relations: every Depends and Pre-Depends clause of every package
// is satisfied inside the set, no package conflicts with or breaks another
// package of the set, at most one version of a name is installed (unless
// Multi-Arch: same allows co-installation), every install need (and base
// need) is met, no avoided or forbidden package is present. It returns nil
// or a *CheckError listing every problem.
func Check(u *archive.Universe, req Request, ids []archive.ID) error {
	var probs []string
	in := make(map[archive.ID]bool, len(ids))
	for _, id := range ids {
		if id < 0 || int(id) >= u.Len() {
			return fmt.Errorf("checking installation set: package ID %d out of range", id)
		}
		if in[id] {
			probs = append(probs, fmt.Sprintf("%s listed twice", pkgString(u, id)))
		}
		in[id] = true
	}
	var buf []archive.ID
	satisfied := func(a relation.Atom) bool {
		buf = u.Candidates(buf[:0], a)
		for _, q := range buf {
			if in[q] {
				return true
			}
		}
		return false
	}
	byName := map[string][]archive.ID{}
	for _, id := range ids {
		p := u.Pkg(id)
		byName[p.Name] = append(byName[p.Name], id)
		for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
			for _, c := range p.Rel[k] {
				ok := false
				for _, a := range c {
					if satisfied(a) {
						ok = true
						break
					}
				}
				if !ok {
					probs = append(probs, fmt.Sprintf("%s: %s: %s is not satisfied", pkgString(u, id), k, c))
				}
			}
		}
		for _, k := range [...]archive.Kind{archive.Conflicts, archive.Breaks} {
			for _, c := range p.Rel[k] {
				for _, a := range c {
					for _, q := range u.Candidates(nil, a) {
						if in[q] && q != id {
							probs = append(probs, fmt.Sprintf("%s: %s: %s hits %s", pkgString(u, id), k, a, pkgString(u, q)))
						}
					}
				}
			}
		}
	}
	for name, vs := range byName {
		for i := range vs {
			for j := i + 1; j < len(vs); j++ {
				if !coinstallable(u.Pkg(vs[i]), u.Pkg(vs[j])) {
					probs = append(probs, fmt.Sprintf("two versions of %s: %s and %s", name, u.Pkg(vs[i]).Version, u.Pkg(vs[j]).Version))
				}
			}
		}
	}
	base, err := baseNeeds(u, req.Base)
	if err != nil {
		return err
	}
	for _, ns := range [][]Need{req.Install, base} {
		for _, n := range ns {
			ok := false
			for _, a := range n.Clause {
				if satisfied(a) {
					ok = true
					break
				}
			}
			if !ok {
				probs = append(probs, fmt.Sprintf("need %s is not met", n))
			}
		}
	}
	for _, n := range req.Avoid {
		for _, a := range n.Clause {
			for _, q := range u.Candidates(nil, a) {
				if in[q] {
					probs = append(probs, fmt.Sprintf("avoid %s: %s is installed", n, pkgString(u, q)))
				}
			}
		}
	}
	if req.Forbid != nil {
		for _, id := range ids {
			if why, bad := req.Forbid(u.Pkg(id)); bad {
				probs = append(probs, fmt.Sprintf("%s is forbidden: %s", pkgString(u, id), why))
			}
		}
	}
	if len(probs) > 0 {
		return &CheckError{Problems: probs}
	}
	return nil
}

// IsCheckError reports whether err came from Check finding problems.
func IsCheckError(err error) bool { return errors.Is(err, errBadSet) }
