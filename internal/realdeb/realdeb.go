// Package realdeb gives tests real .deb files from the Debian archive: it
// picks the newest version of each named package in the real archive
// (internal/realarchive), writes a lock for them and fetches them into
// pdvm's cache (so a second run is offline). It is a real-group helper.
package realdeb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/fetch"
	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/internal/realarchive"
	"pdvm.dev/pdvm/manifest"
)

// Mirrors maps suites to the mirrors the machine's apt lists came from.
var Mirrors = map[string]string{
	"bookworm":          "http://deb.debian.org/debian",
	"bookworm-updates":  "http://deb.debian.org/debian",
	"bookworm-security": "http://deb.debian.org/debian-security",
}

// Lock returns a lock holding the newest version of each named package.
func Lock(t testing.TB, names ...string) *manifest.Lock {
	t.Helper()
	u := realarchive.Universe(t)
	l := &manifest.Lock{Format: manifest.FormatVersion, Release: "debian/bookworm", Arch: "amd64", Base: "none", Init: "pdvm"}
	for s, m := range Mirrors {
		l.Archive = append(l.Archive, manifest.Suite{Suite: s, Component: "main", Arch: "amd64", MirrorURL: m})
	}
	// apt's lists keep the signed Date only in the InRelease files
	var newest time.Time
	ins, _ := filepath.Glob(filepath.Join(realarchive.Lists, "*_dists_bookworm*_InRelease"))
	for _, f := range ins {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Date: "); ok {
				if d, err := time.Parse(time.RFC1123, strings.TrimSpace(v)); err == nil && d.After(newest) {
					newest = d
				}
			}
		}
	}
	if newest.IsZero() {
		t.Fatalf("no Date in the apt lists' InRelease files under %s", realarchive.Lists)
	}
	l.Date = newest.UTC().Format(time.RFC3339)
	for _, n := range names {
		ids := u.Named(n)
		if len(ids) == 0 {
			t.Fatalf("package %s is not in the real archive", n)
		}
		p := u.Pkg(ids[0])
		l.Packages = append(l.Packages, manifest.Package{
			Name: p.Name, Version: p.Version, Arch: p.Arch, Source: p.Source, SourceVersion: p.SourceVersion,
			Suite: suite(u, p), Filename: p.Filename, SHA256: p.SHA256, Size: p.Size, InstalledSize: p.InstalledSize,
			Essential: p.Essential,
		})
	}
	return l
}

func suite(u *archive.Universe, p *archive.Package) string {
	// the security archive has its own pool ("pool/updates/...")
	if strings.HasPrefix(p.Filename, "pool/updates/") {
		return "bookworm-security"
	}
	best := ""
	for i, o := range u.Origins {
		if p.Origins&(1<<uint(i)) != 0 {
			s := o.Suite
			if s == "" {
				s = suiteFromSource(o.Source)
			}
			if s == "bookworm-security" {
				continue
			}
			if best == "" || s == "bookworm" {
				best = s
			}
		}
	}
	return best
}

func suiteFromSource(src string) string {
	b := filepath.Base(src)
	for _, s := range []string{"bookworm-updates", "bookworm-security"} {
		if strings.Contains(b, "_"+s+"_") {
			return s
		}
	}
	return "bookworm"
}

// CloudKernel returns the name of the versioned package that
// linux-image-cloud-amd64 depends on, e.g. linux-image-6.1.0-48-cloud-amd64.
func CloudKernel(t testing.TB) string {
	t.Helper()
	u := realarchive.Universe(t)
	ids := u.Named("linux-image-cloud-amd64")
	if len(ids) == 0 {
		t.Fatal("linux-image-cloud-amd64 is not in the real archive")
	}
	for _, c := range u.Pkg(ids[0]).Rel[archive.Depends] {
		for _, a := range c {
			if strings.HasPrefix(a.Name, "linux-image-") {
				return a.Name
			}
		}
	}
	t.Fatal("linux-image-cloud-amd64 has no linux-image-* dependency")
	return ""
}

// Fetch downloads the lock's packages into the user's pdvm cache and
// returns their paths by package name.
func Fetch(t testing.TB, l *manifest.Lock) map[string]string {
	t.Helper()
	dir, err := cache.Dir()
	if err != nil {
		t.Fatal(err)
	}
	items, err := fetch.Items(l)
	if err != nil {
		t.Fatal(err)
	}
	f := fetch.New(dir)
	paths, err := f.All(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, p := range l.Packages {
		out[p.Name] = paths[i]
	}
	return out
}
