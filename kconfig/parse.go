package kconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Error is a problem at a position in a Kconfig file.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every problem a parse found, in file order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i == 10 {
			fmt.Fprintf(&b, "\n(and %d more)", len(l)-10)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Hint tells the user what to do about parse errors.
func (l ErrorList) Hint() string {
	return "fix the Kconfig file at the named line, or check that the toolchain table matches this kernel source"
}

// Parse reads the Kconfig tree rooted at the file "Kconfig" in fsys (the
// kernel source directory), evaluates macros with tc and finalizes the
// dependency structure. All problems are returned together as an
// [ErrorList].
func Parse(fsys fs.FS, tc Toolchain) (*Kconfig, error) {
	return ParseFile(fsys, "Kconfig", tc)
}

// ParseFile is [Parse] with a different top-level file.
func ParseFile(fsys fs.FS, top string, tc Toolchain) (*Kconfig, error) {
	kc := newKconfig()
	p := &parser{fsys: fsys, kc: kc, pp: newPreprocessor(tc)}
	kc.Root = &Node{Kind: NodeRoot, Pos: Pos{File: top, Line: 1}}
	p.stack = []*Node{kc.Root}
	p.parseFile(top, Pos{})
	if len(p.stack) > 1 {
		for _, n := range p.stack[1:] {
			p.errorf(n.Pos, "unterminated %s", kindWord(n.Kind))
		}
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	kc.Env = p.pp.env
	kc.Warnings = append(kc.Warnings, p.pp.infos...)
	kc.finalize()
	return kc, nil
}

type parser struct {
	fsys  fs.FS
	kc    *Kconfig
	pp    *preprocessor
	stack []*Node // open blocks: root, menu, if, choice
	cur   *Node   // entry whose attributes follow
	errs  ErrorList
	files map[string]bool
	open  []string // files being read, outermost first
}

func (p *parser) errorf(pos Pos, format string, args ...any) {
	p.errs = append(p.errs, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func kindWord(k NodeKind) string {
	switch k {
	case NodeMenu:
		return "menu"
	case NodeIf:
		return "if"
	case NodeChoice:
		return "choice"
	}
	return "block"
}

func (p *parser) parseFile(name string, from Pos) {
	for _, open := range p.open {
		if open == name {
			p.errorf(from, "recursive inclusion of %q (sourced again while it is being read)", name)
			return
		}
	}
	if len(p.open) > 64 {
		p.errorf(from, "source nesting too deep at %q", name)
		return
	}
	data, err := fs.ReadFile(p.fsys, name)
	if err != nil {
		if from.File == "" {
			p.errorf(Pos{File: name}, "cannot read top-level Kconfig: %v", err)
		} else {
			p.errorf(from, "can't open file %q: %v", name, err)
		}
		return
	}
	if p.files == nil {
		p.files = map[string]bool{}
	}
	p.kc.FileReads[name]++
	if !p.files[name] {
		p.files[name] = true
		p.kc.Files = append(p.kc.Files, name)
	}
	p.open = append(p.open, name)
	defer func() { p.open = p.open[:len(p.open)-1] }()
	base := len(p.stack)
	p.cur = nil
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); {
		start := i
		line := lines[i]
		i++
		for strings.HasSuffix(line, "\\") && i < len(lines) {
			line = line[:len(line)-1] + lines[i]
			i++
		}
		pos := Pos{File: name, Line: start + 1}
		p.pp.file, p.pp.line = name, start+1
		consumed := p.statement(line, pos, lines[i:])
		i += consumed
	}
	if len(p.stack) > base {
		for _, n := range p.stack[base:] {
			p.errorf(n.Pos, "unterminated %s (no end%s before the end of %s)", kindWord(n.Kind), kindWord(n.Kind), name)
		}
		p.stack = p.stack[:base]
	}
	p.cur = nil
}

// statement parses one logical line; rest are the following physical lines
// (for help text). It returns how many of them it consumed.
func (p *parser) statement(line string, pos Pos, rest []string) int {
	if name, op, value, ok := splitAssignment(line); ok {
		n, err := p.pp.expand(name, nil)
		if err == nil {
			err = p.pp.assign(n, value, op)
		}
		if err != nil {
			p.errorf(pos, "%v", err)
		}
		return 0
	}
	toks, err := p.pp.tokenize(line)
	if err != nil {
		p.errorf(pos, "%v", err)
		return 0
	}
	if len(toks) == 0 {
		return 0
	}
	kw := toks[0].text
	if toks[0].kind != tWord {
		p.errorf(pos, "unexpected %q at the start of a statement", toks[0].text)
		return 0
	}
	args := toks[1:]
	// Attributes of the current entry.
	if p.cur != nil {
		if n, ok := p.attribute(kw, args, pos, rest); ok {
			return n
		}
	}
	switch kw {
	case "mainmenu":
		s, ok := p.oneString(args, pos, "mainmenu")
		if ok {
			p.kc.Root.Prompt = &Prop{Kind: PropPrompt, Text: s, Node: p.kc.Root, Pos: pos}
		}
		p.cur = nil
	case "config", "menuconfig":
		if len(args) != 1 || args[0].kind != tWord {
			p.errorf(pos, "%s needs exactly one symbol name", kw)
			p.cur = nil
			return 0
		}
		sym := p.kc.sym(args[0].text)
		if sym.Const {
			p.errorf(pos, "invalid symbol name %q", args[0].text)
			p.cur = nil
			return 0
		}
		kind := NodeConfig
		if kw == "menuconfig" {
			kind = NodeMenuconfig
		}
		n := &Node{Kind: kind, Sym: sym, Pos: pos}
		p.add(n)
		if len(sym.Nodes) == 0 {
			p.kc.Symbols = append(p.kc.Symbols, sym)
		}
		sym.Nodes = append(sym.Nodes, n)
		p.cur = n
	case "choice":
		name := ""
		if len(args) == 1 && args[0].kind == tWord {
			name = args[0].text
		} else if len(args) > 0 {
			p.errorf(pos, "choice takes at most one name")
		}
		var sym *Symbol
		if name != "" && p.kc.syms[name] != nil && p.kc.syms[name].IsChoice {
			sym = p.kc.syms[name]
		} else {
			sym = p.kc.newSym(name, false)
			sym.IsChoice = true
			if name != "" {
				p.kc.syms[name] = sym
			}
			p.kc.Choices = append(p.kc.Choices, sym)
		}
		n := &Node{Kind: NodeChoice, Sym: sym, Pos: pos}
		sym.Nodes = append(sym.Nodes, n)
		p.add(n)
		p.stack = append(p.stack, n)
		p.cur = n
	case "endchoice", "endmenu", "endif":
		want := map[string]NodeKind{"endchoice": NodeChoice, "endmenu": NodeMenu, "endif": NodeIf}[kw]
		if len(args) > 0 {
			p.errorf(pos, "unexpected text after %s", kw)
		}
		top := p.stack[len(p.stack)-1]
		if len(p.stack) == 1 || top.Kind != want {
			if len(p.stack) == 1 {
				p.errorf(pos, "%s without matching %s", kw, strings.TrimPrefix(kw, "end"))
			} else {
				p.errorf(pos, "%s in %s opened at %s", kw, kindWord(top.Kind), top.Pos)
			}
			p.cur = nil
			return 0
		}
		p.stack = p.stack[:len(p.stack)-1]
		p.cur = nil
	case "menu":
		s, ok := p.oneString(args, pos, "menu")
		n := &Node{Kind: NodeMenu, Pos: pos}
		if ok {
			n.Prompt = &Prop{Kind: PropPrompt, Text: s, Node: n, Pos: pos}
		}
		p.add(n)
		p.stack = append(p.stack, n)
		p.cur = n
	case "comment":
		s, ok := p.oneString(args, pos, "comment")
		n := &Node{Kind: NodeComment, Pos: pos}
		if ok {
			n.Prompt = &Prop{Kind: PropPrompt, Text: s, Node: n, Pos: pos}
		}
		p.add(n)
		p.cur = n
	case "if":
		e, ok := p.exprAll(args, pos)
		n := &Node{Kind: NodeIf, Pos: pos}
		if ok {
			n.Dep = e
		}
		p.add(n)
		p.stack = append(p.stack, n)
		p.cur = nil
	case "source", "osource", "rsource", "orsource":
		p.cur = nil
		s, ok := p.oneString(args, pos, kw)
		if !ok {
			return 0
		}
		if strings.HasPrefix(kw, "r") || strings.HasPrefix(kw, "or") {
			s = path.Join(path.Dir(pos.File), s)
		}
		s = path.Clean(strings.TrimPrefix(s, "./"))
		optional := strings.HasPrefix(kw, "o")
		if strings.ContainsAny(s, "*?[") {
			matches, err := fs.Glob(p.fsys, s)
			if err != nil {
				p.errorf(pos, "bad source pattern %q: %v", s, err)
				return 0
			}
			sort.Strings(matches)
			if len(matches) == 0 && !optional {
				p.errorf(pos, "%q matched no files", s)
			}
			for _, m := range matches {
				p.parseFile(m, pos)
			}
			return 0
		}
		if optional {
			if _, err := fs.Stat(p.fsys, s); errors.Is(err, fs.ErrNotExist) {
				return 0
			}
		}
		p.parseFile(s, pos)
		p.cur = nil
	default:
		if p.cur != nil {
			p.errorf(pos, "unknown option %q", kw)
		} else {
			p.errorf(pos, "unknown statement %q", kw)
		}
	}
	return 0
}

func (p *parser) add(n *Node) {
	parent := p.stack[len(p.stack)-1]
	n.Parent = parent
	parent.Children = append(parent.Children, n)
}

func (p *parser) oneString(args []token, pos Pos, what string) (string, bool) {
	if len(args) != 1 || args[0].kind != tString {
		p.errorf(pos, "%s needs one quoted string", what)
		return "", false
	}
	return args[0].text, true
}

// splitIf splits `X... if COND` into X and COND.
func splitIf(args []token) ([]token, []token, bool) {
	for i, t := range args {
		if t.is(tWord, "if") {
			return args[:i], args[i+1:], true
		}
	}
	return args, nil, false
}

func (p *parser) cond(args []token, pos Pos) ([]token, *Expr, bool) {
	head, c, has := splitIf(args)
	if !has {
		return head, nil, true
	}
	e, ok := p.exprAll(c, pos)
	return head, e, ok
}

var typeWords = map[string]Type{"bool": Bool, "boolean": Bool, "tristate": TristateType, "int": Int, "hex": Hex, "string": String}

// attribute parses an attribute line of the current entry. ok is false when
// kw is not an attribute (the entry ends).
func (p *parser) attribute(kw string, args []token, pos Pos, rest []string) (int, bool) {
	n := p.cur
	isSym := n.Kind == NodeConfig || n.Kind == NodeMenuconfig
	isChoice := n.Kind == NodeChoice
	sym := n.Sym
	switch kw {
	case "depends":
		if len(args) == 0 || !args[0].is(tWord, "on") {
			p.errorf(pos, "expected 'depends on'")
			return 0, true
		}
		if e, ok := p.exprAll(args[1:], pos); ok {
			n.Dep = and(n.Dep, e)
		}
		return 0, true
	case "help", "---help---":
		if !isSym && !isChoice {
			return 0, false
		}
		text, used := helpText(rest)
		n.Help = text
		return used, true
	}
	if isSym || isChoice {
		if t, ok := typeWords[kw]; ok {
			if isChoice && t != Bool && t != TristateType {
				p.errorf(pos, "a choice must be bool or tristate")
				return 0, true
			}
			p.setType(sym, t, pos)
			head, c, ok := p.cond(args, pos)
			if !ok {
				return 0, true
			}
			if len(head) > 1 || len(head) == 1 && head[0].kind != tString {
				p.errorf(pos, "expected a quoted prompt after %s", kw)
				return 0, true
			}
			if len(head) == 1 {
				p.addProp(n, &Prop{Kind: PropPrompt, Text: head[0].text, Cond: c, Pos: pos})
			}
			return 0, true
		}
		switch kw {
		case "prompt":
			head, c, ok := p.cond(args, pos)
			if ok {
				if len(head) != 1 || head[0].kind != tString {
					p.errorf(pos, "prompt needs one quoted string")
				} else {
					p.addProp(n, &Prop{Kind: PropPrompt, Text: head[0].text, Cond: c, Pos: pos})
				}
			}
			return 0, true
		case "default":
			head, c, ok := p.cond(args, pos)
			if !ok {
				return 0, true
			}
			if isChoice {
				if len(head) != 1 || head[0].kind != tWord {
					p.errorf(pos, "a choice default names one symbol")
					return 0, true
				}
				p.addProp(n, &Prop{Kind: PropDefault, Target: p.kc.sym(head[0].text), Cond: c, Pos: pos})
				return 0, true
			}
			if v, ok := p.exprAll(head, pos); ok {
				p.addProp(n, &Prop{Kind: PropDefault, Value: v, Cond: c, Pos: pos})
			}
			return 0, true
		}
	}
	if isChoice && kw == "optional" {
		sym.Optional = true
		return 0, true
	}
	if n.Kind == NodeMenu && kw == "visible" {
		if len(args) == 0 || !args[0].is(tWord, "if") {
			p.errorf(pos, "expected 'visible if'")
			return 0, true
		}
		if e, ok := p.exprAll(args[1:], pos); ok {
			n.Visibility = and(n.Visibility, e)
		}
		return 0, true
	}
	if !isSym {
		return 0, false
	}
	switch kw {
	case "def_bool", "def_tristate":
		t := Bool
		if kw == "def_tristate" {
			t = TristateType
		}
		p.setType(sym, t, pos)
		head, c, ok := p.cond(args, pos)
		if !ok {
			return 0, true
		}
		if v, ok := p.exprAll(head, pos); ok {
			p.addProp(n, &Prop{Kind: PropDefault, Value: v, Cond: c, Pos: pos})
		}
	case "select", "imply":
		head, c, ok := p.cond(args, pos)
		if !ok {
			return 0, true
		}
		if len(head) != 1 || head[0].kind != tWord {
			p.errorf(pos, "%s needs one symbol name", kw)
			return 0, true
		}
		k := PropSelect
		if kw == "imply" {
			k = PropImply
		}
		p.addProp(n, &Prop{Kind: k, Target: p.kc.sym(head[0].text), Cond: c, Pos: pos})
	case "range":
		head, c, ok := p.cond(args, pos)
		if !ok {
			return 0, true
		}
		if len(head) != 2 {
			p.errorf(pos, "range needs two values")
			return 0, true
		}
		p.addProp(n, &Prop{Kind: PropRange, Lo: p.operand(head[0]), Hi: p.operand(head[1]), Cond: c, Pos: pos})
	case "modules":
		if len(args) > 0 {
			p.errorf(pos, "unexpected text after modules")
		}
		p.kc.Modules = sym
	case "option":
		p.errorf(pos, "'option' is not supported by this Kconfig version (use 'modules')")
	case "optional":
		p.errorf(pos, "'optional' is only valid in a choice")
	default:
		return 0, false
	}
	return 0, true
}

func (p *parser) setType(sym *Symbol, t Type, pos Pos) {
	if sym.Type != Unknown && sym.Type != t {
		p.kc.Warnings = append(p.kc.Warnings, fmt.Sprintf("%s: ignoring type redefinition of '%s' from '%s' to '%s'", pos, sym.Name, sym.Type, t))
		return
	}
	sym.Type = t
}

func (p *parser) addProp(n *Node, pr *Prop) {
	pr.Node = n
	if pr.Kind == PropPrompt {
		if n.Prompt != nil {
			p.kc.Warnings = append(p.kc.Warnings, fmt.Sprintf("%s: prompt redefined", pr.Pos))
		}
		n.Prompt = pr
	}
	n.Sym.Props = append(n.Sym.Props, pr)
}

// helpText collects the help block from the lines after `help`: the first
// non-blank line sets the indentation, the block ends at the first
// non-blank line indented less.
func helpText(lines []string) (string, int) {
	first := -1
	var b strings.Builder
	used := 0
	blank := 0
	for _, l := range lines {
		w, nonblank := indentWidth(l)
		if !nonblank {
			blank++
			used++
			continue
		}
		if first < 0 {
			if w == 0 {
				break
			}
			first = w
		} else if w < first {
			break
		}
		for ; blank > 0; blank-- {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
		}
		b.WriteString(strings.Repeat(" ", w-first))
		b.WriteString(strings.TrimRight(strings.TrimLeft(l, " \t"), " \t"))
		b.WriteByte('\n')
		used++
	}
	// Trailing blank lines are not part of the help.
	return b.String(), used - blank
}

// exprAll parses toks as one complete expression.
func (p *parser) exprAll(toks []token, pos Pos) (*Expr, bool) {
	if len(toks) == 0 {
		p.errorf(pos, "missing expression")
		return nil, false
	}
	ep := &exprParser{toks: toks, kc: p.kc}
	e, err := ep.or()
	if err == nil && ep.i < len(toks) {
		err = fmt.Errorf("unexpected %q in expression", toks[ep.i].text)
	}
	if err != nil {
		p.errorf(pos, "%v", err)
		return nil, false
	}
	return e, true
}

func (p *parser) operand(t token) *Symbol {
	if t.kind == tString {
		return p.kc.constSym(t.text)
	}
	return p.kc.sym(t.text)
}

type exprParser struct {
	toks []token
	i    int
	kc   *Kconfig
}

func (ep *exprParser) peek() (token, bool) {
	if ep.i < len(ep.toks) {
		return ep.toks[ep.i], true
	}
	return token{}, false
}

func (ep *exprParser) or() (*Expr, error) {
	l, err := ep.and()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := ep.peek()
		if !ok || !t.is(tOp, "||") {
			return l, nil
		}
		ep.i++
		r, err := ep.and()
		if err != nil {
			return nil, err
		}
		l = &Expr{Op: OpOr, L: l, R: r}
	}
}

func (ep *exprParser) and() (*Expr, error) {
	l, err := ep.unary()
	if err != nil {
		return nil, err
	}
	for {
		t, ok := ep.peek()
		if !ok || !t.is(tOp, "&&") {
			return l, nil
		}
		ep.i++
		r, err := ep.unary()
		if err != nil {
			return nil, err
		}
		l = &Expr{Op: OpAnd, L: l, R: r}
	}
}

var cmpOps = map[string]Op{"=": OpEq, "!=": OpNeq, "<": OpLt, "<=": OpLeq, ">": OpGt, ">=": OpGeq}

func (ep *exprParser) unary() (*Expr, error) {
	t, ok := ep.peek()
	if !ok {
		return nil, fmt.Errorf("expression ends too early")
	}
	switch {
	case t.is(tOp, "!"):
		ep.i++
		e, err := ep.unary()
		if err != nil {
			return nil, err
		}
		return &Expr{Op: OpNot, L: e}, nil
	case t.is(tOp, "("):
		ep.i++
		e, err := ep.or()
		if err != nil {
			return nil, err
		}
		if t, ok := ep.peek(); !ok || !t.is(tOp, ")") {
			return nil, fmt.Errorf("missing ')'")
		}
		ep.i++
		return e, nil
	case t.kind == tOp:
		return nil, fmt.Errorf("unexpected %q in expression", t.text)
	}
	ep.i++
	a := ep.symbol(t)
	if n, ok := ep.peek(); ok && n.kind == tOp {
		if op, ok := cmpOps[n.text]; ok {
			ep.i++
			bt, ok := ep.peek()
			if !ok || bt.kind == tOp {
				return nil, fmt.Errorf("missing right operand of %q", n.text)
			}
			ep.i++
			return &Expr{Op: op, A: a, B: ep.symbol(bt)}, nil
		}
	}
	return symExpr(a), nil
}

func (ep *exprParser) symbol(t token) *Symbol {
	if t.kind == tString {
		return ep.kc.constSym(t.text)
	}
	return ep.kc.sym(t.text)
}
