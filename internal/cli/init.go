package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/manifest"
)

func init() { register(newInitCmd) }

func newInitCmd(e *Env) *cobra.Command {
	var template string
	var force bool
	cmd := &cobra.Command{
		Use:   "init [--template NAME] [FILE.pdvm.hcl]",
		Short: "Write a starting description",
		Long: fmt.Sprintf(`init writes a starting description that extends a built-in template (%s) and
lists the usual settings as comments. The file defaults to main.pdvm.hcl; the
vm is named after the file. An existing file is never overwritten without
--force.`, strings.Join(description.Templates(), ", ")),
		Example: `  pdvm init --template server web.pdvm.hcl
  pdvm init --template minimal`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "main.pdvm.hcl"
			if len(args) == 1 {
				path = args[0]
			}
			if !strings.HasSuffix(path, ".pdvm.hcl") {
				return Hint(fmt.Errorf("%s: descriptions are named *.pdvm.hcl", path), "use a name like %s.pdvm.hcl", strings.TrimSuffix(path, filepath.Ext(path)))
			}
			name := strings.TrimSuffix(filepath.Base(path), ".pdvm.hcl")
			src, err := description.Starter(template, name)
			if err != nil {
				return Hint(err, "pick a template with --template %s", strings.Join(description.Templates(), "|"))
			}
			if _, err := os.Stat(path); err == nil && !force {
				return Hint(fmt.Errorf("%s already exists", path), "use --force to overwrite it, or pick another file name")
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := manifest.WriteFileAtomic(path, src, 0o644); err != nil {
				return err
			}
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"file": path, "vm": name, "template": template})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (vm %q, extends %q); next: pdvm lower %s\n", path, name, template, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&template, "template", "minimal", "built-in template to extend: "+strings.Join(description.Templates(), ", "))
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}
