package repo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSources(t *testing.T) {
	// The layout of this machine's /etc/apt/sources.list.d/debian.sources,
	// plus a disabled entry and an inline key.
	src := `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main contrib
Architectures: amd64 arm64

Types: deb
URIs: http://example.org/x
Suites: bookworm
Components: main
Enabled: no
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mDMEZ...
 -----END PGP PUBLIC KEY BLOCK-----
`
	got, err := ParseSources("debian.sources", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d entries, want 3", len(got))
	}
	a, b, c := got[0], got[1], got[2]
	if a.Line != 1 || strings.Join(a.Suites, ",") != "bookworm,bookworm-updates" || a.URIs[0] != "http://deb.debian.org/debian" ||
		a.SignedBy != "/usr/share/keyrings/debian-archive-keyring.gpg" || !a.Enabled || !a.provides("bookworm-updates") {
		t.Errorf("entry 1 = %+v", a)
	}
	if b.Line != 8 || strings.Join(b.Types, ",") != "deb,deb-src" || strings.Join(b.Architectures, ",") != "amd64,arm64" ||
		strings.Join(b.Components, ",") != "main,contrib" || !b.provides("bookworm-security") || b.provides("bookworm") {
		t.Errorf("entry 2 = %+v", b)
	}
	if c.Enabled || c.provides("bookworm") || !strings.Contains(c.SignedBy, "\n\nmDMEZ...") {
		t.Errorf("entry 3 = %+v (disabled, inline key with an empty line)", c)
	}
}

func TestParseList(t *testing.T) {
	src := `# comment
deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main
deb [ arch=amd64,arm64 signed-by=/usr/share/keyrings/k.gpg ] http://deb.debian.org/debian bookworm main contrib # trailing
deb-src	http://deb.debian.org/debian bookworm main
deb [trusted=yes] file:/srv/flat ./
`
	got, err := ParseList("sources.list", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d entries, want 4: %+v", len(got), got)
	}
	if got[1].Line != 3 || got[1].SignedBy != "/usr/share/keyrings/k.gpg" || strings.Join(got[1].Architectures, ",") != "amd64,arm64" ||
		strings.Join(got[1].Components, ",") != "main,contrib" || !got[1].provides("bookworm") {
		t.Errorf("entry 2 = %+v", got[1])
	}
	if got[2].provides("bookworm") {
		t.Errorf("deb-src entry provides binaries")
	}
	if got[3].Suites[0] != "./" || len(got[3].Components) != 0 {
		t.Errorf("flat entry = %+v", got[3])
	}
}

func TestParseSourcesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, text string
		line             int
		want             string
	}{
		{"list type", "a.list", "\ndebx http://h/ bookworm main\n", 2, `unknown type "debx"`},
		{"list options", "a.list", "deb [arch=amd64 http://h/ bookworm main\n", 1, "not closed"},
		{"list option form", "a.list", "deb [arch] http://h/ bookworm main\n", 1, `option "arch" is not key=value`},
		{"list short", "a.list", "deb http://h/\n", 1, "URI suite"},
		{"list no component", "a.list", "deb http://h/ bookworm\n", 1, "needs at least one component"},
		{"sources no URIs", "a.sources", "Types: deb\nSuites: bookworm\n\nTypes: deb\n", 1, "no URIs field"},
		{"sources bad line", "a.sources", "Types: deb\nURIs http://h/\n", 2, `expected "Field: value"`},
		{"sources continuation", "a.sources", " x\n", 1, "continuation line before any field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if strings.HasSuffix(tc.file, ".list") {
				_, err = ParseList(tc.file, []byte(tc.text))
			} else {
				_, err = ParseSources(tc.file, []byte(tc.text))
			}
			var se *SourcesError
			if !errors.As(err, &se) || se.Line != tc.line || !strings.Contains(err.Error(), tc.want) ||
				!strings.HasPrefix(err.Error(), tc.file+":") || se.Hint() == "" {
				t.Fatalf("parse = %v, want %s:%d: ...%s", err, tc.file, tc.line, tc.want)
			}
		})
	}
}

// TestResolveFromAptSources mirrors this machine's configuration: Debian
// in a deb822 file, the security suite at another URI, and third-party
// sources (one-line and deb822) that must be ignored.
func TestResolveFromAptSources(t *testing.T) {
	etc := t.TempDir()
	d := filepath.Join(etc, "sources.list.d")
	os.MkdirAll(d, 0o755)
	os.WriteFile(filepath.Join(d, "debian.sources"), []byte(`Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security/
Suites: bookworm-security
Components: main
Signed-By: /etc/apt/keyrings/security.gpg
`), 0o644)
	os.WriteFile(filepath.Join(d, "google-cloud-sdk.list"), []byte("deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"), 0o644)
	os.WriteFile(filepath.Join(d, "nodesource.sources"), []byte("Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n"), 0o644)
	os.WriteFile(filepath.Join(d, "broken.list"), []byte("this is not a source\n"), 0o644)
	os.WriteFile(filepath.Join(d, "ignored.sources.disabled"), []byte("garbage"), 0o644)
	setApt(t, etc, t.TempDir())

	var warnings []string
	cfg := DefaultConfig()
	cfg.CacheDir = t.TempDir()
	cfg.Progress = func(s string) { warnings = append(warnings, s) }
	p, err := resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []suitePlan{
		{Suite: "bookworm", Mirror: "http://mirror.example/debian", Keyring: "/usr/share/keyrings/debian-archive-keyring.gpg"},
		{Suite: "bookworm-updates", Mirror: "http://mirror.example/debian", Keyring: "/usr/share/keyrings/debian-archive-keyring.gpg"},
		{Suite: "bookworm-security", Mirror: "http://mirror.example/debian-security", Keyring: "/etc/apt/keyrings/security.gpg"},
	}
	for i, w := range want {
		g := p.suites[i]
		if g.Suite != w.Suite || g.Mirror != w.Mirror || g.Keyring != w.Keyring {
			t.Errorf("suite %d = %+v, want %+v", i, g, w)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "broken.list:1") {
		t.Errorf("warnings %q, want one naming broken.list:1", warnings)
	}
	if strings.Join(p.cfg.Arches, ",") != "amd64,all" || strings.Join(p.cfg.Components, ",") != "main" {
		t.Errorf("arches %v components %v", p.cfg.Arches, p.cfg.Components)
	}

	// --mirror and --keyring override everything; "all" is always added.
	cfg.Mirror, cfg.Keyring, cfg.Arches = "/srv/mirror/", "/k.gpg", []string{"arm64"}
	p, err = resolve(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range p.suites {
		if g.Mirror != "file:///srv/mirror" || g.Keyring != "/k.gpg" {
			t.Errorf("with --mirror: %+v", g)
		}
	}
	if strings.Join(p.cfg.Arches, ",") != "arm64,all" {
		t.Errorf("arches %v", p.cfg.Arches)
	}

	// No apt sources at all: deb.debian.org.
	setApt(t, t.TempDir(), t.TempDir())
	cfg = DefaultConfig()
	cfg.CacheDir = t.TempDir()
	p, _ = resolve(cfg)
	if p.suites[0].Mirror != "http://deb.debian.org/debian" || p.suites[2].Mirror != "http://deb.debian.org/debian-security" ||
		p.suites[0].Keyring != "/usr/share/keyrings/debian-archive-keyring.gpg" {
		t.Errorf("defaults without apt sources: %+v", p.suites)
	}
}
