package kconfig

// Stats are the size figures of a Kconfig model.
type Stats struct {
	Files            int            `json:"files"`
	Symbols          int            `json:"symbols"`
	ByType           map[string]int `json:"by_type"`
	Visible          int            `json:"visible"`   // have a prompt (user-settable)
	Invisible        int            `json:"invisible"` // set only by defaults and selects
	MultiplyDefined  int            `json:"defined_at_multiple_sites"`
	Choices          int            `json:"choices"`
	ChoiceMembers    int            `json:"choice_members"`
	TristateChoices  int            `json:"tristate_choices"`
	Menus            int            `json:"menus"`
	Comments         int            `json:"comments"`
	DependsEdges     int            `json:"depends_edges"`     // distinct (symbol, referenced symbol) in direct deps
	SelectStatements int            `json:"select_statements"` // select properties
	SelectEdges      int            `json:"select_edges"`      // distinct (selector, target)
	ImplyStatements  int            `json:"imply_statements"`
	ImplyEdges       int            `json:"imply_edges"`
	DefaultEdges     int            `json:"default_edges"`        // distinct symbols referenced by defaults
	GraphEdges       int            `json:"graph_edges"`          // union of depends, select and imply edges
	SelectTargets    int            `json:"select_targets"`       // symbols some symbol selects
	Undefined        int            `json:"undefined_referenced"` // referenced, never defined
}

type edge struct{ from, to *Symbol }

// Stats counts the model. Edges are distinct (symbol, referenced symbol)
// pairs; depends edges include conditions inherited from enclosing if and
// menu blocks, and choices count their own dependencies. Constants are not
// symbols.
func (kc *Kconfig) Stats() Stats {
	st := Stats{Files: len(kc.Files), ByType: map[string]int{}}
	dep, sel, imp, dfl := map[edge]bool{}, map[edge]bool{}, map[edge]bool{}, map[edge]bool{}
	targets := map[*Symbol]bool{}
	add := func(m map[edge]bool, from *Symbol, e *Expr) {
		e.Symbols(func(s *Symbol) {
			if !s.Const && !s.IsChoice && !isNumberish(s) {
				m[edge{from, s}] = true
			}
		})
	}
	for _, s := range kc.Symbols {
		st.Symbols++
		st.ByType[s.Type.String()]++
		if s.HasPrompt() {
			st.Visible++
		} else {
			st.Invisible++
		}
		if len(s.Nodes) > 1 {
			st.MultiplyDefined++
		}
		add(dep, s, s.DirDep)
		for _, p := range s.Props {
			switch p.Kind {
			case PropSelect:
				st.SelectStatements++
				sel[edge{s, p.Target}] = true
				targets[p.Target] = true
			case PropImply:
				st.ImplyStatements++
				imp[edge{s, p.Target}] = true
			case PropDefault:
				add(dfl, s, p.Value)
				add(dfl, s, p.Visible)
			}
		}
	}
	for _, c := range kc.Choices {
		st.Choices++
		st.ChoiceMembers += len(c.Members)
		if c.Type == TristateType {
			st.TristateChoices++
		}
		for _, n := range c.Nodes {
			add(dep, c, n.Dep)
		}
	}
	var walk func(n *Node)
	walk = func(n *Node) {
		switch n.Kind {
		case NodeMenu:
			st.Menus++
		case NodeComment:
			st.Comments++
		}
		for _, ch := range n.Children {
			walk(ch)
		}
	}
	walk(kc.Root)
	st.DependsEdges, st.SelectEdges, st.ImplyEdges, st.DefaultEdges = len(dep), len(sel), len(imp), len(dfl)
	union := map[edge]bool{}
	for _, m := range []map[edge]bool{dep, sel, imp} {
		for e := range m {
			union[e] = true
		}
	}
	st.GraphEdges = len(union)
	st.SelectTargets = len(targets)
	for name, s := range kc.syms {
		if !s.Defined() && !s.IsChoice && !isNumberish(s) && name != "" {
			st.Undefined++
		}
	}
	return st
}

// isNumberish reports whether an undefined symbol is really a literal
// number written without quotes (the kernel treats it as a symbol whose
// value is its name).
func isNumberish(s *Symbol) bool {
	if s.Defined() || s.IsChoice {
		return false
	}
	n := s.Name
	if n == "" {
		return true
	}
	if n[0] == '-' {
		n = n[1:]
	}
	if n == "" {
		return false
	}
	if n[0] >= '0' && n[0] <= '9' {
		return true
	}
	return false
}
