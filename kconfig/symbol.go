package kconfig

import (
	"fmt"
	"strconv"
)

// Type is a symbol's value type.
type Type uint8

// Symbol types. Unknown is the type of constants and of names that are
// referenced but never defined (other architectures' symbols).
const (
	Unknown Type = iota
	Bool
	TristateType
	Int
	Hex
	String
)

func (t Type) String() string {
	return [...]string{"unknown", "bool", "tristate", "int", "hex", "string"}[t]
}

// Pos is a position in a Kconfig file.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string { return p.File + ":" + strconv.Itoa(p.Line) }

// PropKind is the kind of a symbol property.
type PropKind uint8

// Property kinds.
const (
	PropPrompt PropKind = iota
	PropDefault
	PropSelect
	PropImply
	PropRange
)

// Prop is one property of a symbol at one definition site. Cond is the
// property's own `if` condition; Visible is that condition with the
// dependencies of the site (and, for prompts, enclosing `visible if`) added,
// which is what the kernel evaluates.
type Prop struct {
	Kind    PropKind
	Text    string  // prompt text
	Value   *Expr   // default value
	Target  *Symbol // select/imply target, or choice default
	Lo, Hi  *Symbol // range bounds
	Cond    *Expr
	Visible *Expr
	Node    *Node
	Pos     Pos
}

// Symbol is a Kconfig symbol: a config option, a choice, or a constant.
type Symbol struct {
	Name  string
	Type  Type
	Const bool // y, m, n, numbers and quoted strings

	Nodes []*Node // definition sites
	Props []*Prop

	DirDep  *Expr // OR of the dependencies of all definition sites
	RevDep  *Expr // OR of (selector && condition) of every select
	Implied *Expr // OR of (implier && condition) of every imply

	IsChoice bool
	Optional bool      // choice: may be n
	Members  []*Symbol // choice: its member symbols, in order
	Choice   *Symbol   // choice member: its choice

	idx int
}

// Defined reports whether the symbol has at least one definition site.
func (s *Symbol) Defined() bool { return len(s.Nodes) > 0 }

// HasPrompt reports whether any definition gives the symbol a prompt.
func (s *Symbol) HasPrompt() bool {
	for _, p := range s.Props {
		if p.Kind == PropPrompt {
			return true
		}
	}
	return false
}

// Pos is the position of the first definition.
func (s *Symbol) Pos() Pos {
	if len(s.Nodes) == 0 {
		return Pos{}
	}
	return s.Nodes[0].Pos
}

func (s *Symbol) String() string {
	if s.IsChoice {
		if s.Name != "" {
			return "choice " + s.Name
		}
		return fmt.Sprintf("choice at %s", s.Pos())
	}
	return s.Name
}

func (s *Symbol) quoted() string {
	if s.IsChoice && s.Name == "" {
		return "<choice>"
	}
	if s.Const && s.Type == Unknown {
		if _, err := strconv.ParseInt(s.Name, 0, 64); err == nil {
			return s.Name
		}
		return strconv.Quote(s.Name)
	}
	return s.Name
}

func (s *Symbol) isBoolish() bool { return s.Type == Bool || s.Type == TristateType }

// NodeKind says what a menu-tree node is.
type NodeKind uint8

// Menu-tree node kinds.
const (
	NodeRoot NodeKind = iota
	NodeConfig
	NodeMenuconfig
	NodeChoice
	NodeMenu
	NodeComment
	NodeIf
)

// Node is an entry of the menu tree: a config definition, a choice, a menu,
// a comment or an if block.
type Node struct {
	Kind       NodeKind
	Sym        *Symbol // config, menuconfig, choice
	Prompt     *Prop   // menu and comment title; a symbol's prompt at this site
	Dep        *Expr   // depends on (after finalize: with the parents' deps)
	Visibility *Expr   // menu: visible if
	Help       string
	Pos        Pos
	Parent     *Node
	Children   []*Node
}

// Kconfig is a parsed and finalized Kconfig tree.
type Kconfig struct {
	Root    *Node
	Symbols []*Symbol // defined symbols in order of first definition
	Choices []*Symbol
	Modules *Symbol // the symbol with the `modules` attribute
	Files   []string
	// FileReads counts how often each file was read (a file sourced from
	// two places is read, and defines its symbols, twice).
	FileReads map[string]int
	Env       map[string]string // environment variables the tree read
	Warnings  []string

	syms         map[string]*Symbol
	consts       map[string]*Symbol
	yes, mod, no *Symbol
	all          []*Symbol // every symbol incl. constants and undefined, by idx
}

// Lookup returns the symbol named name, or nil if the tree never mentions it.
func (kc *Kconfig) Lookup(name string) *Symbol { return kc.syms[name] }

func newKconfig() *Kconfig {
	kc := &Kconfig{syms: map[string]*Symbol{}, consts: map[string]*Symbol{}, Env: map[string]string{}, FileReads: map[string]int{}}
	kc.yes = kc.constSym("y")
	kc.mod = kc.constSym("m")
	kc.no = kc.constSym("n")
	for _, s := range []*Symbol{kc.yes, kc.mod, kc.no} {
		s.Type = TristateType
	}
	return kc
}

func (kc *Kconfig) newSym(name string, c bool) *Symbol {
	s := &Symbol{Name: name, Const: c, idx: len(kc.all)}
	kc.all = append(kc.all, s)
	return s
}

// constSym returns the constant symbol for a quoted string or a special
// name; y, m and n are always the tristate constants.
func (kc *Kconfig) constSym(name string) *Symbol {
	if len(name) == 1 {
		switch {
		case name == "y" && kc.yes != nil:
			return kc.yes
		case name == "m" && kc.mod != nil:
			return kc.mod
		case name == "n" && kc.no != nil:
			return kc.no
		}
	}
	if s := kc.consts[name]; s != nil {
		return s
	}
	s := kc.newSym(name, true)
	kc.consts[name] = s
	return s
}

// sym returns the (non-constant) symbol named name, creating it.
func (kc *Kconfig) sym(name string) *Symbol {
	if len(name) == 1 {
		switch name {
		case "y", "m", "n":
			return kc.constSym(name)
		}
	}
	if s := kc.syms[name]; s != nil {
		return s
	}
	s := kc.newSym(name, false)
	kc.syms[name] = s
	return s
}
