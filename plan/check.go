package plan

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/constraint"
	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/manifest"
)

// Stale says why a lock no longer matches what it was planned from.
type Stale struct {
	LockPath string
	// Reasons is empty when the lock is current.
	Reasons []string
}

// Current reports whether the lock is up to date.
func (s *Stale) Current() bool { return len(s.Reasons) == 0 }

// Check compares the lock at lockPath with what planning vm against u
// would start from: the description's input files, the lowered
// constraints and the archive's indexes. It does not resolve: planning is
// deterministic, so equal inputs give an equal lock.
func Check(u *archive.Universe, f *description.File, vm *description.VM, lockPath string) (*Stale, error) {
	st := &Stale{LockPath: lockPath}
	l, err := manifest.Read(lockPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			st.Reasons = append(st.Reasons, "there is no lock yet")
			return st, nil
		}
		return nil, err
	}
	rel := func(name string) string { return relName(filepath.Dir(lockPath), name) }
	set := constraint.Lower(vm)
	if l.VM != vm.Name {
		st.Reasons = append(st.Reasons, fmt.Sprintf("the lock is for vm %q, not %q", l.VM, vm.Name))
	}
	ins, digest := Inputs(f, rel)
	if digest != l.DescriptionSHA256 {
		st.Reasons = append(st.Reasons, "the description changed: "+changedInputs(l.Inputs, ins))
	}
	if set.Digest() != l.ConstraintsSHA256 {
		st.Reasons = append(st.Reasons, "the constraints changed (see 'pdvm lower')")
	}
	cur := Suites(u)
	old := append([]manifest.Suite(nil), l.Archive...)
	key := func(a manifest.Suite) string { return a.Suite + "\x00" + a.Component + "\x00" + a.Arch }
	slices.SortFunc(cur, func(a, b manifest.Suite) int { return cmpStr(key(a), key(b)) })
	slices.SortFunc(old, func(a, b manifest.Suite) int { return cmpStr(key(a), key(b)) })
	if !slices.Equal(cur, old) {
		st.Reasons = append(st.Reasons, "the archive changed (new or different indexes)")
	}
	return st, nil
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func changedInputs(old, cur []manifest.Input) string {
	was := map[string]string{}
	for _, in := range old {
		was[in.Name] = in.SHA256
	}
	var out []string
	for _, in := range cur {
		switch h, ok := was[in.Name]; {
		case !ok:
			out = append(out, in.Name+" (new input)")
		case h != in.SHA256:
			out = append(out, in.Name)
		}
		delete(was, in.Name)
	}
	for name := range was {
		out = append(out, name+" (no longer read)")
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "inputs renamed"
	}
	return fmt.Sprint(out)
}
