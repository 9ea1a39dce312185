package solve

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomInstance builds a small random universe: dependency-like clauses
// (¬a ∨ b ∨ c), conflicts (¬a ∨ ¬b), random clauses, some labelled requests.
func randomInstance(r *rand.Rand, n int) ([]labeledClause, []Lit) {
	lit := func() Lit {
		l := Lit(r.IntN(n) + 1)
		if r.IntN(2) == 0 {
			return -l
		}
		return l
	}
	v := func() Lit { return Lit(r.IntN(n) + 1) }
	var cs []labeledClause
	for range r.IntN(2 * n) {
		switch r.IntN(4) {
		case 0, 1: // dependency with 1-3 alternatives
			c := []Lit{-v()}
			for range 1 + r.IntN(3) {
				c = append(c, v())
			}
			cs = append(cs, labeledClause{hard, c})
		case 2: // conflict
			cs = append(cs, labeledClause{hard, []Lit{-v(), -v()}})
		default:
			c := []Lit{}
			for range 1 + r.IntN(3) {
				c = append(c, lit())
			}
			cs = append(cs, labeledClause{hard, c})
		}
	}
	for i := range r.IntN(5) { // requests, as labelled unit clauses
		cs = append(cs, labeledClause{i, []Lit{lit()}})
	}
	var assume []Lit
	if r.IntN(4) == 0 {
		assume = append(assume, lit())
	}
	return cs, assume
}

func randomObjectives(r *rand.Rand, n int) [][]Term {
	var obj [][]Term
	for range r.IntN(3) {
		var level []Term
		big := r.IntN(2) == 0
		for v := 1; v <= n; v++ {
			if r.IntN(3) == 0 {
				continue
			}
			w := int64(1)
			if big {
				w = 1 + r.Int64N(1_000_000)
			} else if r.IntN(4) == 0 {
				w = int64(r.IntN(5)) - 1 // includes 0 and negative weights
			}
			l := Lit(v)
			if r.IntN(5) == 0 {
				l = -l
			}
			level = append(level, Term{l, w})
		}
		obj = append(obj, level)
	}
	return obj
}

func TestRandomAgainstBruteForce(t *testing.T) {
	iters := 1500
	if testing.Short() {
		iters = 400
	}
	r := rand.New(rand.NewPCG(1, 2))
	var stats [4]int
	for it := range iters {
		n := 1 + r.IntN(12)
		if it%50 == 0 {
			n = 16
		}
		cs, assume := randomInstance(r, n)
		obj := randomObjectives(r, n)
		p := New()
		for range n {
			p.NewVar()
		}
		var clauses [][]Lit
		for _, c := range cs {
			clauses = append(clauses, c.lits)
			if c.label == hard {
				p.Add(c.lits...)
			} else {
				p.AddLabeled(c.label, c.lits...)
			}
		}
		res, err := p.Minimize(context.Background(), obj, Options{Assume: assume})
		if err != nil {
			t.Fatalf("iter %d: %v", it, err)
		}
		stats[res.Status]++
		want := bruteMin(n, clauses, assume, obj)
		if want == nil {
			if res.Status != Unsat {
				t.Fatalf("iter %d: status %v, brute force says unsat\n%v", it, res.Status, cs)
			}
			checkCore(t, n, cs, assume, res.Core)
			continue
		}
		if res.Status != Optimal {
			t.Fatalf("iter %d: status %v, brute force optimum %v", it, res.Status, want)
		}
		if bad := checkModel(res.Model, clauses, assume); bad != nil {
			t.Fatalf("iter %d: model violates %v", it, bad)
		}
		got := make([]int64, len(obj))
		for k, level := range obj {
			got[k] = evalTerms(level, res.Model)
		}
		if !slices.Equal(got, want) || !slices.Equal(res.Cost, want) || !slices.Equal(res.LowerBound, want) {
			t.Fatalf("iter %d: model costs %v, reported %v, bound %v; brute force %v\nclauses %v\nobj %v",
				it, got, res.Cost, res.LowerBound, want, cs, obj)
		}
	}
	t.Logf("statuses: optimal %d, unsat %d", stats[Optimal], stats[Unsat])
}

// TestIncAgainstBruteForce checks the incremental handle: every answer of
// Solve under random assumptions matches enumeration, models satisfy the
// clauses, and Why() is a subset of the assumptions that is unsatisfiable.
func TestIncAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for it := range 200 {
		n := 1 + r.IntN(10)
		cs, _ := randomInstance(r, n)
		p := New()
		for range n {
			p.NewVar()
		}
		var clauses [][]Lit
		for _, c := range cs {
			clauses = append(clauses, c.lits)
			p.Add(c.lits...)
		}
		inc := p.Incremental()
		for q := range 8 {
			var assume []Lit
			for range r.IntN(4) {
				l := Lit(r.IntN(n) + 1)
				if r.IntN(2) == 0 {
					l = -l
				}
				assume = append(assume, l)
			}
			sat := inc.Solve(assume...)
			want := bruteMin(n, clauses, assume, nil) != nil
			if sat != want {
				t.Fatalf("iter %d query %d: Solve(%v) = %v, brute force %v", it, q, assume, sat, want)
			}
			if sat {
				model := make([]bool, n+1)
				for v := 1; v <= n; v++ {
					model[v] = inc.Value(Lit(v))
				}
				if bad := checkModel(model, clauses, assume); bad != nil {
					t.Fatalf("iter %d query %d: model violates %v", it, q, bad)
				}
				continue
			}
			why := inc.Why()
			for _, l := range why {
				if !slices.Contains(assume, l) {
					t.Fatalf("iter %d: Why() %v not within assumptions %v", it, why, assume)
				}
			}
			if bruteMin(n, clauses, why, nil) != nil {
				t.Fatalf("iter %d: Why() %v is satisfiable", it, why)
			}
		}
	}
}

// TestPossibleAgainstBruteForce checks Inc.Possible on random universes:
// each answer matches enumeration.
func TestPossibleAgainstBruteForce(t *testing.T) {
	iters := 3000
	if testing.Short() {
		iters = 500
	}
	r := rand.New(rand.NewPCG(5, 6))
	for it := range iters {
		n := 1 + r.IntN(12)
		cs, _ := randomInstance(r, n)
		p := New()
		for range n {
			p.NewVar()
		}
		var clauses [][]Lit
		for _, c := range cs {
			clauses = append(clauses, c.lits)
			p.Add(c.lits...)
		}
		var cands []Lit
		for v := 1; v <= n; v++ {
			cands = append(cands, Lit(v))
			if r.IntN(3) == 0 {
				cands = append(cands, Lit(-v))
			}
		}
		inc := p.Incremental()
		if it%3 == 0 { // a used solver must answer the same
			inc.Solve(cands[r.IntN(len(cands))])
		}
		got := inc.Possible(cands)
		for i, c := range cands {
			want := bruteMin(n, clauses, []Lit{c}, nil) != nil
			if got[i] != want {
				t.Fatalf("iter %d: Possible(%v) = %v, brute force %v\nclauses %v", it, c, got[i], want, clauses)
			}
			// The solver stays usable after Possible.
			if i < 3 && inc.Solve(c) != want {
				t.Fatalf("iter %d: Solve(%v) after Possible = %v, brute force %v", it, c, !want, want)
			}
		}
	}
}
