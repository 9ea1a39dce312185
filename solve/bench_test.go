package solve

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkDebianLike measures the time to a proven optimum on synthetic
// Debian-like universes (see debianLike) for the count objective with a
// tie-break level and for Installed-Size weights.
func BenchmarkDebianLike(b *testing.B) {
	for _, sz := range []struct{ n, roots int }{{3000, 15}, {5000, 60}, {20000, 200}, {20000, 1500}} {
		u := satisfiableUniverse(b, 1, sz.n, sz.roots)
		p := u.problem()
		for _, obj := range []struct {
			name string
			obj  [][]Term
		}{
			{"count", [][]Term{u.countObjective(), u.tieBreak()}},
			{"size", [][]Term{u.sizeObjective()}},
		} {
			b.Run(fmt.Sprintf("n=%d/roots=%d/%s", sz.n, sz.roots, obj.name), func(b *testing.B) {
				var res *Result
				// A cancellable context, as the CLI passes: the solver
				// then watches it while gini searches.
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				for b.Loop() {
					var err error
					res, err = p.Minimize(ctx, obj.obj, Options{})
					if err != nil {
						b.Fatal(err)
					}
					if res.Status != Optimal {
						b.Fatalf("status %v", res.Status)
					}
				}
				b.ReportMetric(float64(res.Cost[0]), "cost")
				b.ReportMetric(float64(res.Solves), "solves")
			})
		}
	}
}

// installable answers "can v be true?" for every variable of p.
func installable(p *Problem) []bool {
	cands := make([]Lit, p.NumVars())
	for i := range cands {
		cands[i] = Lit(i + 1)
	}
	return append([]bool{false}, p.Incremental().Possible(cands)...)
}

// BenchmarkInstallability runs the whole-archive installability check on a
// 64,000-variable Debian-like universe (the size of bookworm main),
// including loading the clauses into the solver.
func BenchmarkInstallability(b *testing.B) {
	u := debianLike(5, 64000, 0)
	p := u.problem()
	var broken int
	for b.Loop() {
		broken = 0
		for _, o := range installable(p)[1:] {
			if !o {
				broken++
			}
		}
	}
	b.ReportMetric(float64(broken), "broken")
}

// BenchmarkResearchFamily is the synthetic family on which the library
// survey compared gophersat and gini+CardSort (libraries.md §2A).
func BenchmarkResearchFamily(b *testing.B) {
	for _, n := range []int{1000, 5000, 50000} {
		u := researchFamily(b, 1, n)
		p := u.problem()
		for _, obj := range []struct {
			name string
			obj  [][]Term
		}{
			{"count", [][]Term{u.countObjective()}},
			{"size", [][]Term{u.sizeObjective()}},
		} {
			b.Run(fmt.Sprintf("n=%d/%s", n, obj.name), func(b *testing.B) {
				var res *Result
				for b.Loop() {
					var err error
					res, err = p.Minimize(context.Background(), obj.obj, Options{Budget: 10 * time.Second})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(res.Cost[0]), "cost")
				b.ReportMetric(float64(res.LowerBound[0]), "bound")
				b.ReportMetric(float64(res.Solves), "solves")
				if res.Status != Optimal {
					b.Logf("status %v", res.Status)
				}
			})
		}
	}
}
