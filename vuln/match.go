package vuln

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/version"
	"pdvm.dev/pdvm/manifest"
)

// DefaultRelease is the release assumed when a lock does not name one.
const DefaultRelease = "bookworm"

// Installed is one binary package of a VM. Source and SourceVersion come
// from the package's Source field; empty means "same as the binary".
type Installed struct {
	Name, Version, Arch   string
	Source, SourceVersion string
}

func (p Installed) src() (string, string) {
	s, v := p.Source, p.SourceVersion
	if s == "" {
		s = p.Name
	}
	if v == "" {
		v = p.Version
	}
	return s, v
}

// Finding is one advisory that applies to one installed package.
type Finding struct {
	Package       string   `json:"package"`
	Version       string   `json:"version"`
	Arch          string   `json:"arch,omitempty"`
	Source        string   `json:"source"`
	SourceVersion string   `json:"source_version"`
	Advisory      string   `json:"advisory"`          // CVE-… (or DSA-/DLA-/TEMP- when that is all there is)
	Related       []string `json:"related,omitempty"` // DSA/DLA ids fixing it, or the CVEs a DSA/DLA fixes
	Status        Status   `json:"status"`
	Urgency       string   `json:"urgency,omitempty"` // Debian's text
	Effective     Urgency  `json:"effective_urgency"`
	Fixed         string   `json:"fixed_version,omitempty"`
	// FixedIn lists the suites of the release that carry a fixed version;
	// FixInVM is true when the VM's lock uses one of them. A fix only in
	// bookworm-security for a VM planned on bookworm alone has FixInVM
	// false.
	FixedIn []string `json:"fixed_in,omitempty"`
	FixInVM bool     `json:"fix_in_vm_suites"`
	// SuitesKnown is false when the VM's suites are unknown (e.g. an SBOM
	// from another tool); FixInVM is then meaningless.
	SuitesKnown bool   `json:"vm_suites_known"`
	NoDSA       string `json:"nodsa,omitempty"`
	Description string `json:"description,omitempty"`
	Feed        string `json:"feed"`
}

// FixNote says in words where the fix is, for tables.
func (f *Finding) FixNote() string {
	switch {
	case f.Fixed == "":
		return ""
	case len(f.FixedIn) == 0:
		return "fixed in " + f.Fixed + " (not in the loaded archive)"
	case f.FixInVM || !f.SuitesKnown:
		return "fixed in " + f.Fixed + " (" + strings.Join(f.FixedIn, ", ") + ")"
	default:
		return "fixed in " + f.Fixed + " in " + strings.Join(f.FixedIn, ", ") + ", which this VM does not use"
	}
}

// Options tune matching.
type Options struct {
	// Suites are the suites the VM's packages may come from (the lock's
	// archive suites); they decide Finding.FixInVM.
	Suites []string
	// Universe, when set, is consulted for the suites that carry a fixed
	// version (in addition to the tracker's "repositories").
	Universe *archive.Universe
}

// Match returns every finding for pkgs in release, unimportant ones
// included, sorted by source, advisory and package.
func (db *DB) Match(release string, pkgs []Installed, opt Options) []Finding {
	if db == nil {
		return nil
	}
	type sv struct{ s, v string }
	groups := map[sv][]Installed{}
	var keys []sv
	for _, p := range pkgs {
		s, v := p.src()
		k := sv{s, v}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	inVM := map[string]bool{}
	for _, s := range opt.Suites {
		inVM[s] = true
	}
	var ai *archiveIndex
	if opt.Universe != nil {
		ai = indexFor(opt.Universe)
	}
	var out []Finding
	for _, k := range keys {
		recs := db.Records(release, k.s)
		if len(recs) == 0 {
			continue
		}
		for _, m := range matchSource(recs, k.v) {
			r := m.rec
			f := Finding{
				Source: k.s, SourceVersion: k.v, Advisory: r.ID, Related: m.related,
				Status: r.status(), Urgency: r.Urgency, Effective: r.Effective(),
				Fixed: r.fixVersion(), NoDSA: r.NoDSA, Description: r.Description, Feed: r.Feed,
				SuitesKnown: len(opt.Suites) > 0,
			}
			if f.Fixed != "" {
				f.FixedIn = fixedSuites(recs, k.s, f.Fixed, ai)
				for _, s := range f.FixedIn {
					if inVM[s] {
						f.FixInVM = true
					}
				}
			}
			for _, p := range groups[k] {
				g := f
				g.Package, g.Version, g.Arch = p.Name, p.Version, p.Arch
				out = append(out, g)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Advisory != b.Advisory {
			return a.Advisory < b.Advisory
		}
		return a.Package < b.Package
	})
	return out
}

type match struct {
	rec     *Record
	related []string
}

// matchSource applies one source's records to source version v. Records
// of the same advisory from several feeds are merged (the tracker's
// verdict wins: it carries no-dsa and the archive state); DSA/DLA records
// attach to the CVEs they fix and stand alone only when none of their
// CVEs has a record of its own.
func matchSource(recs []Record, v string) []match {
	byID := map[string][]*Record{}
	var ids []string
	for i := range recs {
		r := &recs[i]
		if _, ok := byID[r.ID]; !ok {
			ids = append(ids, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], r)
	}
	isAdv := func(id string) bool {
		return strings.HasPrefix(id, "DSA-") || strings.HasPrefix(id, "DLA-") || strings.HasPrefix(id, "DTSA-")
	}
	fixes := map[string][]string{} // CVE → DSA/DLA ids
	for _, id := range ids {
		if !isAdv(id) {
			continue
		}
		for _, r := range byID[id] {
			for _, a := range r.Aliases {
				fixes[a] = append(fixes[a], id)
			}
		}
	}
	var out []match
	for _, id := range ids {
		rs := byID[id]
		best := rs[0]
		for _, r := range rs {
			if r.Feed == KindTracker {
				best = r
			}
		}
		if isAdv(id) {
			covered := false
			for _, a := range best.Aliases {
				if _, ok := byID[a]; ok {
					covered = true
				}
			}
			if covered {
				continue
			}
		}
		if best.State != Undetermined && !best.affects(v) {
			continue
		}
		m := match{rec: best}
		if isAdv(id) {
			m.related = best.Aliases
		} else {
			m.related = uniq(fixes[id])
		}
		out = append(out, m)
	}
	return out
}

func uniq(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = append([]string(nil), s...)
	sort.Strings(s)
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// suiteOrder lists a release's suites in the order a fix is looked for.
func suiteRank(s string) int {
	switch {
	case strings.HasSuffix(s, "-security"):
		return 2
	case strings.HasSuffix(s, "-updates"):
		return 1
	case strings.HasSuffix(s, "-lts"):
		return 3
	case strings.HasSuffix(s, "-backports"):
		return 4
	}
	return 0
}

// fixedSuites lists the suites with a source version >= fixed: from the
// archive when given (and it has the source), else from the tracker's
// repositories.
func fixedSuites(recs []Record, src, fixed string, ai *archiveIndex) []string {
	set := map[string]bool{}
	if ai != nil && len(ai.bySource[src]) > 0 {
		// The archive the VM is planned against is the truth; the
		// tracker's repositories may be older or newer than it.
		for suite, v := range ai.bySource[src] {
			if version.Compare(v, fixed) >= 0 {
				set[suite] = true
			}
		}
	} else {
		for i := range recs {
			for suite, v := range recs[i].Repositories {
				if version.Compare(v, fixed) >= 0 {
					set[suite] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if suiteRank(out[i]) != suiteRank(out[j]) {
			return suiteRank(out[i]) < suiteRank(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// archiveIndex maps source → suite → newest source version in a universe.
type archiveIndex struct{ bySource map[string]map[string]string }

var (
	aiMu    sync.Mutex
	aiCache = map[*archive.Universe]*archiveIndex{}
)

func indexFor(u *archive.Universe) *archiveIndex {
	aiMu.Lock()
	defer aiMu.Unlock()
	if ai, ok := aiCache[u]; ok {
		return ai
	}
	ai := &archiveIndex{bySource: map[string]map[string]string{}}
	for i := range u.Packages {
		p := &u.Packages[i]
		s, v := p.Source, p.SourceVersion
		if s == "" {
			s = p.Name
		}
		if v == "" {
			v = p.Version
		}
		m := ai.bySource[s]
		if m == nil {
			m = map[string]string{}
			ai.bySource[s] = m
		}
		for _, suite := range u.OriginNames(p) {
			if old, ok := m[suite]; !ok || version.Compare(v, old) > 0 {
				m[suite] = v
			}
		}
	}
	aiCache[u] = ai
	return ai
}

// Report is the result of auditing one lock.
type Report struct {
	Target   string    `json:"target"` // the lock or image audited
	VM       string    `json:"vm,omitempty"`
	Release  string    `json:"release"`
	Suites   []string  `json:"suites"`
	Packages int       `json:"packages"`
	DataDate time.Time `json:"data_date"`
	// AgeHours is how old the advisory data is, in hours.
	AgeHours float64 `json:"data_age_hours"`
	// Findings excludes unimportant ones unless requested; Hidden counts
	// those left out.
	Findings []Finding      `json:"findings"`
	Hidden   int            `json:"hidden_unimportant"`
	Counts   map[Status]int `json:"counts"`
}

// ReleaseOf returns the codename of a lock's release ("debian/bookworm" →
// "bookworm"); DefaultRelease when unset.
func ReleaseOf(l *manifest.Lock) string {
	r := l.Release
	if i := strings.LastIndexByte(r, '/'); i >= 0 {
		r = r[i+1:]
	}
	if r == "" {
		return DefaultRelease
	}
	return r
}

// LockSuites lists the suites a lock's packages come from or its archive
// used, sorted.
func LockSuites(l *manifest.Lock) []string {
	set := map[string]bool{}
	for _, s := range l.Archive {
		set[s.Suite] = true
	}
	for _, p := range l.Packages {
		if p.Suite != "" {
			set[p.Suite] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// LockPackages converts a lock's packages for matching.
func LockPackages(l *manifest.Lock) []Installed {
	out := make([]Installed, len(l.Packages))
	for i, p := range l.Packages {
		out[i] = Installed{Name: p.Name, Version: p.Version, Arch: p.Arch, Source: p.Source, SourceVersion: p.SourceVersion}
	}
	return out
}

// Audit matches a lock against the DB. all keeps unimportant findings in
// Findings; otherwise they are only counted.
func (db *DB) Audit(l *manifest.Lock, all bool, universe *archive.Universe, now time.Time) *Report {
	rep := &Report{VM: l.VM, Release: ReleaseOf(l), Suites: LockSuites(l), Packages: len(l.Packages), Counts: map[Status]int{}}
	if db != nil {
		rep.DataDate = db.Meta.DataDate()
		rep.AgeHours = db.Meta.Age(now).Hours()
	}
	for _, f := range db.Match(rep.Release, LockPackages(l), Options{Suites: rep.Suites, Universe: universe}) {
		rep.Counts[f.Status]++
		if f.Status == StatusUnimportant && !all {
			rep.Hidden++
			continue
		}
		rep.Findings = append(rep.Findings, f)
	}
	return rep
}

// AtLeast returns the findings whose effective urgency meets level
// (unimportant findings only at level unimportant).
func (r *Report) AtLeast(level Urgency) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Effective.atLeast(level) {
			out = append(out, f)
		}
	}
	return out
}

// Forbidder returns the function the resolver calls to keep vulnerable
// versions out ([resolve.Request].Forbid), for DefaultRelease.
func Forbidder(db *DB, level Urgency) func(*archive.Package) (string, bool) {
	return ForbidderRelease(db, DefaultRelease, level)
}

// ForbidderRelease is [Forbidder] for a given release codename.
//
// A package version is forbidden when its source version is affected by an
// advisory of effective urgency >= level for which a fixed version exists
// (resolved in the tracker, or an OSV range with a "fixed" event).
// Advisories open in the whole release are not forbidden: no version
// avoids them, so forbidding would only make the package uninstallable;
// `pdvm audit` reports them. Undetermined records forbid nothing.
//
// The reason names the source version, the advisories, their urgency and
// the fixed version, e.g. "source openssh 1:9.2p1-2+deb12u2 is affected by
// CVE-2024-6387 (high, fixed in 1:9.2p1-2+deb12u3)".
func ForbidderRelease(db *DB, release string, level Urgency) func(*archive.Package) (string, bool) {
	var memo sync.Map // src \x00 version → string ("" = allowed)
	return func(p *archive.Package) (string, bool) {
		if db == nil || level == UrgencyNone {
			return "", false
		}
		s, v := p.Source, p.SourceVersion
		if s == "" {
			s = p.Name
		}
		if v == "" {
			v = p.Version
		}
		k := s + "\x00" + v
		if r, ok := memo.Load(k); ok {
			return r.(string), r.(string) != ""
		}
		var why []string
		for _, m := range matchSource(db.Records(release, s), v) {
			r := m.rec
			if r.State == Undetermined || r.fixVersion() == "" || !r.Effective().atLeast(level) {
				continue
			}
			why = append(why, fmt.Sprintf("%s (%s, fixed in %s)", r.ID, r.Effective(), r.fixVersion()))
		}
		reason := ""
		if len(why) > 0 {
			sort.Strings(why)
			more := ""
			if len(why) > 3 {
				more = fmt.Sprintf(" and %d more", len(why)-3)
				why = why[:3]
			}
			reason = fmt.Sprintf("source %s %s is affected by %s%s", s, v, strings.Join(why, ", "), more)
		}
		memo.Store(k, reason)
		return reason, reason != ""
	}
}
