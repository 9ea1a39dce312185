package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/vuln"
)

func init() { register(newAuditCmd) }

// auditJSON is `pdvm audit --json`.
type auditJSON struct {
	*vuln.Report
	Lock     string   `json:"lock"`
	Stale    bool     `json:"stale"`
	MaxAge   string   `json:"max_age"`
	Warnings []string `json:"warnings,omitempty"`
	FailOn   string   `json:"fail_on,omitempty"`
	Failed   bool     `json:"failed"`
}

func newAuditCmd(e *Env) *cobra.Command {
	var failOn, maxAge string
	var all, useArchive, allowStale bool
	cmd := &cobra.Command{
		Use:   "audit FILE|LOCK|IMAGE|SBOM",
		Short: "List the known vulnerabilities of a planned or built VM",
		Long: `Match every package of a VM's lock (or of an SPDX/CycloneDX SBOM with
pkg:deb purls) against the imported advisory data
('pdvm vuln update'), through each binary package's source package and
source version.

Each finding names the package, its source, the installed version, the
advisory (CVE, with the DSA/DLA that fixes it), a status, Debian's urgency,
and the fixed version with the suites that carry it:

  fixed         a fixed version exists; the VM has an older one
  open          affected, no fix in the release yet
  no-dsa        affected; Debian will not issue an advisory (minor issue)
  ignored       affected; will not be fixed in this release
  postponed     affected; the fix is deferred to a later update
  end-of-life   affected; the package is out of security support
  undetermined  not analysed yet
  unimportant   affected but no security risk in practice (hidden; --all)

A fix in bookworm-security for a VM whose lock uses bookworm only is
reported as "…in bookworm-security, which this VM does not use".

Exit status: 0 clean (or no --fail-on), 1 findings at or above --fail-on,
3 no advisory data or data older than --max-age with --fail-on set.`,
		Example: `  pdvm audit examples/web.pdvm.hcl
  pdvm audit --fail-on high --max-age 2d web.pdvm.hcl.lock
  pdvm audit --json build/web/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			age, err := parseAge(maxAge)
			if err != nil {
				return err
			}
			var level vuln.Urgency
			if failOn != "" {
				if level, err = vuln.ParseUrgency(failOn); err != nil {
					return err
				}
			}
			t, err := findTarget(args[0])
			if err != nil {
				return err
			}
			st, err := vuln.DefaultStore(e.Repo.CacheDir)
			if err != nil {
				return err
			}
			db, err := openVulnDB(st)
			if err != nil {
				if failOn != "" {
					return &ExitError{Code: 3, Err: err}
				}
				return err
			}
			var u *archive.Universe
			if useArchive {
				if u, err = e.Universe(cmd.Context()); err != nil {
					return err
				}
			}
			now := time.Now()
			rep := db.Audit(t.Lock, all, u, now)
			rep.Target = args[0]
			out := auditJSON{Report: rep, Lock: t.Path, MaxAge: maxAge, FailOn: failOn}
			if db.Meta.Age(now) > age {
				out.Stale = true
				out.Warnings = append(out.Warnings, fmt.Sprintf("advisory data is %s old (limit %s): advisories published since %s are missing; run 'pdvm vuln update'",
					humanAge(db.Meta.Age(now)), maxAge, db.Meta.DataDate().Format("2006-01-02")))
			}
			if !containsStr(db.Releases(), rep.Release) {
				out.Warnings = append(out.Warnings, fmt.Sprintf("the advisory data has no records for release %s (it has: %s)", rep.Release, strings.Join(db.Releases(), ", ")))
				out.Stale = true
			}
			bad := rep.AtLeast(level)
			out.Failed = failOn != "" && (len(bad) > 0 || out.Stale && !allowStale)
			if e.JSON {
				if err := writeJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
			} else {
				for _, w := range out.Warnings {
					fmt.Fprintf(e.Stderr, "pdvm: WARNING: %s\n", w)
				}
				printAudit(cmd.OutOrStdout(), &out, now)
			}
			switch {
			case failOn != "" && len(bad) > 0:
				return &ExitError{Code: 1, Err: fmt.Errorf("%d finding(s) at or above %s", len(bad), level)}
			case out.Failed:
				return &ExitError{Code: 3, Err: fmt.Errorf("advisory data too old or not covering %s: cannot vouch for the VM", rep.Release)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&failOn, "fail-on", "", "exit 1 if a finding has effective urgency >= LEVEL (unimportant|low|medium|high|critical)")
	f.StringVar(&maxAge, "max-age", "7d", "warn (and with --fail-on, fail) when the advisory data is older than this")
	f.BoolVar(&all, "all", false, "also list unimportant findings")
	f.BoolVar(&useArchive, "archive", false, "consult the loaded archive for the suites that carry a fix (default: the tracker's record)")
	f.BoolVar(&allowStale, "allow-stale", false, "with --fail-on, do not fail on old advisory data (still warns)")
	return cmd
}

func containsStr(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func printAudit(w io.Writer, a *auditJSON, now time.Time) {
	r := a.Report
	vm := ""
	if r.VM != "" {
		vm = "vm " + r.VM + ", "
	}
	fmt.Fprintf(w, "%s: %s%s, %d packages, suites %s\n", a.Lock, vm, r.Release, r.Packages, strings.Join(r.Suites, ", "))
	stale := ""
	if a.Stale {
		stale = " — STALE"
	}
	fmt.Fprintf(w, "advisory data dated %s (%s old%s)\n", r.DataDate.Format("2006-01-02"), humanAge(time.Duration(r.AgeHours*float64(time.Hour))), stale)
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "no known vulnerabilities in the imported data")
		if r.Hidden > 0 {
			fmt.Fprintf(w, " (%d unimportant hidden; --all lists them)", r.Hidden)
		}
		fmt.Fprintln(w)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PACKAGE\tSOURCE\tINSTALLED\tADVISORY\tSTATUS\tURGENCY\tFIX")
	// One row per (source, version, advisory): the binaries of one source
	// share the finding ("libkrb5-3 +3" = and 3 more binaries of krb5).
	type key struct{ src, ver, adv string }
	more := map[key]int{}
	var rows []vuln.Finding
	for _, f := range r.Findings {
		k := key{f.Source, f.SourceVersion, f.Advisory}
		if _, ok := more[k]; ok {
			more[k]++
			continue
		}
		more[k] = 0
		rows = append(rows, f)
	}
	for _, f := range rows {
		pkg := f.Package
		if n := more[key{f.Source, f.SourceVersion, f.Advisory}]; n > 0 {
			pkg += fmt.Sprintf(" +%d", n)
		}
		adv := f.Advisory
		if len(f.Related) > 0 {
			adv += " (" + strings.Join(f.Related, " ") + ")"
		}
		src := f.Source
		if f.SourceVersion != f.Version {
			src += " " + f.SourceVersion
		}
		urg := f.Effective.String()
		if f.Urgency != "" && f.Urgency != urg {
			urg += " (" + f.Urgency + ")"
		}
		fix := f.FixNote()
		if fix == "" && f.NoDSA != "" {
			fix = f.NoDSA
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pkg, src, f.Version, adv, f.Status, urg, fix)
	}
	tw.Flush()
	var parts []string
	sts := make([]string, 0, len(r.Counts))
	for s := range r.Counts {
		sts = append(sts, string(s))
	}
	sort.Strings(sts)
	for _, s := range sts {
		parts = append(parts, fmt.Sprintf("%d %s", r.Counts[vuln.Status(s)], s))
	}
	fmt.Fprintf(w, "%d findings: %s", len(r.Findings)+r.Hidden, strings.Join(parts, ", "))
	if r.Hidden > 0 {
		fmt.Fprintf(w, " (%d unimportant hidden; --all lists them)", r.Hidden)
	}
	fmt.Fprintln(w)
}
