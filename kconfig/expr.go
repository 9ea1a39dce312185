package kconfig

import (
	"strings"
)

// Tristate is a Kconfig truth value: No < Mod < Yes.
type Tristate uint8

// The three tristate values.
const (
	No Tristate = iota
	Mod
	Yes
)

func (t Tristate) String() string {
	switch t {
	case Mod:
		return "m"
	case Yes:
		return "y"
	}
	return "n"
}

func triAnd(a, b Tristate) Tristate { return min(a, b) }
func triOr(a, b Tristate) Tristate  { return max(a, b) }
func triNot(a Tristate) Tristate    { return 2 - a }

// Op is the operator of an expression node.
type Op uint8

// Expression operators.
const (
	OpSym Op = iota // a symbol (or constant)
	OpNot
	OpAnd
	OpOr
	OpEq  // A = B
	OpNeq // A != B
	OpLt
	OpLeq
	OpGt
	OpGeq
)

var opText = [...]string{OpEq: "=", OpNeq: "!=", OpLt: "<", OpLeq: "<=", OpGt: ">", OpGeq: ">="}

// Expr is a Kconfig expression. OpSym uses A; comparisons use A and B;
// OpNot uses L; OpAnd/OpOr use L and R.
type Expr struct {
	Op   Op
	L, R *Expr
	A, B *Symbol
}

func symExpr(s *Symbol) *Expr { return &Expr{Op: OpSym, A: s} }

// and returns a && b, where nil means "y".
func and(a, b *Expr) *Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &Expr{Op: OpAnd, L: a, R: b}
}

// or returns a || b; a nil operand counts as "no expression" (n).
func or(a, b *Expr) *Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &Expr{Op: OpOr, L: a, R: b}
}

// Symbols calls f for every symbol referenced in e.
func (e *Expr) Symbols(f func(*Symbol)) {
	if e == nil {
		return
	}
	switch e.Op {
	case OpSym:
		f(e.A)
	case OpNot:
		e.L.Symbols(f)
	case OpAnd, OpOr:
		e.L.Symbols(f)
		e.R.Symbols(f)
	default:
		f(e.A)
		f(e.B)
	}
}

func (e *Expr) String() string {
	if e == nil {
		return "y"
	}
	var b strings.Builder
	e.write(&b, 0)
	return b.String()
}

func (e *Expr) write(b *strings.Builder, parent Op) {
	switch e.Op {
	case OpSym:
		b.WriteString(e.A.quoted())
	case OpNot:
		b.WriteByte('!')
		e.L.write(b, OpNot)
	case OpAnd, OpOr:
		paren := parent == OpNot || (parent == OpAnd && e.Op == OpOr)
		if paren {
			b.WriteByte('(')
		}
		e.L.write(b, e.Op)
		if e.Op == OpAnd {
			b.WriteString(" && ")
		} else {
			b.WriteString(" || ")
		}
		e.R.write(b, e.Op)
		if paren {
			b.WriteByte(')')
		}
	default:
		b.WriteString(e.A.quoted())
		b.WriteString(opText[e.Op])
		b.WriteString(e.B.quoted())
	}
}

// rewriteM replaces the constant m by (m && MODULES), as the kernel does for
// dependencies, so that "depends on m" means "only as a module".
func rewriteM(e *Expr, kc *Kconfig) *Expr {
	if e == nil || kc.Modules == nil {
		return e
	}
	switch e.Op {
	case OpSym:
		if e.A == kc.mod {
			return and(e, symExpr(kc.Modules))
		}
	case OpNot:
		return &Expr{Op: OpNot, L: rewriteM(e.L, kc)}
	case OpAnd, OpOr:
		return &Expr{Op: e.Op, L: rewriteM(e.L, kc), R: rewriteM(e.R, kc)}
	}
	return e
}
