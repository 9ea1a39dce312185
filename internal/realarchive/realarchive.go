// Package realarchive gives tests the real Debian archive: bookworm,
// bookworm-updates and bookworm-security main amd64, as this machine's apt
// has them in /var/lib/apt/lists (CI runs apt-get update first). It is
// loaded once per test binary.
package realarchive

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pierrec/lz4/v4"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/internal/testenv"
)

var (
	once sync.Once
	uni  *archive.Universe
	err  error
)

// Lists is where apt keeps its indexes.
const Lists = "/var/lib/apt/lists"

// Files returns the apt list files of the three bookworm suites.
func Files() ([]string, error) {
	var out []string
	for _, pat := range []string{
		"*_debian_dists_bookworm_main_binary-amd64_Packages*",
		"*_debian_dists_bookworm-updates_main_binary-amd64_Packages*",
		"*_debian-security_dists_bookworm-security_main_binary-amd64_Packages*",
	} {
		m, _ := filepath.Glob(filepath.Join(Lists, pat))
		if len(m) == 0 {
			return nil, fmt.Errorf("no apt list matches %s in %s: run apt-get update", pat, Lists)
		}
		out = append(out, m[0])
	}
	return out, nil
}

// Open opens an apt list file, decompressing lz4 when needed.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if filepath.Ext(path) == ".lz4" {
		return struct {
			io.Reader
			io.Closer
		}{lz4.NewReader(f), f}, nil
	}
	return f, nil
}

// Universe returns the real archive; it is a real-group test helper.
func Universe(t testing.TB) *archive.Universe {
	t.Helper()
	testenv.Real(t)
	once.Do(func() {
		var files []string
		files, err = Files()
		if err != nil {
			return
		}
		var ins []archive.Input
		for _, f := range files {
			f := f
			ins = append(ins, archive.Input{
				Origin: archive.Origin{Suite: suiteOf(f), Component: "main", Arch: "amd64", Source: f},
				Open:   func() (io.ReadCloser, error) { return Open(f) },
			})
		}
		uni, err = archive.Build(context.Background(), "amd64", ins)
	})
	if err != nil {
		t.Fatalf("loading the real archive: %v", err)
	}
	return uni
}

func suiteOf(path string) string {
	b := filepath.Base(path)
	for _, s := range []string{"bookworm-updates", "bookworm-security"} {
		if contains(b, "_"+s+"_") {
			return s
		}
	}
	return "bookworm"
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
