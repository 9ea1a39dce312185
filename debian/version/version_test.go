package version

import (
	"testing"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.00", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0", "1.0+b1", -1},
		{"1.0", "1.0a", -1},
		{"1.0a", "1.0.1", -1},
		{"1:0.9", "2.0", 1},
		{"0:2.0", "2.0", 0},
		{"2.0-1", "2.0-1+deb12u1", -1},
		{"2.0-1+deb12u1", "2.0-1+deb12u10", -1},
		{"2.0-1+deb12u2", "2.0-1+deb12u10", -1},
		{"1.2.3-4", "1.2.3-4~bpo12+1", 1},
		{"1.", "1", 1},
		{"a", "b", -1},
		{"1.0-1", "1.0", 1},
		{"10", "9", 1},
		{"1.001", "1.1", 0},
		{"1.0+dfsg-1", "1.0-1", 1},
	}
	for _, tt := range tests {
		if got := Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Compare(tt.b, tt.a); got != -tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
		va, ea := Parse(tt.a)
		vb, eb := Parse(tt.b)
		if ea == nil && eb == nil {
			if got := va.Compare(vb); got != tt.want {
				t.Errorf("Version(%q).Compare(%q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		}
	}
}

func TestParse(t *testing.T) {
	good := []struct {
		in    string
		epoch uint32
		up    string
		rev   string
	}{
		{"1.0", 0, "1.0", ""},
		{"1:2.3-4", 1, "2.3", "4"},
		{"2.3-4-5", 0, "2.3-4", "5"},
		{"1:2:3-4", 1, "2:3", "4"},
		{"3.0~rc1+dfsg-1~bpo12+1", 0, "3.0~rc1+dfsg", "1~bpo12+1"},
	}
	for _, tt := range good {
		v, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) error %v", tt.in, err)
			continue
		}
		if v.Epoch != tt.epoch || v.Upstream != tt.up || v.Revision != tt.rev {
			t.Errorf("Parse(%q) = %+v", tt.in, v)
		}
		if v.String() != tt.in {
			t.Errorf("Parse(%q).String() = %q", tt.in, v.String())
		}
	}
	bad := []string{"", "a1.0", "1.0-", ":1.0", "x:1.0", "1:", "1.0 2", "1.0_1", "1.0-1_2", "99999999999:1"}
	for _, in := range bad {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) succeeded, want error", in)
		}
	}
}

func FuzzCompare(f *testing.F) {
	for _, s := range []string{"1.0", "1:2.3-4", "1.0~rc1", "2.0-1+deb12u10", "1.2.3-4~bpo12+1", "0.0.0+git20230101.abcdef-1+b2"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c1, c2 := Compare(a, b), Compare(b, a)
		if c1 != -c2 {
			t.Fatalf("Compare not antisymmetric: %q %q: %d %d", a, b, c1, c2)
		}
		if Compare(a, a) != 0 {
			t.Fatalf("Compare(%q, itself) != 0", a)
		}
		v, err := Parse(a)
		if err != nil {
			return
		}
		if s := v.String(); Compare(s, a) != 0 {
			t.Fatalf("Parse(%q).String() = %q compares differently", a, s)
		}
		w, err := Parse(v.String())
		if err != nil || w != v {
			t.Fatalf("round trip of %q: %+v %v", a, w, err)
		}
	})
}

func BenchmarkCompare(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Compare("1:2.36.1-8+deb12u1", "1:2.36.1-8+deb12u10")
	}
}
