package kconfig

import (
	"fmt"
	"strings"
)

type tokKind uint8

const (
	tWord   tokKind = iota // identifier or number (possibly macro-expanded)
	tString                // quoted string, unquoted and expanded
	tOp                    // operator: || && = != < <= > >= ! ( )
)

type token struct {
	kind tokKind
	text string
}

func (t token) is(kind tokKind, text string) bool { return t.kind == kind && t.text == text }

// tokenize splits one logical Kconfig line into tokens, expanding macros
// in words and strings and dropping a trailing # comment.
func (p *preprocessor) tokenize(line string) ([]token, error) {
	var toks []token
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#':
			return toks, nil
		case c == '"' || c == '\'':
			s, n, err := p.lexString(line[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tString, s})
			i += n
		case isWordChar(c) || c == '$':
			hasDollar := false
			j := i
			for j < len(line) && (isWordChar(line[j]) || line[j] == '$') {
				if line[j] == '$' {
					hasDollar = true
					break
				}
				j++
			}
			if !hasDollar {
				toks = append(toks, token{tWord, line[i:j]})
				i = j
				continue
			}
			s, n, err := p.expandToken(line[i:])
			if err != nil {
				return nil, err
			}
			if n == 0 { // a lone '$' that is not a reference
				n = 1
				s = "$"
			}
			if s != "" {
				toks = append(toks, token{tWord, s})
			}
			i += n
		default:
			two := ""
			if i+1 < len(line) {
				two = line[i : i+2]
			}
			switch two {
			case "||", "&&", "!=", "<=", ">=":
				toks = append(toks, token{tOp, two})
				i += 2
				continue
			}
			switch c {
			case '=', '<', '>', '!', '(', ')':
				toks = append(toks, token{tOp, string(c)})
				i++
			default:
				return nil, fmt.Errorf("unexpected character %q", c)
			}
		}
	}
	return toks, nil
}

// lexString reads a quoted string starting at s[0]. Backslash escapes the
// next character; $(...) references are expanded.
func (p *preprocessor) lexString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	i := 1
	for i < len(s) {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\':
			if i+1 < len(s) {
				b.WriteByte(s[i+1])
				i += 2
			} else {
				i++
			}
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
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
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

// splitAssignment recognises `NAME = value`, `NAME := value` and
// `NAME += value` lines. NAME may contain macro references.
func splitAssignment(line string) (name, op, value string, ok bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	start := i
	for i < len(line) {
		c := line[i]
		if isWordChar(c) {
			i++
			continue
		}
		if c == '$' && i+1 < len(line) && line[i+1] == '(' {
			end, err := matchParen(line, i+1)
			if err != nil {
				return "", "", "", false
			}
			i = end + 1
			continue
		}
		break
	}
	if i == start {
		return "", "", "", false
	}
	name = line[start:i]
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	rest := line[i:]
	switch {
	case strings.HasPrefix(rest, ":="):
		op = ":="
	case strings.HasPrefix(rest, "+="):
		op = "+="
	case strings.HasPrefix(rest, "=") && !strings.HasPrefix(rest, "=="):
		op = "="
	default:
		return "", "", "", false
	}
	value = strings.TrimLeft(rest[len(op):], " \t")
	return name, op, value, true
}

// indentWidth is the width of the leading blanks of line, tabs to 8.
func indentWidth(line string) (int, bool) {
	ts := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\t':
			ts = (ts &^ 7) + 8
		case ' ':
			ts++
		default:
			return ts, true
		}
	}
	return ts, false // blank line
}
