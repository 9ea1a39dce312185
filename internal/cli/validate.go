package cli

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/constraint"
	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/plan"
)

func init() { register(newValidateCmd) }

type diagJSON struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	At       string `json:"at,omitempty"` // file:line:col
	Range    string `json:"range,omitempty"`
}

type validateJSON struct {
	File        string     `json:"file"`
	Valid       bool       `json:"valid"`
	VMs         []string   `json:"vms"`
	NamesCheck  bool       `json:"names_checked"`
	Diagnostics []diagJSON `json:"diagnostics"`
}

func toDiagJSON(diags hcl.Diagnostics) []diagJSON {
	out := []diagJSON{}
	for _, d := range diags {
		j := diagJSON{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			j.Severity = "warning"
		}
		if d.Subject != nil {
			j.At = fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
			j.Range = d.Subject.String()
		}
		out = append(out, j)
	}
	return out
}

func newValidateCmd(e *Env) *cobra.Command {
	var df descFlags
	var noArchive bool
	cmd := &cobra.Command{
		Use:   "validate [flags] FILE.pdvm.hcl",
		Short: "Check a description and report every problem at once",
		Long: `validate decodes the description and reports every problem it finds, each
at file:line:col with the source line: syntax errors, unknown attributes and
blocks, wrong types, malformed package relations (pointing at the bad token
inside the string), invalid sizes, ports, modes and keys. Unless --no-archive
is given it also loads the archive and checks that every package name exists,
suggesting close names ("did you mean").`,
		Example: `  pdvm validate examples/web.pdvm.hcl
  pdvm validate --no-archive --json my.pdvm.hcl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			opts := &description.Options{Vars: map[string]string{}}
			for _, v := range df.vars {
				name, val, ok := strings.Cut(v, "=")
				if !ok {
					return Hint(fmt.Errorf("--var %q: want NAME=VALUE", v), "write --var NAME=VALUE")
				}
				opts.Vars[name] = val
			}
			f, diags := description.Load(path, opts)
			checked := false
			if !diags.HasErrors() && !noArchive {
				u, err := e.Universe(cmd.Context())
				if err != nil {
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Package names not checked",
						Detail: fmt.Sprintf("Loading the archive failed: %v. Run 'pdvm repo update', or pass --no-archive.", err)})
				} else {
					checked = true
					for _, vm := range f.VMs {
						if df.vm != "" && vm.Name != df.vm {
							continue
						}
						diags = append(diags, plan.CheckNames(u, constraint.Lower(vm))...)
					}
				}
			}
			out := cmd.OutOrStdout()
			var names []string
			for _, vm := range f.VMs {
				names = append(names, vm.Name)
			}
			if e.JSON {
				if err := writeJSON(out, validateJSON{File: path, Valid: !diags.HasErrors(), VMs: names, NamesCheck: checked, Diagnostics: toDiagJSON(diags)}); err != nil {
					return err
				}
			} else if len(diags) > 0 {
				writeDiags(e.Stderr, f, diags)
			}
			if diags.HasErrors() {
				if e.JSON {
					return &ExitError{Code: 1}
				}
				return errorsIn(path, diags)
			}
			if !e.JSON {
				what := "package names checked against the archive"
				if !checked {
					what = "package names not checked"
				}
				fmt.Fprintf(out, "%s: valid (vm %s; %s)\n", path, strings.Join(names, ", vm "), what)
			}
			return nil
		},
	}
	df.register(cmd)
	cmd.Flags().BoolVar(&noArchive, "no-archive", false, "do not load the archive (package names are not checked)")
	return cmd
}
