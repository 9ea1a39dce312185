package kconfig

import (
	"fmt"
	"strconv"
	"strings"
)

// Shell runs a `$(shell,cmd)` command and returns its output with trailing
// newlines removed and inner newlines turned into spaces, as conf does.
type Shell interface {
	Shell(cmd string) (string, error)
}

// Toolchain supplies what a Kconfig tree reads from outside: environment
// variables (ARCH, CC, CC_VERSION_TEXT, ...) and `$(shell,...)` output.
type Toolchain interface {
	Shell
	Getenv(name string) (string, bool)
}

type flavor uint8

const (
	flavorSimple flavor = iota
	flavorRecursive
)

type variable struct {
	value  string
	flavor flavor
	busy   int
}

// macroError is a preprocessor failure; the parser adds file:line.
type macroError struct{ msg string }

func (e *macroError) Error() string { return e.msg }

// preprocessor implements the Kconfig macro language.
type preprocessor struct {
	vars  map[string]*variable
	tc    Toolchain
	env   map[string]string // environment lookups, recorded
	file  string
	line  int
	infos []string // $(info) and $(warning-if) output
	depth int
}

func newPreprocessor(tc Toolchain) *preprocessor {
	return &preprocessor{vars: map[string]*variable{}, tc: tc, env: map[string]string{}}
}

func (p *preprocessor) assign(name, value string, op string) error {
	v := p.vars[name]
	fl := flavorRecursive
	if op == ":=" {
		fl = flavorSimple
	}
	appendMode := false
	if op == "+=" {
		if v != nil {
			fl = v.flavor
			appendMode = true
		}
	}
	nv := value
	if fl == flavorSimple {
		var err error
		if nv, err = p.expand(value, nil); err != nil {
			return err
		}
	}
	if v == nil {
		v = &variable{}
		p.vars[name] = v
	}
	v.flavor = fl
	if appendMode {
		v.value += " " + nv
	} else {
		v.value = nv
	}
	return nil
}

// expand expands every $(...) in s. args are $(1), $(2)... of a user
// function call.
func (p *preprocessor) expand(s string, args []string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 >= len(s) || s[i+1] != '(' {
			b.WriteByte(c)
			i++
			continue
		}
		end, err := matchParen(s, i+1)
		if err != nil {
			return "", err
		}
		out, err := p.evalClause(s[i+2:end], args)
		if err != nil {
			return "", err
		}
		b.WriteString(out)
		if b.Len() > maxExpansion {
			return "", &macroError{"macro expansion longer than 1 MiB (runaway recursion?)"}
		}
		i = end + 1
	}
	return b.String(), nil
}

// maxExpansion bounds one expansion, so that doubling variables
// (a = $(b)$(b), b = $(c)$(c), ...) fail instead of exhausting memory.
const maxExpansion = 1 << 20

// matchParen returns the index of the ')' closing the '(' at open.
func matchParen(s string, open int) (int, error) {
	nest := 0
	for j := open + 1; j < len(s); j++ {
		switch s[j] {
		case '(':
			nest++
		case ')':
			if nest == 0 {
				return j, nil
			}
			nest--
		}
	}
	return 0, &macroError{fmt.Sprintf("unterminated reference to '%s': missing ')'", s[open+1:])}
}

// expandToken expands a word that starts at s[0] and ends at the first
// character that is neither alphanumeric, '_', '-' nor part of a $(...)
// reference. It returns the expansion and the number of bytes consumed.
func (p *preprocessor) expandToken(s string) (string, int, error) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '$' && i+1 < len(s) && s[i+1] == '(' {
			end, err := matchParen(s, i+1)
			if err != nil {
				return "", 0, err
			}
			out, err := p.evalClause(s[i+2:end], nil)
			if err != nil {
				return "", 0, err
			}
			b.WriteString(out)
			i = end + 1
			continue
		}
		if !(isWordChar(c) || c == '$') {
			break
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), i, nil
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// evalClause evaluates the inside of $(...).
func (p *preprocessor) evalClause(s string, args []string) (string, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n <= len(args) {
		return args[n-1], nil
	}
	// Split at top-level commas.
	var parts []string
	nest, prev := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			if nest == 0 {
				parts = append(parts, s[prev:i])
				prev = i + 1
			}
		case '(':
			nest++
		case ')':
			nest--
		}
	}
	parts = append(parts, s[prev:])
	if len(parts) > 16 {
		return "", &macroError{"too many function arguments"}
	}
	name, err := p.expand(parts[0], args)
	if err != nil {
		return "", err
	}
	callArgs := make([]string, 0, len(parts)-1)
	for _, a := range parts[1:] {
		x, err := p.expand(a, args)
		if err != nil {
			return "", err
		}
		callArgs = append(callArgs, x)
	}
	if v := p.vars[name]; v != nil {
		if len(callArgs) == 0 && v.busy > 0 {
			return "", &macroError{fmt.Sprintf("Recursive variable '%s' references itself (eventually)", name)}
		}
		if v.busy > 1000 {
			return "", &macroError{"Too deep recursive expansion"}
		}
		if v.flavor == flavorSimple {
			return v.value, nil
		}
		v.busy++
		defer func() { v.busy-- }()
		return p.expand(v.value, callArgs)
	}
	if out, ok, err := p.builtin(name, callArgs); ok {
		return out, err
	}
	if len(callArgs) == 0 {
		val, _ := p.tc.Getenv(name)
		p.env[name] = val
		return val, nil
	}
	return "", nil
}

func (p *preprocessor) builtin(name string, args []string) (string, bool, error) {
	argc := func(lo, hi int) error {
		if len(args) < lo {
			return &macroError{fmt.Sprintf("too few function arguments passed to '%s'", name)}
		}
		if len(args) > hi {
			return &macroError{fmt.Sprintf("too many function arguments passed to '%s'", name)}
		}
		return nil
	}
	switch name {
	case "shell":
		if err := argc(1, 1); err != nil {
			return "", true, err
		}
		out, err := p.tc.Shell(args[0])
		if err != nil {
			return "", true, &macroError{fmt.Sprintf("$(shell,%s): %v", args[0], err)}
		}
		return out, true, nil
	case "info":
		if err := argc(1, 1); err != nil {
			return "", true, err
		}
		p.infos = append(p.infos, args[0])
		return "", true, nil
	case "warning-if":
		if err := argc(2, 2); err != nil {
			return "", true, err
		}
		if args[0] == "y" {
			p.infos = append(p.infos, fmt.Sprintf("%s:%d: %s", p.file, p.line, args[1]))
		}
		return "", true, nil
	case "error-if":
		if err := argc(2, 2); err != nil {
			return "", true, err
		}
		if args[0] == "y" {
			return "", true, &macroError{args[1]}
		}
		return "", true, nil
	case "filename":
		if err := argc(0, 0); err != nil {
			return "", true, err
		}
		return p.file, true, nil
	case "lineno":
		if err := argc(0, 0); err != nil {
			return "", true, err
		}
		return strconv.Itoa(p.line), true, nil
	}
	return "", false, nil
}
