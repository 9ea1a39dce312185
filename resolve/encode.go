package resolve

import (
	"fmt"
	"slices"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/solve"
)

// needKind says what a need asks for.
type needKind uint8

const (
	kindInstall needKind = iota
	kindAvoid
	kindBase
)

func (k needKind) verb() string {
	switch k {
	case kindAvoid:
		return "avoid"
	case kindBase:
		return "base"
	}
	return "need"
}

// needRef is a labelled need of the encoding; its index is its label.
type needRef struct {
	kind needKind
	need Need
	// exact, when set, is the need's only candidate (distcheck asks for
	// one precise package, not for whatever satisfies its name).
	exact []archive.ID
}

// needCandidates returns the packages that satisfy need n.
func (m *model) needCandidates(dst []archive.ID, n *needRef) []archive.ID {
	if n.exact != nil {
		return append(dst, n.exact...)
	}
	return m.clauseCandidates(dst, n.need.Clause)
}

// model is a request encoded over its dependency cone.
type model struct {
	u         *archive.Universe
	forbidden map[archive.ID]string
	p         *solve.Problem
	lit       map[archive.ID]solve.Lit // package variables (the cone)
	ids       []archive.ID             // cone, sorted (= by name, newest first)
	needs     []needRef                // labelled needs (install, base, avoid)
	sel       []solve.Lit              // guarded mode: selector per need
	prefer    []solve.Lit              // indicator per Prefer need
	installed map[archive.ID]bool
	keep      []solve.Lit // per installed package: its name stays installed
	upgrade   []solve.Lit // per installed package: the newest version of its name
}

// sameName returns the non-forbidden versions of id's name and
// architecture, newest first (id included unless forbidden).
func (m *model) sameName(id archive.ID) []archive.ID {
	p := m.u.Pkg(id)
	var out []archive.ID
	for _, q := range m.u.Named(p.Name) {
		if _, bad := m.forbidden[q]; !bad && m.u.Pkg(q).Arch == p.Arch {
			out = append(out, q)
		}
	}
	return out
}

// encodeMode chooses how needs enter the problem.
type encodeMode uint8

const (
	// labelled: needs are clauses labelled by their index, for cores.
	labelled encodeMode = iota
	// guarded: each need's clauses are guarded by a selector variable
	// (sel[i] → need i), so explanations can switch needs on and off.
	guarded
)

// candidates appends the packages satisfying a that are not forbidden.
func (m *model) candidates(dst []archive.ID, a relation.Atom) []archive.ID {
	start := len(dst)
	dst = m.u.Candidates(dst, a)
	if len(m.forbidden) == 0 {
		return dst
	}
	out := dst[:start]
	for _, id := range dst[start:] {
		if _, bad := m.forbidden[id]; !bad {
			out = append(out, id)
		}
	}
	return out
}

// clauseCandidates returns the packages satisfying some atom of c.
func (m *model) clauseCandidates(dst []archive.ID, c relation.Clause) []archive.ID {
	start := len(dst)
	for _, a := range c {
		dst = m.candidates(dst, a)
	}
	return dedupe(dst, start)
}

func dedupe(s []archive.ID, start int) []archive.ID {
	if len(s)-start < 2 {
		return s
	}
	out := s[:start]
	for i, id := range s[start:] {
		if !slices.Contains(s[start:start+i], id) {
			out = append(out, id)
		}
	}
	return out
}

// forbiddenSet evaluates req.Forbid over the universe.
func forbiddenSet(u *archive.Universe, req *Request) map[archive.ID]string {
	if req.Forbid == nil {
		return nil
	}
	f := map[archive.ID]string{}
	for i := range u.Packages {
		if why, bad := req.Forbid(&u.Packages[i]); bad {
			f[archive.ID(i)] = why
		}
	}
	return f
}

// encode builds the problem for req (whose base needs are already in
// base) over the dependency cone.
func encode(u *archive.Universe, req *Request, base []Need, forbidden map[archive.ID]string, mode encodeMode) *model {
	m := &model{u: u, forbidden: forbidden, p: solve.New(), lit: map[archive.ID]solve.Lit{}}
	for _, id := range req.exact {
		p := u.Pkg(id)
		n := Need{Clause: relation.Clause{{Name: p.Name, Op: relation.EQ, Version: p.Version}}, Origin: "distcheck " + p.Arch}
		m.needs = append(m.needs, needRef{kindInstall, n, []archive.ID{id}})
	}
	for _, n := range req.Install {
		m.needs = append(m.needs, needRef{kind: kindInstall, need: n})
	}
	for _, n := range base {
		m.needs = append(m.needs, needRef{kind: kindBase, need: n})
	}
	for _, n := range req.Avoid {
		m.needs = append(m.needs, needRef{kind: kindAvoid, need: n})
	}

	// The cone: everything reachable from the install, base and prefer
	// needs (and installed packages) through Depends and Pre-Depends.
	inCone := map[archive.ID]bool{}
	var queue, buf []archive.ID
	push := func(ids []archive.ID) {
		for _, id := range ids {
			if !inCone[id] {
				inCone[id] = true
				queue = append(queue, id)
			}
		}
	}
	for i := range m.needs {
		if m.needs[i].kind != kindAvoid {
			push(m.needCandidates(buf[:0], &m.needs[i]))
		}
	}
	for _, n := range req.Prefer {
		push(m.clauseCandidates(buf[:0], n.Clause))
	}
	// Installed packages, and the other versions of their names (an
	// upgrade or downgrade keeps the name installed).
	m.installed = map[archive.ID]bool{}
	for _, id := range req.Installed {
		m.installed[id] = true
		for _, q := range m.sameName(id) {
			push([]archive.ID{q})
		}
	}
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		p := u.Pkg(id)
		for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
			for _, c := range p.Rel[k] {
				push(m.clauseCandidates(buf[:0], c))
			}
		}
	}
	m.ids = make([]archive.ID, 0, len(inCone))
	for id := range inCone {
		m.ids = append(m.ids, id)
	}
	slices.Sort(m.ids)
	for _, id := range m.ids {
		m.lit[id] = m.p.NewVar()
	}

	// Package clauses.
	cl := make([]solve.Lit, 0, 16)
	for _, id := range m.ids {
		p := u.Pkg(id)
		x := m.lit[id]
		for _, k := range [...]archive.Kind{archive.PreDepends, archive.Depends} {
			for _, c := range p.Rel[k] {
				cl = append(cl[:0], -x)
				for _, q := range m.clauseCandidates(buf[:0], c) {
					cl = append(cl, m.lit[q])
				}
				m.p.Add(cl...)
			}
		}
		for _, k := range [...]archive.Kind{archive.Conflicts, archive.Breaks} {
			for _, c := range p.Rel[k] {
				for _, a := range c {
					for _, q := range m.candidates(buf[:0], a) {
						if y, ok := m.lit[q]; ok && q != id {
							m.p.Add(-x, -y)
						}
					}
				}
			}
		}
	}
	// At most one version per name (Multi-Arch: same packages of
	// different architectures excepted). The cone is sorted by name.
	for i := 0; i < len(m.ids); {
		j := i + 1
		for j < len(m.ids) && u.Pkg(m.ids[j]).Name == u.Pkg(m.ids[i]).Name {
			j++
		}
		for a := i; a < j; a++ {
			for b := a + 1; b < j; b++ {
				pa, pb := u.Pkg(m.ids[a]), u.Pkg(m.ids[b])
				if coinstallable(pa, pb) {
					continue
				}
				m.p.Add(-m.lit[m.ids[a]], -m.lit[m.ids[b]])
			}
		}
		i = j
	}

	// Keeping installed names: keep → some version of the name.
	for _, id := range req.Installed {
		vs := m.sameName(id)
		k := m.p.NewVar()
		cl = append(cl[:0], -k)
		for _, q := range vs {
			cl = append(cl, m.lit[q])
		}
		m.p.Add(cl...)
		m.keep = append(m.keep, k)
		if req.Upgrade && len(vs) > 0 {
			m.upgrade = append(m.upgrade, m.lit[vs[0]])
		}
	}

	// Needs.
	if mode == guarded {
		m.sel = make([]solve.Lit, len(m.needs))
		for i := range m.needs {
			m.sel[i] = m.p.NewVar()
		}
	}
	add := func(label int, lits ...solve.Lit) {
		if mode == guarded {
			m.p.Add(append(lits, -m.sel[label])...)
		} else {
			m.p.AddLabeled(label, lits...)
		}
	}
	for i, n := range m.needs {
		cs := m.needCandidates(buf[:0], &m.needs[i])
		if n.kind == kindAvoid {
			for _, q := range cs {
				if y, ok := m.lit[q]; ok {
					add(i, -y)
				}
			}
			continue
		}
		cl = cl[:0]
		for _, q := range cs {
			cl = append(cl, m.lit[q])
		}
		add(i, cl...)
	}
	for _, n := range req.Prefer {
		s := m.p.NewVar()
		cl = append(cl[:0], -s)
		for _, q := range m.clauseCandidates(buf[:0], n.Clause) {
			cl = append(cl, m.lit[q])
		}
		m.p.Add(cl...)
		m.prefer = append(m.prefer, s)
	}
	return m
}

// coinstallable reports whether two packages of the same name may be
// installed together: only Multi-Arch: same ones of different
// architectures, and then only at the same version.
func coinstallable(a, b *archive.Package) bool {
	return a.MultiArch == archive.MASame && b.MultiArch == archive.MASame &&
		a.Arch != b.Arch && a.Arch != "all" && b.Arch != "all" && a.Version == b.Version
}

// objectives returns the lexicographic objective levels.
func (m *model) objectives(objective string) ([][]solve.Term, error) {
	var levels [][]solve.Term
	if len(m.keep) > 0 {
		// Removing an installed package costs first, then (when
		// upgrading) leaving it below the newest version.
		var rm, up []solve.Term
		for _, k := range m.keep {
			rm = append(rm, solve.Term{Lit: -k, Weight: 1})
		}
		for _, x := range m.upgrade {
			up = append(up, solve.Term{Lit: -x, Weight: 1})
		}
		levels = append(levels, rm)
		if len(up) > 0 {
			levels = append(levels, up)
		}
	}
	count := make([]solve.Term, 0, len(m.ids))
	for _, id := range m.ids {
		if !m.installed[id] {
			count = append(count, solve.Term{Lit: m.lit[id], Weight: 1})
		}
	}
	switch objective {
	case "", ObjectiveCount:
		levels = append(levels, count)
	case ObjectiveSize:
		size := make([]solve.Term, 0, len(m.ids))
		for _, id := range m.ids {
			if w := m.u.Pkg(id).InstalledSize; w > 0 && !m.installed[id] {
				size = append(size, solve.Term{Lit: m.lit[id], Weight: w})
			}
		}
		levels = append(levels, size, count)
	default:
		return nil, fmt.Errorf("unknown objective %q (want count or size)", objective)
	}
	if len(m.prefer) > 0 {
		var pref []solve.Term
		for _, s := range m.prefer {
			pref = append(pref, solve.Term{Lit: -s, Weight: 1})
		}
		levels = append(levels, pref)
	}
	// Tie-break toward apt's candidates: the newest allowed version.
	var old []solve.Term
	for _, id := range m.ids {
		if id != m.newest(id) {
			old = append(old, solve.Term{Lit: m.lit[id], Weight: 1})
		}
	}
	if len(old) > 0 {
		levels = append(levels, old)
	}
	return levels, nil
}

// newest returns the newest non-forbidden version of id's name with id's
// architecture.
func (m *model) newest(id archive.ID) archive.ID {
	p := m.u.Pkg(id)
	for _, q := range m.u.Named(p.Name) {
		if _, bad := m.forbidden[q]; !bad && m.u.Pkg(q).Arch == p.Arch {
			return q
		}
	}
	return id
}
