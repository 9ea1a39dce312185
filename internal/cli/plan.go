package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"pdvm.dev/pdvm/constraint"
	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/plan"
	"pdvm.dev/pdvm/vuln"
)

func init() { register(newPlanCmd) }

// descFlags select what of a description a verb works on.
type descFlags struct {
	vars []string
	vm   string
}

func (f *descFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a variable of the description: --var NAME=VALUE (repeatable)")
	cmd.Flags().StringVar(&f.vm, "vm", "", "work on this vm block only (default: every vm of the file)")
}

// load reads a description, printing its diagnostics with source snippets
// to stderr. It fails when there are errors.
func (f *descFlags) load(e *Env, path string) (*description.File, []*description.VM, error) {
	opts := &description.Options{Vars: map[string]string{}}
	for _, v := range f.vars {
		name, val, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, nil, Hint(fmt.Errorf("--var %q: want NAME=VALUE", v), "write --var admin_key=\"ssh-ed25519 AAAA…\"")
		}
		opts.Vars[name] = val
	}
	df, diags := description.Load(path, opts)
	if len(diags) > 0 {
		writeDiags(e.Stderr, df, diags)
	}
	if diags.HasErrors() {
		return df, nil, errorsIn(path, diags)
	}
	vms := df.VMs
	if f.vm != "" {
		vm := df.VM(f.vm)
		if vm == nil {
			var names []string
			for _, v := range df.VMs {
				names = append(names, v.Name)
			}
			return df, nil, Hint(fmt.Errorf("%s has no vm %q", path, f.vm), "the file declares: %s", strings.Join(names, ", "))
		}
		vms = []*description.VM{vm}
	}
	return df, vms, nil
}

func errorsIn(path string, diags hcl.Diagnostics) error {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	noun := "problem"
	if n != 1 {
		noun = "problems"
	}
	return &ExitError{Code: 1, Err: Hint(fmt.Errorf("%s: %d %s (listed above)", path, n, noun), "fix them and run 'pdvm validate %s'", path)}
}

// writeDiags renders diagnostics with HCL's writer: file:line:col, the
// source snippet and the detail.
func writeDiags(w io.Writer, df *description.File, diags hcl.Diagnostics) {
	var files map[string]*hcl.File
	if df != nil {
		files = df.Sources
	}
	width := uint(100)
	color := false
	if f, ok := w.(*os.File); ok {
		color = term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == ""
	}
	dw := hcl.NewDiagnosticTextWriter(w, files, width, color)
	_ = dw.WriteDiagnostics(diags)
}

// planError renders resolver problems that point into the description.
func planError(e *Env, df *description.File, err error) error {
	var de *plan.DiagnosticsError
	var ce *plan.ConflictError
	switch {
	case errors.As(err, &de):
		writeDiags(e.Stderr, df, de.Diags)
		return errorsIn(df.Name, de.Diags)
	case errors.As(err, &ce):
		writeDiags(e.Stderr, df, ce.Diags)
		return &ExitError{Code: 1, Err: Hint(fmt.Errorf("%s: the description cannot be satisfied (the clashing lines are listed above)", df.Name), "%s", ce.Hint())}
	}
	return err
}

type planJSON struct {
	VM            string   `json:"vm"`
	Lock          string   `json:"lock"`
	Written       bool     `json:"written"`
	Count         int      `json:"count"`
	InstalledSize int64    `json:"installed_size_kib"`
	DiskMiB       int64    `json:"disk_mib"`
	Proof         string   `json:"proof"`
	Kernel        string   `json:"kernel,omitempty"`
	ElapsedMS     float64  `json:"elapsed_ms"`
	Added         []string `json:"added"`
	Removed       []string `json:"removed"`
	Changed       []string `json:"changed"`
	Settings      []string `json:"settings,omitempty"`
	Stale         []string `json:"stale,omitempty"`
}

func newPlanCmd(e *Env) *cobra.Command {
	var df descFlags
	var check bool
	var budget time.Duration
	var avoidVuln string
	cmd := &cobra.Command{
		Use:   "plan [flags] FILE.pdvm.hcl",
		Short: "Resolve a description to a provably minimal package set and write its lock",
		Long: `plan lowers the description to constraints (see 'pdvm lower'), resolves them
against the archive and writes FILE.lock (FILE.VM.pdvm.hcl.lock per vm when
the file declares several): the exact packages, their hashes and, for each,
the chain back to the description line that pulled it in. It prints a summary
and what changed since the previous lock.

With --check nothing is written: plan exits with status 2 when the lock is
missing or stale (the description, its constraints or the archive changed),
for CI.`,
		Example: `  pdvm plan examples/web.pdvm.hcl
  pdvm plan --check examples/web.pdvm.hcl
  pdvm plan --var admin_key="$(cat ~/.ssh/id_ed25519.pub)" examples/bastion.pdvm.hcl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, vms, err := df.load(e, path)
			if err != nil {
				return err
			}
			u, err := e.Universe(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var results []planJSON
			stale := false
			for _, vm := range vms {
				lockPath := plan.LockPath(path, f, vm.Name)
				if check {
					st, err := plan.Check(u, f, vm, lockPath)
					if err != nil {
						return err
					}
					j := planJSON{VM: vm.Name, Lock: lockPath, Stale: st.Reasons}
					results = append(results, j)
					if !st.Current() {
						stale = true
					}
					if !e.JSON {
						if st.Current() {
							fmt.Fprintf(out, "%s: up to date\n", lockPath)
						} else {
							fmt.Fprintf(out, "%s: stale: %s\n", lockPath, strings.Join(st.Reasons, "; "))
						}
					}
					continue
				}
				lowered := constraint.Lower(vm)
				opts, err := securityOptions(e, lowered, time.Now())
				if err != nil {
					return err
				}
				opts.Budget = budget
				if avoidVuln != "" {
					if opts.Forbid, err = vulnForbidder(e, avoidVuln, lowered.Suite); err != nil {
						return err
					}
				}
				r, err := plan.Plan(cmd.Context(), u, f, vm, lockPath, opts)
				if err != nil {
					return planError(e, f, err)
				}
				prev, perr := manifest.Read(lockPath)
				if perr != nil && !errors.Is(perr, os.ErrNotExist) {
					fmt.Fprintf(e.Stderr, "pdvm: warning: ignoring the previous lock: %v\n", perr)
				}
				if perr != nil {
					prev = nil
				}
				if err := manifest.Write(lockPath, r.Lock); err != nil {
					return err
				}
				ch := manifest.Diff(prev, r.Lock)
				j := planJSON{VM: vm.Name, Lock: lockPath, Written: true, Count: r.Lock.Count, InstalledSize: r.Lock.InstalledSize,
					DiskMiB: r.Lock.Hardware.DiskMiB, Proof: r.Lock.Proof, ElapsedMS: float64(r.Elapsed.Microseconds()) / 1000,
					Added: []string{}, Removed: []string{}, Changed: []string{}, Settings: ch.Settings}
				for _, p := range r.Lock.Packages {
					if p.Standalone {
						j.Kernel = p.Name + " " + p.Version
					}
				}
				if kb := r.Lock.KernelBuild; kb != nil {
					j.Kernel = kb.Source + " " + kb.SourceVersion + " (compiled)"
				}
				for _, p := range ch.Added {
					j.Added = append(j.Added, p.Name+" "+p.Version)
				}
				for _, p := range ch.Removed {
					j.Removed = append(j.Removed, p.Name+" "+p.Version)
				}
				for _, c := range ch.Changed {
					j.Changed = append(j.Changed, c.Name+" "+c.From.Version+" -> "+c.To.Version)
				}
				results = append(results, j)
				if !e.JSON {
					printPlan(out, r, lockPath, prev, ch)
				}
			}
			if e.JSON {
				if err := writeJSON(out, results); err != nil {
					return err
				}
			}
			if stale {
				return &ExitError{Code: 2, Err: Hint(errors.New("the lock is stale"), "run 'pdvm plan %s' and commit the lock", path)}
			}
			return nil
		},
	}
	df.register(cmd)
	cmd.Flags().StringVar(&avoidVuln, "avoid-vulnerable", "", "like the description's security { avoid = LEVEL }: keep out versions affected by fixed advisories of this urgency or worse")
	cmd.Flags().BoolVar(&check, "check", false, "do not write; exit 2 when the lock is missing or stale")
	cmd.Flags().DurationVar(&budget, "budget", 0, "solver time budget (default 30s); when it runs out the best set found is locked as feasible")
	return cmd
}

// securityOptions turns the vm's security block into planning options:
// security { avoid = "high" } keeps versions with fixed advisories of that
// urgency or worse out of the plan (vuln.ForbidderRelease); max_age refuses
// to plan with advisory data older than that.
func securityOptions(e *Env, s *constraint.Set, now time.Time) (plan.Options, error) {
	var opts plan.Options
	sev, age := s.Of(constraint.Severity), s.Of(constraint.MaxAge)
	if len(sev) == 0 && len(age) == 0 {
		return opts, nil
	}
	st, err := vuln.DefaultStore(e.Repo.CacheDir)
	if err != nil {
		return opts, err
	}
	db, err := st.Open()
	if err != nil {
		where := plan.Origin(&sev0(sev, age)[0], nil)
		return opts, Hint(fmt.Errorf("vm %q has a security block (%s) but %w", s.VM, where, err), "import advisories with 'pdvm vuln update', or remove the security block")
	}
	if len(age) > 0 {
		max, _ := description.ParseDuration(age[0].Value)
		if a := db.Meta.Age(now); a > max {
			return opts, Hint(fmt.Errorf("%s: the advisory data is %s old, more than max_age = %q", plan.Origin(&age[0], nil), a.Round(time.Hour), age[0].Value), "refresh it with 'pdvm vuln update'")
		}
	}
	if len(sev) > 0 {
		level, err := vuln.ParseUrgency(sev[0].Value)
		if err != nil {
			return opts, err
		}
		opts.Forbid = vuln.ForbidderRelease(db, s.Suite, level)
	}
	return opts, nil
}

func sev0(a, b []constraint.Constraint) []constraint.Constraint {
	if len(a) > 0 {
		return a
	}
	return b
}

func printPlan(w io.Writer, r *plan.Result, lockPath string, prev *manifest.Lock, ch *manifest.Changes) {
	l := r.Lock
	proof := "optimal (proven)"
	if l.Proof != "optimal" {
		proof = fmt.Sprintf("feasible (budget hit, lower bound %d)", r.Solution.LowerBound)
	}
	fmt.Fprintf(w, "vm %q: %d packages, %s installed, %s, %s\n", l.VM, l.Count, mib(l.InstalledSize), proof, r.Elapsed.Round(time.Millisecond))
	for _, p := range l.Packages {
		switch {
		case p.Standalone:
			fmt.Fprintf(w, "  kernel  %s %s (standalone, %s installed)\n", p.Name, p.Version, mib(p.InstalledSize))
		case p.Kernel:
			fmt.Fprintf(w, "  kernel  %s %s (installed with its dependencies)\n", p.Name, p.Version)
		}
	}
	if kb := l.KernelBuild; kb != nil {
		fmt.Fprintf(w, "  kernel  compiled from %s %s at build time, everything built in (kernel need: %s)\n",
			kb.Source, kb.SourceVersion, strings.Join(kb.Need, " "))
	}
	disk := fmt.Sprintf("%d MiB", l.Hardware.DiskMiB)
	if l.Hardware.DiskAuto {
		disk += " (auto: " + constraint.DiskRule + ")"
	}
	fmt.Fprintf(w, "  hardware %d cpu, %d MiB memory, disk %s\n", l.Hardware.CPUs, l.Hardware.MemoryMiB, disk)
	fmt.Fprintf(w, "  wrote %s\n", lockPath)
	switch {
	case prev == nil:
		fmt.Fprintf(w, "  new lock\n")
	case ch.Empty():
		fmt.Fprintf(w, "  unchanged since the previous lock\n")
	default:
		fmt.Fprintf(w, "  changes since the previous lock:\n")
		for _, line := range strings.Split(strings.TrimSuffix(ch.Text(), "\n"), "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
