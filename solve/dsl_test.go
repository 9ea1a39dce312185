package solve

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The scenarios in testdata/*.txt describe made-up universes in a tiny text
// format (cf. cmd/go/internal/mvs tests). A file holds cases; each starts
// with "name: X". Lines:
//
//	clause: a -b c         hard clause (variables are created on first use;
//	                       -x is the negation)
//	label N: lits          clause in group N
//	assume: lits           Options.Assume
//	min: a 3*b -c          one objective level (weight defaults to 1);
//	                       repeat for further levels
//	want: optimal 3 1      expected status and, for optimal, cost per level
//	want: unsat            expected unsat
//	core: 1 2              expected Result.Core (sorted)
//	true: a b / false: c   literals the returned model must satisfy
//	# ...                  comment: says what the case guards
type dslCase struct {
	name       string
	file       string
	line       int
	vars       map[string]Lit
	names      []string
	clauses    []labeledClause
	assume     []Lit
	objectives [][]Term
	want       string
	wantCost   []int64
	wantCore   []int
	hasCore    bool
	mustTrue   []Lit
}

type labeledClause struct {
	label int
	lits  []Lit
}

func (c *dslCase) lit(tok string) (Lit, error) {
	neg := strings.HasPrefix(tok, "-")
	name := strings.TrimPrefix(tok, "-")
	if name == "" || strings.ContainsAny(name, "*-") {
		return 0, fmt.Errorf("bad literal %q", tok)
	}
	v, ok := c.vars[name]
	if !ok {
		v = Lit(len(c.names) + 1)
		c.vars[name] = v
		c.names = append(c.names, name)
	}
	if neg {
		return -v, nil
	}
	return v, nil
}

func (c *dslCase) lits(f []string) ([]Lit, error) {
	out := make([]Lit, 0, len(f))
	for _, tok := range f {
		l, err := c.lit(tok)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

func parseDSL(file string, data []byte) ([]*dslCase, error) {
	var cases []*dslCase
	var cur *dslCase
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key, rest, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: missing ':' in %q", file, n, line)
		}
		f := strings.Fields(rest)
		errf := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", file, n, fmt.Sprintf(format, a...))
		}
		if key == "name" {
			cur = &dslCase{name: strings.TrimSpace(rest), file: file, line: n, vars: map[string]Lit{}}
			cases = append(cases, cur)
			continue
		}
		if cur == nil {
			return nil, errf("%q before the first name:", key)
		}
		var err error
		switch {
		case key == "clause":
			var ls []Lit
			ls, err = cur.lits(f)
			cur.clauses = append(cur.clauses, labeledClause{hard, ls})
		case strings.HasPrefix(key, "label "):
			var lab int
			lab, err = strconv.Atoi(strings.TrimPrefix(key, "label "))
			if err == nil {
				var ls []Lit
				ls, err = cur.lits(f)
				cur.clauses = append(cur.clauses, labeledClause{lab, ls})
			}
		case key == "assume":
			cur.assume, err = cur.lits(f)
		case key == "min":
			var level []Term
			for _, tok := range f {
				w := int64(1)
				if ws, l, ok := strings.Cut(tok, "*"); ok {
					if w, err = strconv.ParseInt(ws, 10, 64); err != nil {
						break
					}
					tok = l
				}
				var l Lit
				if l, err = cur.lit(tok); err != nil {
					break
				}
				level = append(level, Term{l, w})
			}
			cur.objectives = append(cur.objectives, level)
		case key == "want":
			if len(f) == 0 {
				return nil, errf("want: needs a status")
			}
			cur.want = f[0]
			for _, s := range f[1:] {
				var c int64
				if c, err = strconv.ParseInt(s, 10, 64); err != nil {
					break
				}
				cur.wantCost = append(cur.wantCost, c)
			}
		case key == "core":
			cur.hasCore = true
			cur.wantCore = []int{}
			for _, s := range f {
				var c int
				if c, err = strconv.Atoi(s); err != nil {
					break
				}
				cur.wantCore = append(cur.wantCore, c)
			}
		case key == "true" || key == "false":
			var ls []Lit
			ls, err = cur.lits(f)
			for _, l := range ls {
				if key == "false" {
					l = -l
				}
				cur.mustTrue = append(cur.mustTrue, l)
			}
		default:
			return nil, errf("unknown key %q", key)
		}
		if err != nil {
			return nil, errf("%v", err)
		}
	}
	return cases, sc.Err()
}

func (c *dslCase) problem() *Problem {
	p := New()
	for range c.names {
		p.NewVar()
	}
	for _, cl := range c.clauses {
		if cl.label == hard {
			p.Add(cl.lits...)
		} else {
			p.AddLabeled(cl.label, cl.lits...)
		}
	}
	return p
}

func (c *dslCase) litName(l Lit) string {
	if l < 0 {
		return "-" + c.names[-l-1]
	}
	return c.names[l-1]
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := parseDSL(file, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".txt")+"/"+c.name, func(t *testing.T) {
				runCase(t, c)
			})
		}
	}
}

func runCase(t *testing.T, c *dslCase) {
	p := c.problem()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.Minimize(ctx, c.objectives, Options{Assume: c.assume})
	if err != nil {
		t.Fatalf("%s:%d: Minimize: %v", c.file, c.line, err)
	}
	if got := res.Status.String(); got != c.want {
		t.Fatalf("%s:%d: status %s, want %s (core %v)", c.file, c.line, got, c.want, res.Core)
	}
	clauses := make([][]Lit, 0, len(c.clauses))
	for _, cl := range c.clauses {
		clauses = append(clauses, cl.lits)
	}
	// Brute force is the oracle for every scenario (they are small).
	bf := bruteMin(len(c.names), clauses, c.assume, c.objectives)
	switch res.Status {
	case Optimal:
		if bad := checkModel(res.Model, clauses, c.assume); bad != nil {
			t.Fatalf("%s:%d: model violates clause %v", c.file, c.line, bad)
		}
		if c.wantCost != nil && !slices.Equal(res.Cost, c.wantCost) {
			t.Errorf("%s:%d: cost %v, want %v", c.file, c.line, res.Cost, c.wantCost)
		}
		if !slices.Equal(res.Cost, bf) {
			t.Errorf("%s:%d: cost %v, brute force %v", c.file, c.line, res.Cost, bf)
		}
		if !slices.Equal(res.LowerBound, res.Cost) {
			t.Errorf("%s:%d: optimal but lower bound %v != cost %v", c.file, c.line, res.LowerBound, res.Cost)
		}
		for k, level := range c.objectives {
			if got := evalTerms(level, res.Model); got != res.Cost[k] {
				t.Errorf("%s:%d: level %d reported cost %d, model costs %d", c.file, c.line, k, res.Cost[k], got)
			}
		}
		for _, l := range c.mustTrue {
			if !res.Value(l) {
				t.Errorf("%s:%d: model has %s false", c.file, c.line, c.litName(l))
			}
		}
	case Unsat:
		if bf != nil {
			t.Fatalf("%s:%d: unsat, but brute force found cost %v", c.file, c.line, bf)
		}
		if c.hasCore && !slices.Equal(res.Core, c.wantCore) {
			t.Errorf("%s:%d: core %v, want %v", c.file, c.line, res.Core, c.wantCore)
		}
		checkCore(t, len(c.names), c.clauses, c.assume, res.Core)
	}
}
