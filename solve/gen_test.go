package solve

import (
	"math/rand/v2"
	"testing"
)

// debianLike generates a synthetic package universe shaped like a Debian
// dependency encoding: n package variables, most packages depend on a few
// lower-numbered ones (skewed toward a small "base"), a third of the
// dependencies have an alternative, packages come in version pairs with
// at-most-one constraints, a few random conflicts, and some requested roots.
// sizes are Installed-Size-like weights (KiB, up to ~10^6).
type universe struct {
	n       int
	clauses [][]Lit
	roots   []Lit
	sizes   []int64 // by variable
}

func debianLike(seed uint64, n, nroots int) *universe {
	r := rand.New(rand.NewPCG(seed, 99))
	u := &universe{n: n, sizes: make([]int64, n+1)}
	pick := func(below int) Lit { // skewed toward low (base) packages
		f := r.Float64()
		return Lit(1 + int(float64(below-1)*f*f*f))
	}
	for i := 1; i <= n; i++ {
		u.sizes[i] = 1 + int64(r.ExpFloat64()*800)
		if r.IntN(200) == 0 {
			u.sizes[i] = 100_000 + r.Int64N(900_000)
		}
		if i <= 20 {
			continue
		}
		for range r.IntN(6) {
			c := []Lit{Lit(-i), pick(i)}
			if r.IntN(3) == 0 {
				c = append(c, pick(i))
				if r.IntN(3) == 0 {
					c = append(c, pick(i))
				}
			}
			u.clauses = append(u.clauses, c)
		}
		if i%7 == 0 { // a second version of i-1: at most one installed
			u.clauses = append(u.clauses, []Lit{Lit(-i), Lit(-(i - 1))})
		}
		if r.IntN(50) == 0 {
			u.clauses = append(u.clauses, []Lit{Lit(-i), -Lit(20 + r.IntN(i-20) + 1)})
		}
	}
	for range nroots {
		u.roots = append(u.roots, Lit(n/2+r.IntN(n/2)+1))
	}
	return u
}

func (u *universe) problem() *Problem {
	p := New()
	for range u.n {
		p.NewVar()
	}
	for _, c := range u.clauses {
		p.Add(c...)
	}
	for i, l := range u.roots {
		p.AddLabeled(i, l)
	}
	return p
}

func (u *universe) countObjective() []Term {
	t := make([]Term, u.n)
	for v := 1; v <= u.n; v++ {
		t[v-1] = Term{Lit(v), 1}
	}
	return t
}

func (u *universe) sizeObjective() []Term {
	t := make([]Term, u.n)
	for v := 1; v <= u.n; v++ {
		t[v-1] = Term{Lit(v), u.sizes[v]}
	}
	return t
}

// newer prefers higher-numbered versions: a tie-break level.
func (u *universe) tieBreak() []Term {
	var t []Term
	for v := 7; v <= u.n; v += 7 {
		t = append(t, Term{Lit(v - 1), 1})
	}
	return t
}

// satisfiableUniverse generates a universe and picks nroots requested
// packages that are jointly installable (checked with Inc as they are added).
func satisfiableUniverse(tb testing.TB, seed uint64, n, nroots int) *universe {
	u := debianLike(seed, n, 4*nroots)
	cands := u.roots
	u.roots = nil
	p := New()
	for range u.n {
		p.NewVar()
	}
	for _, c := range u.clauses {
		p.Add(c...)
	}
	inc := p.Incremental()
	for _, l := range cands {
		if len(u.roots) == nroots {
			break
		}
		if inc.Solve(append(u.roots, l)...) {
			u.roots = append(u.roots, l)
		}
	}
	if len(u.roots) < nroots {
		tb.Fatalf("only %d of %d requested packages are jointly installable", len(u.roots), nroots)
	}
	return u
}

// researchFamily reproduces the synthetic family of
// shared/research/libraries.md §2A: n variables, 3n dependencies
// ¬a ∨ b ∨ c with b, c < a skewed toward low "base" packages, n random
// conflicts ¬a ∨ ¬b, and 50 requested roots (dropping roots that make it
// unsatisfiable). CardSort + linear descent proved n=1000 in 29 s there.
func researchFamily(tb testing.TB, seed uint64, n int) *universe {
	r := rand.New(rand.NewPCG(seed, 3))
	u := &universe{n: n, sizes: make([]int64, n+1)}
	low := func(a int) Lit {
		f := r.Float64()
		return Lit(1 + int(float64(a-1)*f*f))
	}
	for a := 2; a <= n; a++ {
		u.sizes[a] = 1 + r.Int64N(1_000_000)
	}
	for range 3 * n {
		a := 2 + r.IntN(n-1)
		u.clauses = append(u.clauses, []Lit{Lit(-a), low(a), low(a)})
	}
	for range n {
		a, b := 1+r.IntN(n), 1+r.IntN(n)
		if a != b {
			u.clauses = append(u.clauses, []Lit{Lit(-a), Lit(-b)})
		}
	}
	p := New()
	for range n {
		p.NewVar()
	}
	for _, c := range u.clauses {
		p.Add(c...)
	}
	inc := p.Incremental()
	for range 200 {
		if len(u.roots) == 50 {
			break
		}
		l := Lit(n/2 + r.IntN(n/2) + 1)
		if inc.Solve(append(u.roots, l)...) {
			u.roots = append(u.roots, l)
		}
	}
	return u
}
