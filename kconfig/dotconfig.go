package kconfig

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteDotConfig writes c as conf writes .config: a heading, then every
// written symbol in menu order, with visible menus and comments as
// "# title" blocks.
func (c *Config) WriteDotConfig(w io.Writer) error {
	bw := bufio.NewWriter(w)
	title := "Main menu" // conf's title when there is no mainmenu
	if c.kc.Root.Prompt != nil {
		title = c.kc.Root.Prompt.Text
	}
	fmt.Fprintf(bw, "#\n# Automatically generated file; DO NOT EDIT.\n# %s\n#\n", title)
	written := make([]bool, len(c.kc.all))
	needNewline := false
	var walk func(n *Node)
	walk = func(n *Node) {
		if n.Kind != NodeRoot && n.Kind != NodeIf {
			switch {
			case n.Sym == nil:
				if c.nodeVisible(n) {
					fmt.Fprintf(bw, "\n#\n# %s\n#\n", n.Prompt.Text)
					needNewline = false
				}
			case !n.Sym.IsChoice && !written[n.Sym.idx]:
				s := n.Sym
				if c.Written(s) {
					if needNewline {
						bw.WriteString("\n")
						needNewline = false
					}
					written[s.idx] = true
					c.printSymbol(bw, s)
				}
			}
		}
		for _, ch := range n.Children {
			walk(ch)
		}
		if n.Kind == NodeMenu && c.nodeVisible(n) {
			fmt.Fprintf(bw, "# end of %s\n", n.Prompt.Text)
			needNewline = true
		}
	}
	walk(c.kc.Root)
	return bw.Flush()
}

// WriteDefconfig writes what `make savedefconfig` writes: in menu order,
// every changeable symbol whose value differs from its default, leaving out
// a choice's default member. `make defconfig` (olddefconfig semantics)
// turns it back into the full configuration.
func (c *Config) WriteDefconfig(w io.Writer) error {
	bw := bufio.NewWriter(w)
	seen := make([]bool, len(c.kc.all))
	var walk func(n *Node)
	walk = func(n *Node) {
		if s := n.Sym; s != nil && !s.IsChoice && !seen[s.idx] && c.Written(s) {
			seen[s.idx] = true
			if c.savedef(s) {
				c.printSymbol(bw, s)
			}
		}
		for _, ch := range n.Children {
			walk(ch)
		}
	}
	walk(c.kc.Root)
	return bw.Flush()
}

// savedef reports whether conf_write_defconfig writes s.
func (c *Config) savedef(s *Symbol) bool {
	rev := No // conf leaves rev_dep at n for choice members
	if s.Choice == nil && s.RevDep != nil {
		rev = c.boolClamp(s, c.eval(s.RevDep))
	}
	if c.vis[s.idx] <= rev {
		return false // not changeable
	}
	if c.stringValue(s) == c.stringDefault(s, rev) {
		return false
	}
	if ch := s.Choice; ch != nil && !ch.Optional && s.Type == Bool && c.tri[s.idx] == Yes && c.choiceDefault(ch) == s {
		return false
	}
	return true
}

// stringDefault is sym_get_string_default: the value s would have without
// a user value.
func (c *Config) stringDefault(s *Symbol, rev Tristate) string {
	val, str := No, ""
	if p := c.defaultProp(s); p != nil {
		switch s.Type {
		case Bool, TristateType:
			val = triAnd(c.eval(p.Value), c.eval(p.Visible))
		default:
			if p.Value != nil && p.Value.Op == OpSym {
				c.calc(p.Value.A)
				str = c.symVal(p.Value.A)
			}
		}
	}
	val = triOr(val, rev)
	if val == Mod && s.Choice == nil && c.modules == No {
		val = Yes
	}
	if s.Type == Bool && val == Mod {
		val = Yes
	}
	if s.Choice == nil && s.Implied != nil {
		if imp := c.boolClamp(s, c.eval(s.Implied)); val < imp {
			val = imp
		}
	}
	switch s.Type {
	case Bool, TristateType:
		return val.String()
	case Int:
		if str == "" {
			return "0"
		}
	case Hex:
		if str == "" {
			return "0x0"
		}
	}
	return str
}

// nodeVisible is menu_is_visible for menus and comments.
func (c *Config) nodeVisible(n *Node) bool {
	if n.Prompt == nil {
		return false
	}
	if n.Visibility != nil && c.eval(n.Visibility) == No {
		return false
	}
	return c.eval(n.Prompt.Visible) != No
}

func (c *Config) printSymbol(w *bufio.Writer, s *Symbol) {
	v := c.stringValue(s)
	switch s.Type {
	case Bool, TristateType:
		if v == "n" {
			fmt.Fprintf(w, "# CONFIG_%s is not set\n", s.Name)
			return
		}
	case String:
		v = escapeString(v)
	case Unknown:
		return
	}
	fmt.Fprintf(w, "CONFIG_%s=%s\n", s.Name, v)
}

func escapeString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// Assignment is one line of a .config or fragment: CONFIG_Name=Value, or
// Value "n" for "# CONFIG_Name is not set".
type Assignment struct {
	Name   string
	Value  string
	LineNo int // in the file it was read from
}

// ReadAssignments parses .config syntax. Other comments and blank lines
// are skipped; malformed lines are errors naming the line.
func ReadAssignments(r io.Reader, name string) ([]Assignment, error) {
	var out []Assignment
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			rest := strings.TrimSpace(strings.TrimPrefix(line, "#"))
			if strings.HasPrefix(rest, "CONFIG_") && strings.HasSuffix(rest, " is not set") {
				out = append(out, Assignment{Name: strings.TrimSuffix(strings.TrimPrefix(rest, "CONFIG_"), " is not set"), Value: "n", LineNo: n})
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(k, "CONFIG_") {
			return nil, fmt.Errorf("%s:%d: expected CONFIG_NAME=value or '# CONFIG_NAME is not set', got %q", name, n, line)
		}
		if strings.HasPrefix(v, "\"") {
			u, err := unescapeString(v)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, n, err)
			}
			v = u
		}
		out = append(out, Assignment{Name: strings.TrimPrefix(k, "CONFIG_"), Value: v, LineNo: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return out, nil
}

func unescapeString(v string) (string, error) {
	if len(v) < 2 || !strings.HasSuffix(v, "\"") {
		return "", fmt.Errorf("unterminated string %s", v)
	}
	var b strings.Builder
	in := v[1 : len(v)-1]
	for i := 0; i < len(in); i++ {
		if in[i] == '\\' && i+1 < len(in) {
			i++
		}
		b.WriteByte(in[i])
	}
	return b.String(), nil
}

// Apply sets the user values of as, like conf_read_simple. Names the tree
// does not define are returned (conf warns about them and goes on).
func (c *Config) Apply(as []Assignment) (unknown []string) {
	for _, a := range as {
		s := c.kc.syms[a.Name]
		if s == nil || !s.Defined() || s.IsChoice {
			unknown = append(unknown, a.Name)
			continue
		}
		c.setNoReset(s, a.Value)
	}
	c.reset()
	return unknown
}

func (c *Config) setNoReset(s *Symbol, value string) {
	i := s.idx
	switch s.Type {
	case Bool, TristateType:
		var t Tristate
		switch {
		case value == "y":
			t = Yes
		case value == "n":
			t = No
		case value == "m" && s.Type == TristateType:
			t = Mod
		default:
			return // conf ignores invalid values ("m" for a bool)
		}
		c.userSet[i], c.userTri[i] = true, t
		if ch := s.Choice; ch != nil {
			switch t {
			case Yes:
				c.userChoice[ch.idx] = s
			case Mod:
				if c.userSet[ch.idx] && c.userTri[ch.idx] == Yes {
					// "creates inconsistent choice state": conf forgets
					// the choice's user value.
					c.userSet[ch.idx] = false
					c.userChoice[ch.idx] = nil
					return
				}
			}
			c.userSet[ch.idx] = true
			c.userTri[ch.idx] = triOr(c.userTri[ch.idx], t)
		}
	case Int, Hex:
		if !numberValid(value, s.Type) {
			return // "symbol value invalid": conf ignores it
		}
		c.userSet[i], c.userStr[i] = true, value
	default:
		c.userSet[i], c.userStr[i] = true, value
	}
}

// numberValid is sym_string_valid for int and hex.
func numberValid(v string, t Type) bool {
	if t == Hex {
		v = strings.TrimPrefix(strings.TrimPrefix(v, "0x"), "0X")
		if v == "" {
			return false
		}
		for _, ch := range v {
			if !strings.ContainsRune("0123456789abcdefABCDEF", ch) {
				return false
			}
		}
		return true
	}
	v = strings.TrimPrefix(v, "-")
	if v == "" || (v[0] == '0' && len(v) > 1) {
		return false
	}
	for _, ch := range v {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}

// ApplyDotConfig sets user values like [Config.Apply] and then, as conf
// does when it reads .config for `make olddefconfig`, forgets int and hex
// user values outside their current range (they fall back to the default
// instead of being clamped).
func (c *Config) ApplyDotConfig(as []Assignment) (unknown []string) {
	unknown = c.Apply(as)
	var drop []*Symbol
	for _, s := range c.kc.Symbols {
		if (s.Type == Int || s.Type == Hex) && c.userSet[s.idx] && !c.withinRange(s, c.userStr[s.idx]) {
			drop = append(drop, s)
		}
	}
	for _, s := range drop {
		c.userSet[s.idx] = false
	}
	if len(drop) > 0 {
		c.reset()
	}
	return unknown
}

func (c *Config) withinRange(s *Symbol, v string) bool {
	base := 10
	if s.Type == Hex {
		base = 16
	}
	for _, p := range s.Props {
		if p.Kind == PropRange && c.eval(p.Visible) != No {
			x := strtoll(v, base)
			return x >= c.rangeVal(p.Lo, base) && x <= c.rangeVal(p.Hi, base)
		}
	}
	return true
}

// Values returns every written symbol's value, keyed by name ("n" for
// "is not set"), for comparisons like scripts/diffconfig.
func (c *Config) Values() map[string]string {
	out := map[string]string{}
	seen := map[*Symbol]bool{}
	var walk func(n *Node)
	walk = func(n *Node) {
		if s := n.Sym; s != nil && !s.IsChoice && !seen[s] {
			seen[s] = true
			if c.Written(s) && s.Type != Unknown {
				out[s.Name] = c.stringValue(s)
			}
		}
		for _, ch := range n.Children {
			walk(ch)
		}
	}
	walk(c.kc.Root)
	return out
}

// Enabled counts symbols that are y and m.
func (c *Config) Enabled() (y, m int) {
	for _, v := range c.Values() {
		switch v {
		case "y":
			y++
		case "m":
			m++
		}
	}
	return y, m
}

// Quote returns v as a .config value for s (strings quoted).
func Quote(s *Symbol, v string) string {
	if s != nil && s.Type == String {
		return escapeString(v)
	}
	return v
}

// Line is a as a .config line, with string values quoted.
func (kc *Kconfig) Line(a Assignment) string {
	if a.Value == "n" {
		if s := kc.syms[a.Name]; s == nil || s.isBoolish() {
			return "# CONFIG_" + a.Name + " is not set"
		}
	}
	return "CONFIG_" + a.Name + "=" + Quote(kc.syms[a.Name], a.Value)
}

// WriteFragment writes assignments as .config lines, the form
// KCONFIG_ALLCONFIG and merge_config.sh read.
func (kc *Kconfig) WriteFragment(w io.Writer, as []Assignment) error {
	bw := bufio.NewWriter(w)
	for _, a := range as {
		bw.WriteString(kc.Line(a))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
