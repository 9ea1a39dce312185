package vuln

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/debian/version"
	"pdvm.dev/pdvm/internal/realarchive"
	"pdvm.dev/pdvm/internal/testenv"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/resolve"
)

// sharedSecurity is shared/data/security beside the clone (CI copies
// shared/ next to it), else the committed copy of its changelog fixes
// (testdata/real, see testdata/README.md).
func sharedSecurity(t testing.TB) string {
	t.Helper()
	d := filepath.Join("..", "..", "shared", "data", "security")
	if _, err := os.Stat(filepath.Join(d, "bookworm-security-fixes.json")); err == nil {
		return d
	}
	return filepath.Join("testdata", "real")
}

// versionsBySuite returns suite → newest source version of src in u.
func versionsBySuite(u *archive.Universe, src string) map[string]string {
	return indexFor(u).bySource[src]
}

// TestRealForbidderOnArchive: for every source of the real archive whose
// bookworm-security version is newer than its bookworm version and whose
// changelog names a CVE fixed in between, the Forbidder (on the changelog
// fixes of every bookworm-security source) refuses the bookworm version
// and accepts the bookworm-security one.
func TestRealForbidderOnArchive(t *testing.T) {
	u := realarchive.Universe(t)
	db := NewDB(Meta{}, changelogRecords(t, filepath.Join(sharedSecurity(t), "bookworm-security-fixes.json")))
	forbid := Forbidder(db, High)
	checked := 0
	for _, src := range db.Sources("bookworm") {
		vs := versionsBySuite(u, src)
		b, s := vs["bookworm"], vs["bookworm-security"]
		if b == "" || s == "" || version.Compare(b, s) >= 0 {
			continue
		}
		between := false
		for _, r := range db.Records("bookworm", src) {
			if version.Compare(b, r.Fixed) < 0 && version.Compare(r.Fixed, s) <= 0 {
				between = true
			}
		}
		if !between {
			continue
		}
		for _, id := range allOfSource(u, src) {
			p := u.Pkg(id)
			sv := p.SourceVersion
			why, bad := forbid(p)
			switch sv {
			case b:
				if !bad {
					t.Errorf("%s %s (source %s %s, bookworm) allowed; a fix is in bookworm-security %s", p.Name, p.Version, src, sv, s)
				} else if !strings.Contains(why, "source "+src+" "+b) {
					t.Errorf("reason %q does not name the source version", why)
				}
			case s:
				// Fixes up to s are in s: only later fixes (the data
				// is newer than this archive) may forbid it.
				if bad {
					for _, r := range db.Records("bookworm", src) {
						if version.Compare(r.Fixed, s) <= 0 && strings.Contains(why, r.ID+" (") {
							t.Errorf("%s %s (bookworm-security) forbidden for %s fixed in %s", p.Name, p.Version, r.ID, r.Fixed)
						}
					}
				}
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d sources have a bookworm-security fix newer than bookworm; the data does not exercise the test", checked)
	}
	t.Logf("%d sources checked", checked)
}

func allOfSource(u *archive.Universe, src string) []archive.ID {
	var out []archive.ID
	for i := range u.Packages {
		p := &u.Packages[i]
		if p.Source == src {
			out = append(out, archive.ID(i))
		}
	}
	return out
}

// TestRealResolveAvoidsVulnerable resolves on the real archive with the
// Forbid hook: the resolver installs a bookworm-security version, and a
// need that only a vulnerable version meets is refused with the advisory
// in the explanation.
func TestRealResolveAvoidsVulnerable(t *testing.T) {
	u := realarchive.Universe(t)
	// The changelog data is newer than this machine's archive: keep the
	// fixes the archive already has, as a tracker export of the archive's
	// date would.
	var recs []Record
	for _, r := range changelogRecords(t, filepath.Join(sharedSecurity(t), "bookworm-security-fixes.json")) {
		for _, v := range versionsBySuite(u, r.Source) {
			if version.Compare(r.Fixed, v) <= 0 {
				recs = append(recs, r)
				break
			}
		}
	}
	db := NewDB(Meta{}, recs)
	forbid := Forbidder(db, High)
	// Pick a binary whose bookworm version is affected and whose
	// bookworm-security version is not.
	var name, bver, sver string
	for _, src := range []string{"nginx", "expat", "openssl", "bind9", "python3.11", "libxml2", "curl", "glibc"} {
		vs := versionsBySuite(u, src)
		b, s := vs["bookworm"], vs["bookworm-security"]
		if b == "" || s == "" || version.Compare(b, s) >= 0 {
			continue
		}
		for _, id := range allOfSource(u, src) {
			p := u.Pkg(id)
			if p.SourceVersion != b || p.Arch == "all" {
				continue
			}
			if _, bad := forbid(p); !bad {
				continue
			}
			for _, id2 := range u.Named(p.Name) {
				q := u.Pkg(id2)
				if _, bad := forbid(q); q.SourceVersion == s && !bad {
					name, bver, sver = p.Name, p.Version, q.Version
				}
			}
			if name != "" {
				break
			}
		}
		if name != "" {
			break
		}
	}
	if name == "" {
		t.Fatal("no binary with an affected bookworm version and a fixed bookworm-security version")
	}
	t.Logf("using %s: bookworm %s, bookworm-security %s", name, bver, sver)
	ctx := context.Background()
	need := func(s string) resolve.Need {
		n, err := resolve.ParseNeed(s, "test")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	req := resolve.Request{Install: []resolve.Need{need(name)}, Forbid: forbid}
	sol, err := resolve.Resolve(ctx, u, req)
	if err != nil {
		t.Fatalf("Resolve(%s) with Forbid: %v", name, err)
	}
	if err := resolve.Check(u, req, sol.Packages); err != nil {
		t.Fatalf("Check: %v", err)
	}
	for _, id := range sol.Packages {
		if p := u.Pkg(id); p.Name == name && p.Version != sver {
			t.Errorf("installed %s %s, want the bookworm-security %s", name, p.Version, sver)
		}
	}
	// Only the vulnerable version meets this need.
	old := resolve.Need{Clause: relation.Clause{{Name: name, Op: relation.LT, Version: sver}}, Origin: "test pin"}
	if _, err := resolve.Resolve(ctx, u, resolve.Request{Install: []resolve.Need{old}}); err != nil {
		t.Fatalf("premise: %s (<< %s) without Forbid: %v", name, sver, err)
	}
	_, err = resolve.Resolve(ctx, u, resolve.Request{Install: []resolve.Need{old}, Forbid: forbid})
	if err == nil || !strings.Contains(err.Error(), "CVE-") {
		t.Errorf("Resolve(%s << %s) with Forbid = %v, want a refusal naming the CVE", name, sver, err)
	} else {
		t.Logf("refusal: %v", err)
	}
}

// TestRealChangelogAudit audits a lock made of the bookworm (main) version
// of every bookworm-security source in the real archive: every CVE whose
// changelog fix is newer than the bookworm version must be reported, with
// the suites that carry the fix; a VM on bookworm only is told when the
// fix is only in bookworm-security.
func TestRealChangelogAudit(t *testing.T) {
	testenv.Real(t)
	u := realarchive.Universe(t)
	recs := changelogRecords(t, filepath.Join(sharedSecurity(t), "bookworm-security-fixes.json"))
	db := NewDB(Meta{}, recs)
	l := &manifest.Lock{Release: "debian/bookworm", Archive: []manifest.Suite{{Suite: "bookworm"}}}
	inLock := map[string]string{}
	for i := range u.Packages {
		p := &u.Packages[i]
		if _, ok := inLock[p.Source]; ok || len(db.Records("bookworm", p.Source)) == 0 {
			continue
		}
		for _, s := range u.OriginNames(p) {
			if s == "bookworm" {
				inLock[p.Source] = p.SourceVersion
				l.Packages = append(l.Packages, manifest.Package{Name: p.Name, Version: p.Version, Arch: p.Arch,
					Source: p.Source, SourceVersion: p.SourceVersion, Suite: "bookworm"})
			}
		}
	}
	rep := db.Audit(l, true, u, db.Meta.DataDate())
	got := map[string]Finding{}
	for _, f := range rep.Findings {
		got[f.Source+" "+f.Advisory] = f
	}
	want, onlySec := 0, 0
	for _, r := range recs {
		v, ok := inLock[r.Source]
		if !ok {
			continue
		}
		f, found := got[r.Source+" "+r.ID]
		if version.Compare(v, r.Fixed) >= 0 {
			if found {
				t.Errorf("%s %s: %s fixed in %s reported", r.Source, v, r.ID, r.Fixed)
			}
			continue
		}
		want++
		if !found {
			t.Errorf("%s %s: %s fixed in %s not reported", r.Source, v, r.ID, r.Fixed)
			continue
		}
		vs := versionsBySuite(u, r.Source)
		inSec := version.Compare(vs["bookworm-security"], r.Fixed) >= 0
		inMain := version.Compare(vs["bookworm"], r.Fixed) >= 0
		if inSec && !inMain {
			onlySec++
			if f.FixInVM || len(f.FixedIn) == 0 || !strings.Contains(f.FixNote(), "which this VM does not use") {
				t.Errorf("%s %s: fix only in bookworm-security but FixedIn %v FixInVM %v", r.Source, r.ID, f.FixedIn, f.FixInVM)
			}
		}
	}
	if want == 0 || onlySec == 0 {
		t.Fatalf("premise: %d expected findings, %d only fixed in bookworm-security", want, onlySec)
	}
	t.Logf("%d sources, %d findings expected and found, %d fixed only in bookworm-security", len(inLock), want, onlySec)
}
