package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/vuln"
)

func init() { register(newAffectedCmd) }

type affectedJSON struct {
	*vuln.FleetResult
	Roots     []string `json:"roots"`
	ElapsedMS float64  `json:"elapsed_ms"`
}

func newAffectedCmd(e *Env) *cobra.Command {
	var noIndex bool
	cmd := &cobra.Command{
		Use:   "affected ADVISORY [DIR...]",
		Short: "Find every VM (lock or image) that contains a version affected by an advisory",
		Long: `List every lock under the given directories (default: pdvm's image store
in the cache and the current directory) that contains a package whose
source version is affected by ADVISORY: a CVE id, a DSA or DLA id, or a
TEMP- id of the Debian security tracker.

A fleet index in the cache remembers each lock's packages; only locks that
changed since the last query are read again (--no-index reads them all).`,
		Example: `  pdvm affected CVE-2024-6387
  pdvm affected DSA-5724-1 ~/vms /srv/images`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t0 := time.Now()
			id := args[0]
			if !vuln.IsAdvisoryID(id) {
				return Hint(fmt.Errorf("%q is not an advisory id", id), "give a CVE-YYYY-N, DSA-N-N, DLA-N-N or TEMP- id")
			}
			roots := args[1:]
			cdir := e.Repo.CacheDir
			if cdir == "" {
				d, err := cache.Dir()
				if err != nil {
					return err
				}
				cdir = d
			}
			if len(roots) == 0 {
				if fi, err := os.Stat(filepath.Join(cdir, "images")); err == nil && fi.IsDir() {
					roots = append(roots, filepath.Join(cdir, "images"))
				}
				roots = append(roots, ".")
			}
			st, err := vuln.DefaultStore(e.Repo.CacheDir)
			if err != nil {
				return err
			}
			db, err := openVulnDB(st)
			if err != nil {
				return err
			}
			idx := st.Dir
			if noIndex {
				idx = ""
			}
			res, err := db.Affected(cmd.Context(), id, roots, idx)
			if err != nil {
				return err
			}
			out := affectedJSON{FleetResult: res, Roots: roots, ElapsedMS: float64(time.Since(t0).Microseconds()) / 1000}
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
			for _, er := range res.Errors {
				fmt.Fprintf(e.Stderr, "pdvm: WARNING: unreadable lock: %s\n", er)
			}
			if len(res.Sources) == 0 {
				return Hint(fmt.Errorf("%s: not in the imported advisory data (dated %s)", res.Advisory, db.Meta.DataDate().Format("2006-01-02")),
					"check the id, or import newer data with 'pdvm vuln update'")
			}
			vms := map[string]bool{}
			for _, h := range res.Hits {
				vms[h.Lock] = true
			}
			fmt.Fprintf(w, "%s (source %s): %d of %d locks affected under %s\n", res.Advisory, strings.Join(res.Sources, ", "), len(vms), res.Locks, strings.Join(roots, ", "))
			if len(res.Hits) == 0 {
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "LOCK\tVM\tPACKAGE\tVERSION\tSOURCE VERSION\tSTATUS\tFIXED IN")
			for _, h := range res.Hits {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Lock, h.VM, h.Package, h.Version, h.SourceVersion, h.Status, h.Fixed)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&noIndex, "no-index", false, "read every lock instead of using the fleet index")
	return cmd
}
