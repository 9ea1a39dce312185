package solve

import (
	"context"
	"errors"
	"time"

	"github.com/go-air/gini"
	"github.com/go-air/gini/z"
)

// errBudget reports that the time budget of a call ran out.
var errBudget = errors.New("time budget exhausted")

// engine wraps one gini solver with the call's deadline and cancellation.
// Variables 1..top are in use; auxiliary variables are allocated above the
// problem's own.
type engine struct {
	g        *gini.Gini
	top      int
	ctx      context.Context
	deadline time.Time // zero: none
	solves   int
	buf      []z.Lit
}

func newEngine(ctx context.Context, nvars int, deadline time.Time) *engine {
	return &engine{g: gini.NewV(nvars + 1), top: nvars, ctx: ctx, deadline: deadline}
}

func toZ(l Lit) z.Lit {
	if l > 0 {
		return z.Var(l).Pos()
	}
	return z.Var(-l).Neg()
}

func fromZ(m z.Lit) Lit {
	v := Lit(m.Var())
	if m.IsPos() {
		return v
	}
	return -v
}

func (e *engine) newVar() Lit {
	e.top++
	return Lit(e.top)
}

func (e *engine) add(lits ...Lit) {
	for _, l := range lits {
		e.g.Add(toZ(l))
	}
	e.g.Add(0)
}

func (e *engine) value(l Lit) bool {
	if l.Var() > int(e.g.MaxVar()) { // in no clause
		return l < 0
	}
	return e.g.Value(toZ(l))
}

// why returns the failed assumptions of the last unsatisfiable solve.
func (e *engine) why() []Lit {
	e.buf = e.g.Why(e.buf[:0])
	out := make([]Lit, len(e.buf))
	for i, m := range e.buf {
		out[i] = fromZ(m)
	}
	return out
}

// solve runs the SAT solver under the assumptions. It returns true for sat,
// false for unsat, or an error when the budget ran out (errBudget) or the
// context was cancelled (ctx.Err()).
//
// gini cannot watch a context, and its background mode (GoSolve plus
// polling) made short calls several times slower, so the search runs
// synchronously in slices (Try) of 200 ms growing to 500 ms, checking the
// context between slices: cancellation takes effect within half a second.
// A slice that times out keeps its learnt clauses, so little work is
// repeated. Calls that finish within their first slice (nearly all) do not
// depend on timing, so answers are reproducible. With neither a budget nor a
// cancellable context, the call is one uninterrupted Solve. (Never Solve
// after Try on one gini: Solve would still see the earlier Try's deadline.)
func (e *engine) solve(assume []Lit) (bool, error) {
	watch := e.ctx.Done() != nil || !e.deadline.IsZero()
	slice := 200 * time.Millisecond
	for {
		if err := e.ctx.Err(); err != nil {
			return false, err
		}
		d := slice
		if !e.deadline.IsZero() {
			left := time.Until(e.deadline)
			if left <= 0 {
				return false, errBudget
			}
			d = min(d, left)
		}
		for _, l := range assume {
			e.g.Assume(toZ(l))
		}
		e.solves++
		if !watch {
			return e.g.Solve() == 1, nil
		}
		switch e.g.Try(d) {
		case 1:
			return true, nil
		case -1:
			return false, nil
		}
		slice = min(2*slice, 500*time.Millisecond)
	}
}
