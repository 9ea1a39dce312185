package cli

import (
	"bytes"
	"fmt"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/sbom"
)

func init() { register(newSBOMCmd) }

func newSBOMCmd(e *Env) *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "sbom FILE|LOCK|IMAGE",
		Short: "Write the software bill of materials of a VM (SPDX 2.3 or CycloneDX 1.6 JSON)",
		Long: `Write the SBOM of a planned VM from its lock: SPDX 2.3 JSON (--format spdx,
the default) or CycloneDX 1.6 JSON (--format cyclonedx). Every package has
its Debian purl (pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12,
with upstream=SOURCE[@VERSION] when the source differs), the SHA-256 of its
.deb and its source package. The output is deterministic: the timestamp is
the archive date recorded in the lock. 'pdvm build' writes both next to the
image.`,
		Example: `  pdvm sbom examples/web.pdvm.hcl > web.spdx.json
  pdvm sbom --format cyclonedx -o web.cdx.json web.pdvm.hcl.lock`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := findTarget(args[0])
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := sbom.Write(&b, t.Lock, format); err != nil {
				return Hint(err, "use --format spdx or --format cyclonedx")
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(b.Bytes())
				return err
			}
			if err := cache.WriteFile(out, b.Bytes(), 0o644); err != nil {
				return err
			}
			if !e.JSON {
				fmt.Fprintf(e.Stderr, "pdvm: wrote %s (%s, %d packages)\n", out, format, len(t.Lock.Packages))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "spdx", "spdx (SPDX 2.3 JSON) or cyclonedx (CycloneDX 1.6 JSON)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE (atomically) instead of standard output")
	return cmd
}
