package repo

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseSources checks that the apt sources parsers never panic and
// that every entry they accept names a URI and a suite. Seeded with this
// machine's apt sources when present.
func FuzzParseSources(f *testing.F) {
	f.Add([]byte("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n"), true)
	f.Add([]byte("deb [arch=amd64 signed-by=/k.gpg] http://deb.debian.org/debian bookworm main\n"), false)
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil && len(data) < 4096 {
			f.Add(data, filepath.Ext(p) == ".sources")
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, deb822 bool) {
		var ss []Source
		var err error
		if deb822 {
			ss, err = ParseSources("f.sources", data)
		} else {
			ss, err = ParseList("f.list", data)
		}
		if err != nil {
			return
		}
		for _, s := range ss {
			if len(s.URIs) == 0 || len(s.Suites) == 0 || len(s.Types) == 0 || s.Line < 1 {
				t.Fatalf("accepted incomplete entry %+v", s)
			}
			for _, suite := range s.Suites {
				s.provides(suite)
			}
		}
	})
}
