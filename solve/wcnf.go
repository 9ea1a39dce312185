package solve

import (
	"bufio"
	"fmt"
	"io"
	"slices"
)

// WriteWCNF writes the problem with one objective level as weighted partial
// MaxSAT in the classic DIMACS WCNF format ("p wcnf vars clauses top"), so
// that any MaxSAT solver can cross-check an optimum. Labelled clauses and
// assume are written as hard clauses. The objective is written as soft
// unit clauses over normalised positive weights; offset is the constant to
// add to the optimum the MaxSAT solver reports to obtain the objective's
// value.
func (p *Problem) WriteWCNF(w io.Writer, objective []Term, assume []Lit) (offset int64, err error) {
	if err := p.checkLits("assumptions", assume); err != nil {
		return 0, err
	}
	for _, t := range objective {
		if err := p.checkLits("objective", []Lit{t.Lit}); err != nil {
			return 0, err
		}
	}
	offset, softs := normalise(objective)
	top := int64(1)
	for _, wt := range softs {
		top += wt
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "p wcnf %d %d %d\n", p.nvars, len(p.clauses)+len(assume)+len(softs), top)
	for _, c := range p.clauses {
		fmt.Fprintf(bw, "%d", top)
		for _, l := range c.lits {
			fmt.Fprintf(bw, " %d", l)
		}
		fmt.Fprintf(bw, " 0\n")
	}
	for _, l := range assume {
		fmt.Fprintf(bw, "%d %d 0\n", top, l)
	}
	lits := make([]Lit, 0, len(softs))
	for l := range softs {
		lits = append(lits, l)
	}
	slices.Sort(lits)
	for _, l := range lits {
		fmt.Fprintf(bw, "%d %d 0\n", softs[l], -l)
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("writing WCNF: %w", err)
	}
	return offset, nil
}
