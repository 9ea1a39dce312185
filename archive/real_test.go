package archive_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	pcontrol "pault.ag/go/debian/control"
	pdependency "pault.ag/go/debian/dependency"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/internal/realarchive"
	"pdvm.dev/pdvm/internal/testenv"
)

// TestRealStatsIndependent parses bookworm main, updates and security and
// checks pdvm's counts against counts computed independently: stanzas and
// names from raw lines, relation clauses and atoms with pault.ag/go/debian.
func TestRealStatsIndependent(t *testing.T) {
	u := realarchive.Universe(t)
	files, err := realarchive.Files()
	if err != nil {
		t.Fatal(err)
	}
	stanzas := 0
	names := map[string]bool{}
	essential := map[string]bool{}
	fields := map[string]string{
		"Depends": "Depends", "Pre-Depends": "Pre-Depends", "Recommends": "Recommends", "Suggests": "Suggests",
		"Enhances": "Enhances", "Conflicts": "Conflicts", "Breaks": "Breaks", "Replaces": "Replaces", "Provides": "Provides",
	}
	type count struct{ clauses, atoms int }
	indep := map[string]*count{}
	seen := map[string]bool{} // name/version/arch, to count merged duplicates once
	for _, f := range files {
		rc, err := realarchive.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "Package: ") {
				stanzas++
				names[line[9:]] = true
			}
		}
		paras, err := pcontrol.ParseBinaryIndex(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			t.Fatalf("pault.ag parse of %s: %v", f, err)
		}
		for _, p := range paras {
			key := p.Package + "/" + p.Version.String() + "/" + p.Architecture.String()
			if seen[key] {
				continue
			}
			seen[key] = true
			if p.Values["Essential"] == "yes" {
				essential[key] = true
			}
			for field := range fields {
				v, ok := p.Values[field]
				if !ok {
					continue
				}
				dep, err := pdependency.Parse(v)
				if err != nil {
					t.Fatalf("pault.ag relation parse %s %s: %v", p.Package, field, err)
				}
				c := indep[field]
				if c == nil {
					c = &count{}
					indep[field] = c
				}
				c.clauses += len(dep.Relations)
				for _, r := range dep.Relations {
					c.atoms += len(r.Possibilities)
				}
			}
		}
	}
	st := u.Stats()
	if st.Stanzas != stanzas {
		t.Errorf("stanzas = %d, independent count %d", st.Stanzas, stanzas)
	}
	if st.Names != len(names) {
		t.Errorf("names = %d, independent count %d", st.Names, len(names))
	}
	if st.Packages != len(seen) {
		t.Errorf("packages = %d, independent count %d", st.Packages, len(seen))
	}
	if st.Essential != len(essential) {
		t.Errorf("essential = %d, independent count %d", st.Essential, len(essential))
	}
	for _, r := range st.Relations {
		c := indep[r.Kind]
		if c == nil {
			c = &count{}
		}
		if r.Clauses != c.clauses || r.Atoms != c.atoms {
			t.Errorf("%s: clauses/atoms = %d/%d, pault.ag counts %d/%d", r.Kind, r.Clauses, r.Atoms, c.clauses, c.atoms)
		}
	}
	t.Logf("stanzas %d, packages %d, names %d, virtual %d, essential %d", st.Stanzas, st.Packages, st.Names, st.VirtualNames, st.Essential)
}

// TestRealEncodeRoundTrip writes the full archive to the binary cache
// format and reads it back.
func TestRealEncodeRoundTrip(t *testing.T) {
	u := realarchive.Universe(t)
	var buf bytes.Buffer
	if err := u.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	v, err := archive.Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cache %d bytes, decoded in %v", buf.Len(), time.Since(t0))
	if len(v.Packages) != len(u.Packages) {
		t.Fatal("package count differs")
	}
	for i := range u.Packages {
		a, b := &u.Packages[i], &v.Packages[i]
		if a.Name != b.Name || a.Version != b.Version || a.SHA256 != b.SHA256 || a.Rel[archive.Depends].String() != b.Rel[archive.Depends].String() || a.Rel[archive.Provides].String() != b.Rel[archive.Provides].String() {
			t.Fatalf("package %d differs: %s %s", i, a.Name, b.Name)
		}
	}
}

func realInputs(tb testing.TB) []archive.Input {
	files, err := realarchive.Files()
	if err != nil {
		tb.Fatal(err)
	}
	var ins []archive.Input
	for _, f := range files {
		data, err := func() ([]byte, error) {
			rc, err := realarchive.Open(f)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(rc)
		}()
		if err != nil {
			tb.Fatal(err)
		}
		ins = append(ins, archive.Input{Origin: archive.Origin{Suite: f}, Open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}})
	}
	return ins
}

// BenchmarkParse is the cold parse of bookworm main+updates+security from
// decompressed indexes already in memory.
func BenchmarkParse(b *testing.B) {
	testenv.Real(b)
	ins := realInputs(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := archive.Build(context.Background(), "amd64", ins); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode is the warm load from the binary cache.
func BenchmarkDecode(b *testing.B) {
	testenv.Real(b)
	u, err := archive.Build(context.Background(), "amd64", realInputs(b))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	u.Encode(&buf)
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := archive.Decode(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	_ = os.Stdout
}
