package vuln

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"pdvm.dev/pdvm/internal/fleetgen"
	"pdvm.dev/pdvm/manifest"
)

// benchRows returns the archive's binary→source table: the full one from
// shared/ when it is beside the clone, else the committed subset.
func benchRows(tb testing.TB) []fleetgen.Row {
	tb.Helper()
	for _, p := range []string{filepath.Join("..", "..", "shared", "data", "security", "bin2src-bookworm.tsv.gz"), "testdata/bin2src-subset.tsv"} {
		if _, err := os.Stat(p); err == nil {
			rows, err := fleetgen.ReadTable(p)
			if err != nil {
				tb.Fatal(err)
			}
			return rows
		}
	}
	tb.Fatal("no bin2src table")
	return nil
}

func requiredNames(rows []fleetgen.Row) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Priority == "required" && r.Suite == "bookworm" && !seen[r.Name] {
			seen[r.Name] = true
			out = append(out, r.Name)
		}
	}
	return out
}

func TestAffectedFleet(t *testing.T) {
	dir := t.TempDir()
	rows, err := fleetgen.ReadTable("testdata/bin2src-subset.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fleetgen.Generate(dir, rows, fleetgen.Options{Locks: 40, MinPkgs: 10, MaxPkgs: 30, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	// One hand-written lock with the vulnerable openssh in a subdirectory
	// (an image directory), and a broken lock.
	sub := filepath.Join(dir, "images", "web")
	os.MkdirAll(sub, 0o755)
	l := &manifest.Lock{Format: 1, VM: "web", Release: "debian/bookworm", Arch: "amd64", Base: "none", Init: "pdvm", Objective: "count", Proof: "optimal",
		Packages: []manifest.Package{
			{Name: "openssh-server", Version: "1:9.2p1-2+deb12u2", Arch: "amd64", Source: "openssh", SourceVersion: "1:9.2p1-2+deb12u2", Suite: "bookworm",
				Filename: "pool/x.deb", SHA256: "0000000000000000000000000000000000000000000000000000000000000000", Size: 1, InstalledSize: 1, Reason: []string{"need"}},
		}, Count: 1, InstalledSize: 1}
	if err := manifest.Write(filepath.Join(sub, "web.pdvm.hcl.lock"), l); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "broken.pdvm.hcl.lock"), []byte(`{"vm": "x", "packages": [{"name": "openssh-server", "source": "openssh"`), 0o644)

	db := sampleDB(t, "tracker-json-bookworm-sample.json", "osv-debian12-sample.json")
	ctx := context.Background()
	idx := t.TempDir()
	for _, q := range []struct{ id, index string }{{"CVE-2024-6387", ""}, {"DSA-5724-1", ""}, {"DEBIAN-CVE-2024-6387", ""},
		{"CVE-2024-6387", idx}, {"DSA-5724-1", idx}, {"CVE-2024-6387", idx}} {
		id := q.id
		res, err := db.Affected(ctx, id, []string{dir}, q.index)
		if err != nil {
			t.Fatal(err)
		}
		if res.Locks != 42 || len(res.Errors) != 1 {
			t.Errorf("%s: %d locks, errors %v; want 42 and the broken one", id, res.Locks, res.Errors)
		}
		// The generated locks hold real bookworm/security openssh
		// versions (all fixed); only the hand-written lock is affected.
		var got []string
		for _, h := range res.Hits {
			got = append(got, filepath.Base(h.Lock)+":"+h.Package)
		}
		if !slices.Equal(got, []string{"web.pdvm.hcl.lock:openssh-server"}) {
			t.Errorf("%s: hits %v", id, got)
		}
	}
	// Terrapin: libssh2 is not affected ("0"), the generated locks contain
	// libssh2 binaries; none may be reported.
	res, err := db.Affected(ctx, "CVE-2023-48795", []string{dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	resIdx, err := db.Affected(ctx, "CVE-2023-48795", []string{dir}, idx)
	if err != nil || len(resIdx.Hits) != len(res.Hits) {
		t.Fatalf("indexed Terrapin query: %d hits, direct %d (%v)", len(resIdx.Hits), len(res.Hits), err)
	}
	for _, h := range res.Hits {
		if h.Source == "libssh2" || h.Source == "openssh" && h.SourceVersion != "1:9.2p1-2+deb12u1" {
			t.Errorf("Terrapin hit %+v", h)
		}
	}
	// The same answer as a full audit of every lock.
	locks, _ := FindLocks([]string{dir})
	want := 0
	for _, p := range locks {
		l, err := manifest.Read(p)
		if err != nil {
			continue
		}
		for _, f := range db.Audit(l, true, nil, time.Now()).Findings {
			if f.Advisory == "CVE-2023-48795" {
				want++
			}
		}
	}
	if len(res.Hits) != want {
		t.Errorf("Affected(Terrapin) = %d hits, audit of every lock finds %d", len(res.Hits), want)
	}
	// Unknown advisory: no sources, no error.
	// A changed lock is re-read: make the hand-written one fixed.
	l.Packages[0].Version, l.Packages[0].SourceVersion = "1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u3"
	time.Sleep(10 * time.Millisecond)
	if err := manifest.Write(filepath.Join(sub, "web.pdvm.hcl.lock"), l); err != nil {
		t.Fatal(err)
	}
	if res, err := db.Affected(ctx, "CVE-2024-6387", []string{dir}, idx); err != nil || len(res.Hits) != 0 {
		t.Errorf("after fixing the lock: %v hits, %v", res.Hits, err)
	}
	if res, err := db.Affected(ctx, "CVE-1999-0001", []string{dir}, idx); err != nil || len(res.Sources) != 0 {
		t.Errorf("unknown advisory: %v %v", res, err)
	}
}

// benchFleet writes 1,000 realistic locks (150–300 real packages each,
// every required package, openssh-server/nginx/libexpat1 in about half).
func benchFleet(b *testing.B) string {
	dir := b.TempDir()
	rows := benchRows(b)
	_, err := fleetgen.Generate(dir, rows, fleetgen.Options{Locks: 1000, Always: requiredNames(rows),
		Sometime: []string{"openssh-server", "nginx", "libexpat1"}, Seed: 42})
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

func benchDB(b *testing.B) Store {
	s := Store{Dir: b.TempDir()}
	recs := append(changelogRecords(b, "testdata/bookworm-security-fixes-subset.json"), importFile(b, KindTracker, "testdata/tracker-json-bookworm-sample.json")...)
	if full := filepath.Join("..", "..", "shared", "data", "security", "bookworm-security-fixes.json"); fileExists(full) {
		recs = changelogRecords(b, full)
	}
	recs = append(recs, importFile(b, KindOSV, "testdata/osv-debian12-sample.json")...)
	if _, err := s.Update(context.Background(), []FeedInfo{{Kind: KindTracker, Date: time.Now()}}, recs); err != nil {
		b.Fatal(err)
	}
	return s
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// BenchmarkAffected1000Locks is `pdvm affected CVE-2023-44487` over 1,000
// locks, the advisory DB opened from the cache each time: "indexed" with
// the fleet index warm (the normal case: locks change rarely), "scan"
// reading every lock.
func BenchmarkAffected1000Locks(b *testing.B) {
	dir := benchFleet(b)
	s := benchDB(b)
	ctx := context.Background()
	for _, mode := range []string{"indexed", "scan"} {
		b.Run(mode, func(b *testing.B) {
			idx := ""
			if mode == "indexed" {
				idx = b.TempDir()
				db, _ := s.Open()
				if _, err := db.Affected(ctx, "CVE-2023-44487", []string{dir}, idx); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				db, err := s.Open()
				if err != nil {
					b.Fatal(err)
				}
				res, err := db.Affected(ctx, "CVE-2023-44487", []string{dir}, idx)
				if err != nil || res.Locks != 1000 || len(res.Hits) == 0 {
					b.Fatalf("%d locks, %d hits, %v", res.Locks, len(res.Hits), err)
				}
			}
		})
	}
}

// BenchmarkAudit is `pdvm audit` of one lock with the DB read from the
// cache (about 18,000 records when shared/ is present).
func BenchmarkAudit(b *testing.B) {
	dir := b.TempDir()
	rows := benchRows(b)
	paths, err := fleetgen.Generate(dir, rows, fleetgen.Options{Locks: 1, MinPkgs: 300, MaxPkgs: 300, Always: requiredNames(rows), Sometime: []string{"openssh-server", "nginx"}, Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	s := benchDB(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db, err := s.Open()
		if err != nil {
			b.Fatal(err)
		}
		l, err := manifest.Read(paths[0])
		if err != nil {
			b.Fatal(err)
		}
		db.Audit(l, false, nil, time.Now())
	}
}
