package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func init() { register(newRepoCmd) }

func newRepoCmd(e *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "repo",
		Short: "Fetch, verify and summarise the Debian archive",
		Long: `The package universe is built from the Packages indexes of the selected suites
(default: bookworm, bookworm-updates and bookworm-security, component main,
architectures amd64 and all, from the mirrors in the machine's apt sources).

Every InRelease file is verified against the Debian archive keyring, its Date and
Valid-Until are checked, and every index is checked against the SHA256 listed in
the signed body before it is parsed. Verified indexes and the parsed model are
cached under $XDG_CACHE_HOME/pdvm (or ~/.cache/pdvm).`,
	}
	c.AddCommand(newRepoUpdateCmd(e), newRepoStatsCmd(e))
	return c
}

func newRepoStatsCmd(e *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "Count what the archive holds: stanzas, names, relations, Essential packages, suites",
		Long: `Counts what the loaded archive holds:

  stanzas        stanzas read from all indexes (= lines starting "Package:")
  packages       distinct (name, version, architecture) after merging suites
  names          distinct real package names
  virtual names  names that are only provided (Provides), never a real package
  essential      packages marked Essential: yes

and, per relationship field, the number of clauses (comma-separated entries),
atoms (alternatives), clauses with alternatives and versioned atoms.`,
		Example: "  pdvm repo stats\n  pdvm repo stats --offline --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := e.Universe(cmd.Context())
			if err != nil {
				return err
			}
			st := u.Stats()
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(w, "stanzas\t%d\t\n", st.Stanzas)
			fmt.Fprintf(w, "packages\t%d\t\n", st.Packages)
			fmt.Fprintf(w, "names\t%d\t\n", st.Names)
			fmt.Fprintf(w, "virtual names\t%d\t\n", st.VirtualNames)
			fmt.Fprintf(w, "provided names\t%d\t\n", st.Provided)
			fmt.Fprintf(w, "essential\t%d\t\n", st.Essential)
			fmt.Fprintf(w, "priority required\t%d\t\n", st.Required)
			w.Flush()
			fmt.Fprintln(cmd.OutOrStdout())
			w = tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(w, "relation\tpackages\tclauses\tatoms\twith alternatives\tversioned atoms\t\n")
			for _, r := range st.Relations {
				fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t\n", r.Kind, r.Packages, r.Clauses, r.Atoms, r.Alternatives, r.Versioned)
			}
			w.Flush()
			fmt.Fprintln(cmd.OutOrStdout())
			w = tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "suite\tcomponent\tarch\tpackages\tdate\tvalid until\n")
			for _, s := range st.Suites {
				vu := s.ValidUntil
				if vu == "" {
					vu = "-"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", s.Suite, s.Component, s.Arch, s.Packages, s.Date, vu)
			}
			return w.Flush()
		},
	}
}
