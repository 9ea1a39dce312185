package resolve

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"pdvm.dev/pdvm/archive"
)

// randomUniverse writes a small random universe in the DSL: up to 6 names
// with 1–2 versions, dependencies with alternatives and version ranges,
// Conflicts, Breaks and (versioned) Provides of two virtual names.
func randomUniverse(r *rand.Rand) string {
	n := 3 + r.IntN(4)
	name := func() string {
		if r.IntN(6) == 0 {
			return fmt.Sprintf("v%d", r.IntN(2))
		}
		return fmt.Sprintf("p%d", r.IntN(n))
	}
	atom := func() string {
		s := name()
		switch r.IntN(5) {
		case 0:
			s += " (>= 2)"
		case 1:
			s += " (<< 2)"
		}
		return s
	}
	var b strings.Builder
	for i := range n {
		for v := 1 + r.IntN(2); v >= 1; v-- {
			fmt.Fprintf(&b, "p%d %d: size %d", i, v, 1+r.IntN(100))
			for range r.IntN(3) {
				alts := []string{atom()}
				for r.IntN(3) == 0 {
					alts = append(alts, atom())
				}
				fmt.Fprintf(&b, "; depends %s", strings.Join(alts, " | "))
			}
			if r.IntN(5) == 0 {
				fmt.Fprintf(&b, "; conflicts %s", atom())
			}
			if r.IntN(8) == 0 {
				fmt.Fprintf(&b, "; breaks %s", atom())
			}
			if r.IntN(5) == 0 {
				if r.IntN(2) == 0 {
					fmt.Fprintf(&b, "; provides v%d (= %d)", r.IntN(2), 1+r.IntN(2))
				} else {
					fmt.Fprintf(&b, "; provides v%d", r.IntN(2))
				}
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// bruteForce returns the best valid subset's cost (count, or size then
// count) and whether any subset is valid.
func bruteForce(u *archive.Universe, req Request) (best [2]int64, ok bool) {
	n := u.Len()
	for mask := 0; mask < 1<<n; mask++ {
		var ids []archive.ID
		var size int64
		for i := range n {
			if mask&(1<<i) != 0 {
				ids = append(ids, archive.ID(i))
				size += u.Pkg(archive.ID(i)).InstalledSize
			}
		}
		if Check(u, req, ids) != nil {
			continue
		}
		c := [2]int64{int64(len(ids)), 0}
		if req.Objective == ObjectiveSize {
			c = [2]int64{size, int64(len(ids))}
		}
		if !ok || c[0] < best[0] || (c[0] == best[0] && c[1] < best[1]) {
			best, ok = c, true
		}
	}
	return best, ok
}

// TestRandomAgainstBruteForce compares Resolve with exhaustive search on
// random universes: same optimum, every answer passes Check, and every
// conflict names a minimal set of clashing needs.
func TestRandomAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	iters := 400
	if testing.Short() {
		iters = 150
	}
	var nFeasible, nConflict int
	defer func() {
		t.Logf("%d feasible, %d conflicting requests", nFeasible, nConflict)
		if nFeasible < iters/4 || nConflict < iters/20 {
			t.Errorf("random requests too one-sided: %d feasible, %d conflicting of %d", nFeasible, nConflict, iters)
		}
	}()
	for it := range iters {
		text := randomUniverse(r)
		u := parseUniverse(t, text)
		if u.Len() > 12 {
			continue
		}
		var req Request
		for range 1 + r.IntN(2) {
			n, _ := ParseNeed(fmt.Sprintf("p%d", r.IntN(3)), fmt.Sprintf("install %d", len(req.Install)))
			if r.IntN(4) == 0 {
				n.Clause = append(n.Clause, n.Clause[0])
				n.Clause[1].Name = "v0"
			}
			req.Install = append(req.Install, n)
		}
		if r.IntN(3) == 0 {
			n, _ := ParseNeed(fmt.Sprintf("p%d (<< 2)", r.IntN(6)), "avoid")
			req.Avoid = append(req.Avoid, n)
		}
		if r.IntN(2) == 0 {
			req.Objective = ObjectiveSize
		}
		desc := fmt.Sprintf("iteration %d\nuniverse:\n%s\nrequest: %+v", it, text, req)
		if err := checkKnown(u, req.Install, req.Avoid); err != nil {
			continue
		}
		best, feasible := bruteForce(u, req)
		sol, err := Resolve(context.Background(), u, req)
		if !feasible {
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("%s\nbrute force: infeasible; Resolve: %v", desc, err)
			}
			checkMinimalCore(t, u, req, ce, desc)
			nConflict++
			continue
		}
		if err != nil {
			t.Fatalf("%s\nbrute force: %v; Resolve: %v", desc, best, err)
		}
		if err := Check(u, req, sol.Packages); err != nil {
			t.Fatalf("%s\nCheck(%s): %v", desc, names(u, sol.Packages), err)
		}
		nFeasible++
		got := [2]int64{int64(sol.Count), 0}
		if req.Objective == ObjectiveSize {
			got = [2]int64{sol.InstalledSize, int64(sol.Count)}
		}
		if got != best || sol.Status != "optimal" || sol.LowerBound != best[0] {
			t.Fatalf("%s\nResolve = %s cost %v (%s, bound %d), brute force %v", desc, names(u, sol.Packages), got, sol.Status, sol.LowerBound, best)
		}
	}
}

// checkMinimalCore verifies that the conflict's needs alone are
// unsatisfiable and that dropping any one of them makes them satisfiable.
func checkMinimalCore(t *testing.T, u *archive.Universe, req Request, ce *ConflictError, desc string) {
	t.Helper()
	sub := func(skip int) Request {
		var r Request
		r.Objective = req.Objective
		for i, n := range ce.Needs {
			if i == skip {
				continue
			}
			if ce.Kinds[i] == "avoid" {
				r.Avoid = append(r.Avoid, n)
			} else {
				r.Install = append(r.Install, n)
			}
		}
		return r
	}
	if _, ok := bruteForce(u, sub(-1)); ok {
		t.Fatalf("%s\nconflict %v: its needs alone are satisfiable", desc, ce)
	}
	for i := range ce.Needs {
		if _, ok := bruteForce(u, sub(i)); !ok {
			t.Fatalf("%s\nconflict %v: not minimal, still unsatisfiable without %s", desc, ce, ce.Needs[i])
		}
	}
	if strings.Contains(ce.Error(), "unsatisfiable") || len(ce.Chains) != len(ce.Needs) {
		t.Fatalf("%s\nconflict without explanation: %v", desc, ce)
	}
}
