package archive

import "sort"

// Suggest returns up to max real or virtual package names close to name
// (by edit distance, closest first), for "did you mean" hints.
func (u *Universe) Suggest(name string, max int) []string {
	type cand struct {
		s string
		d int
	}
	var cs []cand
	limit := 2
	switch {
	case len(name) <= 4:
		limit = 1
	case len(name) >= 9:
		limit = 3
	}
	try := func(n string) {
		if n == name || abs(len(n)-len(name)) > limit {
			return
		}
		if d := distance(name, n, limit); d <= limit {
			cs = append(cs, cand{n, d})
		}
	}
	for n := range u.byName {
		try(n)
	}
	for n := range u.providers {
		if len(u.byName[n]) == 0 {
			try(n)
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].s < cs[j].s
	})
	var out []string
	for i := 0; i < len(cs) && i < max; i++ {
		out = append(out, cs[i].s)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// distance is the Damerau-Levenshtein (optimal string alignment) distance
// of a and b, or limit+1 once it is known to exceed limit.
func distance(a, b string, limit int) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			best = min(best, v)
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
