package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/constraint"
	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/plan"
	"pdvm.dev/pdvm/resolve"
)

func init() { register(newWhyCmd) }

type whyStepJSON struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Via     string `json:"via,omitempty"`
}

type whyJSON struct {
	Package string        `json:"package"`
	Version string        `json:"version"`
	Arch    string        `json:"arch"`
	VM      string        `json:"vm,omitempty"`
	Need    string        `json:"need,omitempty"`
	Origin  string        `json:"origin,omitempty"`
	Chain   []whyStepJSON `json:"chain"`
	// Reason is the lock's reason for packages outside the resolved
	// closure (the standalone kernel).
	Reason []string `json:"reason,omitempty"`
}

func newWhyCmd(e *Env) *cobra.Command {
	var rf resolveFlags
	var df descFlags
	cmd := &cobra.Command{
		Use:   "why [flags] PKG (FILE.pdvm.hcl | NEED...)",
		Short: "Show why a package is in a VM: the chain from the line that needs it",
		Long: `why explains a package's presence as the shortest chain of dependencies from
something that was asked for.

With a description file, it plans the description (without writing the lock)
and starts the chain at the description line, shown with its source.

With NEEDs instead of a file, it resolves them as 'pdvm resolve' would (same
--avoid, --prefer, --base and --objective flags) and starts at the need.`,
		Example: `  pdvm why libssl3 examples/web.pdvm.hcl
  pdvm why libssl3 nginx
  pdvm why --avoid systemd libpam-runtime openssh-server`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkg := args[0]
			if len(args) == 2 && strings.HasSuffix(args[1], ".pdvm.hcl") {
				return whyFile(e, cmd, &df, pkg, args[1])
			}
			req, err := rf.request(args[1:])
			if err != nil {
				return err
			}
			if err := rf.applySecurity(e, &req); err != nil {
				return err
			}
			u, err := e.Universe(cmd.Context())
			if err != nil {
				return err
			}
			sol, err := resolve.Resolve(cmd.Context(), u, req)
			if err != nil {
				return err
			}
			id, err := findIn(u, sol, pkg)
			if err != nil {
				return err
			}
			return printWhy(e, cmd.OutOrStdout(), u, sol, id, "", nil, nil)
		},
	}
	rf.register(cmd)
	df.register(cmd)
	return cmd
}

func whyFile(e *Env, cmd *cobra.Command, df *descFlags, pkg, path string) error {
	f, vms, err := df.load(e, path)
	if err != nil {
		return err
	}
	u, err := e.Universe(cmd.Context())
	if err != nil {
		return err
	}
	found := false
	for _, vm := range vms {
		opts, err := securityOptions(e, constraint.Lower(vm), time.Now())
		if err != nil {
			return err
		}
		r, err := plan.Plan(cmd.Context(), u, f, vm, plan.LockPath(path, f, vm.Name), opts)
		if err != nil {
			return planError(e, f, err)
		}
		name, _, _ := strings.Cut(pkg, "=")
		for _, p := range r.Lock.Packages {
			if p.Standalone && p.Name == name {
				found = true
				if e.JSON {
					if err := writeJSON(cmd.OutOrStdout(), whyJSON{Package: p.Name, Version: p.Version, Arch: p.Arch, VM: vm.Name, Chain: []whyStepJSON{}, Reason: p.Reason}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s is vm %q's kernel (standalone):\n", p.Name, p.Version, p.Arch, vm.Name)
				for _, line := range p.Reason {
					fmt.Fprintf(cmd.OutOrStdout(), "  %s\n", line)
				}
			}
		}
		if found {
			continue
		}
		id, err := findIn(u, r.Solution, pkg)
		if err != nil {
			if len(vms) > 1 {
				continue
			}
			return err
		}
		found = true
		_, needs := plan.Request(r.Set)
		if err := printWhy(e, cmd.OutOrStdout(), u, r.Solution, id, vm.Name, needs, f); err != nil {
			return err
		}
	}
	if !found {
		return Hint(fmt.Errorf("%s is in none of the vms of %s", pkg, path), "'pdvm plan %s' lists what each vm holds", path)
	}
	return nil
}

// findIn finds PKG (NAME or NAME=VERSION) in a solution.
func findIn(u *archive.Universe, sol *resolve.Solution, pkg string) (archive.ID, error) {
	name, ver, _ := strings.Cut(pkg, "=")
	for _, id := range sol.Packages {
		p := u.Pkg(id)
		if p.Name == name && (ver == "" || p.Version == ver) {
			return id, nil
		}
	}
	if !u.Known(name) {
		err := fmt.Errorf("unknown package %q", name)
		if s := resolve.Suggest(u, name, 3); len(s) > 0 {
			return -1, Hint(err, "did you mean %s?", strings.Join(s, ", "))
		}
		return -1, Hint(err, "check the spelling with 'pdvm show NAME'")
	}
	return -1, Hint(fmt.Errorf("%s is not installed: nothing asked for needs it", pkg), "the minimal set does without it; 'pdvm resolve' lists what is installed")
}

// printWhy prints the chain to id. needs maps need origins to the
// description's constraints (nil for the request form).
func printWhy(e *Env, w io.Writer, u *archive.Universe, sol *resolve.Solution, id archive.ID, vm string, needs map[string]*constraint.Constraint, f *description.File) error {
	chain := sol.Why(id)
	p := u.Pkg(id)
	j := whyJSON{Package: p.Name, Version: p.Version, Arch: p.Arch, VM: vm, Chain: []whyStepJSON{}}
	var c *constraint.Constraint
	if len(chain) > 0 && chain[0].Need != nil {
		n := chain[0].Need
		j.Need = n.Clause.String()
		j.Origin = n.Origin
		c = needs[n.Origin]
	} else if len(chain) > 0 {
		j.Origin = chain[0].Via
	}
	for _, st := range chain {
		q := u.Pkg(st.Pkg)
		j.Chain = append(j.Chain, whyStepJSON{Package: q.Name, Version: q.Version, Via: st.Via})
	}
	if e.JSON {
		return writeJSON(w, j)
	}
	var b bytes.Buffer
	if vm != "" {
		fmt.Fprintf(&b, "%s %s %s is in vm %q because of:\n", p.Name, p.Version, p.Arch, vm)
	} else {
		fmt.Fprintf(&b, "%s %s %s is installed because of:\n", p.Name, p.Version, p.Arch)
	}
	switch {
	case c != nil:
		fmt.Fprintf(&b, "  %s\n", plan.Head(c, nil))
		if line := sourceLine(f, c); line != "" {
			fmt.Fprintf(&b, "  %5d | %s\n", c.Origin.Range.Start.Line, line)
		}
	case j.Need != "":
		fmt.Fprintf(&b, "  need %s (%s)\n", j.Need, j.Origin)
	case j.Origin != "":
		fmt.Fprintf(&b, "  %s\n", j.Origin)
	}
	for i, st := range j.Chain {
		if i > 0 {
			fmt.Fprintf(&b, "      %s\n", st.Via)
		}
		fmt.Fprintf(&b, "    %s %s\n", st.Package, st.Version)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// sourceLine is the description line a constraint came from.
func sourceLine(f *description.File, c *constraint.Constraint) string {
	if f == nil {
		return ""
	}
	hf := f.Sources[c.Origin.Range.Filename]
	if hf == nil {
		return ""
	}
	lines := strings.Split(string(hf.Bytes), "\n")
	n := c.Origin.Range.Start.Line
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[n-1], "\r")
}
