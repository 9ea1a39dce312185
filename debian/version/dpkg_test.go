package version_test

import (
	"math/rand"
	"os/exec"
	"sort"
	"sync"
	"testing"

	"pdvm.dev/pdvm/debian/version"
	"pdvm.dev/pdvm/internal/realarchive"
	"pdvm.dev/pdvm/internal/testenv"
)

// TestRealCompareAgainstDpkg compares Compare with dpkg itself on more
// than 10,000 version pairs drawn from the real archive: neighbours in
// lexicographic order (near-identical strings), versions of the same
// package, and random pairs.
func TestRealCompareAgainstDpkg(t *testing.T) {
	testenv.Real(t, "dpkg")
	u := realarchive.Universe(t)
	seen := map[string]bool{}
	var all []string
	for i := range u.Packages {
		for _, v := range []string{u.Packages[i].Version, u.Packages[i].SourceVersion} {
			if !seen[v] {
				seen[v] = true
				all = append(all, v)
			}
		}
	}
	sort.Strings(all)
	rng := rand.New(rand.NewSource(1))
	type pair struct{ a, b string }
	var pairs []pair
	for i := 0; i+1 < len(all) && len(pairs) < 5000; i += 1 + len(all)/5000 {
		pairs = append(pairs, pair{all[i], all[i+1]})
	}
	for i := 1; i < len(u.Packages) && len(pairs) < 7000; i++ {
		p, q := &u.Packages[i-1], &u.Packages[i]
		if p.Name == q.Name && p.Version != q.Version {
			pairs = append(pairs, pair{p.Version, q.Version})
		}
	}
	for len(pairs) < 10500 {
		pairs = append(pairs, pair{all[rng.Intn(len(all))], all[rng.Intn(len(all))]})
	}
	edge := []string{"1.0~~", "1.0~", "1.0", "1.0+b1", "1.0a", "1.0.1", "1:0.9", "1.", "1.0-1+deb12u1", "1.0-1+deb12u10"}
	for _, a := range edge {
		for _, b := range edge {
			pairs = append(pairs, pair{a, b})
		}
	}

	dpkg := func(a, op, b string) bool {
		return exec.Command("dpkg", "--compare-versions", a, op, b).Run() == nil
	}
	var mu sync.Mutex
	mismatches := 0
	work := make(chan pair)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				want := 0
				if dpkg(p.a, "lt", p.b) {
					want = -1
				} else if dpkg(p.a, "gt", p.b) {
					want = 1
				}
				if got := version.Compare(p.a, p.b); got != want {
					mu.Lock()
					mismatches++
					if mismatches < 20 {
						t.Errorf("Compare(%q, %q) = %d, dpkg says %d", p.a, p.b, got, want)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range pairs {
		work <- p
	}
	close(work)
	wg.Wait()
	t.Logf("%d pairs compared with dpkg, %d mismatches", len(pairs), mismatches)
	if len(pairs) < 10000 {
		t.Fatalf("only %d pairs", len(pairs))
	}
}
