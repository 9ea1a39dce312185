package kconfig

import (
	"strconv"
	"strings"
)

// Config is one assignment of values to a Kconfig tree: the user's values
// (from a .config, a fragment or the solver) and the values conf computes
// from them. Computed values are cached; setting a user value clears the
// cache.
type Config struct {
	kc *Kconfig

	userSet    []bool
	userTri    []Tristate
	userStr    []string
	userChoice []*Symbol // choice: the member the user picked

	state   []uint8 // 0 not computed, 1 computing, 2 done
	tri     []Tristate
	str     []string
	vis     []Tristate
	write   []bool
	sel     []*Symbol // choice: selected member
	modules Tristate
}

// NewConfig returns a configuration with no user values (what
// `make olddefconfig` computes from an empty .config).
func (kc *Kconfig) NewConfig() *Config {
	n := len(kc.all)
	c := &Config{
		kc:         kc,
		userSet:    make([]bool, n),
		userTri:    make([]Tristate, n),
		userStr:    make([]string, n),
		userChoice: make([]*Symbol, n),
	}
	c.reset()
	return c
}

// Kconfig returns the tree c belongs to.
func (c *Config) Kconfig() *Kconfig { return c.kc }

func (c *Config) reset() {
	n := len(c.kc.all)
	if len(c.state) != n {
		c.state = make([]uint8, n)
		c.tri = make([]Tristate, n)
		c.str = make([]string, n)
		c.vis = make([]Tristate, n)
		c.write = make([]bool, n)
		c.sel = make([]*Symbol, n)
	} else {
		clear(c.state)
		clear(c.sel)
	}
	for _, s := range []*Symbol{c.kc.yes, c.kc.mod, c.kc.no} {
		c.state[s.idx] = 2
		c.str[s.idx] = s.Name
	}
	c.tri[c.kc.yes.idx], c.tri[c.kc.mod.idx], c.tri[c.kc.no.idx] = Yes, Mod, No
	c.modules = No
	if m := c.kc.Modules; m != nil {
		c.calc(m)
		c.modules = c.tri[m.idx]
		if c.modules != No {
			// Types depend on MODULES: recompute everything with it known.
			clear(c.state)
			for _, s := range []*Symbol{c.kc.yes, c.kc.mod, c.kc.no} {
				c.state[s.idx] = 2
			}
		}
	}
}

// Set sets a user value, as a line CONFIG_NAME=value of a .config does:
// "y", "m" or "n" for bool and tristate symbols, the text for the others.
// Setting a choice member to y picks it.
func (c *Config) Set(s *Symbol, value string) {
	c.setNoReset(s, value)
	c.reset()
}

// Unset removes the user value of s.
func (c *Config) Unset(s *Symbol) {
	c.userSet[s.idx] = false
	c.reset()
}

// User returns the user value of s, if any.
func (c *Config) User(s *Symbol) (string, bool) {
	if !c.userSet[s.idx] {
		return "", false
	}
	if s.isBoolish() || s.IsChoice {
		return c.userTri[s.idx].String(), true
	}
	return c.userStr[s.idx], true
}

// AllNo gives every bool and tristate symbol without a user value the user
// value n, as `make allnoconfig` does after reading KCONFIG_ALLCONFIG.
func (c *Config) AllNo() {
	for _, s := range c.kc.all {
		if s.Const || c.userSet[s.idx] {
			continue
		}
		if s.isBoolish() || (s.IsChoice && s.Type != Unknown) {
			c.userSet[s.idx], c.userTri[s.idx] = true, No
		}
	}
	c.reset()
}

// Tri returns the computed tristate value of s.
func (c *Config) Tri(s *Symbol) Tristate {
	c.calc(s)
	return c.tri[s.idx]
}

// Value returns the value as conf writes it: "y", "m", "n", a number or
// the (unquoted) string.
func (c *Config) Value(s *Symbol) string {
	c.calc(s)
	return c.stringValue(s)
}

// Visible returns the visibility of s (the OR of its prompts' conditions).
func (c *Config) Visible(s *Symbol) Tristate {
	c.calc(s)
	return c.vis[s.idx]
}

// Selected returns the member a choice selects, or nil.
func (c *Config) Selected(ch *Symbol) *Symbol {
	c.calc(ch)
	if c.tri[ch.idx] != Yes {
		return nil
	}
	return c.sel[ch.idx]
}

// Written reports whether conf writes s to .config.
func (c *Config) Written(s *Symbol) bool {
	c.calc(s)
	return c.write[s.idx]
}

// typeOf is sym_get_type: tristates are bools when modules are off and for
// visible choice members.
func (c *Config) typeOf(s *Symbol) Type {
	t := s.Type
	if t == TristateType && !s.Const {
		if s.Choice != nil && c.vis[s.idx] == Yes {
			return Bool
		}
		if c.modules == No {
			return Bool
		}
	}
	return t
}

func (c *Config) stringValue(s *Symbol) string {
	switch s.Type {
	case Bool, TristateType:
		switch c.tri[s.idx] {
		case Yes:
			return "y"
		case Mod:
			if s.Const {
				return "m"
			}
			if c.modules == No {
				return "n"
			}
			return "m"
		}
		return "n"
	}
	return c.str[s.idx]
}

func (c *Config) eval(e *Expr) Tristate {
	if e == nil {
		return Yes
	}
	switch e.Op {
	case OpSym:
		c.calc(e.A)
		return c.tri[e.A.idx]
	case OpNot:
		return triNot(c.eval(e.L))
	case OpAnd:
		return triAnd(c.eval(e.L), c.eval(e.R))
	case OpOr:
		return triOr(c.eval(e.L), c.eval(e.R))
	}
	c.calc(e.A)
	c.calc(e.B)
	s1, s2 := c.stringValue(e.A), c.stringValue(e.B)
	var res int
	k1, k2 := kString, kString
	var l, r numVal
	if e.A.Type != String || e.B.Type != String {
		k1, l = parseNum(s1, e.A.Type)
		k2, r = parseNum(s2, e.B.Type)
	}
	switch {
	case k1 == kString || k2 == kString:
		res = strings.Compare(s1, s2)
	case k1 == kUnsigned || k2 == kUnsigned:
		res = cmpU(l.u, r.u)
	default:
		res = cmpS(l.s, r.s)
	}
	var ok bool
	switch e.Op {
	case OpEq:
		ok = res == 0
	case OpNeq:
		ok = res != 0
	case OpLt:
		ok = res < 0
	case OpLeq:
		ok = res <= 0
	case OpGt:
		ok = res > 0
	case OpGeq:
		ok = res >= 0
	}
	if ok {
		return Yes
	}
	return No
}

type numKind uint8

const (
	kString numKind = iota
	kSigned
	kUnsigned
)

type numVal struct {
	s int64
	u uint64
}

func cmpS(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseNum is expr_parse_string: how a comparison reads a value.
func parseNum(s string, t Type) (numKind, numVal) {
	switch t {
	case Bool, TristateType:
		switch s {
		case "n":
			return kSigned, numVal{s: 0}
		case "m":
			return kSigned, numVal{s: 1}
		case "y":
			return kSigned, numVal{s: 2}
		}
		return kSigned, numVal{s: -1}
	case Int:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return kString, numVal{}
		}
		return kSigned, numVal{s: v, u: uint64(v)}
	case Hex:
		h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
		v, err := strconv.ParseUint(h, 16, 64)
		if err != nil || h == "" {
			return kString, numVal{}
		}
		return kUnsigned, numVal{u: v, s: int64(v)}
	}
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return kString, numVal{}
	}
	return kSigned, numVal{s: v, u: uint64(v)}
}

func (c *Config) calcVisibility(s *Symbol) {
	tri := No
	var ch *Symbol
	if s.Choice != nil {
		ch = s.Choice
	}
	for _, p := range s.Props {
		if p.Kind != PropPrompt {
			continue
		}
		v := c.eval(p.Visible)
		if ch != nil && s.Type == TristateType && v == Mod && c.tri[ch.idx] == Yes {
			v = No
		}
		tri = triOr(tri, v)
	}
	if tri == Mod && (s.Type != TristateType || c.modules == No) {
		tri = Yes
	}
	c.vis[s.idx] = tri
}

// boolClamp turns m into y for symbols that are bools at the moment.
func (c *Config) boolClamp(s *Symbol, t Tristate) Tristate {
	if t == Mod && c.typeOf(s) == Bool {
		return Yes
	}
	return t
}

func (c *Config) defaultProp(s *Symbol) *Prop {
	for _, p := range s.Props {
		if p.Kind == PropDefault && c.eval(p.Visible) != No {
			return p
		}
	}
	return nil
}

// calc is sym_calc_value.
func (c *Config) calc(s *Symbol) {
	i := s.idx
	if c.state[i] != 0 {
		return
	}
	c.state[i] = 1
	defer func() { c.state[i] = 2 }()
	if s.Const || (!s.Defined() && !s.IsChoice) || s.Type == Unknown {
		c.tri[i] = No
		c.str[i] = s.Name
		return
	}
	c.write[i] = false
	c.tri[i], c.str[i] = No, ""
	c.calcVisibility(s)
	if c.vis[i] != No {
		c.write[i] = true
	}
	switch s.Type {
	case Bool, TristateType:
		nv := No
		if s.Choice != nil && c.vis[i] == Yes {
			ch := s.Choice
			c.calc(ch)
			if c.tri[ch.idx] == Yes && c.sel[ch.idx] == s {
				nv = Yes
			}
		} else {
			done := false
			if c.vis[i] != No && c.userSet[i] {
				nv = triAnd(c.userTri[i], c.vis[i])
				done = true
			}
			dirDep := c.boolClamp(s, c.eval(s.DirDep))
			revDep := No
			if s.RevDep != nil {
				revDep = c.boolClamp(s, c.eval(s.RevDep))
			}
			if !done {
				if revDep != No {
					c.write[i] = true
				}
				if !s.IsChoice {
					if p := c.defaultProp(s); p != nil {
						nv = triAnd(c.eval(p.Value), c.eval(p.Visible))
						if nv != No {
							c.write[i] = true
						}
					}
					implied := No
					if s.Implied != nil {
						implied = c.boolClamp(s, c.eval(s.Implied))
					}
					if implied != No {
						c.write[i] = true
						nv = triAnd(triOr(nv, implied), dirDep)
					}
				}
			}
			nv = triOr(nv, revDep)
		}
		if nv == Mod && c.typeOf(s) == Bool {
			nv = Yes
		}
		c.tri[i] = nv
		if s.IsChoice && nv == Yes {
			c.sel[i] = c.calcChoice(s)
		}
	case Int, Hex, String:
		if c.vis[i] != No && c.userSet[i] {
			c.str[i] = c.userStr[i]
		} else if p := c.defaultProp(s); p != nil && p.Value != nil && p.Value.Op == OpSym {
			c.write[i] = true
			ds := p.Value.A
			c.calc(ds)
			c.str[i] = c.symVal(ds)
		}
		c.validateRange(s)
	}
	if s.IsChoice {
		c.write[i] = false
	}
}

// symVal is a symbol's curr.val as the kernel reads it for int/hex/string
// defaults and ranges.
func (c *Config) symVal(s *Symbol) string {
	if s.isBoolish() {
		return c.stringValue(s)
	}
	return c.str[s.idx]
}

func (c *Config) calcChoice(ch *Symbol) *Symbol {
	for _, m := range ch.Members {
		c.calcVisibility(m)
	}
	if u := c.userChoice[ch.idx]; u != nil && c.vis[u.idx] != No {
		return u
	}
	if d := c.choiceDefault(ch); d != nil {
		return d
	}
	c.tri[ch.idx] = No
	return nil
}

// choiceDefault is sym_choice_default: the first default whose condition
// holds and whose target is visible, else the first visible member.
func (c *Config) choiceDefault(ch *Symbol) *Symbol {
	for _, p := range ch.Props {
		if p.Kind != PropDefault || c.eval(p.Visible) == No {
			continue
		}
		if c.vis[p.Target.idx] != No {
			return p.Target
		}
	}
	for _, m := range ch.Members {
		if c.vis[m.idx] != No {
			return m
		}
	}
	return nil
}

func (c *Config) validateRange(s *Symbol) {
	base := 10
	if s.Type == Hex {
		base = 16
	} else if s.Type != Int {
		return
	}
	var rp *Prop
	for _, p := range s.Props {
		if p.Kind == PropRange && c.eval(p.Visible) != No {
			rp = p
			break
		}
	}
	if rp == nil {
		return
	}
	val := strtoll(c.str[s.idx], base)
	rs := rp.Lo
	v2 := c.rangeVal(rs, base)
	if val >= v2 {
		rs = rp.Hi
		v2 = c.rangeVal(rs, base)
		if val <= v2 {
			return
		}
	}
	c.str[s.idx] = c.symVal(rs)
}

func (c *Config) rangeVal(s *Symbol, base int) int64 {
	c.calc(s)
	switch s.Type {
	case Int:
		base = 10
	case Hex:
		base = 16
	}
	return strtoll(c.symVal(s), base)
}

// strtoll parses the longest numeric prefix like C's strtoll (0 if none).
func strtoll(s string, base int) int64 {
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	if base == 16 || base == 0 {
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			s, base = s[2:], 16
		} else if base == 0 && strings.HasPrefix(s, "0") && len(s) > 1 {
			base = 8
		} else if base == 0 {
			base = 10
		}
	}
	var v int64
digits:
	for _, ch := range s {
		d := -1
		switch {
		case ch >= '0' && ch <= '9':
			d = int(ch - '0')
		case ch >= 'a' && ch <= 'f':
			d = int(ch-'a') + 10
		case ch >= 'A' && ch <= 'F':
			d = int(ch-'A') + 10
		}
		if d < 0 || d >= base {
			break digits
		}
		v = v*int64(base) + int64(d)
	}
	if neg {
		v = -v
	}
	return v
}
