package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/manifest"
)

func init() { register(newFmtCmd) }

type fmtJSON struct {
	File      string `json:"file"`
	Formatted bool   `json:"formatted"` // already in canonical form
	Written   bool   `json:"written"`
}

func newFmtCmd(e *Env) *cobra.Command {
	var write, check bool
	cmd := &cobra.Command{
		Use:   "fmt [-w | --check] FILE.pdvm.hcl...",
		Short: "Format descriptions in HCL's canonical style",
		Long: `fmt rewrites descriptions in HCL's canonical layout (aligned "=", two-space
indentation), as hclwrite formats them. Without -w the formatted text goes to
stdout; with -w each file is replaced (atomically) when it changes; with
--check nothing is written and fmt exits 1 when a file is not formatted.`,
		Example: `  pdvm fmt examples/web.pdvm.hcl
  pdvm fmt -w examples/*.pdvm.hcl
  pdvm fmt --check examples/*.pdvm.hcl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			var js []fmtJSON
			unformatted := 0
			for _, path := range args {
				src, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("reading %s: %w", path, err)
				}
				if _, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos); diags.HasErrors() {
					f, _ := description.Parse(path, src, nil)
					writeDiags(e.Stderr, f, diags)
					return errorsIn(path, diags)
				}
				res := hclwrite.Format(src)
				same := bytes.Equal(res, src)
				j := fmtJSON{File: path, Formatted: same}
				switch {
				case check:
					if !same {
						unformatted++
						if !e.JSON {
							fmt.Fprintln(out, path)
						}
					}
				case write:
					if !same {
						st, err := os.Stat(path)
						if err != nil {
							return err
						}
						if err := manifest.WriteFileAtomic(path, res, st.Mode().Perm()); err != nil {
							return err
						}
						j.Written = true
					}
				default:
					if !e.JSON {
						out.Write(res)
					}
				}
				js = append(js, j)
			}
			if e.JSON {
				if err := writeJSON(out, js); err != nil {
					return err
				}
			}
			if unformatted > 0 {
				return &ExitError{Code: 1, Err: Hint(errors.New("some files are not formatted (listed above)"), "run 'pdvm fmt -w FILE'")}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&write, "write", "w", false, "rewrite the files in place")
	cmd.Flags().BoolVar(&check, "check", false, "exit 1 when a file is not formatted; write nothing")
	return cmd
}
