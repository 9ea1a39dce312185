package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/resolve"
	"pdvm.dev/pdvm/vuln"
)

func init() { register(newResolveCmd) }

// resolveFlags are the request options shared by resolve-like verbs.
type resolveFlags struct {
	avoid     []string
	prefer    []string
	objective string
	base      string
	budget    time.Duration
	avoidVuln string
}

func (f *resolveFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.avoid, "avoid", nil, "keep out packages matching this relation (repeatable), e.g. --avoid systemd --avoid 'perl (<< 5.36)'")
	fl.StringArrayVar(&f.prefer, "prefer", nil, "soft need: satisfied when it costs nothing extra (repeatable)")
	fl.StringVar(&f.objective, "objective", "count", "what to minimise: count (packages) or size (Installed-Size)")
	fl.StringVar(&f.base, "base", "none", "base set: debian (Essential and Priority: required packages) or none")
	fl.DurationVar(&f.budget, "budget", 30*time.Second, "solver time budget; when it runs out the best set found is printed as feasible")
	fl.StringVar(&f.avoidVuln, "avoid-vulnerable", "", "keep out versions affected by fixed advisories of this urgency or worse (low, medium, high); needs 'pdvm vuln update'")
}

// applySecurity adds --avoid-vulnerable to req.
func (f *resolveFlags) applySecurity(e *Env, req *resolve.Request) error {
	if f.avoidVuln == "" {
		return nil
	}
	forbid, err := vulnForbidder(e, f.avoidVuln, "bookworm")
	if err != nil {
		return err
	}
	req.Forbid = forbid
	return nil
}

// vulnForbidder loads the advisory data and returns the resolver hook that
// forbids affected versions at or above level.
func vulnForbidder(e *Env, level, release string) (func(*archive.Package) (string, bool), error) {
	lv, err := vuln.ParseUrgency(level)
	if err != nil {
		return nil, Hint(err, "use --avoid-vulnerable low, medium or high")
	}
	st, err := vuln.DefaultStore(e.Repo.CacheDir)
	if err != nil {
		return nil, err
	}
	db, err := st.Open()
	if err != nil {
		return nil, Hint(fmt.Errorf("--avoid-vulnerable needs advisory data: %w", err), "import it with 'pdvm vuln update --tracker FILE|URL --osv PATH|URL'")
	}
	return vuln.ForbidderRelease(db, release, lv), nil
}

// request builds a resolve.Request from positional needs and the flags.
func (f *resolveFlags) request(args []string) (resolve.Request, error) {
	req := resolve.Request{Objective: f.objective, Base: f.base, Budget: f.budget}
	switch f.objective {
	case resolve.ObjectiveCount, resolve.ObjectiveSize:
	default:
		return req, Hint(fmt.Errorf("--objective %q: unknown objective", f.objective), "use --objective count or --objective size")
	}
	switch f.base {
	case resolve.BaseDebian, resolve.BaseNone:
	default:
		return req, Hint(fmt.Errorf("--base %q: unknown base policy", f.base), "use --base debian or --base none")
	}
	for i, a := range args {
		n, err := resolve.ParseNeed(a, fmt.Sprintf("argument %d", i+1))
		if err != nil {
			return req, Hint(err, "write a need as a Depends clause: 'nginx', 'nginx (>= 1.22)', 'openssh-server | dropbear-bin', or pin with nginx=VERSION")
		}
		req.Install = append(req.Install, n)
	}
	for i, a := range f.avoid {
		n, err := resolve.ParseNeed(a, fmt.Sprintf("--avoid %d", i+1))
		if err != nil {
			return req, err
		}
		req.Avoid = append(req.Avoid, n)
	}
	for i, a := range f.prefer {
		n, err := resolve.ParseNeed(a, fmt.Sprintf("--prefer %d", i+1))
		if err != nil {
			return req, err
		}
		req.Prefer = append(req.Prefer, n)
	}
	return req, nil
}

// solutionJSON is `pdvm resolve --json`.
type solutionJSON struct {
	Status        string       `json:"status"`
	Objective     string       `json:"objective"`
	Count         int          `json:"count"`
	InstalledSize int64        `json:"installed_size_kib"`
	LowerBound    int64        `json:"lower_bound"`
	Cone          int          `json:"cone"`
	ElapsedMS     float64      `json:"elapsed_ms"`
	Packages      []chosenJSON `json:"packages"`
}

// unsatJSON is `pdvm resolve --json` when the needs clash.
type unsatJSON struct {
	Status   string       `json:"status"`
	Conflict conflictJSON `json:"conflict"`
}

type chosenJSON struct {
	Name          string `json:"name"`
	Version       string `json:"version"`
	Arch          string `json:"arch"`
	InstalledSize int64  `json:"installed_size_kib"`
	PulledBy      string `json:"pulled_by"`
}

type conflictJSON struct {
	Needs  []string `json:"needs"`
	Chains []string `json:"chains"`
}

func newResolveCmd(e *Env) *cobra.Command {
	var f resolveFlags
	cmd := &cobra.Command{
		Use:   "resolve [flags] NEED...",
		Short: "Find the provably smallest set of packages that installs the needs",
		Long: `resolve finds the smallest installation (fewest packages, or least
Installed-Size with --objective size) that satisfies every NEED, and proves it
optimal with a SAT solver. Each NEED is a Depends clause: "nginx",
"openssh-server | dropbear-bin", "python3 (>= 3.11)", or a pin "nginx=1.22.1-9".

The output lists "name=version arch  <- what pulled it in" per package, then one
summary line: count, installed size, proof status and time. Recommends are
never installed. When the needs cannot all hold, resolve names the smallest
set of them that clash, each with the dependency chain that makes it fail.`,
		Example: `  pdvm resolve nginx openssh-server
  pdvm resolve --avoid systemd nginx
  pdvm resolve --objective size postgresql
  pdvm resolve --base debian 'openssh-server | dropbear-bin'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request(args)
			if err != nil {
				return err
			}
			if err := f.applySecurity(e, &req); err != nil {
				return err
			}
			u, err := e.Universe(cmd.Context())
			if err != nil {
				return err
			}
			sol, err := resolve.Resolve(cmd.Context(), u, req)
			var ce *resolve.ConflictError
			if errors.As(err, &ce) && e.JSON {
				out := unsatJSON{Status: "unsatisfiable", Conflict: conflictJSON{Chains: ce.Chains}}
				for i, n := range ce.Needs {
					out.Conflict.Needs = append(out.Conflict.Needs, ce.Kinds[i]+" "+n.String())
				}
				if werr := writeJSON(cmd.OutOrStdout(), out); werr != nil {
					return werr
				}
				return &ExitError{Code: 1}
			}
			if err != nil {
				return err
			}
			if e.JSON {
				out := solutionJSON{Status: sol.Status, Objective: sol.Objective, Count: sol.Count, InstalledSize: sol.InstalledSize,
					LowerBound: sol.LowerBound, Cone: sol.Cone, ElapsedMS: float64(sol.Elapsed.Microseconds()) / 1000}
				for _, id := range sol.Packages {
					p := u.Pkg(id)
					out.Packages = append(out.Packages, chosenJSON{p.Name, p.Version, p.Arch, p.InstalledSize, sol.PulledBy(id)})
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, id := range sol.Packages {
				p := u.Pkg(id)
				fmt.Fprintf(w, "%s=%s\t%s\t<- %s\n", p.Name, p.Version, p.Arch, sol.PulledBy(id))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), summaryLine(sol))
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

// summaryLine is resolve's last line, e.g.
// "29 packages, 31.6 MiB installed, optimal (proven), 12ms".
func summaryLine(s *resolve.Solution) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d packages, %.1f MiB installed, ", s.Count, float64(s.InstalledSize)/1024)
	if s.Status == "optimal" {
		b.WriteString("optimal (proven)")
	} else {
		unit := "packages"
		if s.Objective == resolve.ObjectiveSize {
			unit = "KiB"
		}
		fmt.Fprintf(&b, "feasible (not proven optimal; lower bound %d %s)", s.LowerBound, unit)
	}
	fmt.Fprintf(&b, ", %v", s.Elapsed.Round(time.Millisecond))
	return b.String()
}
