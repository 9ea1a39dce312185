package resolve

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/internal/realarchive"
	"pdvm.dev/pdvm/internal/testenv"
)

func brokenSet(u *archive.Universe, res *DistcheckResult) []string {
	var out []string
	for _, b := range res.Broken {
		out = append(out, pkgString(u, b.Pkg))
	}
	sort.Strings(out)
	return out
}

func TestDistcheckSmall(t *testing.T) {
	u := parseUniverse(t, `
bash 1: essential
a 1: depends b
b 1: depends ghost
c 1: depends b | d
d 1
e 1: conflicts bash
f 1: depends e | g
g 2: depends h (>= 2)
h 1
i 1: depends j
j 1: conflicts k
k 1: breaks j
l 1: depends j, k
m 2: depends n (= 1)
m 1
n 2
n 1
o 1: depends m (>= 2), n (>= 2)
`)
	res, err := Distcheck(context.Background(), u, DistcheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(brokenSet(u, res), "; ")
	want := "a 1 amd64; b 1 amd64; e 1 amd64; f 1 amd64; g 2 amd64; l 1 amd64; o 1 amd64"
	if got != want {
		t.Errorf("broken = %s\nwant     %s", got, want)
	}
	reasons := map[string]string{}
	for _, b := range res.Broken {
		reasons[u.Pkg(b.Pkg).Name] = b.Kind + ": " + b.Reason
	}
	for name, want := range map[string]string{
		"a": "missing: a 1 Depends b -> b 1 Depends ghost: no package is called or provides ghost",
		"e": "conflict: e 1 Conflicts bash, but bash 1 (need bash (base essential)) is needed",
		"g": "missing: g 2 Depends h (>= 2): no version of h matches (available: 1)",
	} {
		if reasons[name] != want {
			t.Errorf("reason for %s = %q\nwant %q", name, reasons[name], want)
		}
	}
	// Without the Essential set, e and f are installable.
	res, err = Distcheck(context.Background(), u, DistcheckOptions{IgnoreEssential: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(brokenSet(u, res), "; "); strings.Contains(got, "e 1") {
		t.Errorf("ignoring Essential, broken = %s; e should be installable", got)
	}
}

// TestRandomDistcheck compares Distcheck with brute force on random
// universes.
func TestRandomDistcheck(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	iters := 150
	if testing.Short() {
		iters = 40
	}
	for it := 0; it < iters; it++ {
		text := randomUniverse(r)
		u := parseUniverse(t, text)
		if u.Len() > 12 {
			continue
		}
		res, err := Distcheck(context.Background(), u, DistcheckOptions{IgnoreEssential: true})
		if err != nil {
			t.Fatal(err)
		}
		isBroken := map[archive.ID]bool{}
		for _, b := range res.Broken {
			isBroken[b.Pkg] = true
		}
		for id := range u.Len() {
			p := u.Pkg(archive.ID(id))
			n := Need{Clause: relation.Clause{{Name: p.Name, Op: relation.EQ, Version: p.Version}}, Origin: "x"}
			_, ok := bruteForce(u, Request{Install: []Need{n}})
			if ok == isBroken[archive.ID(id)] {
				t.Fatalf("iteration %d\n%s\n%s: installable by brute force %v, distcheck says broken %v", it, text, pkgString(u, archive.ID(id)), ok, isBroken[archive.ID(id)])
			}
		}
	}
}

var doseLine = regexp.MustCompile(`(?m)^ +package: (\S+)\n +version: (\S+)\n +architecture: (\S+)\n +status: broken`)

// TestRealDistcheckMatchesDose runs dose-distcheck (native amd64, Essential
// packages included, as the solver anchors did) and Distcheck on the same
// Packages data and compares the broken sets exactly: bookworm main alone,
// and bookworm + updates + security (every version) together.
func TestRealDistcheckMatchesDose(t *testing.T) {
	testenv.Real(t, "dose-distcheck")
	files, err := realarchive.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files []string
	}{{"main", files[:1]}, {"main+updates+security", files}} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := filepath.Join(t.TempDir(), "Packages")
			f, err := os.Create(tmp)
			if err != nil {
				t.Fatal(err)
			}
			var inputs []archive.Input
			for _, file := range tc.files {
				in, err := realarchive.Open(file)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(f, in); err != nil {
					t.Fatal(err)
				}
				in.Close()
				file := file
				inputs = append(inputs, archive.Input{
					Origin: archive.Origin{Suite: filepath.Base(file), Component: "main", Arch: "amd64", Source: file},
					Open:   func() (io.ReadCloser, error) { return realarchive.Open(file) },
				})
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			u, err := archive.Build(context.Background(), "amd64", inputs)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Distcheck(context.Background(), u, DistcheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("pdvm: %d packages, %d broken, %d by greedy sets, %d SAT calls, %v", res.Total, len(res.Broken), res.Greedy, res.SATCalls, res.Elapsed)
			out, err := exec.Command("dose-distcheck", "--deb-native-arch=amd64", "-f", "deb://"+tmp).Output()
			if err != nil && len(out) == 0 {
				t.Fatalf("dose-distcheck: %v", err)
			}
			var want []string
			for _, m := range doseLine.FindAllStringSubmatch(string(out), -1) {
				want = append(want, m[1]+" "+m[2]+" "+m[3])
			}
			sort.Strings(want)
			got := brokenSet(u, res)
			if len(want) == 0 {
				t.Fatalf("dose-distcheck reported no broken package; output:\n%.2000s", out)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("broken sets differ:\npdvm:\n%s\ndose-distcheck:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if m := regexp.MustCompile(`total-packages: (\d+)`).FindStringSubmatch(string(out)); m == nil || m[1] != fmt.Sprint(res.Total) {
				t.Errorf("dose-distcheck checked %v packages, pdvm %d", m, res.Total)
			}
			for _, b := range res.Broken {
				t.Logf("%s: %s: %s", pkgString(u, b.Pkg), b.Kind, b.Reason)
			}
		})
	}
}
