package manifest

import (
	"fmt"
	"sort"
	"strings"

	"pdvm.dev/pdvm/debian/version"
)

// Change is a package present in both locks with a different version or
// content.
type Change struct {
	Name, Arch string
	From, To   Package
}

// Upgrade reports whether the version went up.
func (c Change) Upgrade() bool { return version.Compare(c.To.Version, c.From.Version) > 0 }

// Changes is the difference between two locks.
type Changes struct {
	Added   []Package
	Removed []Package
	Changed []Change
	// Settings lists changed lock-level fields, e.g. "base: none → debian".
	Settings []string
}

// Empty reports whether the locks have the same packages and settings.
func (c *Changes) Empty() bool {
	return len(c.Added) == 0 && len(c.Removed) == 0 && len(c.Changed) == 0 && len(c.Settings) == 0
}

// Diff compares two locks package by package (keyed by name and
// architecture). A nil a is an empty lock.
func Diff(a, b *Lock) *Changes {
	if a == nil {
		a = &Lock{}
	}
	key := func(p *Package) string { return p.Name + ":" + p.Arch }
	old := map[string]*Package{}
	for i := range a.Packages {
		old[key(&a.Packages[i])] = &a.Packages[i]
	}
	d := &Changes{}
	seen := map[string]bool{}
	for i := range b.Packages {
		p := &b.Packages[i]
		k := key(p)
		seen[k] = true
		q, ok := old[k]
		switch {
		case !ok:
			d.Added = append(d.Added, *p)
		case q.Version != p.Version || q.SHA256 != p.SHA256:
			d.Changed = append(d.Changed, Change{Name: p.Name, Arch: p.Arch, From: *q, To: *p})
		}
	}
	for i := range a.Packages {
		if !seen[key(&a.Packages[i])] {
			d.Removed = append(d.Removed, a.Packages[i])
		}
	}
	sort.Slice(d.Added, func(i, j int) bool { return key(&d.Added[i]) < key(&d.Added[j]) })
	sort.Slice(d.Removed, func(i, j int) bool { return key(&d.Removed[i]) < key(&d.Removed[j]) })
	sort.Slice(d.Changed, func(i, j int) bool { return d.Changed[i].Name+d.Changed[i].Arch < d.Changed[j].Name+d.Changed[j].Arch })
	if len(a.Packages) > 0 || a.VM != "" {
		for _, f := range []struct{ name, x, y string }{
			{"release", a.Release, b.Release}, {"arch", a.Arch, b.Arch}, {"base", a.Base, b.Base},
			{"init", a.Init, b.Init}, {"objective", a.Objective, b.Objective}, {"proof", a.Proof, b.Proof},
			{"memory", fmt.Sprintf("%d MiB", a.Hardware.MemoryMiB), fmt.Sprintf("%d MiB", b.Hardware.MemoryMiB)},
			{"disk", fmt.Sprintf("%d MiB", a.Hardware.DiskMiB), fmt.Sprintf("%d MiB", b.Hardware.DiskMiB)},
			{"cpus", fmt.Sprint(a.Hardware.CPUs), fmt.Sprint(b.Hardware.CPUs)},
			{"archive", archiveKey(a), archiveKey(b)},
		} {
			if f.x != f.y {
				if f.name == "archive" {
					d.Settings = append(d.Settings, "archive: indexes changed")
					continue
				}
				d.Settings = append(d.Settings, fmt.Sprintf("%s: %s → %s", f.name, f.x, f.y))
			}
		}
	}
	return d
}

func archiveKey(l *Lock) string {
	var b strings.Builder
	for _, s := range l.Archive {
		fmt.Fprintf(&b, "%s %s %s %s %s %s\n", s.Suite, s.Component, s.Arch, s.Date, s.InReleaseSHA256, s.IndexSHA256)
	}
	return b.String()
}

// Text renders the changes as `pdvm diff` prints them: one line per
// package, "+" added, "-" removed, "~" changed, then a summary line.
func (c *Changes) Text() string {
	var b strings.Builder
	for _, s := range c.Settings {
		fmt.Fprintf(&b, "* %s\n", s)
	}
	for _, p := range c.Removed {
		fmt.Fprintf(&b, "- %s %s %s\n", p.Name, p.Version, p.Arch)
	}
	for _, p := range c.Added {
		fmt.Fprintf(&b, "+ %s %s %s\n", p.Name, p.Version, p.Arch)
	}
	for _, ch := range c.Changed {
		what := ch.To.Version
		if ch.From.Version == ch.To.Version {
			what += " (same version, different .deb)"
		}
		fmt.Fprintf(&b, "~ %s %s → %s %s\n", ch.Name, ch.From.Version, what, ch.Arch)
	}
	fmt.Fprintf(&b, "%d added, %d removed, %d changed\n", len(c.Added), len(c.Removed), len(c.Changed))
	return b.String()
}
