package vuln

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/version"
	"pdvm.dev/pdvm/manifest"
)

func importFile(t testing.TB, kind, path string) []Record {
	t.Helper()
	recs, _, err := Import(context.Background(), nil, kind, path)
	if err != nil {
		t.Fatalf("Import(%s, %s): %v", kind, path, err)
	}
	return recs
}

func sampleDB(t testing.TB, files ...string) *DB {
	t.Helper()
	var recs []Record
	for _, f := range files {
		kind := KindTracker
		if strings.HasPrefix(filepath.Base(f), "osv") {
			kind = KindOSV
		}
		recs = append(recs, importFile(t, kind, filepath.Join("testdata", f))...)
	}
	return NewDB(Meta{Feeds: []FeedInfo{{Kind: "test", Date: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}}}, recs)
}

// findings returns advisory → finding for one installed package.
func findings(db *DB, p Installed, suites ...string) map[string]Finding {
	out := map[string]Finding{}
	for _, f := range db.Match("bookworm", []Installed{p}, Options{Suites: suites}) {
		out[f.Advisory] = f
	}
	return out
}

func TestTrackerSampleFindings(t *testing.T) {
	db := sampleDB(t, "tracker-json-bookworm-sample.json")
	type want struct {
		adv    string
		status Status // "" = no finding
		eff    Urgency
	}
	cases := []struct {
		p    Installed
		want []want
	}{
		// openssh before the regreSSHion fix: the DSA fix applies; the
		// Terrapin fix (u2) is installed; Rowhammer is postponed;
		// the OPIE issue is unimportant.
		{Installed{Name: "openssh-server", Version: "1:9.2p1-2+deb12u2", Source: "openssh"}, []want{
			{"CVE-2024-6387", StatusFixed, High},
			{"CVE-2023-48795", "", 0},
			{"CVE-2023-51385", "", 0},
			{"CVE-2023-51767", StatusPostponed, Low},
			{"CVE-2007-2768", StatusUnimportant, Unimportant},
		}},
		// Current openssh: nothing fixable is left.
		{Installed{Name: "openssh-client", Version: "1:9.2p1-2+deb12u10", Source: "openssh"}, []want{
			{"CVE-2024-6387", "", 0}, {"CVE-2023-48795", "", 0},
		}},
		// fixed_version "0": libssh2 in bookworm is not affected by Terrapin
		// (and the binNMU binary version does not matter).
		{Installed{Name: "libssh2-1", Version: "1.10.0-3+b1", Source: "libssh2", SourceVersion: "1.10.0-3"}, []want{{"CVE-2023-48795", "", 0}}},
		{Installed{Name: "libjsch-java", Version: "0.1.55-1", Source: "jsch"}, []want{{"CVE-2023-48795", "", 0}}},
		// Terrapin open in libssh, no no-dsa note: open, counted high.
		{Installed{Name: "libssh-4", Version: "0.10.6-0+deb12u1", Source: "libssh"}, []want{{"CVE-2023-48795", StatusOpen, High}}},
		// sudo: the tracker's fixed version is the sid one (1.9.13p1-1),
		// older than bookworm's: every bookworm sudo is fixed.
		{Installed{Name: "sudo", Version: "1.9.13p3-1+deb12u1"}, []want{{"CVE-2023-28486", "", 0}}},
		// glibc: CVE-2023-4911 fixed in u3, CVE-2024-2961 in u6.
		{Installed{Name: "libc6", Version: "2.36-9+deb12u4", Source: "glibc"}, []want{
			{"CVE-2023-4911", "", 0}, {"CVE-2024-2961", StatusFixed, High}, {"CVE-2010-4756", StatusUnimportant, Unimportant},
		}},
		{Installed{Name: "coreutils", Version: "9.1-1"}, []want{{"CVE-2016-2781", StatusIgnored, Low}}},
		{Installed{Name: "curl", Version: "7.88.1-10+deb12u15"}, []want{{"CVE-2024-9681", StatusNoDSA, Low}}},
		{Installed{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "zlib"}, []want{{"CVE-2023-45853", StatusIgnored, Low}}},
		{Installed{Name: "libminizip1", Version: "1.1-8+deb12u1", Source: "minizip"}, []want{{"CVE-2023-45853", StatusNoDSA, Low}}},
		// expat: fixed in bookworm in u2; an older one is affected.
		{Installed{Name: "libexpat1", Version: "2.5.0-1+deb12u1", Source: "expat"}, []want{{"CVE-2023-52425", StatusFixed, High}}},
		{Installed{Name: "libexpat1", Version: "2.5.0-1+deb12u2", Source: "expat"}, []want{{"CVE-2023-52425", "", 0}}},
		// perl fixed in the u3 point release.
		{Installed{Name: "perl-base", Version: "5.36.0-7+deb12u2", Source: "perl"}, []want{{"CVE-2023-31484", StatusFixed, High}}},
		// A package the data does not mention has no finding.
		{Installed{Name: "hello", Version: "2.10-3"}, nil},
	}
	for _, c := range cases {
		got := findings(db, c.p)
		for _, w := range c.want {
			f, ok := got[w.adv]
			switch {
			case w.status == "" && ok:
				t.Errorf("%s %s: unexpected finding %s (%s, fixed %s)", c.p.Name, c.p.Version, w.adv, f.Status, f.Fixed)
			case w.status != "" && !ok:
				t.Errorf("%s %s: no finding for %s, want %s", c.p.Name, c.p.Version, w.adv, w.status)
			case ok && (f.Status != w.status || f.Effective != w.eff):
				t.Errorf("%s %s %s: status %s/%s, want %s/%s", c.p.Name, c.p.Version, w.adv, f.Status, f.Effective, w.status, w.eff)
			}
		}
		if c.want == nil && len(got) != 0 {
			t.Errorf("%s: findings %v, want none", c.p.Name, got)
		}
	}
}

// TestFixSuite checks "fixed in bookworm-security but this VM uses bookworm".
func TestFixSuite(t *testing.T) {
	db := sampleDB(t, "tracker-json-bookworm-sample.json")
	// expat 2.5.0-1+deb12u1 < fix u2; bookworm has u2, bookworm-security u5.
	p := Installed{Name: "libexpat1", Version: "2.5.0-1+deb12u1", Source: "expat"}
	f := findings(db, p, "bookworm")["CVE-2023-52425"]
	if !slices.Equal(f.FixedIn, []string{"bookworm", "bookworm-security"}) || !f.FixInVM {
		t.Errorf("expat fix: FixedIn %v FixInVM %v, want [bookworm bookworm-security] true", f.FixedIn, f.FixInVM)
	}
	// The tracker's record says bookworm has python3.11 u8, security u9;
	// a made-up fix in u9 is only in bookworm-security.
	db2 := NewDB(Meta{}, []Record{{ID: "CVE-2099-1", Source: "python3.11", Release: "bookworm", State: Resolved,
		Fixed: "3.11.2-6+deb12u9", Repositories: map[string]string{"bookworm": "3.11.2-6+deb12u8", "bookworm-security": "3.11.2-6+deb12u9"}, Feed: KindTracker}})
	f = findings(db2, Installed{Name: "python3.11", Version: "3.11.2-6+deb12u8"}, "bookworm")["CVE-2099-1"]
	if !slices.Equal(f.FixedIn, []string{"bookworm-security"}) || f.FixInVM {
		t.Fatalf("FixedIn %v FixInVM %v, want [bookworm-security] false", f.FixedIn, f.FixInVM)
	}
	if n := f.FixNote(); !strings.Contains(n, "bookworm-security, which this VM does not use") {
		t.Errorf("FixNote = %q", n)
	}
	f = findings(db2, Installed{Name: "python3.11", Version: "3.11.2-6+deb12u8"}, "bookworm", "bookworm-security")["CVE-2099-1"]
	if !f.FixInVM {
		t.Errorf("with bookworm-security enabled FixInVM = false")
	}
}

func TestEveryStatusDistinct(t *testing.T) {
	db := sampleDB(t, "tracker-json-bookworm-sample.json", "tracker-handmade-statuses.json")
	pkgs := []Installed{
		{Name: "libfoo-eol", Version: "1.0-1"},
		{Name: "libbar2", Version: "1.9-1", Source: "libbar"},
		{Name: "coreutils", Version: "9.1-1"},
		{Name: "curl", Version: "7.88.1-10+deb12u15"},
		{Name: "openssh-server", Version: "1:9.2p1-2+deb12u2", Source: "openssh"},
		{Name: "libssh-4", Version: "0.10.6-0+deb12u1", Source: "libssh"},
	}
	got := map[Status][]string{}
	for _, f := range db.Match("bookworm", pkgs, Options{}) {
		got[f.Status] = append(got[f.Status], f.Advisory)
	}
	want := map[Status]string{
		StatusEndOfLife: "CVE-2099-0001", StatusUndetermined: "CVE-2099-0002", StatusFixed: "CVE-2099-0003",
		StatusIgnored: "CVE-2016-2781", StatusNoDSA: "CVE-2024-9681", StatusPostponed: "CVE-2023-51767",
		StatusUnimportant: "CVE-2007-2768", StatusOpen: "TEMP-0000000-ABCDEF",
	}
	for st, id := range want {
		if !slices.Contains(got[st], id) {
			t.Errorf("status %s: got %v, want it to contain %s", st, got[st], id)
		}
	}
	// TEMP id with NVD-derived urgency "low**" counts as low.
	for _, f := range db.Match("bookworm", pkgs[1:2], Options{}) {
		if f.Advisory == "TEMP-0000000-ABCDEF" && f.Effective != Low {
			t.Errorf("low** effective = %s", f.Effective)
		}
	}
	// libbar 2.0-1 is at the fixed version; the trixie record ("0") is
	// another release and must not leak into bookworm.
	for _, f := range db.Match("bookworm", []Installed{{Name: "libbar2", Version: "2.0-1", Source: "libbar"}}, Options{}) {
		if f.Advisory == "CVE-2099-0003" {
			t.Errorf("libbar 2.0-1 reported for CVE-2099-0003 although fixed in 2.0-1")
		}
	}
	if fs := db.Match("trixie", []Installed{{Name: "libbar2", Version: "2.0-1", Source: "libbar"}}, Options{}); len(fs) != 0 {
		t.Errorf("trixie findings %v, want none (not affected there)", fs)
	}
}

func TestOSVAndDSA(t *testing.T) {
	db := sampleDB(t, "osv-debian12-sample.json")
	// DEBIAN-CVE records are keyed by the CVE id; DSA records attach.
	f := findings(db, Installed{Name: "openssh-server", Version: "1:9.2p1-2+deb12u2", Source: "openssh"})
	g, ok := f["CVE-2024-6387"]
	if !ok || g.Status != StatusFixed || g.Fixed != "1:9.2p1-2+deb12u3" || !slices.Contains(g.Related, "DSA-5724-1") {
		t.Fatalf("openssh u2 CVE-2024-6387 = %+v, want fixed in u3 with related DSA-5724-1", g)
	}
	if _, ok := f["DSA-5724-1"]; ok {
		t.Errorf("DSA-5724-1 reported separately although its CVE is")
	}
	if _, ok := f["CVE-2023-48795"]; ok {
		t.Errorf("Terrapin reported for openssh u2 (fixed in u2)")
	}
	// ByID finds the DSA and the CVE record.
	if rs := db.ByID("bookworm", "DSA-5724-1"); len(rs) != 1 || rs[0].Source != "openssh" {
		t.Errorf("ByID(DSA-5724-1) = %v", rs)
	}
	if rs := db.ByID("bookworm", "DEBIAN-CVE-2023-48795"); len(rs) < 15 {
		t.Errorf("ByID(DEBIAN-CVE-2023-48795) = %d records, want the 16 sources plus the DSA", len(rs))
	}
	// With only the DSA records, the DSA itself is the finding.
	var dsas []Record
	for _, r := range importFile(t, KindOSV, "testdata/osv-debian12-sample.json") {
		if strings.HasPrefix(r.ID, "DSA-") {
			dsas = append(dsas, r)
		}
	}
	f = findings(NewDB(Meta{}, dsas), Installed{Name: "libc6", Version: "2.36-9+deb12u5", Source: "glibc"})
	if g, ok := f["DSA-5673-1"]; !ok || !slices.Equal(g.Related, []string{"CVE-2024-2961"}) {
		t.Errorf("DSA-only glibc u5 findings %v, want DSA-5673-1 naming CVE-2024-2961", f)
	}
	if _, ok := f["DSA-5514-1"]; ok {
		t.Errorf("DSA-5514-1 (fixed in u3) reported for glibc u5")
	}
}

func TestDLAAndEnumeratedVersionsBinNMU(t *testing.T) {
	db := sampleDB(t, "osv-handmade-dla.json")
	// libbrotli1 is a binNMU: binary 1.0.9-2+b6, source 1.0.9-2.
	p := Installed{Name: "libbrotli1", Version: "1.0.9-2+b6", Arch: "amd64", Source: "brotli", SourceVersion: "1.0.9-2"}
	f := findings(db, p)
	if g, ok := f["DLA-9999-1"]; !ok || g.Status != StatusFixed || !slices.Equal(g.Related, []string{"CVE-2099-0100", "CVE-2099-0101"}) {
		t.Errorf("DLA finding = %+v", g)
	}
	// The enumerated versions list names source versions: only the source
	// version of a binNMU is in it.
	if _, ok := f["CVE-2099-0200"]; !ok {
		t.Errorf("enumerated-version record missed for binNMU libbrotli1 (source 1.0.9-2)")
	}
	naive := Installed{Name: "libbrotli1", Version: "1.0.9-2+b6", Source: "brotli", SourceVersion: "1.0.9-2+b6"}
	if _, ok := findings(db, naive)["CVE-2099-0200"]; ok {
		t.Errorf("matching the binary version should miss the record (test is not discriminating)")
	}
	if rs := db.ByID("bookworm", "CVE-2099-0101"); len(rs) != 1 || rs[0].ID != "DLA-9999-1" {
		t.Errorf("ByID(CVE-2099-0101) = %v, want the DLA", rs)
	}
	// The Debian:11 entry belongs to bullseye.
	if rs := db.Records("bullseye", "brotli"); len(rs) != 1 || rs[0].Fixed != "1.0.9-2+deb11u1" {
		t.Errorf("bullseye records = %v", rs)
	}
}

// changelogRecords turns bookworm-security-fixes.json into tracker-style
// resolved records: "fixed in the first version whose changelog names the
// CVE".
func changelogRecords(t testing.TB, path string) []Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		// The committed copy is gzipped.
		var gz []byte
		if gz, err = os.ReadFile(path + ".gz"); err == nil {
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(bytes.NewReader(gz)); err == nil {
				b, err = io.ReadAll(zr)
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Packages map[string]struct {
			Repositories map[string]string `json:"repositories"`
			Fixes        map[string]struct {
				Version  string `json:"version"`
				Specific bool   `json:"bookworm_specific"`
			} `json:"cve_fixes"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var out []Record
	for src, p := range d.Packages {
		for cve, fx := range p.Fixes {
			out = append(out, Record{ID: cve, Source: src, Release: "bookworm", State: Resolved, Fixed: fx.Version,
				Repositories: p.Repositories, Feed: KindTracker})
		}
	}
	return out
}

// TestChangelogFixesBinaryToSource uses the CVE ids named in the real
// changelogs: telnet is built by inetutils with its own binary version
// (no epoch), so comparing the binary version would report every
// inetutils fix as missing.
func TestChangelogFixesBinaryToSource(t *testing.T) {
	db := NewDB(Meta{}, changelogRecords(t, "testdata/bookworm-security-fixes-subset.json"))
	telnet := Installed{Name: "telnet", Version: "0.17+2.4-2+deb12u3", Arch: "all", Source: "inetutils", SourceVersion: "2:2.4-2+deb12u3"}
	if fs := findings(db, telnet); len(fs) != 0 {
		t.Errorf("telnet from inetutils 2:2.4-2+deb12u3: %d findings, want none", len(fs))
	}
	if version.Compare(telnet.Version, "2:2.4-2+deb12u1") >= 0 {
		t.Fatal("test premise: the binary version sorts below the fixes")
	}
	old := telnet
	old.SourceVersion = "2:2.4-2+deb12u1"
	fs := findings(db, old)
	if len(fs) == 0 {
		t.Fatal("inetutils 2:2.4-2+deb12u1: no findings, want the u2/u3 fixes")
	}
	for id, f := range fs {
		if version.Compare(f.Fixed, "2:2.4-2+deb12u1") <= 0 {
			t.Errorf("%s fixed in %s reported for u1", id, f.Fixed)
		}
	}
	// nginx: bookworm u9 misses the fixes of bookworm-security u11; a VM
	// on bookworm only is told the fix is elsewhere.
	ng := Installed{Name: "nginx", Version: "1.22.1-9+deb12u9", Arch: "amd64"}
	n := 0
	for _, f := range db.Match("bookworm", []Installed{ng}, Options{Suites: []string{"bookworm"}}) {
		if f.Fixed == "1.22.1-9+deb12u11" {
			n++
			if f.FixInVM || !slices.Equal(f.FixedIn, []string{"bookworm-security"}) {
				t.Errorf("%s: FixedIn %v FixInVM %v, want only bookworm-security, not in VM", f.Advisory, f.FixedIn, f.FixInVM)
			}
		}
	}
	if n == 0 {
		t.Error("nginx u9: no finding fixed in u11")
	}
}

func TestForbidder(t *testing.T) {
	db := NewDB(Meta{}, append(changelogRecords(t, "testdata/bookworm-security-fixes-subset.json"),
		importFile(t, KindTracker, "testdata/tracker-json-bookworm-sample.json")...))
	forbid := Forbidder(db, High)
	pkg := func(name, ver, src, srcVer string) *archive.Package {
		return &archive.Package{Name: name, Version: ver, Source: src, SourceVersion: srcVer}
	}
	why, no := forbid(pkg("nginx", "1.22.1-9+deb12u9", "nginx", "1.22.1-9+deb12u9"))
	if !no || !strings.Contains(why, "source nginx 1.22.1-9+deb12u9 is affected by") || !strings.Contains(why, "fixed in 1.22.1-9+deb12u11") {
		t.Errorf("forbid(nginx u9) = %q, %v", why, no)
	}
	if why, no := forbid(pkg("nginx", "1.22.1-9+deb12u11", "", "")); no {
		t.Errorf("forbid(nginx u11) = %q, want allowed", why)
	}
	// Open issues (curl no-dsa, libssh Terrapin open) do not forbid: no
	// version avoids them.
	if why, no := forbid(pkg("libssh-4", "0.10.6-0+deb12u1", "libssh", "")); no {
		t.Errorf("forbid(libssh) = %q: an open issue must not forbid", why)
	}
	// Level none forbids nothing; level unimportant forbids what high does.
	if _, no := Forbidder(db, UrgencyNone)(pkg("nginx", "1.22.1-9+deb12u9", "", "")); no {
		t.Error("level none forbade nginx u9")
	}
	// Source mapping: libnginx-mod-* binaries come from nginx.
	if _, no := forbid(pkg("libnginx-mod-http-geoip", "1.22.1-9+deb12u9", "nginx", "1.22.1-9+deb12u9")); !no {
		t.Error("libnginx-mod binary of vulnerable nginx allowed")
	}
	// A binNMU of a fixed source is fine.
	if _, no := forbid(pkg("libssh2-1", "1.10.0-3+deb12u1+b1", "libssh2", "1.10.0-3+deb12u1")); no {
		t.Error("binNMU of fixed libssh2 forbidden")
	}
}

func TestMalformedInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	cases := []struct {
		kind, file, body string
		want             []string
	}{
		{KindTracker, "bad-status.json", `{"openssh": {"CVE-2024-6387": {"releases": {"bookworm": {"status": "fixed?"}}}}}`,
			[]string{"bad-status.json:1", "record openssh CVE-2024-6387", `unknown status "fixed?"`}},
		{KindTracker, "bad-version.json", "{\"glibc\": {\n\"CVE-2023-4911\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\", \"fixed_version\": \"2.36-9+deb12u3!\"}}}}}",
			[]string{"bad-version.json:2", "record glibc CVE-2023-4911", "fixed_version"}},
		{KindTracker, "truncated.json", "{\"glibc\": {\n\"CVE-2023-4911\": {\"releases\": {\"bookworm\": {\"status\": \"resol",
			[]string{"truncated.json", "glibc CVE-2023-4911"}},
		{KindTracker, "type.json", `{"glibc": {"CVE-2023-4911": {"releases": "bookworm"}}}`,
			[]string{"type.json:1", "record glibc CVE-2023-4911"}},
		{KindOSV, "osv-bad.json", `[{"id": "DSA-1-1", "affected": [{"package": {"ecosystem": "Debian:12", "name": "x"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]},
{"id": "DSA-5724-1", "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssh"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:9.2p1 2"}]}]}]}]`,
			[]string{"osv-bad.json:2", "record DSA-5724-1", "affected[0] (openssh)"}},
		{KindOSV, "osv-noid.json", `{"affected": []}`, []string{"osv-noid.json", `missing "id"`}},
	}
	for _, c := range cases {
		p := write(c.file, c.body)
		_, _, err := Import(context.Background(), nil, c.kind, p)
		var re *RecordError
		if !errors.As(err, &re) {
			t.Errorf("%s: err = %v, want *RecordError", c.file, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", c.file, err, w)
			}
		}
	}

	// Nothing half-imported: a good feed and a bad one leave the store as
	// it was.
	s := Store{Dir: filepath.Join(dir, "cache")}
	ctx := context.Background()
	if _, err := Update(ctx, nil, s, []Input{{KindTracker, "testdata/tracker-json-bookworm-sample.json"}}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(s.path())
	_, err := Update(ctx, nil, s, []Input{{KindOSV, "testdata/osv-debian12-sample.json"}, {KindOSV, filepath.Join(dir, "osv-bad.json")}})
	if err == nil {
		t.Fatal("Update with a bad feed succeeded")
	}
	after, _ := os.ReadFile(s.path())
	if string(before) != string(after) {
		t.Error("a failed Update changed the store")
	}
	db, err := s.Open()
	if err != nil || len(db.Meta.Feeds) != 1 || db.Meta.Feeds[0].Kind != KindTracker {
		t.Errorf("store after failed update: %v %+v", err, db)
	}
}

func TestStoreUpdateOpenAge(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	if _, err := s.Open(); !errors.Is(err, ErrNoData) {
		t.Fatalf("Open(empty) = %v, want ErrNoData", err)
	}
	ctx := context.Background()
	db, err := Update(ctx, nil, s, []Input{{KindTracker, "testdata/tracker-json-bookworm-sample.json"}, {KindOSV, "testdata/osv-handmade-dla.json"}})
	if err != nil {
		t.Fatal(err)
	}
	// OSV data is dated by its newest "modified".
	if got := db.Meta.Feeds[1].Date; !got.Equal(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("OSV feed date = %v", got)
	}
	// Replacing the tracker feed keeps the OSV one.
	if _, err := Update(ctx, nil, s, []Input{{KindTracker, "testdata/tracker-handmade-statuses.json"}}); err != nil {
		t.Fatal(err)
	}
	db, err = s.Open()
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Meta.Feeds) != 2 || len(db.Records("bookworm", "brotli")) != 2 || len(db.Records("bookworm", "openssh")) != 0 || len(db.Records("bookworm", "libbar")) != 3 {
		t.Errorf("after replacing the tracker feed: feeds %d, brotli %d, openssh %d, libbar %d",
			len(db.Meta.Feeds), len(db.Records("bookworm", "brotli")), len(db.Records("bookworm", "openssh")), len(db.Records("bookworm", "libbar")))
	}
	now := db.Meta.DataDate().Add(8 * 24 * time.Hour)
	if a := db.Meta.Age(now); a != 8*24*time.Hour {
		t.Errorf("Age = %v", a)
	}
	// Corrupt cache: a clear error.
	os.WriteFile(s.path(), []byte("pdvm-advisories 1\n{}\nindex 3\n"), 0o644)
	if _, err := s.Open(); err == nil || !strings.Contains(err.Error(), "vuln update") {
		t.Errorf("Open(corrupt) = %v", err)
	}
}

func TestImportURL(t *testing.T) {
	data, _ := os.ReadFile("testdata/tracker-json-bookworm-sample.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tracker/data/json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Last-Modified", "Tue, 24 Nov 2026 00:00:00 GMT")
		w.Write(data)
	}))
	defer srv.Close()
	recs, info, err := Import(context.Background(), srv.Client(), KindTracker, srv.URL+"/tracker/data/json")
	if err != nil || len(recs) != 44 || !info.Date.Equal(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("Import(URL) = %d records, date %v, %v", len(recs), info.Date, err)
	}
	_, _, err = Import(context.Background(), srv.Client(), KindTracker, srv.URL+"/missing")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "/missing") {
		t.Errorf("Import(404) = %v, want an error naming the URL and the status", err)
	}
}

func TestAuditLock(t *testing.T) {
	db := sampleDB(t, "tracker-json-bookworm-sample.json", "osv-debian12-sample.json")
	l := &manifest.Lock{VM: "web", Release: "debian/bookworm", Archive: []manifest.Suite{{Suite: "bookworm"}},
		Packages: []manifest.Package{
			{Name: "openssh-server", Version: "1:9.2p1-2+deb12u2", Source: "openssh", SourceVersion: "1:9.2p1-2+deb12u2", Suite: "bookworm"},
			{Name: "openssh-client", Version: "1:9.2p1-2+deb12u2", Source: "openssh", SourceVersion: "1:9.2p1-2+deb12u2", Suite: "bookworm"},
			{Name: "libc6", Version: "2.36-9+deb12u7", Source: "glibc", SourceVersion: "2.36-9+deb12u7", Suite: "bookworm"},
		}}
	now := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	rep := db.Audit(l, false, nil, now)
	if rep.Release != "bookworm" || rep.AgeHours != 16*24 {
		t.Errorf("release %q age %v", rep.Release, rep.AgeHours)
	}
	var ids []string
	for _, f := range rep.Findings {
		ids = append(ids, f.Package+":"+f.Advisory)
	}
	want := []string{"openssh-client:CVE-2023-51767", "openssh-server:CVE-2023-51767", "openssh-client:CVE-2024-6387", "openssh-server:CVE-2024-6387"}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("findings %v, want %v", ids, want)
	}
	// Unimportant: CVE-2007-2768 for both openssh binaries, CVE-2010-4756 for libc6.
	if rep.Hidden != 3 || rep.Counts[StatusUnimportant] != 3 {
		t.Errorf("hidden %d, counts %v; want 3 unimportant hidden and counted", rep.Hidden, rep.Counts)
	}
	if hi := rep.AtLeast(High); len(hi) != 2 {
		t.Errorf("AtLeast(high) = %d findings, want the 2 regreSSHion ones", len(hi))
	}
	all := db.Audit(l, true, nil, now)
	if len(all.Findings) != len(rep.Findings)+rep.Hidden {
		t.Errorf("all=true: %d findings, want %d", len(all.Findings), len(rep.Findings)+rep.Hidden)
	}
}

func TestParseUrgency(t *testing.T) {
	for s, want := range map[string]Urgency{"high": High, "Medium": Medium, "low": Low, "any": Unimportant, "critical": Critical, "none": UrgencyNone} {
		if got, err := ParseUrgency(s); err != nil || got != want {
			t.Errorf("ParseUrgency(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseUrgency("severe"); err == nil {
		t.Error("ParseUrgency(severe) succeeded")
	}
	if !High.atLeast(Critical) || Medium.atLeast(High) || High.atLeast(UrgencyNone) {
		t.Error("atLeast ordering wrong")
	}
}
