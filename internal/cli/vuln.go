package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/sbom"
	"pdvm.dev/pdvm/vuln"
)

func init() { register(newVulnCmd) }

func newVulnCmd(e *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vuln",
		Short: "Import and inspect security advisory data (Debian security tracker, OSV)",
		Long: `pdvm keeps the Debian security tracker's data and OSV records (DEBIAN-CVE, DSA,
DLA) in its cache. 'pdvm audit', 'pdvm affected', 'pdvm surface' and
security { avoid = "high" } in descriptions use them.`,
	}
	cmd.AddCommand(newVulnUpdateCmd(e), newVulnStatusCmd(e))
	return cmd
}

func newVulnUpdateCmd(e *Env) *cobra.Command {
	var trackers, osvs []string
	cmd := &cobra.Command{
		Use:   "update --tracker FILE|URL --osv PATH|URL",
		Short: "Import advisory data into the cache",
		Long: `Import the Debian security tracker's JSON export and/or OSV records.

--tracker takes the tracker's /tracker/data/json (a file or an http(s) URL,
gzip accepted). --osv takes an OSV record file, a JSON array of records, a
directory of *.json files, a .zip (the Debian OSV bundle), or a URL.

Each feed kind given replaces the previous data of that kind; the others are
kept. Every input is parsed before anything is written: malformed data is
reported with the file and the record, and the cache keeps its old content.`,
		Example: `  pdvm vuln update --tracker https://security-tracker.debian.org/tracker/data/json
  pdvm vuln update --osv ./debian-osv/ --tracker tracker.json.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var in []vuln.Input
			for _, t := range trackers {
				in = append(in, vuln.Input{Kind: vuln.KindTracker, Location: t})
			}
			for _, o := range osvs {
				in = append(in, vuln.Input{Kind: vuln.KindOSV, Location: o})
			}
			if len(in) == 0 {
				return Hint(errors.New("nothing to import"), "give --tracker FILE|URL and/or --osv PATH|URL")
			}
			st, err := vuln.DefaultStore(e.Repo.CacheDir)
			if err != nil {
				return err
			}
			db, err := vuln.Update(cmd.Context(), nil, st, in)
			if err != nil {
				return fmt.Errorf("updating advisories: %w", err)
			}
			return printVulnStatus(cmd, e, st, db)
		},
	}
	cmd.Flags().StringArrayVar(&trackers, "tracker", nil, "Debian security tracker JSON (file or URL)")
	cmd.Flags().StringArrayVar(&osvs, "osv", nil, "OSV records (file, directory, .zip or URL)")
	return cmd
}

func newVulnStatusCmd(e *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show what advisory data is loaded and how old it is",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := vuln.DefaultStore(e.Repo.CacheDir)
			if err != nil {
				return err
			}
			db, err := openVulnDB(st)
			if err != nil {
				return err
			}
			return printVulnStatus(cmd, e, st, db)
		},
	}
}

// openVulnDB opens the advisory cache; no data is an error with a hint,
// never an empty result.
func openVulnDB(st vuln.Store) (*vuln.DB, error) {
	db, err := st.Open()
	if errors.Is(err, vuln.ErrNoData) {
		return nil, Hint(fmt.Errorf("no advisory data loaded: without it pdvm cannot tell whether anything is vulnerable"),
			"import it first: pdvm vuln update --tracker https://security-tracker.debian.org/tracker/data/json (or a saved copy)")
	}
	return db, err
}

type vulnStatusJSON struct {
	Path     string          `json:"path"`
	Updated  time.Time       `json:"updated"`
	DataDate time.Time       `json:"data_date"`
	AgeHours float64         `json:"data_age_hours"`
	Feeds    []vuln.FeedInfo `json:"feeds"`
	Counts   map[string]int  `json:"records_per_release"`
}

func printVulnStatus(cmd *cobra.Command, e *Env, st vuln.Store, db *vuln.DB) error {
	now := time.Now()
	j := vulnStatusJSON{Path: filepath.Join(st.Dir, "advisories.db"), Updated: db.Meta.Updated, DataDate: db.Meta.DataDate(),
		AgeHours: db.Meta.Age(now).Hours(), Feeds: db.Meta.Feeds, Counts: db.Meta.Counts}
	if e.JSON {
		return writeJSON(cmd.OutOrStdout(), j)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "advisory data: %s\n", j.Path)
	fmt.Fprintf(w, "imported %s; data dated %s (%s old)\n", j.Updated.Format(time.RFC3339), j.DataDate.Format("2006-01-02 15:04 MST"), humanAge(db.Meta.Age(now)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tRECORDS\tDATED\tSOURCE")
	for _, f := range j.Feeds {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", f.Kind, f.Records, f.Date.Format("2006-01-02"), f.Location)
	}
	tw.Flush()
	rels := make([]string, 0, len(j.Counts))
	for r := range j.Counts {
		rels = append(rels, r)
	}
	sort.Strings(rels)
	var parts []string
	for _, r := range rels {
		parts = append(parts, fmt.Sprintf("%s %d", r, j.Counts[r]))
	}
	fmt.Fprintf(w, "records per release: %s\n", strings.Join(parts, ", "))
	return nil
}

func humanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Hour:
		return d.Round(time.Minute).String()
	case d < 48*time.Hour:
		return fmt.Sprintf("%.0f hours", d.Hours())
	}
	return fmt.Sprintf("%.0f days", d.Hours()/24)
}

// parseAge parses a duration that may use days ("7d", "36h", "90m").
func parseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil || f < 0 {
			return 0, fmt.Errorf("bad age %q (want e.g. 7d or 36h)", s)
		}
		return time.Duration(f * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad age %q (want e.g. 7d or 36h)", s)
	}
	return d, nil
}

// target is what audit, sbom and surface work on.
type target struct {
	Path  string // the lock file
	Image string // the image directory, when one was given
	Lock  *manifest.Lock
}

// findTarget resolves FILE.pdvm.hcl (its lock next to it), a lock file, an
// SPDX or CycloneDX SBOM (*.json), or an image directory (the lock, else
// the SBOM inside it).
func findTarget(arg string) (*target, error) {
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", arg, err)
	}
	t := &target{Path: arg}
	switch {
	case fi.IsDir():
		t.Image = arg
		locks, _ := filepath.Glob(filepath.Join(arg, "*.lock"))
		if len(locks) == 0 {
			boms, _ := filepath.Glob(filepath.Join(arg, "*.cdx.json"))
			if more, _ := filepath.Glob(filepath.Join(arg, "*.spdx.json")); len(boms) == 0 {
				boms = more
			}
			if len(boms) == 1 {
				return sbomTarget(t, boms[0])
			}
			return nil, Hint(fmt.Errorf("%s: no lock file in this directory", arg), "give a built image directory (it holds the VM's .lock), a lock file, an SBOM or a .pdvm.hcl description")
		}
		if len(locks) > 1 {
			return nil, Hint(fmt.Errorf("%s holds %d locks: %s", arg, len(locks), strings.Join(locks, ", ")), "name the lock file to use")
		}
		t.Path = locks[0]
	case strings.HasSuffix(arg, ".pdvm.hcl"):
		locks := []string{}
		if _, err := os.Stat(arg + ".lock"); err == nil {
			locks = append(locks, arg+".lock")
		}
		more, _ := filepath.Glob(strings.TrimSuffix(arg, ".pdvm.hcl") + ".*.pdvm.hcl.lock")
		locks = append(locks, more...)
		if len(locks) == 0 {
			return nil, Hint(fmt.Errorf("%s has no lock next to it", arg), "run 'pdvm plan %s' first", arg)
		}
		if len(locks) > 1 {
			return nil, Hint(fmt.Errorf("%s has %d locks (one per vm): %s", arg, len(locks), strings.Join(locks, ", ")), "name the lock file of the vm to use")
		}
		t.Path = locks[0]
	}
	if strings.HasSuffix(t.Path, ".json") {
		return sbomTarget(t, t.Path)
	}
	l, err := manifest.Read(t.Path)
	if err != nil {
		return nil, err
	}
	t.Lock = l
	return t, nil
}

// sbomTarget reads the packages of an SPDX or CycloneDX SBOM.
func sbomTarget(t *target, path string) (*target, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	l, err := sbom.ReadLock(path, b)
	if err != nil {
		return nil, err
	}
	t.Path, t.Lock = path, l
	return t, nil
}
