// Package archive is pdvm's model of a Debian distribution: every binary
// package of the selected suites, components and architectures, merged into
// one [Universe] that remembers where each package came from.
//
// A [Package] is one stanza of a Packages index, keyed by (name, version,
// architecture). Its relationship fields are typed ([relation.Relation]),
// never raw strings: Depends, Pre-Depends, Recommends, Suggests, Enhances,
// Conflicts, Breaks, Replaces and Provides (whose clauses are single atoms,
// possibly versioned: "Provides: foo (= 1.2)").
//
// # Satisfying an atom
//
// [Universe.Candidates] answers which packages satisfy a relation atom, the
// question every resolver step asks:
//
//   - a real package of that name whose version satisfies the constraint;
//   - a package that Provides the name: any provider when the atom is
//     unversioned, only versioned provides that satisfy the constraint
//     otherwise (Debian Policy §7.5);
//   - with ":any", only packages marked Multi-Arch: allowed;
//     ":native" and ":ARCH" restrict the architecture ("all" counts as native).
//
// Strings are interned, relation atoms share large backing arrays, and a
// Universe can be written to and read from a compact binary cache
// ([Universe.Encode], [Decode]) so that a warm start needs no parsing.
package archive

import (
	"sort"

	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/debian/version"
)

// Kind names a relationship field.
type Kind uint8

// The relationship fields, in the order Policy lists them.
const (
	Depends Kind = iota
	PreDepends
	Recommends
	Suggests
	Enhances
	Conflicts
	Breaks
	Replaces
	Provides
	NumKinds
)

var kindNames = [NumKinds]string{"Depends", "Pre-Depends", "Recommends", "Suggests", "Enhances", "Conflicts", "Breaks", "Replaces", "Provides"}

func (k Kind) String() string { return kindNames[k] }

// ParseKind maps a field name (any case) to its Kind.
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if equalFold(n, s) || equalFold(n, s+"s") {
			return Kind(k), true
		}
	}
	switch lower(s) {
	case "pre-depends", "predepends", "pre_depends":
		return PreDepends, true
	}
	return 0, false
}

// MultiArch is the Multi-Arch field.
type MultiArch uint8

// Multi-Arch values.
const (
	MANo MultiArch = iota
	MASame
	MAForeign
	MAAllowed
)

var maNames = [...]string{"no", "same", "foreign", "allowed"}

func (m MultiArch) String() string { return maNames[m] }

// Package is one binary package stanza.
type Package struct {
	Name, Version, Arch string
	// Source is the source package name; SourceVersion its version, which
	// differs from Version for binNMUs ("Source: foo (1.2-1)").
	Source, SourceVersion string
	Section, Priority     string
	Essential, Protected  bool
	MultiArch             MultiArch
	InstalledSize         int64 // KiB, as in the Installed-Size field
	Size                  int64 // bytes of the .deb
	Filename              string
	SHA256                string
	Maintainer, Homepage  string
	Description           string // the synopsis (first line)

	// Rel holds the relationship fields, indexed by Kind.
	Rel [NumKinds]relation.Relation

	// Origins is a bit set over Universe.Origins: the indexes that list
	// this exact (name, version, arch).
	Origins uint64
}

// ID is a package's index in Universe.Packages.
type ID = int32

// Origin is one verified Packages index the universe was built from.
type Origin struct {
	Suite, Codename, Component, Arch string
	Date, ValidUntil                 string // RFC 1123, from the signed Release
	InReleaseSHA256                  string
	IndexSHA256                      string // of the uncompressed Packages data
	MirrorURL                        string
	Source                           string // where the index was read from
}

// Provider is a package that provides a virtual name, with the version it
// provides ("" when unversioned).
type Provider struct {
	ID      ID
	Version string
}

// Universe is the merged package set. Packages is sorted by name, then
// version (newest first), then architecture. Treat it as immutable.
type Universe struct {
	Origins  []Origin
	Packages []Package
	Native   string // the native architecture (e.g. amd64)

	// Stanzas counts the stanzas read, before merging duplicates that
	// several suites list identically.
	Stanzas int

	byName    map[string][]ID
	providers map[string][]Provider
}

// index builds the lookup tables. Packages must already be sorted.
func (u *Universe) index() {
	u.byName = make(map[string][]ID, len(u.Packages))
	for i := range u.Packages {
		p := &u.Packages[i]
		u.byName[p.Name] = append(u.byName[p.Name], ID(i))
	}
	u.providers = make(map[string][]Provider)
	for i := range u.Packages {
		for _, c := range u.Packages[i].Rel[Provides] {
			for _, a := range c {
				u.providers[a.Name] = append(u.providers[a.Name], Provider{ID(i), a.Version})
			}
		}
	}
}

// sortPackages orders ps; it is stable, so among identical (name,
// version, arch) stanzas the one from the first index stays first, and its
// Filename matches the first suite of its Origins.
func sortPackages(ps []Package) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := &ps[i], &ps[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if c := version.Compare(a.Version, b.Version); c != 0 {
			return c > 0
		}
		return a.Arch < b.Arch
	})
}

// Len is the number of packages.
func (u *Universe) Len() int { return len(u.Packages) }

// Pkg returns the package with the given ID.
func (u *Universe) Pkg(id ID) *Package { return &u.Packages[id] }

// Named returns the IDs of the real packages called name, newest first.
func (u *Universe) Named(name string) []ID { return u.byName[name] }

// Providers returns the packages whose Provides names name.
func (u *Universe) Providers(name string) []Provider { return u.providers[name] }

// Known reports whether name is a real or a virtual package name.
func (u *Universe) Known(name string) bool {
	return len(u.byName[name]) > 0 || len(u.providers[name]) > 0
}

// Names returns every real package name, sorted.
func (u *Universe) Names() []string {
	out := make([]string, 0, len(u.byName))
	for i := range u.Packages {
		if i == 0 || u.Packages[i-1].Name != u.Packages[i].Name {
			out = append(out, u.Packages[i].Name)
		}
	}
	return out
}

// VirtualNames returns the names that only exist as Provides, sorted.
func (u *Universe) VirtualNames() []string {
	var out []string
	for n := range u.providers {
		if len(u.byName[n]) == 0 {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Find returns the package name=version (newest when version is ""),
// preferring the native architecture.
func (u *Universe) Find(name, ver string) (ID, bool) {
	for _, id := range u.byName[name] {
		if ver == "" || u.Packages[id].Version == ver {
			return id, true
		}
	}
	return -1, false
}

// archOK reports whether p matches the atom's architecture qualifier.
func (u *Universe) archOK(p *Package, a *relation.Atom) bool {
	switch a.ArchQual {
	case "":
		return p.Arch == "all" || p.Arch == u.Native || u.Native == ""
	case "any":
		return p.MultiArch == MAAllowed
	case "native":
		return p.Arch == "all" || p.Arch == u.Native || u.Native == ""
	default:
		return p.Arch == a.ArchQual || (p.Arch == "all" && a.ArchQual == u.Native)
	}
}

// Candidates appends to dst the IDs of the packages that satisfy atom a,
// without duplicates, real packages first (newest first), then providers.
func (u *Universe) Candidates(dst []ID, a relation.Atom) []ID {
	start := len(dst)
	for _, id := range u.byName[a.Name] {
		p := &u.Packages[id]
		if u.archOK(p, &a) && a.Satisfies(p.Version) {
			dst = append(dst, id)
		}
	}
	for _, pr := range u.providers[a.Name] {
		p := &u.Packages[pr.ID]
		if a.Op != relation.Any {
			if pr.Version == "" || !a.Op.Satisfied(version.Compare(pr.Version, a.Version)) {
				continue
			}
		}
		if !u.archOK(p, &a) {
			continue
		}
		dup := false
		for _, d := range dst[start:] {
			if d == pr.ID {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, pr.ID)
		}
	}
	return dst
}

// Satisfies reports whether package id satisfies atom a (directly or
// through Provides).
func (u *Universe) Satisfies(id ID, a relation.Atom) bool {
	p := &u.Packages[id]
	if !u.archOK(p, &a) {
		return false
	}
	if p.Name == a.Name && a.Satisfies(p.Version) {
		return true
	}
	for _, c := range p.Rel[Provides] {
		for _, pv := range c {
			if pv.Name != a.Name {
				continue
			}
			if a.Op == relation.Any {
				return true
			}
			if pv.Version != "" && a.Op.Satisfied(version.Compare(pv.Version, a.Version)) {
				return true
			}
		}
	}
	return false
}

// OriginNames lists the suites of p's origins, in Universe order.
func (u *Universe) OriginNames(p *Package) []string {
	var out []string
	for i, o := range u.Origins {
		if p.Origins&(1<<uint(i)) != 0 {
			dup := false
			for _, s := range out {
				if s == o.Suite {
					dup = true
				}
			}
			if !dup {
				out = append(out, o.Suite)
			}
		}
	}
	return out
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func equalFold(a, b string) bool { return len(a) == len(b) && lower(a) == lower(b) }
