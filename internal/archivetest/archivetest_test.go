package archivetest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pdvm.dev/pdvm/debian/release"
	"pdvm.dev/pdvm/internal/archivetest"
)

const archive = `by-hash: yes
compress: gz xz
valid-until: 24h
-- bookworm/main/binary-amd64/Packages --
Package: hello
Version: 2.10-3

-- bookworm/main/binary-all/Packages --
Package: debconf
Version: 1.5.82
`

func verify(t *testing.T, m *archivetest.Mirror, suite string) (*release.Release, error) {
	t.Helper()
	data, err := os.ReadFile(m.Path(suite, "InRelease"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := release.LoadKeyring(m.Keyring)
	if err != nil {
		t.Fatal(err)
	}
	return release.Verify(data, keys)
}

func TestFromTxtar(t *testing.T) {
	m := archivetest.FromTxtar(t, []byte(archive))
	r, err := verify(t, m, "bookworm")
	if err != nil {
		t.Fatalf("InRelease does not verify against the mirror's keyring: %v", err)
	}
	if !r.AcquireByHash || r.ValidUntil.Before(time.Now()) || r.Check(time.Now()) != nil {
		t.Errorf("AcquireByHash %v ValidUntil %v", r.AcquireByHash, r.ValidUntil)
	}
	for _, name := range []string{"main/binary-amd64/Packages.gz", "main/binary-amd64/Packages.xz", "main/binary-amd64/Packages", "main/binary-all/Packages.xz"} {
		f, ok := r.File(name)
		if !ok {
			t.Errorf("Release does not list %s", name)
			continue
		}
		if name == "main/binary-amd64/Packages" {
			// not published (compress: gz xz) but listed, as Debian does
			if _, err := os.Stat(m.Path("bookworm", name)); err == nil {
				t.Errorf("plain %s published although compress excludes it", name)
			}
			if f.SHA256 != sum("Package: hello\nVersion: 2.10-3\n\n") {
				t.Errorf("plain entry hash %s is not the text's", f.SHA256)
			}
			continue
		}
		for _, p := range []string{m.Path("bookworm", name), m.Path("bookworm", filepath.Dir(name)+"/by-hash/SHA256/"+f.SHA256)} {
			data, err := os.ReadFile(p)
			if err != nil || sum(string(data)) != f.SHA256 || int64(len(data)) != f.Size {
				t.Errorf("%s: %v, does not match its Release entry", p, err)
			}
		}
	}
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestDamage(t *testing.T) {
	m := archivetest.FromTxtar(t, []byte(archive))
	m.Tamper("bookworm")
	var be *release.BadSignatureError
	if _, err := verify(t, m, "bookworm"); !errors.As(err, &be) {
		t.Errorf("after Tamper: %v, want a bad signature", err)
	}
	m.Resign("bookworm", archivetest.NewKey(t, "stranger"))
	var ue *release.UnknownKeyError
	if _, err := verify(t, m, "bookworm"); !errors.As(err, &ue) {
		t.Errorf("after Resign: %v, want an unknown key", err)
	}
	m.Resign("bookworm", m.Key)
	if _, err := verify(t, m, "bookworm"); err != nil {
		t.Errorf("after Resign with the mirror key: %v", err)
	}
	r, _ := verify(t, m, "bookworm")
	f, _ := r.File("main/binary-amd64/Packages.gz")
	byHash := m.Path("bookworm", "main/binary-amd64/by-hash/SHA256/"+f.SHA256)
	m.Truncate("bookworm", "main/binary-amd64/Packages.gz", 5)
	for _, p := range []string{m.Path("bookworm", "main/binary-amd64/Packages.gz"), byHash} {
		if fi, err := os.Stat(p); err != nil || fi.Size() != 5 {
			t.Errorf("after Truncate, %s: %v", p, err)
		}
	}
	m.Remove("bookworm", "main/binary-amd64/Packages.gz")
	for _, p := range []string{m.Path("bookworm", "main/binary-amd64/Packages.gz"), byHash} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after Remove, %s: %v", p, err)
		}
	}
}

func TestServeAndAptLists(t *testing.T) {
	m := archivetest.FromTxtar(t, []byte(archive))
	resp, err := http.Get(m.Serve() + "/dists/bookworm/InRelease")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, _ := os.ReadFile(m.Path("bookworm", "InRelease"))
	if resp.StatusCode != 200 || string(body) != string(want) {
		t.Errorf("GET InRelease: %s, %d bytes", resp.Status, len(body))
	}
	dir := t.TempDir()
	m.AptLists(dir, "http://deb.example.test/debian")
	for _, name := range []string{"deb.example.test_debian_dists_bookworm_InRelease", "deb.example.test_debian_dists_bookworm_main_binary-amd64_Packages.lz4"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("AptLists: %v", err)
		}
	}
}
