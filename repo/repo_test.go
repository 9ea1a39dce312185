package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"pdvm.dev/pdvm/debian/release"
	"pdvm.dev/pdvm/internal/archivetest"
	"pdvm.dev/pdvm/internal/cache"
)

func smallSuites(t *testing.T) []archivetest.Suite {
	t.Helper()
	data, err := os.ReadFile("testdata/small.txtar")
	if err != nil {
		t.Fatal(err)
	}
	return archivetest.ParseTxtar(t, data)
}

// mirror builds the small test mirror, with edit applied to every suite.
func mirror(t *testing.T, edit func(*archivetest.Suite)) *archivetest.Mirror {
	t.Helper()
	suites := smallSuites(t)
	for i := range suites {
		if edit != nil {
			edit(&suites[i])
		}
	}
	return archivetest.New(t, suites...)
}

func config(t *testing.T, m *archivetest.Mirror, url string) Config {
	t.Helper()
	return Config{
		Mirror:     url,
		Suites:     []string{"bookworm", "bookworm-security"},
		Components: []string{"main"},
		Arches:     []string{"amd64"},
		Keyring:    m.Keyring,
		CacheDir:   t.TempDir(),
	}
}

func readAll(t *testing.T, ix Index) string {
	t.Helper()
	rc, err := ix.Open()
	if err != nil {
		t.Fatalf("Open %s %s: %v", ix.Suite, ix.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s %s: %v", ix.Suite, ix.Name, err)
	}
	return string(b)
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// cacheFiles lists the files in the cache's content store (temporary
// files included).
func cacheFiles(t *testing.T, cfg Config) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(cfg.CacheDir, "repo"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != ".lock" {
			out = append(out, strings.TrimPrefix(p, cfg.CacheDir+"/"))
		}
		return nil
	})
	return out
}

// checkIndexes compares indexes against the mirror's suites.
func checkIndexes(t *testing.T, m *archivetest.Mirror, got []Index, want []string) {
	t.Helper()
	var names []string
	for _, ix := range got {
		names = append(names, ix.Suite+" "+ix.Name)
		text := m.Suite(ix.Suite).Packages[ix.Component+"/binary-"+ix.Arch]
		if c := readAll(t, ix); c != text {
			t.Errorf("%s %s: content %q, want %q", ix.Suite, ix.Name, c, text)
		}
		if ix.SHA256 != sha(text) || ix.Size != int64(len(text)) {
			t.Errorf("%s %s: SHA256/Size %s/%d, want %s/%d", ix.Suite, ix.Name, ix.SHA256, ix.Size, sha(text), len(text))
		}
		if ix.Release == nil || ix.Release.Codename != ix.Suite || ix.Codename != ix.Suite {
			t.Errorf("%s %s: Release %+v", ix.Suite, ix.Name, ix.Release)
		}
		inrel, _ := os.ReadFile(m.Path(ix.Suite, "InRelease"))
		if ix.InReleaseSHA256 != sha(string(inrel)) {
			t.Errorf("%s: InReleaseSHA256 %s, want %s", ix.Suite, ix.InReleaseSHA256, sha(string(inrel)))
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("indexes %q, want %q", names, want)
	}
}

var wantSmall = []string{
	"bookworm main/binary-amd64/Packages",
	"bookworm main/binary-all/Packages",
	"bookworm-security main/binary-amd64/Packages",
}

func TestUpdateFileMirrorVariants(t *testing.T) {
	for _, tc := range []struct {
		name     string
		compress []string
		byHash   bool
		wantExt  string
	}{
		{"gz preferred", []string{"", "gz", "xz"}, false, ".gz"},
		{"xz over plain", []string{"", "xz"}, false, ".xz"},
		{"plain only", []string{""}, false, ""},
		{"xz only, by-hash", []string{"xz"}, true, "by-hash"},
		{"gz by-hash", []string{"gz", "xz"}, true, "by-hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mirror(t, func(s *archivetest.Suite) { s.Compress, s.ByHash = tc.compress, tc.byHash })
			cfg := config(t, m, m.URL())
			var msgs []string
			cfg.Progress = func(s string) { msgs = append(msgs, s) }
			got, err := Update(context.Background(), cfg)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			checkIndexes(t, m, got, wantSmall)
			for _, ix := range got {
				if !strings.Contains(ix.URL, tc.wantExt) || ix.MirrorURL != m.URL() || ix.Fetched == 0 {
					t.Errorf("%s %s: URL %s MirrorURL %s Fetched %d; want a %q URL from %s", ix.Suite, ix.Name, ix.URL, ix.MirrorURL, ix.Fetched, tc.wantExt, m.URL())
				}
				if !strings.HasPrefix(ix.Source, cfg.CacheDir) {
					t.Errorf("Source %s not in the cache", ix.Source)
				}
			}
			// A second Update finds everything cached.
			again, err := Update(context.Background(), cfg)
			if err != nil {
				t.Fatalf("second Update: %v", err)
			}
			for _, ix := range again {
				if ix.Fetched != 0 {
					t.Errorf("second Update fetched %s again (%d bytes)", ix.Name, ix.Fetched)
				}
			}
		})
	}
}

func TestNoArchAllPackagesSkipsBinaryAll(t *testing.T) {
	m := mirror(t, func(s *archivetest.Suite) { s.NoArchAllPackages = true })
	cfg := config(t, m, m.URL())
	got, err := Update(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, m, got, []string{"bookworm main/binary-amd64/Packages", "bookworm-security main/binary-amd64/Packages"})
	// Asking for arch all alone still reads it.
	cfg.Arches = []string{"all"}
	cfg.Suites = []string{"bookworm"}
	got, err = Update(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, m, got, []string{"bookworm main/binary-all/Packages"})

	// A Release whose Architectures field omits "all" (as bookworm-security's
	// does, while still listing a stale binary-all index): skipped.
	m = mirror(t, func(s *archivetest.Suite) { s.Architectures = []string{"amd64"} })
	cfg = config(t, m, m.URL())
	got, err = Update(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, m, got, []string{"bookworm main/binary-amd64/Packages", "bookworm-security main/binary-amd64/Packages"})
}

func TestUpdateOverHTTP(t *testing.T) {
	m := mirror(t, func(s *archivetest.Suite) { s.ByHash = true })
	url := m.Serve()
	cfg := config(t, m, url+"/")
	got, err := Update(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Update over HTTP: %v", err)
	}
	checkIndexes(t, m, got, wantSmall)
	if got[0].MirrorURL != url || !strings.HasPrefix(got[0].URL, url+"/dists/bookworm/main/binary-amd64/by-hash/SHA256/") {
		t.Errorf("MirrorURL %s URL %s", got[0].MirrorURL, got[0].URL)
	}

	// And a hash mismatch over HTTP, reported with the URL.
	m.Replace("bookworm-security", "main/binary-amd64/Packages.gz", gz(t, "Package: evil\n"))
	cfg.CacheDir = t.TempDir()
	_, err = Update(context.Background(), cfg)
	var he *HashMismatchError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), url+"/dists/bookworm-security/main/binary-amd64/by-hash/SHA256/") {
		t.Fatalf("Update(tampered over HTTP) = %v, want *HashMismatchError naming the by-hash URL", err)
	}
	// The good suite's verified index may stay (it is content-addressed);
	// nothing of the bad one, no temporary file and no state may.
	evil := sha(string(gz(t, "Package: evil\n")))
	for _, f := range cacheFiles(t, cfg) {
		if strings.Contains(f, ".tmp-") || strings.Contains(f, "state/") || strings.Contains(f, evil) {
			t.Errorf("failed Update left %s", f)
		}
	}
}

func gz(t *testing.T, s string) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.Bytes()
}

// TestUpdateBadInput covers each way a mirror can be wrong. Every error
// must name the file or URL, have a hint, and leave nothing in the cache.
func TestUpdateBadInput(t *testing.T) {
	other := archivetest.NewKey(t, "not in keyring")
	const sec = "bookworm-security"
	const gzName = "main/binary-amd64/Packages.gz"
	for _, tc := range []struct {
		name   string
		edit   func(*archivetest.Suite)           // before publishing
		damage func(*archivetest.Mirror)          // after publishing
		cfg    func(*Config, *archivetest.Mirror) // adjust the config
		check  func(error) bool
		want   []string // substrings of the error
	}{
		{
			name:   "bad signature",
			damage: func(m *archivetest.Mirror) { m.Tamper(sec) },
			check:  func(err error) bool { var e *release.BadSignatureError; return errors.As(err, &e) },
			want:   []string{"verifying file://", "/dists/bookworm-security/InRelease", "bad signature"},
		},
		{
			name:   "unknown key",
			damage: func(m *archivetest.Mirror) { m.Resign(sec, other) },
			check:  func(err error) bool { var e *release.UnknownKeyError; return errors.As(err, &e) },
			want:   []string{"/dists/bookworm-security/InRelease", other.ID(), "keyring.gpg"},
		},
		{
			name: "unsigned InRelease",
			damage: func(m *archivetest.Mirror) {
				b, _ := os.ReadFile(m.Path(sec, "Release"))
				os.WriteFile(m.Path(sec, "InRelease"), b, 0o644)
			},
			check: func(err error) bool { return errors.Is(err, release.ErrNotSigned) },
			want:  []string{"/dists/bookworm-security/InRelease", "not an OpenPGP clearsigned message"},
		},
		{
			name:   "hash mismatch",
			damage: func(m *archivetest.Mirror) { m.Replace(sec, gzName, gz(t, "Package: evil\nVersion: 1\n")) },
			check:  func(err error) bool { var e *HashMismatchError; return errors.As(err, &e) },
			want:   []string{gzName, "/dists/bookworm-security/main/binary-amd64/Packages.gz", "expected", "got"},
		},
		{
			name:   "truncated index",
			damage: func(m *archivetest.Mirror) { m.Truncate(sec, gzName, 20) },
			check:  func(err error) bool { var e *HashMismatchError; return errors.As(err, &e) },
			want:   []string{gzName, "size mismatch", "got 20"},
		},
		{
			name: "corrupt compressed data under a good signature",
			edit: func(s *archivetest.Suite) {
				s.Compress = []string{"xz"}
				s.Mutate = func(path string, data []byte) []byte { return data[:len(data)/2] }
			},
			check: func(err error) bool { var e *CorruptIndexError; return errors.As(err, &e) },
			want:  []string{"main/binary-amd64/Packages.xz", "corrupt compressed data"},
		},
		{
			name: "decompressed content does not match",
			edit: func(s *archivetest.Suite) {
				s.Compress = []string{"gz"}
				s.Mutate = func(path string, data []byte) []byte { return gz(t, "Package: other\n") }
			},
			check: func(err error) bool { var e *HashMismatchError; return errors.As(err, &e) },
			want:  []string{"main/binary-amd64/Packages ", "(decompressed)"},
		},
		{
			name: "expired Valid-Until",
			edit: func(s *archivetest.Suite) {
				s.ValidUntil = time.Now().Add(-48 * time.Hour)
				s.Date = time.Now().Add(-9 * 24 * time.Hour)
			},
			check: func(err error) bool { return errors.Is(err, release.ErrExpired) },
			want:  []string{"/dists/bookworm/InRelease", "expired"},
		},
		{
			name:  "Date in the future",
			edit:  func(s *archivetest.Suite) { s.Date = time.Now().Add(3 * time.Hour) },
			check: func(err error) bool { return errors.Is(err, release.ErrNotYetValid) },
			want:  []string{"/dists/bookworm/InRelease", "in the future"},
		},
		{
			name: "missing index file",
			damage: func(m *archivetest.Mirror) {
				m.Remove(sec, gzName)
			},
			check: func(err error) bool { var e *NotFoundError; return errors.As(err, &e) },
			want:  []string{"/dists/bookworm-security/main/binary-amd64/Packages.gz", "not found"},
		},
		{
			name:  "missing suite",
			cfg:   func(c *Config, m *archivetest.Mirror) { c.Suites = []string{"bookworm", "trixie"} },
			check: func(err error) bool { var e *NotFoundError; return errors.As(err, &e) },
			want:  []string{"/dists/trixie/InRelease", "not found"},
		},
		{
			name:  "missing component",
			cfg:   func(c *Config, m *archivetest.Mirror) { c.Components = []string{"main", "contrib"} },
			check: func(err error) bool { var e *MissingIndexError; return errors.As(err, &e) },
			want:  []string{"InRelease", "has no contrib/binary-amd64/Packages", "components main"},
		},
		{
			name: "suite served under the wrong name",
			damage: func(m *archivetest.Mirror) {
				b, _ := os.ReadFile(m.Path("bookworm", "InRelease"))
				os.WriteFile(m.Path(sec, "InRelease"), b, 0o644)
			},
			check: func(err error) bool { var e *SuiteMismatchError; return errors.As(err, &e) },
			want:  []string{"/dists/bookworm-security/InRelease", "asked for suite bookworm-security", `Codename "bookworm"`},
		},
		{
			name:  "keyring missing",
			cfg:   func(c *Config, m *archivetest.Mirror) { c.Keyring = "/nonexistent/keyring.gpg" },
			check: func(err error) bool { return errors.Is(err, os.ErrNotExist) },
			want:  []string{"/nonexistent/keyring.gpg", "--keyring"},
		},
		{
			name:  "unreachable mirror",
			cfg:   func(c *Config, m *archivetest.Mirror) { c.Mirror = "http://127.0.0.1:1/debian" },
			check: func(err error) bool { var e *UnreachableError; return errors.As(err, &e) },
			want:  []string{"http://127.0.0.1:1/debian/dists/", "mirror unreachable"},
		},
		{
			name:  "unsupported mirror scheme",
			cfg:   func(c *Config, m *archivetest.Mirror) { c.Mirror = "ftp://ftp.debian.org/debian" },
			check: func(err error) bool { return err != nil },
			want:  []string{"ftp://ftp.debian.org/debian", "not supported"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mirror(t, tc.edit)
			if tc.damage != nil {
				tc.damage(m)
			}
			cfg := config(t, m, m.URL())
			if tc.cfg != nil {
				tc.cfg(&cfg, m)
			}
			_, err := Update(context.Background(), cfg)
			if err == nil || !tc.check(err) {
				t.Fatalf("Update = %v (%T), wrong error", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			var h interface{ Hint() string }
			if !errors.As(err, &h) && tc.name != "unsupported mirror scheme" && tc.name != "keyring missing" {
				t.Errorf("error %T has no hint", err)
			}
			// Nothing of a failed update may be in the cache: no index
			// of the failing suite, no temporary files, no state.
			for _, f := range cacheFiles(t, cfg) {
				if strings.Contains(f, ".tmp-") || strings.Contains(f, "state/") {
					t.Errorf("failed Update left %s", f)
				}
			}
			if _, err := os.Stat(filepath.Join(cfg.CacheDir, "repo", "state")); err == nil {
				t.Errorf("failed Update recorded a state")
			}
		})
	}
}

// TestFailedUpdateKeepsLastGoodState: a damaged mirror must not clobber
// what Load returns.
func TestFailedUpdateKeepsLastGoodState(t *testing.T) {
	m := mirror(t, nil)
	cfg := config(t, m, m.URL())
	good, err := Update(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Suite("bookworm")
	s.Packages["main/binary-amd64"] += "\nPackage: new\nVersion: 1\n"
	m.Publish(s)
	m.Replace("bookworm", "main/binary-amd64/Packages.gz", gz(t, "Package: evil\n"))
	if _, err := Update(context.Background(), cfg); err == nil {
		t.Fatal("Update of a damaged mirror succeeded")
	}
	os.RemoveAll(m.Dir) // Load must not need the mirror
	got, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Load after failed update: %v", err)
	}
	if len(got) != len(good) {
		t.Fatalf("Load returned %d indexes, want %d", len(got), len(good))
	}
	for i := range got {
		if got[i].SHA256 != good[i].SHA256 || got[i].InReleaseSHA256 != good[i].InReleaseSHA256 || got[i].Fetched != 0 {
			t.Errorf("Load %s %s = %s, want the last good %s", got[i].Suite, got[i].Name, got[i].SHA256, good[i].SHA256)
		}
		if readAll(t, got[i]) == "" {
			t.Errorf("empty content")
		}
	}
}

func TestLoadFallsBackToUpdate(t *testing.T) {
	m := mirror(t, nil)
	cfg := config(t, m, m.URL())
	got, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Load with empty cache: %v", err)
	}
	checkIndexes(t, m, got, wantSmall)
	if got[0].Fetched == 0 {
		t.Errorf("Load with empty cache did not fetch")
	}
}

func TestLoadDetectsModifiedCache(t *testing.T) {
	m := mirror(t, nil)
	cfg := config(t, m, m.URL())
	got, err := Update(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Someone edits a cached index in place (same size).
	p := got[0].Source
	b, _ := os.ReadFile(p)
	b[0] ^= 1
	os.Chmod(p, 0o644)
	os.WriteFile(p, b, 0o644)
	again, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := again[0].Open()
	_, err = io.ReadAll(rc)
	rc.Close()
	var he *HashMismatchError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), p) {
		t.Fatalf("reading a modified cache file: %v, want *HashMismatchError naming %s", err, p)
	}
}

func TestUpdateCancelledLeavesNothing(t *testing.T) {
	m := mirror(t, nil)
	url := m.Serve()
	cfg := config(t, m, url)
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Progress = func(msg string) {
		if strings.Contains(msg, "fetching main/binary-amd64/Packages.gz") {
			cancel() // as Ctrl-C in the middle of a download
		}
	}
	_, err := Update(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Update cancelled = %v, want context.Canceled", err)
	}
	for _, f := range cacheFiles(t, cfg) {
		if strings.Contains(f, ".tmp-") || strings.Contains(f, "state/") {
			t.Errorf("cancelled Update left %s", f)
		}
	}
}

func TestConcurrentUpdates(t *testing.T) {
	m := mirror(t, func(s *archivetest.Suite) { s.ByHash = true })
	cfg := config(t, m, m.URL())
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Update(context.Background(), cfg)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Update %d: %v", i, err)
		}
	}
	got, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, m, got, wantSmall)
}

func TestLockTimeoutNamesHolder(t *testing.T) {
	m := mirror(t, nil)
	cfg := config(t, m, m.URL())
	unlock, err := cache.Lock(context.Background(), filepath.Join(cfg.CacheDir, "repo"))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	defer func(d time.Duration) { lockNotice = d }(lockNotice)
	lockNotice = 50 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var msgs []string
	cfg.Progress = func(s string) { msgs = append(msgs, s) }
	_, err = Update(ctx, cfg)
	var le *cache.LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("Update with the lock held = %v, want *cache.LockedError naming pid %d", err, os.Getpid())
	}
	if len(msgs) == 0 || !strings.Contains(msgs[0], "waiting for the cache lock") {
		t.Errorf("progress %q does not say it waits for the lock", msgs)
	}
}

func TestOfflineFromAptLists(t *testing.T) {
	m := mirror(t, func(s *archivetest.Suite) {
		s.Compress = []string{"xz"} // apt lists hold lz4 regardless
		if s.Name == "bookworm-security" {
			s.ValidUntil = time.Now().Add(-24 * time.Hour)
			s.Date = time.Now().Add(-8 * 24 * time.Hour)
		}
	})
	etc, lists := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(etc, "sources.list.d"), 0o755)
	os.WriteFile(filepath.Join(etc, "sources.list.d", "debian.sources"), []byte(`Types: deb
URIs: http://deb.example.test/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://deb.example.test/debian-security
Suites: bookworm-security
Components: main
`), 0o644)
	setApt(t, etc, lists)
	// apt fetched bookworm from one URI and bookworm-security from another.
	m.AptLists(lists, "http://deb.example.test/debian")
	m.AptLists(lists, "http://deb.example.test/debian-security")

	cfg := config(t, m, "")
	cfg.Offline = true
	var msgs []string
	cfg.Progress = func(s string) { msgs = append(msgs, s) }
	got, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Load offline: %v", err)
	}
	checkIndexes(t, m, got, wantSmall)
	if got[2].MirrorURL != "http://deb.example.test/debian-security" || !strings.HasSuffix(got[2].URL, "deb.example.test_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4") {
		t.Errorf("security index MirrorURL %s URL %s", got[2].MirrorURL, got[2].URL)
	}
	if !slices.ContainsFunc(msgs, func(s string) bool {
		return strings.Contains(s, "warning: bookworm-security") && strings.Contains(s, "expired")
	}) {
		t.Errorf("no warning about the expired security Release in %q", msgs)
	}

	// Damaged apt lists: content that does not match the InRelease.
	lists2 := t.TempDir()
	setApt(t, etc, lists2)
	m.AptLists(lists2, "http://deb.example.test/debian")
	m.AptLists(lists2, "http://deb.example.test/debian-security")
	bad := filepath.Join(lists2, "deb.example.test_debian_dists_bookworm_main_binary-amd64_Packages.lz4")
	other, _ := os.ReadFile(filepath.Join(lists2, "deb.example.test_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4"))
	os.WriteFile(bad, other, 0o644)
	cfg.CacheDir = t.TempDir()
	_, err = Load(context.Background(), cfg)
	var he *HashMismatchError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("Load offline from damaged lists = %v, want *HashMismatchError naming %s", err, bad)
	}
	if f := cacheFiles(t, cfg); slices.ContainsFunc(f, func(s string) bool { return strings.Contains(s, ".tmp-") || strings.Contains(s, "state/") }) {
		t.Errorf("failed import left %v", f)
	}

	// No lists at all.
	setApt(t, etc, t.TempDir())
	cfg.CacheDir = t.TempDir()
	_, err = Load(context.Background(), cfg)
	var ae *AptListsError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "deb.example.test_debian_dists_bookworm_InRelease") {
		t.Fatalf("Load offline without lists = %v, want *AptListsError naming the InRelease file", err)
	}
}

func setApt(t *testing.T, etc, lists string) {
	oldEtc, oldLists := AptEtcDir, AptListsDir
	AptEtcDir, AptListsDir = etc, lists
	t.Cleanup(func() { AptEtcDir, AptListsDir = oldEtc, oldLists })
}

func TestAptListName(t *testing.T) {
	for _, tc := range []struct{ mirror, rel, want string }{
		{"http://deb.debian.org/debian", "dists/bookworm/InRelease", "deb.debian.org_debian_dists_bookworm_InRelease"},
		{"http://deb.debian.org/debian-security/", "dists/bookworm-security/main/binary-amd64/Packages.lz4", "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4"},
		{"https://deb.nodesource.com/node_20.x", "dists/nodistro/InRelease", "deb.nodesource.com_node%5f20.x_dists_nodistro_InRelease"},
		{"http://user:pw@host:8080/a~b", "dists/x/InRelease", "host:8080_a%7eb_dists_x_InRelease"},
	} {
		if got := AptListName(tc.mirror, tc.rel); got != tc.want {
			t.Errorf("AptListName(%q, %q) = %q, want %q", tc.mirror, tc.rel, got, tc.want)
		}
		if !strings.Contains(tc.mirror, "@") {
			if got := archivetest.AptFileName(tc.mirror, tc.rel); got != tc.want {
				t.Errorf("archivetest.AptFileName(%q, %q) = %q, want %q", tc.mirror, tc.rel, got, tc.want)
			}
		}
	}
}

func TestUpdatePrunesSupersededFiles(t *testing.T) {
	m := mirror(t, nil)
	cfg := config(t, m, m.URL())
	first, err := Update(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Suite("bookworm")
	s.Packages["main/binary-amd64"] += "\nPackage: new\nVersion: 1\n"
	m.Publish(s)
	// Age every cache file past the grace period.
	old := time.Now().Add(-2 * pruneAge)
	filepath.WalkDir(filepath.Join(cfg.CacheDir, "repo", "sha256"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	var msgs []string
	cfg.Progress = func(s string) { msgs = append(msgs, s) }
	second, err := Update(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if first[0].SHA256 == second[0].SHA256 {
		t.Fatal("republished index has the same hash")
	}
	if _, err := os.Stat(first[0].Source); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("superseded %s still cached (%v)", first[0].Source, err)
	}
	for _, ix := range second {
		if _, err := os.Stat(ix.Source); err != nil {
			t.Errorf("current index %s pruned: %v", ix.Source, err)
		}
	}
	// Old bookworm InRelease + old Packages go; security files are kept.
	if !slices.ContainsFunc(msgs, func(s string) bool { return strings.HasPrefix(s, "removed 2 superseded cache files") }) {
		t.Errorf("progress %q does not report 2 removed files", msgs)
	}
}

// TestLoadRefreshesExpiredState: a cached state whose Release has expired
// is refreshed from the mirror when online, and kept (with a warning)
// offline or when the mirror is unreachable.
func TestLoadRefreshesExpiredState(t *testing.T) {
	m := mirror(t, func(s *archivetest.Suite) { s.ValidUntil = time.Now().Add(time.Hour) })
	cfg := config(t, m, m.URL())
	if _, err := Update(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	defer func(f func() time.Time) { Now = f }(Now)
	Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	// Re-publish with a later Valid-Until, as the mirror would.
	for _, name := range []string{"bookworm", "bookworm-security"} {
		s := m.Suite(name)
		s.ValidUntil = time.Now().Add(24 * time.Hour)
		m.Publish(s)
	}
	got, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got[0].Fetched == 0 && got[0].Release.ValidUntil.Before(Now()) {
		t.Fatalf("Load kept the expired state instead of updating")
	}
	// Expired again and the mirror gone: the verified state is served.
	Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	if err := os.Rename(m.Dir, m.Dir+".gone"); err != nil {
		t.Fatal(err)
	}
	again, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Load with the mirror unreachable: %v", err)
	}
	if again[0].SHA256 != got[0].SHA256 {
		t.Errorf("Load served different indexes")
	}
}
