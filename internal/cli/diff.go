package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/manifest"
)

func init() { register(newDiffCmd) }

type diffJSON struct {
	Added    []manifest.Package `json:"added"`
	Removed  []manifest.Package `json:"removed"`
	Changed  []changeJSON       `json:"changed"`
	Settings []string           `json:"settings"`
}

type changeJSON struct {
	Name string `json:"name"`
	Arch string `json:"arch"`
	From string `json:"from"`
	To   string `json:"to"`
}

func newDiffCmd(e *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff A.lock B.lock",
		Short: "Show the packages added, removed and changed between two locks",
		Long: `diff compares two lock files package by package (by name and architecture):
"+" added in B, "-" removed from A, "~" a different version or .deb, and "*"
for changed settings (base, init, hardware, archive indexes). It exits 0
either way.`,
		Example: `  git show HEAD:examples/web.pdvm.hcl.lock > /tmp/old.lock
  pdvm diff /tmp/old.lock examples/web.pdvm.hcl.lock`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := manifest.Read(args[0])
			if err != nil {
				return err
			}
			b, err := manifest.Read(args[1])
			if err != nil {
				return err
			}
			d := manifest.Diff(a, b)
			out := cmd.OutOrStdout()
			if e.JSON {
				j := diffJSON{Added: d.Added, Removed: d.Removed, Changed: []changeJSON{}, Settings: d.Settings}
				if j.Added == nil {
					j.Added = []manifest.Package{}
				}
				if j.Removed == nil {
					j.Removed = []manifest.Package{}
				}
				if j.Settings == nil {
					j.Settings = []string{}
				}
				for _, c := range d.Changed {
					j.Changed = append(j.Changed, changeJSON{Name: c.Name, Arch: c.Arch, From: c.From.Version, To: c.To.Version})
				}
				return writeJSON(out, j)
			}
			fmt.Fprint(out, d.Text())
			return nil
		},
	}
	return cmd
}
