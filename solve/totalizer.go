package solve

// totalizer counts how many of its inputs are true. out[i] is implied by
// "at least i+1 inputs are true" (only that direction is encoded, which is
// all an upper bound needs). Outputs are built lazily: extend(k) adds what
// is needed for out[0..k-1], so a totalizer used with small bounds stays
// small (O(n·k) clauses).
type totalizer struct {
	n           int
	out         []Lit
	left, right *totalizer
}

func newTotalizer(lits []Lit) *totalizer {
	if len(lits) == 1 {
		return &totalizer{n: 1, out: []Lit{lits[0]}}
	}
	h := len(lits) / 2
	l, r := newTotalizer(lits[:h]), newTotalizer(lits[h:])
	return &totalizer{n: len(lits), left: l, right: r}
}

// extend makes out[0..k-1] available (k capped at n).
func (t *totalizer) extend(e *engine, k int) {
	k = min(k, t.n)
	old := len(t.out)
	if old >= k {
		return
	}
	t.left.extend(e, k)
	t.right.extend(e, k)
	a, b := t.left.out, t.right.out
	for s := old + 1; s <= k; s++ {
		o := e.newVar()
		t.out = append(t.out, o)
		for i := 0; i <= len(a) && i <= s; i++ {
			j := s - i
			if j > len(b) {
				continue
			}
			switch {
			case i == 0:
				e.add(b[j-1].Not(), o)
			case j == 0:
				e.add(a[i-1].Not(), o)
			default:
				e.add(a[i-1].Not(), b[j-1].Not(), o)
			}
		}
		if s > 1 {
			e.add(o.Not(), t.out[s-2]) // at least s → at least s-1
		}
	}
}
