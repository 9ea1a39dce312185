package solve

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Lit is a literal: variable v (v >= 1) as +v, its negation as -v.
type Lit int32

// Var returns the variable of l.
func (l Lit) Var() int {
	if l < 0 {
		return int(-l)
	}
	return int(l)
}

// Not returns the negation of l.
func (l Lit) Not() Lit { return -l }

// String renders l as "v" or "-v".
func (l Lit) String() string { return fmt.Sprint(int32(l)) }

// hard is the label of clauses added with [Problem.Add].
const hard = -1

type clause struct {
	lits  []Lit
	label int // hard or >= 0
}

// Problem is a set of clauses over variables 1..NumVars(). It is built with
// NewVar/Add/AddLabeled and then queried with Solve, Minimize or Incremental.
// Queries do not change the problem; a Problem must not be modified while a
// query on it runs.
type Problem struct {
	nvars   int
	clauses []clause
	labels  map[int]bool
}

// New returns an empty problem.
func New() *Problem { return &Problem{labels: map[int]bool{}} }

// NewVar allocates a fresh variable and returns its positive literal.
func (p *Problem) NewVar() Lit {
	p.nvars++
	return Lit(p.nvars)
}

// NumVars returns the number of variables allocated so far.
func (p *Problem) NumVars() int { return p.nvars }

// NumClauses returns the number of clauses added so far.
func (p *Problem) NumClauses() int { return len(p.clauses) }

// Add adds a hard clause: at least one of lits is true. An empty clause makes
// the problem unsatisfiable. Literals over variables beyond NumVars() panic.
func (p *Problem) Add(lits ...Lit) { p.add(hard, lits) }

// AddLabeled adds a clause belonging to group label (label >= 0). Labelled
// clauses are as binding as hard ones; labels only matter for explanations
// ([Result.Core]).
func (p *Problem) AddLabeled(label int, lits ...Lit) {
	if label < 0 {
		panic(fmt.Sprintf("solve: AddLabeled with negative label %d", label))
	}
	p.labels[label] = true
	p.add(label, lits)
}

func (p *Problem) add(label int, lits []Lit) {
	c := make([]Lit, len(lits))
	for i, l := range lits {
		if l == 0 || l.Var() > p.nvars {
			panic(fmt.Sprintf("solve: literal %d out of range (NumVars %d)", l, p.nvars))
		}
		c[i] = l
	}
	p.clauses = append(p.clauses, clause{lits: c, label: label})
}

// normClause drops duplicate literals; it reports false for a tautology
// (gini must not see either).
func normClause(c []Lit) ([]Lit, bool) {
	out := make([]Lit, 0, len(c))
	for _, l := range c {
		if slices.Contains(out, -l) {
			return nil, false
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out, true
}

// Term is one term of a linear objective: Weight counts when Lit is true.
type Term struct {
	Lit    Lit
	Weight int64
}

// Options tune one Solve or Minimize call.
type Options struct {
	// Budget bounds the wall time of the call; 0 means no limit. When it is
	// reached, Minimize returns the best model found and the proven lower
	// bound (Status Feasible, or Unknown when no model was found).
	Budget time.Duration
	// Assume lists literals that must hold in this call only.
	Assume []Lit
}

// Status says how far a call got.
type Status int

const (
	// Unknown: the budget ran out before any model was found.
	Unknown Status = iota
	// Optimal: Model is optimal, proven (LowerBound == Cost).
	Optimal
	// Feasible: Model satisfies all clauses but is not proven optimal.
	Feasible
	// Unsat: no model exists; Core names a minimal set of labels to blame.
	Unsat
)

// String returns "optimal", "feasible", "unsat" or "unknown".
func (s Status) String() string {
	switch s {
	case Optimal:
		return "optimal"
	case Feasible:
		return "feasible"
	case Unsat:
		return "unsat"
	}
	return "unknown"
}

// Result is the answer of Solve or Minimize.
type Result struct {
	Status Status
	// Model is indexed by variable (Model[0] unused), len NumVars()+1; nil
	// when Status is Unsat or Unknown.
	Model []bool
	// Cost is the value of each objective level for Model.
	Cost []int64
	// LowerBound is the proven lower bound per level (== Cost when Optimal).
	// Levels after the one being worked on when the budget ran out have a
	// trivial bound.
	LowerBound []int64
	// Core, when Unsat, is a minimal set of labels (sorted) whose clauses,
	// with all hard clauses and Options.Assume, are unsatisfiable: removing
	// any one label leaves a satisfiable set. It is empty when the hard
	// clauses and assumptions alone are unsatisfiable. If the budget runs
	// out while the core is being minimised, Core is still unsatisfiable
	// but may not be minimal.
	Core []int
	// FailedAssume, when Unsat, lists the Options.Assume literals needed
	// for the contradiction (together with Core); not necessarily minimal.
	FailedAssume []Lit
	// Solves counts the SAT calls made.
	Solves int
}

// Value returns the value of l in Model (false when there is no model).
func (r *Result) Value(l Lit) bool {
	v := l.Var()
	if r.Model == nil || v >= len(r.Model) {
		return false
	}
	if l < 0 {
		return !r.Model[v]
	}
	return r.Model[v]
}

var errBadLit = errors.New("literal out of range")

func (p *Problem) checkLits(what string, lits []Lit) error {
	for _, l := range lits {
		if l == 0 || l.Var() > p.nvars {
			return fmt.Errorf("checking %s: %w: %d (NumVars %d)", what, errBadLit, l, p.nvars)
		}
	}
	return nil
}
