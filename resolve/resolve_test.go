package resolve

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"pdvm.dev/pdvm/archive"
)

type scenario struct {
	name     string
	universe []string
	req      Request
	want     string
	wantErr  []string
	line     int
}

func readScenarios(t *testing.T, path string) []scenario {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []scenario
	var cur *scenario
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "== "):
			out = append(out, scenario{name: strings.TrimSpace(strings.SplitN(line[3:], ":", 2)[0]), line: i + 1})
			cur = &out[len(out)-1]
		case cur == nil:
		case strings.HasPrefix(line, "> "):
			verb, arg, _ := strings.Cut(strings.TrimSpace(line[2:]), " ")
			arg = strings.TrimSpace(arg)
			switch verb {
			case "install", "avoid", "prefer":
				n, err := ParseNeed(arg, "case")
				if err != nil {
					t.Fatalf("%s:%d: %v", path, i+1, err)
				}
				switch verb {
				case "install":
					cur.req.Install = append(cur.req.Install, n)
				case "avoid":
					cur.req.Avoid = append(cur.req.Avoid, n)
				default:
					cur.req.Prefer = append(cur.req.Prefer, n)
				}
			case "base":
				cur.req.Base = arg
			case "objective":
				cur.req.Objective = arg
			default:
				t.Fatalf("%s:%d: unknown request verb %q", path, i+1, verb)
			}
		case strings.HasPrefix(line, "= "):
			cur.want = strings.TrimSpace(line[2:])
		case strings.HasPrefix(line, "!"):
			cur.wantErr = append(cur.wantErr, strings.TrimPrefix(strings.TrimPrefix(line, "!"), " "))
		default:
			cur.universe = append(cur.universe, line)
		}
	}
	return out
}

func TestScenarios(t *testing.T) {
	for _, sc := range readScenarios(t, "testdata/resolve.txt") {
		t.Run(sc.name, func(t *testing.T) {
			u := parseUniverse(t, strings.Join(sc.universe, "\n"))
			sol, err := Resolve(context.Background(), u, sc.req)
			if sc.wantErr != nil {
				want := strings.Join(sc.wantErr, "\n")
				if err == nil {
					t.Fatalf("testdata/resolve.txt:%d: Resolve = %s, want error\n%s", sc.line, names(u, sol.Packages), want)
				}
				var ce *ConflictError
				if !errors.As(err, &ce) {
					t.Fatalf("Resolve error %T %v, want *ConflictError", err, err)
				}
				if err.Error() != want {
					t.Errorf("testdata/resolve.txt:%d: error:\n%s\nwant:\n%s", sc.line, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("testdata/resolve.txt:%d: Resolve: %v", sc.line, err)
			}
			if err := Check(u, sc.req, sol.Packages); err != nil {
				t.Errorf("Check: %v", err)
			}
			if got := names(u, sol.Packages); got != sc.want {
				t.Errorf("testdata/resolve.txt:%d: Resolve = %s, want %s", sc.line, got, sc.want)
			}
			if sol.Status != "optimal" {
				t.Errorf("Status = %s, want optimal", sol.Status)
			}
			for _, id := range sol.Packages {
				chain := sol.Why(id)
				if len(chain) == 0 || chain[0].Need == nil || chain[len(chain)-1].Pkg != id {
					t.Errorf("Why(%s) = %+v: want a chain from a need to it", u.Pkg(id).Name, chain)
				}
			}
		})
	}
}

func TestUnknownPackage(t *testing.T) {
	u := parseUniverse(t, "nginx 1\nnginx-core 1\n")
	n, _ := ParseNeed("ngnix", "web.pdvm.hcl:3:5")
	_, err := Resolve(context.Background(), u, Request{Install: []Need{n}})
	var ue *UnknownPackageError
	if !errors.As(err, &ue) {
		t.Fatalf("Resolve(ngnix) error = %v, want *UnknownPackageError", err)
	}
	if got, want := err.Error(), `web.pdvm.hcl:3:5: unknown package "ngnix" (did you mean nginx?)`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestParseNeed(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nginx", "nginx"},
		{"nginx=1.22.1-9", "nginx (= 1.22.1-9)"},
		{"openssh-server | dropbear-bin", "openssh-server | dropbear-bin"},
		{"python3 (>= 3.11)", "python3 (>= 3.11)"},
	} {
		n, err := ParseNeed(tc.in, "argument 1")
		if err != nil {
			t.Fatalf("ParseNeed(%q): %v", tc.in, err)
		}
		if got := n.Clause.String(); got != tc.want {
			t.Errorf("ParseNeed(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := ParseNeed("nginx=", "argument 1"); err == nil {
		t.Errorf("ParseNeed(nginx=) succeeded, want error")
	}
}

func TestWhyChain(t *testing.T) {
	u := parseUniverse(t, "a 1: depends b\nb 1: depends c (>= 1)\nc 1\n")
	n, _ := ParseNeed("a", "argument 1")
	sol, err := Resolve(context.Background(), u, Request{Install: []Need{n}})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := u.Find("c", "")
	got := FormatChain(u, sol.Why(id))
	want := "a 1 (need a (argument 1)) -> Depends: b -> b 1 -> Depends: c (>= 1) -> c 1"
	if got != want {
		t.Errorf("Why(c) = %q, want %q", got, want)
	}
	if got, want := sol.PulledBy(id), "b (Depends: c (>= 1))"; got != want {
		t.Errorf("PulledBy(c) = %q, want %q", got, want)
	}
}

func TestForbid(t *testing.T) {
	u := parseUniverse(t, "a 1: depends lib\nlib 2\nlib 1\n")
	n, _ := ParseNeed("a", "argument 1")
	req := Request{Install: []Need{n}, Forbid: func(p *archive.Package) (string, bool) {
		return "CVE-2099-1", p.Name == "lib" && p.Version == "2"
	}}
	sol, err := Resolve(context.Background(), u, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(u, sol.Packages); got != "a 1, lib 1" {
		t.Errorf("Resolve = %s, want a 1, lib 1", got)
	}
	req.Forbid = func(p *archive.Package) (string, bool) { return "CVE-2099-1", p.Name == "lib" }
	_, err = Resolve(context.Background(), u, req)
	if err == nil || !strings.Contains(err.Error(), "lib 2 is forbidden (CVE-2099-1)") {
		t.Errorf("Resolve with every lib forbidden: %v, want the forbidden reason", err)
	}
}

func TestCheckFindsProblems(t *testing.T) {
	u := parseUniverse(t, "a 1: depends b; conflicts c\nb 1\nc 1\nd 2\nd 1\n")
	id := func(n, v string) archive.ID { i, _ := u.Find(n, v); return i }
	n, _ := ParseNeed("a", "x")
	av, _ := ParseNeed("c", "y")
	err := Check(u, Request{Install: []Need{n}, Avoid: []Need{av}}, []archive.ID{id("a", "1"), id("c", "1"), id("d", "2"), id("d", "1")})
	if err == nil {
		t.Fatal("Check accepted a broken set")
	}
	for _, want := range []string{"Depends: b is not satisfied", "Conflicts: c hits c 1", "two versions of d", "avoid c (y): c 1 amd64 is installed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error lacks %q:\n%v", want, err)
		}
	}
}

// TestBudget: a budget too small to prove anything never yields "optimal".
func TestBudget(t *testing.T) {
	u := parseUniverse(t, "a 1: depends b | c\nb 1\nc 1\n")
	n, _ := ParseNeed("a", "argument 1")
	sol, err := Resolve(context.Background(), u, Request{Install: []Need{n}, Budget: time.Nanosecond})
	switch {
	case err != nil:
		if !strings.Contains(err.Error(), "budget") {
			t.Errorf("Resolve with a 1ns budget: %v, want a budget error", err)
		}
	case sol.Status == "optimal" && int64(sol.Count) != sol.LowerBound:
		t.Errorf("status optimal with count %d and bound %d", sol.Count, sol.LowerBound)
	}
}
