package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/archive"
)

func init() {
	register(newDepsCmd)
	register(newRdepsCmd)
}

func parseKinds(list []string) ([]archive.Kind, error) {
	var ks []archive.Kind
	for _, s := range list {
		k, ok := archive.ParseKind(s)
		if !ok {
			return nil, Hint(fmt.Errorf("unknown relation kind %q", s), "use depends, pre-depends, recommends, suggests, enhances, conflicts, breaks, replaces or provides")
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// depNode is one package in `deps --json` output.
type depNode struct {
	Package string      `json:"package"`
	Version string      `json:"version"`
	Arch    string      `json:"arch"`
	Clauses []depClause `json:"relations,omitempty"`
}

type depClause struct {
	Kind       string     `json:"kind"`
	Clause     string     `json:"clause"`
	Satisfiers []string   `json:"satisfied_by"` // name=version of every candidate
	Children   []*depNode `json:"children,omitempty"`
}

func newDepsCmd(e *Env) *cobra.Command {
	var depth int
	var kinds []string
	c := &cobra.Command{
		Use:   "deps PKG[=VERSION]",
		Short: "Show what a package depends on, and which packages satisfy each clause",
		Long: `Prints a package's relationship clauses and, under each, the packages in the
archive that satisfy it (real packages, then providers). With --depth N the first
candidate of each clause is expanded recursively; a package already shown is
marked "(above)".`,
		Example: "  pdvm deps nginx\n  pdvm deps nginx --depth 3 --kinds depends,pre-depends\n  pdvm deps postfix --kinds conflicts,breaks --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, err := parseKinds(kinds)
			if err != nil {
				return err
			}
			u, err := e.Universe(cmd.Context())
			if err != nil {
				return err
			}
			id, err := lookup(u, args[0])
			if err != nil {
				return err
			}
			seen := map[archive.ID]bool{}
			var build func(id archive.ID, d int) *depNode
			build = func(id archive.ID, d int) *depNode {
				p := u.Pkg(id)
				n := &depNode{Package: p.Name, Version: p.Version, Arch: p.Arch}
				if seen[id] {
					return n
				}
				seen[id] = true
				for _, k := range ks {
					for _, cl := range p.Rel[k] {
						dc := depClause{Kind: k.String(), Clause: cl.String(), Satisfiers: []string{}}
						var cands []archive.ID
						for _, a := range cl {
							cands = u.Candidates(cands, a)
						}
						for _, cid := range cands {
							q := u.Pkg(cid)
							dc.Satisfiers = append(dc.Satisfiers, q.Name+"="+q.Version)
						}
						if d > 1 && len(cands) > 0 && (k == archive.Depends || k == archive.PreDepends || k == archive.Recommends) {
							dc.Children = append(dc.Children, build(cands[0], d-1))
						}
						n.Clauses = append(n.Clauses, dc)
					}
				}
				return n
			}
			root := build(id, depth)
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), root)
			}
			printed := map[string]bool{}
			printDeps(cmd.OutOrStdout(), root, 0, printed)
			return nil
		},
	}
	c.Flags().IntVar(&depth, "depth", 1, "levels to expand (the first candidate of each clause)")
	c.Flags().StringSliceVar(&kinds, "kinds", []string{"pre-depends", "depends"}, "relation kinds to show")
	return c
}

func printDeps(w io.Writer, n *depNode, indent int, printed map[string]bool) {
	pad := strings.Repeat("  ", indent)
	key := n.Package + "=" + n.Version
	if printed[key] {
		fmt.Fprintf(w, "%s%s %s (above)\n", pad, n.Package, n.Version)
		return
	}
	printed[key] = true
	fmt.Fprintf(w, "%s%s %s %s\n", pad, n.Package, n.Version, n.Arch)
	for _, c := range n.Clauses {
		sat := strings.Join(c.Satisfiers, " ")
		if sat == "" {
			sat = "NOT SATISFIABLE in the loaded archive"
		}
		fmt.Fprintf(w, "%s  %s: %s\n%s      -> %s\n", pad, c.Kind, c.Clause, pad, sat)
		for _, ch := range c.Children {
			printDeps(w, ch, indent+3, printed)
		}
	}
}

type rdep struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
	Clause  string `json:"clause"`
}

func newRdepsCmd(e *Env) *cobra.Command {
	var kinds []string
	var all bool
	c := &cobra.Command{
		Use:   "rdeps PKG[=VERSION]",
		Short: "Show the packages whose relations are satisfied by a package",
		Long: `Lists every package (newest version of each name, or every version with --all)
that has a clause satisfied by PKG, directly or through one of PKG's Provides.`,
		Example: "  pdvm rdeps libssl3\n  pdvm rdeps mail-transport-agent --kinds depends,recommends",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ks, err := parseKinds(kinds)
			if err != nil {
				return err
			}
			u, err := e.Universe(cmd.Context())
			if err != nil {
				return err
			}
			id, err := lookup(u, args[0])
			if err != nil {
				return err
			}
			names := map[string]bool{u.Pkg(id).Name: true}
			for _, c := range u.Pkg(id).Rel[archive.Provides] {
				names[c[0].Name] = true
			}
			var out []rdep
			for i := range u.Packages {
				p := &u.Packages[i]
				if !all && i > 0 && u.Packages[i-1].Name == p.Name {
					continue
				}
				for _, k := range ks {
					for _, cl := range p.Rel[k] {
						hit := false
						for _, a := range cl {
							if names[a.Name] && u.Satisfies(id, a) {
								hit = true
								break
							}
						}
						if hit {
							out = append(out, rdep{p.Name, p.Version, k.String(), cl.String()})
						}
					}
				}
			}
			sort.SliceStable(out, func(i, j int) bool { return out[i].Package < out[j].Package })
			if e.JSON {
				if out == nil {
					out = []rdep{}
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			for _, r := range out {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s  %s: %s\n", r.Package, r.Version, r.Kind, r.Clause)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d reverse dependencies\n", len(out))
			return nil
		},
	}
	c.Flags().StringSliceVar(&kinds, "kinds", []string{"pre-depends", "depends"}, "relation kinds to search")
	c.Flags().BoolVar(&all, "all", false, "consider every version of each package, not only the newest")
	return c
}
