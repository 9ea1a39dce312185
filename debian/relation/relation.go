// Package relation parses Debian package relationship fields (Debian Policy
// §7.1): the syntax of Depends, Pre-Depends, Recommends, Suggests, Enhances,
// Conflicts, Breaks, Replaces and Provides, which pdvm also uses for the
// package requests inside descriptions.
//
//	Relation = Clause { "," Clause }          all clauses must hold (AND)
//	Clause   = Atom { "|" Atom }              one alternative must hold (OR)
//	Atom     = name [":" archqual] [ "(" op version ")" ] [ "[" archs "]" ] { "<" profiles ">" }
//	op       = "<<" | "<=" | "=" | ">=" | ">>"    ("<" and ">" are obsolete spellings of <= and >=)
//
// Relations are typed values, never raw strings. [Parse] reports the byte
// offset of the first error, so callers can point at the bad token.
package relation

import (
	"fmt"
	"strings"

	"pdvm.dev/pdvm/debian/version"
)

// Op is a version operator.
type Op uint8

// Version operators. Any means the atom has no version constraint.
const (
	Any Op = iota
	LT     // <<
	LE     // <=
	EQ     // =
	GE     // >=
	GT     // >>
)

var opNames = [...]string{"", "<<", "<=", "=", ">=", ">>"}

func (o Op) String() string { return opNames[o] }

// Satisfied reports whether a version that compares to the atom's version
// as cmp (-1, 0, +1) satisfies the operator.
func (o Op) Satisfied(cmp int) bool {
	switch o {
	case Any:
		return true
	case LT:
		return cmp < 0
	case LE:
		return cmp <= 0
	case EQ:
		return cmp == 0
	case GE:
		return cmp >= 0
	case GT:
		return cmp > 0
	}
	return false
}

// Atom is one package name with optional constraints.
type Atom struct {
	Name     string
	ArchQual string // "", "any", "native" or an architecture name
	Version  string // set when Op != Any
	// Restrict holds the architecture list and build profiles, which only
	// source packages use; nil otherwise (it keeps Atom small).
	Restrict *Restrict
	Op       Op
}

// Restrict is an atom's architecture restriction list ("[amd64 !i386]")
// and build-profile formula ("<!nocheck>", kept verbatim).
type Restrict struct {
	Arches   []string
	Profiles string
}

// Satisfies reports whether the version v satisfies a's version constraint.
func (a Atom) Satisfies(v string) bool {
	if a.Op == Any {
		return true
	}
	return a.Op.Satisfied(version.Compare(v, a.Version))
}

// String formats a in Debian syntax.
func (a Atom) String() string {
	var b strings.Builder
	a.write(&b)
	return b.String()
}

func (a Atom) write(b *strings.Builder) {
	b.WriteString(a.Name)
	if a.ArchQual != "" {
		b.WriteByte(':')
		b.WriteString(a.ArchQual)
	}
	if a.Op != Any {
		b.WriteString(" (")
		b.WriteString(a.Op.String())
		b.WriteByte(' ')
		b.WriteString(a.Version)
		b.WriteByte(')')
	}
	if r := a.Restrict; r != nil {
		if len(r.Arches) > 0 {
			b.WriteString(" [")
			b.WriteString(strings.Join(r.Arches, " "))
			b.WriteByte(']')
		}
		if r.Profiles != "" {
			b.WriteByte(' ')
			b.WriteString(r.Profiles)
		}
	}
}

// Clause is a disjunction of atoms.
type Clause []Atom

func (c Clause) String() string {
	var b strings.Builder
	for i, a := range c {
		if i > 0 {
			b.WriteString(" | ")
		}
		a.write(&b)
	}
	return b.String()
}

// Relation is a conjunction of clauses.
type Relation []Clause

func (r Relation) String() string {
	var b strings.Builder
	for i, c := range r {
		if i > 0 {
			b.WriteString(", ")
		}
		for j, a := range c {
			if j > 0 {
				b.WriteString(" | ")
			}
			a.write(&b)
		}
	}
	return b.String()
}

// Atoms counts the atoms of r.
func (r Relation) Atoms() int {
	n := 0
	for _, c := range r {
		n += len(c)
	}
	return n
}

// Error is a syntax error at byte Offset of Input.
type Error struct {
	Input  string
	Offset int
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid relation %q at offset %d: %s", e.Input, e.Offset, e.Reason)
}

// Parse parses a relationship field. An empty or blank field is an empty
// Relation.
func Parse(s string) (Relation, error) {
	var p parser
	p.s = s
	return p.relation(nil)
}

// ParseClause parses a single clause (no commas), as used for one entry
// of a description's need list.
func ParseClause(s string) (Clause, error) {
	r, err := Parse(s)
	if err != nil {
		return nil, err
	}
	if len(r) != 1 {
		return nil, &Error{s, 0, fmt.Sprintf("want one clause (alternatives separated by '|'), got %d", len(r))}
	}
	return r[0], nil
}

// Parser parses many fields, sharing backing arrays to keep allocations
// and memory low. Intern, if set, is applied to names and versions.
type Parser struct {
	Intern func(string) string
	atoms  []Atom
	claus  []Clause
}

// Parse is like the package-level Parse but allocates from p's arenas.
func (p *Parser) Parse(s string) (Relation, error) {
	q := parser{s: s, intern: p.Intern, arena: p}
	return q.relation(p)
}

type parser struct {
	s      string
	i      int
	intern func(string) string
	arena  *Parser
}

func (p *parser) fail(reason string) error { return &Error{p.s, p.i, reason} }

func (p *parser) skip() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func isNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.' ||
		c >= 'A' && c <= 'Z' || c == '_'
}

func (p *parser) str(s string) string {
	if p.intern != nil {
		return p.intern(s)
	}
	return s
}

func (p *parser) relation(ar *Parser) (Relation, error) {
	p.skip()
	if p.i == len(p.s) {
		return nil, nil
	}
	var atoms []Atom
	var clauses []Clause
	start := 0
	if ar != nil {
		atoms, clauses = ar.atoms, ar.claus
		start = len(clauses)
	}
	for {
		first := len(atoms)
		for {
			a, err := p.atom()
			if err != nil {
				return nil, err
			}
			atoms = append(atoms, a)
			p.skip()
			if p.i < len(p.s) && p.s[p.i] == '|' {
				p.i++
				continue
			}
			break
		}
		clauses = append(clauses, Clause(atoms[first:len(atoms):len(atoms)]))
		if p.i == len(p.s) {
			break
		}
		if p.s[p.i] != ',' {
			return nil, p.fail(fmt.Sprintf("unexpected %q, want ',' or '|'", p.s[p.i]))
		}
		p.i++
		p.skip()
		if p.i == len(p.s) { // tolerate a trailing comma, as dpkg does
			break
		}
	}
	if ar == nil {
		return Relation(clauses), nil
	}
	// The views taken above are capacity-limited, so later appends to the
	// arenas can never overwrite them.
	rel := Relation(clauses[start:len(clauses):len(clauses)])
	ar.atoms, ar.claus = atoms, clauses
	if cap(ar.atoms)-len(ar.atoms) < 64 {
		ar.atoms = make([]Atom, 0, 4096)
	}
	if cap(ar.claus)-len(ar.claus) < 16 {
		ar.claus = make([]Clause, 0, 2048)
	}
	return rel, nil
}

func (p *parser) atom() (Atom, error) {
	var a Atom
	p.skip()
	st := p.i
	for p.i < len(p.s) && isNameChar(p.s[p.i]) {
		p.i++
	}
	if p.i == st {
		if p.i == len(p.s) {
			return a, p.fail("missing package name")
		}
		return a, p.fail(fmt.Sprintf("unexpected %q, want a package name", p.s[p.i]))
	}
	a.Name = p.str(p.s[st:p.i])
	if p.i < len(p.s) && p.s[p.i] == ':' {
		p.i++
		st = p.i
		for p.i < len(p.s) && isNameChar(p.s[p.i]) {
			p.i++
		}
		if p.i == st {
			return a, p.fail("missing architecture qualifier after ':'")
		}
		a.ArchQual = p.str(p.s[st:p.i])
	}
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		p.skip()
		st = p.i
		for p.i < len(p.s) && strings.IndexByte("<=>", p.s[p.i]) >= 0 {
			p.i++
		}
		switch p.s[st:p.i] {
		case "<<":
			a.Op = LT
		case "<=", "<":
			a.Op = LE
		case "=":
			a.Op = EQ
		case ">=", ">":
			a.Op = GE
		case ">>":
			a.Op = GT
		case "":
			p.i = st
			return a, p.fail("missing version operator (one of << <= = >= >>)")
		default:
			p.i = st
			return a, p.fail(fmt.Sprintf("unknown version operator %q", p.s[st:p.i]))
		}
		p.skip()
		st = p.i
		for p.i < len(p.s) && p.s[p.i] != ')' && p.s[p.i] != ' ' && p.s[p.i] != '\t' && p.s[p.i] != ',' && p.s[p.i] != '|' {
			p.i++
		}
		if p.i == st {
			return a, p.fail("missing version")
		}
		v := p.s[st:p.i]
		if err := checkVersion(v); err != nil {
			p.i = st
			return a, p.fail(err.Error())
		}
		a.Version = p.str(v)
		p.skip()
		if p.i == len(p.s) || p.s[p.i] != ')' {
			return a, p.fail("missing ')'")
		}
		p.i++
		p.skip()
	}
	if p.i < len(p.s) && p.s[p.i] == '[' {
		p.i++
		st = p.i
		for p.i < len(p.s) && p.s[p.i] != ']' {
			p.i++
		}
		if p.i == len(p.s) {
			return a, p.fail("missing ']'")
		}
		a.Restrict = &Restrict{Arches: strings.Fields(p.s[st:p.i])}
		if len(a.Restrict.Arches) == 0 {
			return a, p.fail("empty architecture list")
		}
		p.i++
		p.skip()
	}
	st = p.i
	for p.i < len(p.s) && p.s[p.i] == '<' {
		for p.i < len(p.s) && p.s[p.i] != '>' {
			p.i++
		}
		if p.i == len(p.s) {
			return a, p.fail("missing '>' after build profile")
		}
		p.i++
		p.skip()
	}
	if p.i > st {
		if a.Restrict == nil {
			a.Restrict = &Restrict{}
		}
		a.Restrict.Profiles = strings.TrimSpace(p.s[st:p.i])
	}
	return a, nil
}

func checkVersion(v string) error {
	if _, err := version.Parse(v); err != nil {
		return err
	}
	return nil
}
