package description

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"pdvm.dev/pdvm/debian/relation"
)

// evaluator evaluates attribute expressions of one file and collects
// diagnostics instead of stopping at the first.
type evaluator struct {
	ctx   *hcl.EvalContext
	src   []byte // the file's bytes, to map offsets inside string literals
	diags hcl.Diagnostics
}

func (e *evaluator) errorf(rng hcl.Range, summary, format string, args ...any) {
	r := rng
	e.diags = append(e.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

// value evaluates x; ok is false when the attribute is absent or null or
// evaluation failed (the failure is recorded).
func (e *evaluator) value(x hcl.Expression) (cty.Value, bool) {
	if x == nil {
		return cty.NilVal, false
	}
	v, diags := x.Value(e.ctx)
	e.diags = append(e.diags, diags...)
	if diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

func (e *evaluator) convert(x hcl.Expression, v cty.Value, ty cty.Type, what string) (cty.Value, bool) {
	out, err := convert.Convert(v, ty)
	if err != nil {
		e.errorf(x.Range(), "Incorrect attribute value type", "Inappropriate value for %s: %s required.", what, ty.FriendlyName())
		return cty.NilVal, false
	}
	if out.IsNull() {
		return cty.NilVal, false
	}
	return out, true
}

func (e *evaluator) str(x hcl.Expression, what string) Str {
	v, ok := e.value(x)
	if !ok {
		return Str{}
	}
	v, ok = e.convert(x, v, cty.String, what)
	if !ok {
		return Str{}
	}
	return Str{Value: v.AsString(), Range: x.Range(), Set: true}
}

// enum is str restricted to a fixed set of values.
func (e *evaluator) enum(x hcl.Expression, what string, allowed ...string) Str {
	s := e.str(x, what)
	if !s.Set {
		return s
	}
	for _, a := range allowed {
		if s.Value == a {
			return s
		}
	}
	e.errorf(s.Range, "Invalid value for "+what, "%q is not a valid %s; use one of: %s.", s.Value, what, quoteList(allowed))
	return Str{}
}

func (e *evaluator) num(x hcl.Expression, what string, min, max int64) Int {
	v, ok := e.value(x)
	if !ok {
		return Int{}
	}
	v, ok = e.convert(x, v, cty.Number, what)
	if !ok {
		return Int{}
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if acc != big.Exact || n < min || n > max {
		e.errorf(x.Range(), "Invalid value for "+what, "%s must be a whole number from %d to %d.", what, min, max)
		return Int{}
	}
	return Int{Value: n, Range: x.Range(), Set: true}
}

func (e *evaluator) boolean(x hcl.Expression, what string) Bool {
	v, ok := e.value(x)
	if !ok {
		return Bool{}
	}
	v, ok = e.convert(x, v, cty.Bool, what)
	if !ok {
		return Bool{}
	}
	return Bool{Value: v.True(), Range: x.Range(), Set: true}
}

// strs evaluates a list of strings. A literal list gives each element its
// own range.
func (e *evaluator) strs(x hcl.Expression, what string) Strs {
	if x == nil {
		return Strs{}
	}
	if t, ok := x.(*hclsyntax.TupleConsExpr); ok {
		out := Strs{Range: x.Range(), Set: true, Values: []string{}, Ranges: []hcl.Range{}}
		for _, el := range t.Exprs {
			s := e.str(el, what+" element")
			if s.Set {
				out.Values = append(out.Values, s.Value)
				out.Ranges = append(out.Ranges, el.Range())
			}
		}
		return out
	}
	v, ok := e.value(x)
	if !ok {
		return Strs{}
	}
	v, ok = e.convert(x, v, cty.List(cty.String), what)
	if !ok {
		return Strs{}
	}
	out := Strs{Range: x.Range(), Set: true, Values: []string{}, Ranges: []hcl.Range{}}
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.IsNull() {
			e.errorf(x.Range(), "Invalid value for "+what, "%s must not contain null.", what)
			continue
		}
		out.Values = append(out.Values, ev.AsString())
		out.Ranges = append(out.Ranges, x.Range())
	}
	return out
}

// relKind says what a relation list entry may contain.
type relKind int

const (
	relClause relKind = iota // "a | b (>= 1)"
	relAtom                  // "a (<< 2)", no alternatives
)

// rels evaluates a need/avoid/prefer list and parses each entry.
func (e *evaluator) rels(x hcl.Expression, what string, kind relKind) []Rel {
	var elems []hcl.Expression
	if t, ok := x.(*hclsyntax.TupleConsExpr); ok {
		for _, el := range t.Exprs {
			elems = append(elems, el)
		}
	}
	s := e.strs(x, what)
	if !s.Set {
		return nil
	}
	out := make([]Rel, 0, len(s.Values))
	for i, text := range s.Values {
		rng := s.Ranges[i]
		var el hcl.Expression
		if elems != nil {
			// strs dropped unset elements; find the literal by range.
			for _, c := range elems {
				if c.Range() == rng {
					el = c
				}
			}
		}
		c, err := relation.ParseClause(text)
		if err != nil {
			var re *relation.Error
			sub := rng
			reason := err.Error()
			if asRelErr(err, &re) {
				sub = e.inString(el, text, re.Offset, rng)
				reason = re.Reason
			}
			e.errorf(sub, "Invalid package relation in "+what,
				"%q is not a Debian package relation: %s. Write a package name, optionally with a version constraint and alternatives, e.g. \"nginx\", \"python3 (>= 3.11)\" or \"openssh-server | dropbear-bin\".", text, reason)
			continue
		}
		if len(c) == 0 {
			e.errorf(rng, "Empty package relation in "+what, "Each entry of %s must name a package.", what)
			continue
		}
		if kind == relAtom && len(c) > 1 {
			sub := rng
			if j := strings.IndexByte(text, '|'); j >= 0 {
				sub = e.inString(el, text, j, rng)
			}
			e.errorf(sub, "Alternatives are not allowed in "+what,
				"%q has alternatives; an %s entry names one package (optionally with a version range). To avoid several packages, write one entry per package.", text, what)
			continue
		}
		for _, a := range c {
			if a.Restrict != nil {
				e.errorf(rng, "Unsupported relation syntax in "+what,
					"%q uses an architecture list or build profile, which only make sense in source packages; remove them.", text)
			}
		}
		out = append(out, Rel{Text: text, Clause: c, Range: rng})
	}
	return out
}

func asRelErr(err error, target **relation.Error) bool {
	re, ok := err.(*relation.Error)
	if ok {
		*target = re
	}
	return ok
}

// inString maps a byte offset inside a string value to a range inside the
// string literal el, so a diagnostic points at the bad token. It falls back
// to whole when the literal has escapes or is not a plain literal.
func (e *evaluator) inString(el hcl.Expression, text string, off int, whole hcl.Range) hcl.Range {
	if el == nil || e.src == nil {
		return whole
	}
	r := el.Range()
	if r.Start.Line != r.End.Line || r.End.Byte > len(e.src) || r.End.Byte-r.Start.Byte != len(text)+2 {
		return whole
	}
	if string(e.src[r.Start.Byte+1:r.End.Byte-1]) != text || off > len(text) {
		return whole
	}
	// Cover the token at off: up to the next space or separator.
	end := off
	for end < len(text) && !strings.ContainsRune(" |,()", rune(text[end])) {
		end++
	}
	if end == off && end < len(text) {
		end++
	}
	start := hcl.Pos{Line: r.Start.Line, Column: r.Start.Column + 1 + off, Byte: r.Start.Byte + 1 + off}
	stop := hcl.Pos{Line: r.Start.Line, Column: r.Start.Column + 1 + end, Byte: r.Start.Byte + 1 + end}
	if end == off { // at the end of the string: point at the closing quote
		stop = hcl.Pos{Line: start.Line, Column: start.Column + 1, Byte: start.Byte + 1}
	}
	return hcl.Range{Filename: r.Filename, Start: start, End: stop}
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
