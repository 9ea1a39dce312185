package archive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"pdvm.dev/pdvm/debian/relation"
)

func input(suite, data string) Input {
	return Input{
		Origin: Origin{Suite: suite, Component: "main", Arch: "amd64", Source: suite + "/Packages"},
		Open:   func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil },
	}
}

const small = `Package: mta-a
Version: 1.0-1
Architecture: amd64
Provides: mail-transport-agent
Conflicts: mail-transport-agent
Depends: libc6 (>= 2.34)
Installed-Size: 100

Package: libc6
Version: 2.36-9+deb12u1
Architecture: amd64
Multi-Arch: same
Installed-Size: 12000

Package: libc6
Version: 2.36-9
Architecture: amd64
Multi-Arch: same

Package: py
Version: 3.11.2-1+b1
Source: python3-defaults (3.11.2-1)
Architecture: amd64
Multi-Arch: allowed
Provides: python3-api (= 3.11), python3-any

Package: tool
Version: 1
Architecture: all
Depends: py:any (>= 3.11), python3-api (>= 3.10), python3-any (>= 1)
`

func TestBuildAndCandidates(t *testing.T) {
	upd := "Package: libc6\nVersion: 2.36-9+deb12u1\nArchitecture: amd64\nMulti-Arch: same\nInstalled-Size: 12000\n"
	u, err := Build(context.Background(), "amd64", []Input{input("bookworm", small), input("bookworm-updates", upd)})
	if err != nil {
		t.Fatal(err)
	}
	if u.Stanzas != 6 || len(u.Packages) != 5 {
		t.Fatalf("stanzas %d packages %d, want 6 and 5", u.Stanzas, len(u.Packages))
	}
	id, ok := u.Find("libc6", "")
	if !ok || u.Pkg(id).Version != "2.36-9+deb12u1" {
		t.Fatalf("newest libc6 not first: %v", u.Pkg(id).Version)
	}
	if got := u.OriginNames(u.Pkg(id)); !reflect.DeepEqual(got, []string{"bookworm", "bookworm-updates"}) {
		t.Errorf("origins = %v", got)
	}
	py, _ := u.Find("py", "")
	if p := u.Pkg(py); p.Source != "python3-defaults" || p.SourceVersion != "3.11.2-1" {
		t.Errorf("binNMU source = %s %s", p.Source, p.SourceVersion)
	}
	tool, _ := u.Find("tool", "")
	deps := u.Pkg(tool).Rel[Depends]
	// py:any matches the M-A: allowed py; versioned provides satisfy
	// versioned deps only when versioned; unversioned never do.
	for i, want := range []int{1, 1, 0} {
		if got := len(u.Candidates(nil, deps[i][0])); got != want {
			t.Errorf("candidates of %s = %d, want %d", deps[i], got, want)
		}
	}
	if got := u.Candidates(nil, relation.Atom{Name: "libc6", Op: relation.GE, Version: "2.36-9+deb12u1"}); len(got) != 1 {
		t.Errorf("versioned libc6 candidates = %v", got)
	}
	if got := u.Candidates(nil, relation.Atom{Name: "mail-transport-agent"}); len(got) != 1 {
		t.Errorf("virtual candidates = %v", got)
	}
	if !u.Known("mail-transport-agent") || u.Known("nope") {
		t.Error("Known wrong")
	}
	if vn := u.VirtualNames(); !reflect.DeepEqual(vn, []string{"mail-transport-agent", "python3-any", "python3-api"}) {
		t.Errorf("virtual names = %v", vn)
	}
	st := u.Stats()
	if st.Relations[Depends].Clauses != 4 || st.Relations[Depends].Atoms != 4 || st.Relations[Provides].Clauses != 3 {
		t.Errorf("stats = %+v", st.Relations)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		data string
		line int
		frag string
	}{
		{"Package: a\nVersion: x1\nArchitecture: all\n", 2, "Version"},
		{"Package: a\nVersion: 1\nArchitecture: all\nDepends: b (>= )\n", 4, "Depends"},
		{"Package: a\nVersion: 1\nArchitecture: all\nProvides: b | c\n", 4, "alternatives"},
		{"Package: a\nArchitecture: all\n", 1, "no Version"},
		{"Version: 1\n", 1, "no Package"},
		{"Package: a\nVersion: 1\nArchitecture: all\nInstalled-Size: lots\n", 4, "size"},
		{"Package: a\nVersion: 1\nArchitecture: all\nMulti-Arch: maybe\n", 4, "Multi-Arch"},
	}
	for _, tt := range tests {
		_, _, err := ParsePackages(context.Background(), strings.NewReader(tt.data), "idx", 1)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tt.line || pe.File != "idx" || !strings.Contains(err.Error(), tt.frag) {
			t.Errorf("%q: err = %v, want ParseError at idx:%d mentioning %q", tt.data, err, tt.line, tt.frag)
		}
	}
}

func sampleUniverse(t testing.TB) *Universe {
	data, err := os.ReadFile("../debian/testdata/Packages.sample")
	if err != nil {
		t.Fatal(err)
	}
	u, err := Build(context.Background(), "amd64", []Input{input("bookworm", string(data))})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestEncodeRoundTrip(t *testing.T) {
	u := sampleUniverse(t)
	var buf bytes.Buffer
	if err := u.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	v, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(u.Packages, v.Packages) || !reflect.DeepEqual(u.Origins, v.Origins) || u.Stanzas != v.Stanzas || u.Native != v.Native {
		t.Fatal("decoded universe differs")
	}
	if !reflect.DeepEqual(u.Stats(), v.Stats()) {
		t.Fatal("decoded stats differ")
	}
	// Every truncation and every flipped byte is detected.
	data := buf.Bytes()
	for _, n := range []int{0, 5, len(data) / 3, len(data) - 1} {
		if _, err := Decode(data[:n]); !errors.Is(err, ErrCorruptCache) {
			t.Errorf("truncated at %d: err = %v", n, err)
		}
	}
	for _, i := range []int{len(magic) + 3, len(data) / 2, len(data) - 10} {
		bad := bytes.Clone(data)
		bad[i] ^= 0x40
		if _, err := Decode(bad); !errors.Is(err, ErrCorruptCache) {
			t.Errorf("flipped byte %d: err = %v", i, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	u := sampleUniverse(f)
	var buf bytes.Buffer
	u.Encode(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		Decode(data) // must not panic
	})
}

// TestMergeKeepsFirstFilename guards the lock's download URL: when two
// suites list the same package from different pools, the merged package
// keeps the Filename of the first suite, the one OriginNames lists first.
func TestMergeKeepsFirstFilename(t *testing.T) {
	a := "Package: x\nVersion: 1\nArchitecture: all\nFilename: pool/main/x/x_1_all.deb\n"
	b := "Package: x\nVersion: 1\nArchitecture: all\nFilename: pool/updates/main/x/x_1_all.deb\n"
	for i := 0; i < 20; i++ {
		u, err := Build(context.Background(), "amd64", []Input{input("bookworm", a), input("bookworm-security", b)})
		if err != nil {
			t.Fatal(err)
		}
		p := u.Pkg(0)
		if p.Filename != "pool/main/x/x_1_all.deb" || u.OriginNames(p)[0] != "bookworm" {
			t.Fatalf("merged %s from %v", p.Filename, u.OriginNames(p))
		}
	}
}
