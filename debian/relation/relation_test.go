package relation

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical re-rendering
		n    int    // clauses
	}{
		{"", "", 0},
		{"libc6 (>= 2.34)", "libc6 (>= 2.34)", 1},
		{"libc6(>=2.34),  zlib1g", "libc6 (>= 2.34), zlib1g", 2},
		{"nginx | apache2 (>> 2.4) | lighttpd", "nginx | apache2 (>> 2.4) | lighttpd", 1},
		{"python3:any (>= 3.11~)", "python3:any (>= 3.11~)", 1},
		{"perl:native, foo:amd64", "perl:native, foo:amd64", 2},
		{"a (< 1), b (> 2)", "a (<= 1), b (>= 2)", 2},
		{"a (= 1:2.0-1)", "a (= 1:2.0-1)", 1},
		{"a [amd64 !i386]", "a [amd64 !i386]", 1},
		{"a <!nocheck> <cross>", "a <!nocheck> <cross>", 1},
		{"libfoo,\n libbar", "libfoo, libbar", 2},
		{"a,", "a", 1},
	}
	for _, tt := range tests {
		r, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", tt.in, err)
			continue
		}
		if got := r.String(); got != tt.want || len(r) != tt.n {
			t.Errorf("Parse(%q) = %q (%d clauses), want %q (%d)", tt.in, got, len(r), tt.want, tt.n)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in  string
		off int
	}{
		{"a (>= )", 6},
		{"a (=> 1.0)", 3},
		{"a (>= 1.0", 9},
		{"a | | b", 4},
		{"a, , b", 3},
		{"a (>= x1.0)", 6},
		{"a b", 2},
		{"a:", 2},
		{"a [", 3},
		{"(>= 1)", 0},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want *Error", tt.in, err)
			continue
		}
		if e.Offset != tt.off {
			t.Errorf("Parse(%q) error offset %d, want %d (%v)", tt.in, e.Offset, tt.off, err)
		}
	}
}

func TestSatisfies(t *testing.T) {
	a := Atom{Name: "x", Op: GE, Version: "1.0"}
	if !a.Satisfies("1.0") || !a.Satisfies("1.0+b1") || a.Satisfies("1.0~rc1") {
		t.Error("GE semantics wrong")
	}
	a = Atom{Name: "x", Op: LT, Version: "2"}
	if !a.Satisfies("1.9") || a.Satisfies("2") {
		t.Error("LT semantics wrong")
	}
}

func TestParserArenaIsolation(t *testing.T) {
	var p Parser
	r1, _ := p.Parse("a | b, c")
	r2, _ := p.Parse("d, e | f | g")
	if r1.String() != "a | b, c" || r2.String() != "d, e | f | g" {
		t.Fatalf("arena views overlap: %q %q", r1, r2)
	}
}

// realRelations returns the relation fields of the real Packages sample.
func realRelations(tb testing.TB) []string {
	f, err := os.Open("../testdata/Packages.sample")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		for _, k := range []string{"Depends: ", "Pre-Depends: ", "Recommends: ", "Suggests: ", "Conflicts: ", "Breaks: ", "Replaces: ", "Provides: "} {
			if v, ok := strings.CutPrefix(sc.Text(), k); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

func TestRealSample(t *testing.T) {
	rels := realRelations(t)
	if len(rels) < 30 {
		t.Fatalf("only %d relation fields in the sample", len(rels))
	}
	for _, s := range rels {
		r, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(%q): %v", s, err)
			continue
		}
		if r.String() != strings.Join(strings.Fields(s), " ") && len(r) == 0 {
			t.Errorf("Parse(%q) lost clauses", s)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range realRelations(f) {
		f.Add(s)
	}
	for _, s := range []string{"libc6 (>= 2.34), libssl3 (>= 3.0.0)", "nginx | apache2", "python3:any (>= 3.11~)", "a [amd64] <!nocheck>", "debconf (>= 0.5) | debconf-2.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(s) {
				t.Fatalf("Parse(%q): bad error %v", s, err)
			}
			return
		}
		out := r.String()
		r2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %q (from %q) failed: %v", out, s, err)
		}
		if r2.String() != out {
			t.Fatalf("not stable: %q -> %q -> %q", s, out, r2.String())
		}
	})
}
