package solve

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestDebianLikeProvenOptimal solves a synthetic Debian-like universe with
// the count objective (plus a tie-break level) and with Installed-Size
// weights, checks every model with the independent checker, and checks the
// optimum two ways: unit weights against all weights scaled by 1000 (a
// different stratification path must find 1000× the same optimum).
func TestDebianLikeProvenOptimal(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 1500
	}
	u := satisfiableUniverse(t, 1, n, 15)
	p := u.problem()
	ctx := context.Background()
	check := func(name string, obj [][]Term) *Result {
		t.Helper()
		start := time.Now()
		res, err := p.Minimize(ctx, obj, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Status != Optimal {
			t.Fatalf("%s: status %v", name, res.Status)
		}
		if bad := checkModel(res.Model, append(u.clauses, rootClauses(u)...), nil); bad != nil {
			t.Fatalf("%s: model violates %v", name, bad)
		}
		for k, level := range obj {
			if got := evalTerms(level, res.Model); got != res.Cost[k] || res.LowerBound[k] != got {
				t.Fatalf("%s: level %d model cost %d, reported %d, bound %d", name, k, got, res.Cost[k], res.LowerBound[k])
			}
		}
		t.Logf("%s: cost %v in %v, %d SAT calls", name, res.Cost, time.Since(start).Round(time.Millisecond), res.Solves)
		return res
	}
	count := check("count+tiebreak", [][]Term{u.countObjective(), u.tieBreak()})
	scaled := u.countObjective()
	for i := range scaled {
		scaled[i].Weight = 1000
	}
	s := check("count×1000", [][]Term{scaled})
	if s.Cost[0] != 1000*count.Cost[0] {
		t.Errorf("scaled optimum %d, want 1000 × %d", s.Cost[0], count.Cost[0])
	}
	check("size", [][]Term{u.sizeObjective()})
	check("size+count", [][]Term{u.sizeObjective(), u.countObjective()})
}

func rootClauses(u *universe) [][]Lit {
	var cs [][]Lit
	for _, l := range u.roots {
		cs = append(cs, []Lit{l})
	}
	return cs
}

// TestBudget gives a hard optimisation problem (random 3-SAT near the
// threshold, minimise the number of true variables) a tiny budget: the call
// must return promptly with Feasible or Unknown, a valid model if any, and
// a lower bound no higher than the cost.
func TestBudget(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	const n = 400
	p := New()
	for range n {
		p.NewVar()
	}
	var clauses [][]Lit
	for range 35 * n / 10 {
		c := make([]Lit, 3)
		for i := range c {
			c[i] = Lit(1 + r.IntN(n))
			if r.IntN(2) == 0 {
				c[i] = -c[i]
			}
		}
		clauses = append(clauses, c)
		p.Add(c...)
	}
	obj := make([]Term, n)
	for v := 1; v <= n; v++ {
		obj[v-1] = Term{Lit(v), 1}
	}
	budget := 100 * time.Millisecond
	start := time.Now()
	res, err := p.Minimize(context.Background(), [][]Term{obj}, Options{Budget: budget})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > budget+time.Second {
		t.Errorf("took %v with a budget of %v", took, budget)
	}
	switch res.Status {
	case Feasible:
		if bad := checkModel(res.Model, clauses, nil); bad != nil {
			t.Fatalf("model violates %v", bad)
		}
		if res.LowerBound[0] > res.Cost[0] {
			t.Errorf("lower bound %d > cost %d", res.LowerBound[0], res.Cost[0])
		}
		if res.LowerBound[0] == res.Cost[0] {
			t.Errorf("feasible but bound %d == cost: should be optimal", res.Cost[0])
		}
	case Unknown:
		if res.Model != nil {
			t.Error("Unknown with a model")
		}
	default:
		t.Fatalf("status %v: the instance is meant to be too hard for the budget", res.Status)
	}
	t.Logf("%v after %v: cost %v, bound %v, %d SAT calls", res.Status, took.Round(time.Millisecond), res.Cost, res.LowerBound, res.Solves)
}

// TestCancel checks that cancelling the context stops a long search
// promptly and reports ctx.Err().
func TestCancel(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	const n = 400
	p := New()
	for range n {
		p.NewVar()
	}
	for range 4 * n {
		c := make([]Lit, 3)
		for i := range c {
			c[i] = Lit(1 + r.IntN(n))
			if r.IntN(2) == 0 {
				c[i] = -c[i]
			}
		}
		p.Add(c...)
	}
	obj := make([]Term, n)
	for v := 1; v <= n; v++ {
		obj[v-1] = Term{Lit(v), 1}
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := p.Minimize(ctx, [][]Term{obj}, Options{})
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("stopped %v after the start (cancel at 100ms)", took)
	}
}

// TestPossibleAtScale checks Inc.Possible on a large Debian-like universe
// against one Solve per answer, for a random sample of
// answers (the property tests check every answer on small universes).
func TestPossibleAtScale(t *testing.T) {
	n := 20000 // BenchmarkInstallability runs 64,000
	if testing.Short() {
		n = 8000
	}
	p := debianLike(5, n, 0).problem()
	start := time.Now()
	ok := installable(p)
	took := time.Since(start)
	inc := p.Incremental()
	broken := 0
	r := rand.New(rand.NewPCG(1, 1))
	for v := 1; v <= n; v++ {
		if !ok[v] {
			broken++
		}
		if r.IntN(n/200) != 0 { // check a sample of ~200 answers
			continue
		}
		if got := inc.Solve(Lit(v)); got != ok[v] {
			t.Fatalf("variable %d: Possible says %v, Solve says %v", v, ok[v], got)
		}
	}
	if broken == 0 || broken == n {
		t.Fatalf("%d of %d impossible: the universe is degenerate", broken, n)
	}
	t.Logf("n=%d: %d impossible, Possible took %v", n, broken, took.Round(time.Millisecond))
}

// TestConcurrentQueries runs Minimize and Solve on one Problem from several
// goroutines (run with -race): queries only read the problem.
func TestConcurrentQueries(t *testing.T) {
	u := satisfiableUniverse(t, 2, 2000, 10)
	p := u.problem()
	want, err := p.Minimize(context.Background(), [][]Term{u.countObjective()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			if i%2 == 1 {
				res, err := p.Solve(context.Background(), Options{Assume: []Lit{u.roots[0]}})
				if err == nil && res.Status != Optimal {
					err = fmt.Errorf("Solve: status %v", res.Status)
				}
				errs <- err
				return
			}
			res, err := p.Minimize(context.Background(), [][]Term{u.countObjective()}, Options{})
			if err == nil && res.Cost[0] != want.Cost[0] {
				err = fmt.Errorf("cost %v, want %v", res.Cost, want.Cost)
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestReproducible: the same problem gives the same model every time (lock
// files must not change between runs), with and without a cancellable
// context. The universe has many optimal models, so a difference in search
// order would show.
func TestReproducible(t *testing.T) {
	u := satisfiableUniverse(t, 1, 20000, 200)
	p := u.problem()
	obj := [][]Term{u.countObjective()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var first []bool
	for i := range 4 {
		c := context.Background()
		if i%2 == 1 {
			c = ctx
		}
		res, err := p.Minimize(c, obj, Options{})
		if err != nil || res.Status != Optimal {
			t.Fatalf("run %d: %v %v", i, res.Status, err)
		}
		if first == nil {
			first = res.Model
		} else if !slices.Equal(first, res.Model) {
			t.Fatalf("run %d returned a different model", i)
		}
	}
}
