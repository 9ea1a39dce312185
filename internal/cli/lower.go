package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/constraint"
)

func init() { register(newLowerCmd) }

type lowerJSON struct {
	VM          string            `json:"vm"`
	Digest      string            `json:"digest"`
	Constraints []constraint.JSON `json:"constraints"`
}

func newLowerCmd(e *Env) *cobra.Command {
	var df descFlags
	cmd := &cobra.Command{
		Use:   "lower [flags] FILE.pdvm.hcl",
		Short: "Print the constraints a description lowers to (stage C)",
		Long: `lower decodes the description, applies extends, fills in every default and
prints the resulting constraints, one a line, each with the file:line:col that
caused it. Defaults are marked "(default)"; constraints implied by another
setting say which ("because init = \"systemd\""). Nothing here reads the
archive: whether the packages exist is 'pdvm validate' and 'pdvm plan's job.`,
		Example: `  pdvm lower examples/web.pdvm.hcl
  pdvm lower --json examples/db.pdvm.hcl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, vms, err := df.load(e, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var js []lowerJSON
			for i, vm := range vms {
				s := constraint.Lower(vm)
				if e.JSON {
					js = append(js, lowerJSON{VM: s.VM, Digest: s.Digest(), Constraints: s.JSON()})
					continue
				}
				if i > 0 {
					fmt.Fprintln(out)
				}
				fmt.Fprint(out, s.Text())
			}
			if e.JSON {
				return writeJSON(out, js)
			}
			return nil
		},
	}
	df.register(cmd)
	return cmd
}
