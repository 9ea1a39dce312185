package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/resolve"
)

func init() { register(newDistcheckCmd) }

type distcheckJSON struct {
	Total     int          `json:"total"`
	Broken    []brokenJSON `json:"broken"`
	Greedy    int          `json:"proven_by_greedy_sets"`
	SATCalls  int          `json:"sat_calls"`
	ElapsedMS float64      `json:"elapsed_ms"`
}

type brokenJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	Kind    string `json:"kind"`
	Reason  string `json:"reason"`
}

func newDistcheckCmd(e *Env) *cobra.Command {
	var ignoreEssential, failOnBroken bool
	cmd := &cobra.Command{
		Use:   "distcheck",
		Short: "Check that every package of the archive is installable (like dose-distcheck)",
		Long: `distcheck decides, for every package of the loaded archive, whether some
installation contains it, as dose-distcheck does: by default every installation
must also contain the Essential packages. Each broken package is listed with the
reason: the dependency chain down to a clause nothing satisfies ("missing"), or
the conflict that rules it out ("conflict").`,
		Example: `  pdvm distcheck
  pdvm distcheck --suite bookworm --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := e.Universe(cmd.Context())
			if err != nil {
				return err
			}
			res, err := resolve.Distcheck(cmd.Context(), u, resolve.DistcheckOptions{IgnoreEssential: ignoreEssential})
			if err != nil {
				return err
			}
			if e.JSON {
				out := distcheckJSON{Total: res.Total, Broken: []brokenJSON{}, Greedy: res.Greedy, SATCalls: res.SATCalls,
					ElapsedMS: float64(res.Elapsed.Microseconds()) / 1000}
				for _, b := range res.Broken {
					p := u.Pkg(b.Pkg)
					out.Broken = append(out.Broken, brokenJSON{p.Name, p.Version, p.Arch, b.Kind, b.Reason})
				}
				if err := writeJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				for _, b := range res.Broken {
					p := u.Pkg(b.Pkg)
					fmt.Fprintf(w, "%s=%s %s: %s: %s\n", p.Name, p.Version, p.Arch, b.Kind, b.Reason)
				}
				fmt.Fprintf(w, "%d packages, %d installable, %d broken (%d SAT calls, %v)\n",
					res.Total, res.Total-len(res.Broken), len(res.Broken), res.SATCalls, res.Elapsed.Round(time.Millisecond))
			}
			if failOnBroken && len(res.Broken) > 0 {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&ignoreEssential, "ignore-essential", false, "do not require the Essential packages in every installation (dose-distcheck --deb-ignore-essential)")
	cmd.Flags().BoolVar(&failOnBroken, "fail", false, "exit with status 1 when some package is broken (as dose-distcheck does)")
	return cmd
}
