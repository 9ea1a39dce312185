package solve

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"pdvm.dev/pdvm/internal/testenv"
)

// claspOptimum solves a single-level instance with clasp (the ASP/MaxSAT
// solver aspcud is built on) through WCNF and returns its proven optimum.
func claspOptimum(t *testing.T, p *Problem, objective []Term, assume []Lit) (int64, bool) {
	t.Helper()
	var buf bytes.Buffer
	offset, err := p.WriteWCNF(&buf, objective, assume)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("clasp", "--time-limit=120", "--opt-strategy=usc")
	cmd.Stdin = &buf
	out, _ := cmd.Output() // clasp exits 20/30 on success
	var best int64 = -1
	optimum, unsat := false, false
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "o "):
			best, err = strconv.ParseInt(line[2:], 10, 64)
			if err != nil {
				t.Fatalf("clasp: %q: %v", line, err)
			}
		case line == "s OPTIMUM FOUND":
			optimum = true
		case line == "s UNSATISFIABLE":
			unsat = true
		}
	}
	if unsat {
		return 0, false
	}
	if !optimum {
		t.Fatalf("clasp did not prove an optimum:\n%s", out)
	}
	return best + offset, true
}

// TestRealClaspOracle compares proven optima with clasp's on synthetic
// Debian-like universes (count and Installed-Size objectives), the survey's
// synthetic family, and random weighted instances too large for brute force.
func TestRealClaspOracle(t *testing.T) {
	testenv.Real(t, "clasp")
	ctx := context.Background()
	check := func(name string, p *Problem, obj []Term, assume []Lit) {
		t.Helper()
		want, sat := claspOptimum(t, p, obj, assume)
		res, err := p.Minimize(ctx, [][]Term{obj}, Options{Assume: assume})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !sat {
			if res.Status != Unsat {
				t.Fatalf("%s: clasp says unsat, pdvm %v", name, res.Status)
			}
			return
		}
		if res.Status != Optimal || res.Cost[0] != want {
			t.Fatalf("%s: pdvm %v cost %v, clasp optimum %d", name, res.Status, res.Cost, want)
		}
	}
	u := satisfiableUniverse(t, 1, 3000, 15)
	check("debianLike/count", u.problem(), u.countObjective(), nil)
	check("debianLike/size", u.problem(), u.sizeObjective(), nil)
	rf := researchFamily(t, 1, 1000)
	check("researchFamily/count", rf.problem(), rf.countObjective(), nil)
	check("researchFamily/size", rf.problem(), rf.sizeObjective(), nil)

	r := rand.New(rand.NewPCG(11, 12))
	for i := range 100 {
		n := 30 + r.IntN(50)
		cs, assume := randomInstance(r, n)
		obj := randomObjectives(r, n)
		if len(obj) == 0 {
			continue
		}
		p := New()
		for range n {
			p.NewVar()
		}
		for _, c := range cs {
			p.Add(c.lits...)
		}
		check("random/"+strconv.Itoa(i), p, obj[0], assume)
	}
}
