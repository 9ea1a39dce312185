package kconfig

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-air/gini"
	"github.com/go-air/gini/logic"
	"github.com/go-air/gini/z"
)

// Request is one requested value: Name=Value. Value is "y", "m" or "n" for
// bool and tristate symbols, the text for int, hex and string symbols.
type Request struct {
	Name  string
	Value string
}

func (r Request) String() string {
	if r.Value == "n" {
		return "# CONFIG_" + r.Name + " is not set"
	}
	return "CONFIG_" + r.Name + "=" + r.Value
}

// ParseRequest reads "NAME", "CONFIG_NAME", "NAME=value" (need) forms.
func ParseRequest(s string) Request {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "CONFIG_"))
	if k, v, ok := strings.Cut(s, "="); ok {
		return Request{Name: strings.TrimPrefix(k, "CONFIG_"), Value: v}
	}
	return Request{Name: s, Value: "y"}
}

// Needs turns need and avoid name lists into requests.
func Needs(need, avoid []string) []Request {
	var rs []Request
	for _, n := range need {
		rs = append(rs, ParseRequest(n))
	}
	for _, a := range avoid {
		r := ParseRequest(a)
		rs = append(rs, Request{Name: r.Name, Value: "n"})
	}
	return rs
}

// Solution is a minimal configuration.
type Solution struct {
	Config   *Config
	Requests []Request
	// Fragment is what to give `make allnoconfig` as KCONFIG_ALLCONFIG to
	// get Config: the requests plus the symbols the solver had to enable
	// and any choice member it picked against the default.
	Fragment []Assignment
	Added    []string // symbols the solver set beyond the requests
	Enabled  int      // symbols at y or m
	SATCalls int
	// Disagreements lists symbols whose on/off value in the boolean model
	// differs from the evaluator's (diagnostics; the evaluator wins).
	Disagreements []string
}

// UnsatError says why the requests cannot all hold.
type UnsatError struct {
	Reasons []string
}

func (e *UnsatError) Error() string {
	return "the kernel requests cannot all hold: " + strings.Join(e.Reasons, "; ")
}

// Hint says what to do.
func (e *UnsatError) Hint() string {
	return "drop one of the conflicting need/avoid entries"
}

// UnknownSymbolError is a request for a symbol the tree does not define.
type UnknownSymbolError struct{ Names []string }

func (e *UnknownSymbolError) Error() string {
	return "unknown kernel config symbols: " + strings.Join(e.Names, ", ")
}

// Hint says what to do.
func (e *UnknownSymbolError) Hint() string {
	return "check the spelling (without CONFIG_); `grep -r 'config NAME' --include='Kconfig*'` in the kernel source lists definitions"
}

type encoder struct {
	kc      *Kconfig
	c       *logic.C
	base    *Config
	lit     []z.Lit
	state   []uint8
	user    []z.Lit
	vis     []z.Lit
	pick    []z.Lit
	rev     []z.Lit
	userVar []bool
	// choice: the user picks a member (else the kernel's default pick)
	override []z.Lit
	defPick  map[*Symbol]map[*Symbol]z.Lit
	extra    [][]z.Lit // clauses beyond the circuit
}

func newEncoder(kc *Kconfig, base *Config) *encoder {
	n := len(kc.all)
	return &encoder{kc: kc, c: logic.NewCCap(1 << 18), base: base,
		lit: make([]z.Lit, n), state: make([]uint8, n), user: make([]z.Lit, n),
		vis: make([]z.Lit, n), pick: make([]z.Lit, n), rev: make([]z.Lit, n),
		override: make([]z.Lit, n), defPick: map[*Symbol]map[*Symbol]z.Lit{}}
}

func (e *encoder) expr(x *Expr) z.Lit {
	c := e.c
	if x == nil {
		return c.T
	}
	switch x.Op {
	case OpSym:
		return e.sym(x.A)
	case OpNot:
		return e.expr(x.L).Not()
	case OpAnd:
		return c.And(e.expr(x.L), e.expr(x.R))
	case OpOr:
		return c.Or(e.expr(x.L), e.expr(x.R))
	case OpEq, OpNeq:
		a, b := x.A, x.B
		if b.Const && !a.Const {
			a, b = b, a
		}
		// a is now the constant if there is one.
		if e.triLike(a) && e.triLike(b) {
			var l z.Lit
			switch {
			case a == e.kc.yes:
				l = e.sym(b)
			case a == e.kc.no:
				l = e.sym(b).Not()
			case a == e.kc.mod:
				l = c.F
			default:
				l = c.Xor(e.sym(a), e.sym(b)).Not()
			}
			if x.Op == OpNeq {
				l = l.Not()
			}
			return l
		}
	}
	if e.base.eval(x) != No {
		return c.T
	}
	return c.F
}

func (e *encoder) isUser(l z.Lit) bool {
	v := int(l.Var())
	return v < len(e.userVar) && e.userVar[v]
}

func (e *encoder) triLike(s *Symbol) bool {
	return s == e.kc.yes || s == e.kc.no || s == e.kc.mod || (s.isBoolish() && s.Defined())
}

func (e *encoder) anyPrompt(s *Symbol) z.Lit {
	l := e.c.F
	for _, p := range s.Props {
		if p.Kind == PropPrompt {
			l = e.c.Or(l, e.expr(p.Visible))
		}
	}
	return l
}

func (e *encoder) markUser(u z.Lit) {
	v := int(u.Var())
	for len(e.userVar) <= v {
		e.userVar = append(e.userVar, false)
	}
	e.userVar[v] = true
}

// uLit is the user-value input of s: for a choice, whether the user picks
// a member (which also sets the choice itself, as reading a .config does).
func (e *encoder) uLit(s *Symbol) z.Lit {
	if s.IsChoice {
		return e.override[s.idx]
	}
	return e.user[s.idx]
}

func (e *encoder) overrideLit(ch *Symbol) z.Lit {
	if e.override[ch.idx] == 0 {
		o := e.c.Lit()
		e.override[ch.idx] = o
		e.markUser(o)
	}
	return e.override[ch.idx]
}

// defaultPick encodes sym_choice_default: the first default whose
// condition holds and whose target is visible, else the first visible
// member. It also creates the choice's override input.
func (e *encoder) defaultPick(ch *Symbol) map[*Symbol]z.Lit {
	if m, ok := e.defPick[ch]; ok {
		return m
	}
	c := e.c
	m := map[*Symbol]z.Lit{}
	e.defPick[ch] = m
	found := c.F
	take := func(t *Symbol, cond z.Lit) {
		l := c.And(found.Not(), c.And(cond, e.anyPrompt(t)))
		found = c.Or(found, l)
		if old, ok := m[t]; ok {
			m[t] = c.Or(old, l)
		} else {
			m[t] = l
		}
	}
	for _, p := range ch.Props {
		if p.Kind == PropDefault && p.Target.Choice == ch {
			take(p.Target, e.expr(p.Visible))
		}
	}
	for _, mem := range ch.Members {
		take(mem, c.T)
	}
	return m
}

// sym returns the literal "s is not n".
func (e *encoder) sym(s *Symbol) z.Lit {
	c := e.c
	switch {
	case s == e.kc.yes || s == e.kc.mod:
		return c.T
	case s.Const || !s.isBoolish() && !s.IsChoice || !s.Defined() && !s.IsChoice:
		return c.F
	}
	i := s.idx
	switch e.state[i] {
	case 2:
		return e.lit[i]
	case 1:
		// A dependency loop (the kernel reports these as errors); use the
		// value allnoconfig gives.
		if e.base.Tri(s) != No {
			return c.T
		}
		return c.F
	}
	e.state[i] = 1
	var v z.Lit
	vis := e.anyPrompt(s)
	e.vis[i] = vis
	if s.IsChoice {
		u := e.overrideLit(s)
		rev := c.F
		if s.RevDep != nil {
			rev = e.expr(s.RevDep)
		}
		v = c.Or(c.And(vis, u), rev)
	} else {
		u := c.F
		if s.HasPrompt() {
			u = c.Lit()
			e.user[i] = u
			e.markUser(u)
		}
		dep := e.expr(s.DirDep)
		def := c.F
		for j := len(s.Props) - 1; j >= 0; j-- {
			p := s.Props[j]
			if p.Kind == PropDefault {
				def = c.Choice(e.expr(p.Visible), e.expr(p.Value), def)
			}
		}
		nv := def
		if s.Implied != nil {
			imp := e.expr(s.Implied)
			nv = c.Choice(imp, dep, def)
		}
		rev := c.F
		if s.RevDep != nil {
			rev = e.expr(s.RevDep)
		}
		e.rev[i] = rev
		regular := c.Or(c.Choice(vis, u, nv), rev)
		v = regular
		if s.Choice != nil {
			pk := c.Lit()
			e.pick[i] = pk
			ds := e.defaultPick(s.Choice)[s]
			v = c.Choice(vis, c.Choice(e.overrideLit(s.Choice), pk, ds), regular)
		}
	}
	e.lit[i] = v
	e.state[i] = 2
	return v
}

// encodeChoices adds: when a choice is on and some member is visible,
// exactly one visible member is picked.
func (e *encoder) encodeChoices() {
	c := e.c
	for _, ch := range e.kc.Choices {
		on := e.sym(ch)
		var picks, anyVis []z.Lit
		for _, m := range ch.Members {
			e.sym(m)
			if e.pick[m.idx] == 0 {
				continue
			}
			picks = append(picks, c.And(e.pick[m.idx], e.vis[m.idx]))
			anyVis = append(anyVis, e.vis[m.idx])
		}
		if len(picks) == 0 {
			continue
		}
		// override && on && anyVis -> OR(picks)
		cl := []z.Lit{e.overrideLit(ch).Not(), on.Not(), c.Ors(anyVis...).Not()}
		cl = append(cl, picks...)
		e.extra = append(e.extra, cl)
		for a := 0; a < len(ch.Members); a++ {
			for b := a + 1; b < len(ch.Members); b++ {
				pa, pb := e.pick[ch.Members[a].idx], e.pick[ch.Members[b].idx]
				if pa != 0 && pb != 0 {
					e.extra = append(e.extra, []z.Lit{pa.Not(), pb.Not()})
				}
			}
		}
	}
}

// Solve finds a configuration with allnoconfig semantics (every user value
// n unless set) in which every request holds, with as few symbols enabled
// as it can find.
//
// The model is a boolean circuit over "symbol is not n" with one free input
// per user value (a visible symbol set to y, a choice member picked). The
// search starts with every user value n and relaxes, from the SAT solver's
// failed assumptions, only those a conflict needs; then, in three orders, it
// keeps each relaxed user value at n whenever the requests stay
// satisfiable, and keeps the order whose evaluated configuration enables
// the fewest symbols. The result is inclusion-minimal: no user value in the
// fragment can be dropped without breaking a request or enabling more.
// Finally it tries the move `make tinyconfig` relies on: turning on a
// symbol such as EXPERT that hides nothing itself but makes default-y
// options visible, so that allnoconfig turns them off.
//
// The evaluator, not the boolean model, computes the returned
// configuration, and Solve checks every request on it.
func Solve(kc *Kconfig, reqs []Request) (*Solution, error) {
	var unknown []string
	for _, r := range reqs {
		if s := kc.syms[r.Name]; s == nil || !s.Defined() || s.IsChoice {
			unknown = append(unknown, r.Name)
		}
	}
	if len(unknown) > 0 {
		return nil, &UnknownSymbolError{Names: unknown}
	}
	// Contradictions visible without the model.
	want := map[string]string{}
	var reasons []string
	for _, r := range reqs {
		if v, ok := want[r.Name]; ok && v != r.Value && (v == "n" || r.Value == "n") {
			reasons = append(reasons, fmt.Sprintf("%s is both needed and avoided", r.Name))
		}
		want[r.Name] = r.Value
	}
	for _, r := range reqs {
		if r.Value == "m" && kc.Modules != nil && want[kc.Modules.Name] == "n" {
			reasons = append(reasons, fmt.Sprintf("need %s=m, a module, but you avoid %s", r.Name, kc.Modules.Name))
		}
	}
	if len(reasons) > 0 {
		return nil, &UnsatError{Reasons: reasons}
	}
	for _, r := range reqs {
		if r.Value == "m" && kc.Modules != nil {
			reqs = append(reqs, Request{Name: kc.Modules.Name, Value: "y"})
			break
		}
	}
	best, err := solveOnce(kc, reqs)
	if err != nil {
		return best, err
	}
	// Try the "EXPERT" move with a fresh solve: a symbol named in prompt
	// conditions (`bool "..." if EXPERT`) of symbols that are on only by
	// default makes them visible, and allnoconfig then turns them off; the
	// re-solve adds what the requests need back.
	for _, x := range unhiders(kc, best.Config, 2) {
		trial, err := solveOnce(kc, append(append([]Request(nil), reqs...), Request{Name: x.Name, Value: "y"}))
		if err != nil || trial.Enabled >= best.Enabled {
			continue
		}
		trial.Requests = reqs
		trial.Added = append(trial.Added, x.Name)
		trial.SATCalls += best.SATCalls
		best = trial
	}
	return best, nil
}

// unhiders ranks the symbols that are off, visible, and named in the
// prompt conditions of symbols that are on but invisible, by how many such
// symbols each would unhide, and returns the top n.
func unhiders(kc *Kconfig, c *Config, n int) []*Symbol {
	score := map[*Symbol]int{}
	for _, s := range kc.Symbols {
		if !s.isBoolish() || c.Tri(s) == No || c.Visible(s) != No {
			continue
		}
		seen := map[*Symbol]bool{}
		for _, p := range s.Props {
			if p.Kind != PropPrompt || p.Cond == nil {
				continue
			}
			p.Cond.Symbols(func(x *Symbol) {
				if !seen[x] && x.isBoolish() && x.HasPrompt() && x.Choice == nil && c.Tri(x) == No && c.Visible(x) != No {
					seen[x] = true
					score[x]++
				}
			})
		}
	}
	var out []*Symbol
	for x := range score {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool {
		if score[out[i]] != score[out[j]] {
			return score[out[i]] > score[out[j]]
		}
		return out[i].idx < out[j].idx
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func solveOnce(kc *Kconfig, reqs []Request) (*Solution, error) {
	base := kc.NewConfig()
	base.AllNo()
	e := newEncoder(kc, base)
	for _, s := range kc.Symbols {
		if s.isBoolish() {
			e.sym(s)
		}
	}
	e.encodeChoices()
	// Requests as assumptions.
	var assume []z.Lit
	reqOf := map[z.Lit]Request{}
	for _, r := range reqs {
		s := kc.syms[r.Name]
		var l z.Lit
		switch {
		case s.isBoolish() && r.Value == "n":
			l = e.lit[s.idx].Not()
		case s.isBoolish():
			l = e.lit[s.idx]
		default:
			l = e.anyPrompt(s) // an int/hex/string value needs a visible prompt
		}
		assume = append(assume, l)
		reqOf[l] = r
	}
	g := gini.New()
	e.c.ToCnf(g)
	for _, cl := range e.extra {
		for _, l := range cl {
			g.Add(l)
		}
		g.Add(0)
	}
	sol := &Solution{Requests: reqs}
	requested := map[*Symbol]bool{}
	reqVal := map[*Symbol]string{}
	for _, r := range reqs {
		requested[kc.syms[r.Name]] = true
		reqVal[kc.syms[r.Name]] = r.Value
	}
	// Every user value starts as n (allnoconfig). Relax the ones in each
	// failed core until the requests are satisfiable.
	var users []*Symbol
	for _, s := range kc.Symbols {
		if e.uLit(s) != 0 {
			users = append(users, s)
		}
	}
	for _, ch := range kc.Choices {
		if e.override[ch.idx] != 0 && ch.Type != Unknown {
			users = append(users, ch)
		}
	}
	relaxed := map[z.Lit]bool{}
	for {
		g.Assume(assume...)
		for _, s := range users {
			if l := e.uLit(s); !relaxed[l] {
				g.Assume(l.Not())
			}
		}
		sol.SATCalls++
		if g.Solve() == 1 {
			break
		}
		progress := false
		for _, l := range g.Why(nil) {
			if u := l.Not(); !relaxed[u] && e.isUser(u) {
				relaxed[u] = true
				progress = true
			}
		}
		if !progress {
			g.Assume(assume...)
			sol.SATCalls++
			if g.Solve() == 1 {
				// Cores only named requests yet the requests alone are
				// satisfiable: relax everything.
				for _, s := range users {
					relaxed[e.uLit(s)] = true
				}
				continue
			}
			var core []Request
			for _, l := range g.Why(nil) {
				if r, ok := reqOf[l]; ok {
					core = append(core, r)
				}
			}
			return nil, &UnsatError{Reasons: explain(kc, reqs, core)}
		}
	}
	// Symbols the model turned on another way (a select) might better be
	// set directly: relax them too.
	for _, s := range users {
		if g.Value(e.lit[s.idx]) {
			relaxed[e.uLit(s)] = true
		}
	}
	// User values never relaxed stay n.
	var free []*Symbol
	for _, s := range users {
		if l := e.uLit(s); relaxed[l] {
			free = append(free, s)
		} else {
			g.Add(l.Not())
			g.Add(0)
		}
	}
	// Greedy descent: try to keep each relaxed user value at n, in a few
	// orders, and keep the configuration with the fewest enabled symbols.
	nsel := func(s *Symbol) int {
		n := 0
		for _, p := range s.Props {
			if p.Kind == PropSelect {
				n++
			}
		}
		return n
	}
	orders := [][]*Symbol{
		sortedSyms(free, func(a, b *Symbol) bool { return a.idx > b.idx }),
		sortedSyms(free, func(a, b *Symbol) bool { return a.idx < b.idx }),
		sortedSyms(free, func(a, b *Symbol) bool {
			if nsel(a) != nsel(b) {
				return nsel(a) > nsel(b)
			}
			return a.idx > b.idx
		}),
	}
	// Requested symbols keep their own user value: otherwise dropping it
	// in favour of some selector would look as good to the greedy pass.
	var reqU []z.Lit
	for _, s := range free {
		if requested[s] && !s.IsChoice {
			l := e.uLit(s)
			if reqVal[s] == "n" {
				l = l.Not()
			}
			reqU = append(reqU, l)
		}
	}
	g.Assume(assume...)
	g.Assume(reqU...)
	sol.SATCalls++
	if g.Solve() != 1 {
		reqU = nil
	}
	var best *Solution
	for _, order := range orders {
		var off []z.Lit
		// cur holds the free user values of the last model: one that is
		// already n there can be fixed without asking the solver.
		cur := map[*Symbol]bool{}
		g.Assume(assume...)
		g.Assume(reqU...)
		sol.SATCalls++
		g.Solve()
		read := func() {
			for _, s := range free {
				cur[s] = g.Value(e.uLit(s))
			}
		}
		read()
		for _, s := range order {
			if requested[s] && !s.IsChoice {
				continue
			}
			l := e.uLit(s)
			if !cur[s] {
				off = append(off, l.Not())
				continue
			}
			g.Assume(assume...)
			g.Assume(reqU...)
			g.Assume(off...)
			g.Assume(l.Not())
			sol.SATCalls++
			if g.Solve() == 1 {
				off = append(off, l.Not())
				read()
			}
		}
		g.Assume(assume...)
		g.Assume(reqU...)
		g.Assume(off...)
		sol.SATCalls++
		if g.Solve() != 1 {
			return nil, fmt.Errorf("solving kernel requests: the minimised model became unsatisfiable (internal error)")
		}
		cand := e.extract(g, reqs, requested)
		if best == nil || cand.Enabled < best.Enabled {
			best = cand
		}
	}
	best.SATCalls = sol.SATCalls
	best.prune(kc, requested)
	if bad := Check(best.Config, reqs); len(bad) > 0 {
		return best, fmt.Errorf("solving kernel requests: the evaluated configuration breaks %s (the boolean model disagrees on %d symbols)", strings.Join(bad, ", "), len(best.Disagreements))
	}
	return best, nil
}

// prune drops fragment lines the evaluator shows are not needed: the
// requests still hold and no more symbols are enabled without them. This
// guards against corners where the boolean model is coarser than Kconfig
// (m values, int comparisons).
func (sol *Solution) prune(kc *Kconfig, requested map[*Symbol]bool) {
	for i := len(sol.Fragment) - 1; i >= 0; i-- {
		a := sol.Fragment[i]
		if requested[kc.syms[a.Name]] {
			continue
		}
		trial := append(append([]Assignment(nil), sol.Fragment[:i]...), sol.Fragment[i+1:]...)
		c := kc.NewConfig()
		c.Apply(trial)
		c.AllNo()
		if len(Check(c, sol.Requests)) > 0 {
			continue
		}
		if n := countOn(kc, c); n <= sol.Enabled {
			sol.Fragment, sol.Config, sol.Enabled = trial, c, n
			for j, name := range sol.Added {
				if name == a.Name {
					sol.Added = append(sol.Added[:j:j], sol.Added[j+1:]...)
					break
				}
			}
		}
	}
}

func countOn(kc *Kconfig, c *Config) int {
	n := 0
	for _, s := range kc.Symbols {
		if s.isBoolish() && c.Tri(s) != No {
			n++
		}
	}
	return n
}

func sortedSyms(in []*Symbol, less func(a, b *Symbol) bool) []*Symbol {
	out := append([]*Symbol(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

// extract turns the solver's model into a fragment and evaluates it.
func (e *encoder) extract(g *gini.Gini, reqs []Request, requested map[*Symbol]bool) *Solution {
	kc := e.kc
	sol := &Solution{Requests: reqs}
	var frag []Assignment
	for _, r := range reqs {
		frag = append(frag, Assignment{Name: r.Name, Value: r.Value})
	}
	model := make([]bool, len(kc.all))
	for _, s := range kc.Symbols {
		if !s.isBoolish() {
			continue
		}
		i := s.idx
		model[i] = g.Value(e.lit[i])
		if requested[s] {
			continue
		}
		if s.Choice != nil {
			if e.pick[i] != 0 && g.Value(e.override[s.Choice.idx]) && g.Value(e.pick[i]) && g.Value(e.vis[i]) && g.Value(e.lit[s.Choice.idx]) {
				frag = append(frag, Assignment{Name: s.Name, Value: "y"})
			}
			continue
		}
		if e.user[i] != 0 && g.Value(e.user[i]) && g.Value(e.vis[i]) && !g.Value(e.rev[i]) {
			frag = append(frag, Assignment{Name: s.Name, Value: "y"})
			sol.Added = append(sol.Added, s.Name)
		}
	}
	// Drop choice picks that equal the default pick.
	frag = dropDefaultPicks(kc, frag, requested)
	cfg := kc.NewConfig()
	cfg.Apply(frag)
	cfg.AllNo()
	sol.Config = cfg
	sol.Fragment = frag
	for _, s := range kc.Symbols {
		if !s.isBoolish() {
			continue
		}
		on := cfg.Tri(s) != No
		if on {
			sol.Enabled++
		}
		if on != model[s.idx] {
			sol.Disagreements = append(sol.Disagreements, s.Name)
		}
	}
	return sol
}

func dropDefaultPicks(kc *Kconfig, frag []Assignment, requested map[*Symbol]bool) []Assignment {
	var picks []int
	for i, a := range frag {
		if s := kc.syms[a.Name]; s.Choice != nil && !requested[s] {
			picks = append(picks, i)
		}
	}
	if len(picks) == 0 {
		return frag
	}
	drop := map[int]bool{}
	for _, i := range picks {
		trial := make([]Assignment, 0, len(frag))
		for j, a := range frag {
			if j != i && !drop[j] {
				trial = append(trial, a)
			}
		}
		c := kc.NewConfig()
		c.Apply(trial)
		c.AllNo()
		s := kc.syms[frag[i].Name]
		if c.Selected(s.Choice) == s {
			drop[i] = true
		}
	}
	var out []Assignment
	for j, a := range frag {
		if !drop[j] {
			out = append(out, a)
		}
	}
	return out
}

// Check returns the requests cfg does not honour, as
// "NAME=want (is got)".
func Check(cfg *Config, reqs []Request) []string {
	var bad []string
	for _, r := range reqs {
		s := cfg.kc.syms[r.Name]
		if s == nil {
			bad = append(bad, r.Name+" (unknown)")
			continue
		}
		got := cfg.Value(s)
		if s.isBoolish() && r.Value == "n" {
			if got != "n" {
				bad = append(bad, fmt.Sprintf("%s=n (is %s)", r.Name, got))
			}
			continue
		}
		if got != r.Value {
			bad = append(bad, fmt.Sprintf("%s=%s (is %s)", r.Name, r.Value, got))
		}
	}
	return bad
}

// explain finds dependency chains behind a conflict among core (the
// requests the SAT solver needed to fail).
func explain(kc *Kconfig, all, core []Request) []string {
	if len(core) == 0 {
		core = all
	}
	avoid := map[*Symbol]bool{}
	need := map[*Symbol]bool{}
	for _, r := range all {
		s := kc.syms[r.Name]
		if r.Value == "n" {
			avoid[s] = true
		} else {
			need[s] = true
		}
	}
	type step struct {
		from *Symbol
		how  string
	}
	var out []string
	// Requests impossible on their own (checked over all of them, as the
	// solver's core names only one conflict).
	byChoice := map[*Symbol][]string{}
	var choices []*Symbol
	for _, r := range all {
		if s := kc.syms[r.Name]; s.Choice != nil && r.Value == "y" {
			if byChoice[s.Choice] == nil {
				choices = append(choices, s.Choice)
			}
			byChoice[s.Choice] = append(byChoice[s.Choice], r.Name)
		}
	}
	for _, ch := range choices {
		if names := byChoice[ch]; len(names) > 1 {
			out = append(out, fmt.Sprintf("%s are alternatives of one choice (%s): only one can be y", strings.Join(names, " and "), ch.Pos()))
		}
	}
	for _, r := range all {
		s := kc.syms[r.Name]
		switch {
		case r.Value == "n":
		case !s.isBoolish() && !s.HasPrompt():
			out = append(out, fmt.Sprintf("%s cannot be set: it has no prompt, its value comes from its defaults", r.Name))
		case s.isBoolish() && !s.HasPrompt() && s.RevDep == nil && s.Implied == nil && !hasDefault(s):
			out = append(out, fmt.Sprintf("need %s, which can never be on: it has no prompt, no default and nothing selects it", r.Name))
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, r := range core {
		if r.Value == "n" {
			continue
		}
		root := kc.syms[r.Name]
		prev := map[*Symbol]step{root: {}}
		queue := []*Symbol{root}
		found := ""
		chain := func(s *Symbol) string {
			var parts []string
			for x := s; x != root; x = prev[x].from {
				parts = append(parts, prev[x].from.Name+" "+prev[x].how+" "+x.Name)
			}
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
			return strings.Join(parts, ", ")
		}
		for len(queue) > 0 && found == "" {
			x := queue[0]
			queue = queue[1:]
			var next []step
			var targets []*Symbol
			for _, p := range x.Props {
				if p.Kind == PropSelect && p.Cond == nil {
					targets = append(targets, p.Target)
					next = append(next, step{x, "selects"})
				}
			}
			pos, neg := conjuncts(x.DirDep, kc)
			for _, d := range pos {
				targets = append(targets, d)
				next = append(next, step{x, "depends on"})
			}
			for _, d := range neg {
				if need[d] {
					if x == root {
						found = fmt.Sprintf("need %s, which depends on !%s, but you need %s", r.Name, d.Name, d.Name)
					} else {
						found = fmt.Sprintf("need %s: %s, which depends on !%s, but you need %s", r.Name, chain(x), d.Name, d.Name)
					}
					break
				}
			}
			for i, t := range targets {
				if _, seen := prev[t]; seen {
					continue
				}
				prev[t] = next[i]
				how := next[i].how
				switch {
				case avoid[t]:
					if x == root {
						if how == "selects" {
							found = fmt.Sprintf("need %s, but %s selects %s, which you avoid", r.Name, r.Name, t.Name)
						} else {
							found = fmt.Sprintf("need %s, which depends on %s, avoided", r.Name, t.Name)
						}
					} else {
						found = fmt.Sprintf("need %s: %s, which you avoid", r.Name, chain(t))
					}
				case !t.Defined():
					found = fmt.Sprintf("need %s: %s, which is not defined for this architecture", r.Name, chain(t))
				}
				if found != "" {
					break
				}
				queue = append(queue, t)
			}
		}
		if found != "" {
			out = append(out, found)
		}
	}
	if len(out) == 0 {
		var names []string
		for _, r := range core {
			names = append(names, r.String())
		}
		sort.Strings(names)
		out = append(out, "no single dependency chain explains it (conditional dependencies or choices); the conflicting requests are "+strings.Join(names, ", "))
	}
	return out
}

func hasDefault(s *Symbol) bool {
	for _, p := range s.Props {
		if p.Kind == PropDefault {
			return true
		}
	}
	return false
}

// conjuncts returns the symbols a dependency requires on (positive) and
// off (negative) at its top-level conjunction.
func conjuncts(e *Expr, kc *Kconfig) (pos, neg []*Symbol) {
	var walk func(e *Expr)
	walk = func(e *Expr) {
		if e == nil {
			return
		}
		switch e.Op {
		case OpAnd:
			walk(e.L)
			walk(e.R)
		case OpSym:
			if !e.A.Const {
				pos = append(pos, e.A)
			}
		case OpNot:
			if e.L.Op == OpSym && !e.L.A.Const {
				neg = append(neg, e.L.A)
			}
		case OpEq:
			if e.B == kc.yes && !e.A.Const {
				pos = append(pos, e.A)
			} else if e.B == kc.no && !e.A.Const {
				neg = append(neg, e.A)
			}
		case OpNeq:
			if e.B == kc.no && !e.A.Const {
				pos = append(pos, e.A)
			}
		}
	}
	walk(e)
	return pos, neg
}
