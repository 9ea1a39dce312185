package kconfig

import "fmt"

// finalize propagates dependencies through the menu tree the way the
// kernel's menu_finalize does: each entry's `depends on` is ANDed with its
// parents' (choice members depend on the choice itself), every property's
// condition gets the entry's dependencies, selects and implies build the
// targets' reverse dependencies, and each symbol's direct dependency is the
// OR over its definition sites.
func (kc *Kconfig) finalize() {
	kc.finalizeNode(kc.Root)
	// Choices: member types, non-optional rev_dep.
	for _, c := range kc.Choices {
		for _, n := range c.Nodes {
			if !c.Optional && n.Prompt != nil {
				c.RevDep = or(c.RevDep, and(n.Prompt.Visible, symExpr(kc.mod)))
			}
		}
	}
	for _, s := range kc.Symbols {
		if s.Type == Unknown {
			kc.Warnings = append(kc.Warnings, fmt.Sprintf("%s: config symbol %s defined without type", s.Pos(), s.Name))
		}
	}
}

// setChoiceTypes gives untyped choices the type of their first typed member
// and untyped members the type of their choice.
func (kc *Kconfig) setChoiceTypes(n *Node) {
	c := n.Sym
	members := choiceMembers(n)
	if c.Type == Unknown {
		for _, m := range members {
			if m.Sym.Type != Unknown {
				c.Type = m.Sym.Type
				break
			}
		}
	}
	for _, m := range members {
		if m.Sym.Type == Unknown {
			m.Sym.Type = c.Type
		}
		if m.Sym.Choice == nil {
			m.Sym.Choice = c
			c.Members = append(c.Members, m.Sym)
		}
	}
}

// choiceMembers lists the config entries of a choice, looking through if
// blocks (which the kernel flattens into the choice).
func choiceMembers(n *Node) []*Node {
	var out []*Node
	for _, ch := range n.Children {
		switch {
		case ch.Kind == NodeIf:
			out = append(out, choiceMembers(ch)...)
		case ch.Sym != nil && !ch.Sym.IsChoice:
			out = append(out, ch)
		}
	}
	return out
}

func (kc *Kconfig) finalizeNode(parent *Node) {
	if len(parent.Children) > 0 {
		var parentDep *Expr
		if parent.Kind == NodeChoice {
			kc.setChoiceTypes(parent)
			parentDep = symExpr(parent.Sym)
		} else {
			parentDep = parent.Dep
		}
		for _, n := range parent.Children {
			n.Dep = and(parentDep, rewriteM(n.Dep, kc))
			var props []*Prop
			if n.Sym != nil {
				props = n.Sym.Props
			} else if n.Prompt != nil {
				props = []*Prop{n.Prompt}
			}
			for _, pr := range props {
				if pr.Node != n {
					continue
				}
				cond := pr.Cond
				if pr.Kind == PropPrompt && n.Sym != nil {
					// The `visible if` of every enclosing menu limits prompts.
					for up := n.Parent; up != nil; up = up.Parent {
						if up.Visibility != nil {
							cond = and(cond, up.Visibility)
						}
					}
				}
				pr.Visible = and(n.Dep, rewriteM(cond, kc))
				switch pr.Kind {
				case PropSelect:
					pr.Target.RevDep = or(pr.Target.RevDep, and(symExpr(n.Sym), pr.Visible))
				case PropImply:
					pr.Target.Implied = or(pr.Target.Implied, and(symExpr(n.Sym), pr.Visible))
				}
			}
		}
		for _, n := range parent.Children {
			kc.finalizeNode(n)
		}
		// Non-tristate members of a tristate choice need the choice at y.
		if parent.Kind == NodeChoice && parent.Sym.Type == TristateType {
			for _, m := range choiceMembers(parent) {
				if m.Sym.Type == TristateType {
					continue
				}
				base := &Expr{Op: OpEq, A: parent.Sym, B: kc.yes}
				m.Dep = and(base, m.Dep)
				for _, pr := range m.Sym.Props {
					if pr.Node == m {
						pr.Visible = and(base, pr.Visible)
					}
				}
			}
		}
		return
	}
	if parent.Sym != nil && !parent.Sym.IsChoice {
		// Like the kernel, a site without dependencies adds nothing.
		parent.Sym.DirDep = or(parent.Sym.DirDep, parent.Dep)
	}
}
