package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/repo"
)

// newRepoUpdateCmd is `pdvm repo update`; newRepoCmd attaches it.
func newRepoUpdateCmd(e *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "update",
		Short: "Fetch and verify the archive indexes into the cache",
		Long: `Fetches InRelease for each selected suite, verifies its OpenPGP signatures
against the keyring (--keyring, default the Debian archive keyring) and checks
its Date and Valid-Until. Then fetches each Packages index (gzip, xz or plain,
by-hash when the archive offers it), checks its size and SHA256 against the
signed Release, and stores the decompressed index in the cache. Indexes
already in the cache are not downloaded again.

The suites come from the machine's apt sources (/etc/apt/sources.list and
/etc/apt/sources.list.d) unless --mirror names one archive for all of them.
With --offline nothing is downloaded: the indexes apt keeps in
/var/lib/apt/lists are checked against the InRelease files there and imported.`,
		Example: `  pdvm repo update
  pdvm repo update --mirror https://deb.debian.org/debian --suite bookworm
  pdvm repo update --mirror file:///srv/mirror --keyring /srv/mirror/key.gpg
  pdvm repo update --offline --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := e.RepoConfig()
			cfg.Progress = func(msg string) { fmt.Fprintf(e.Stderr, "pdvm: %s\n", msg) }
			start := time.Now()
			idx, err := repo.Update(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			sum := summarize(idx, time.Since(start))
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), sum)
			}
			return printUpdateSummary(cmd, sum)
		},
	}
}

// updateSummary is what `pdvm repo update --json` prints.
type updateSummary struct {
	Suites     []suiteSummary `json:"suites"`
	Fetched    int64          `json:"fetched_bytes"`
	Size       int64          `json:"size_bytes"`
	ElapsedSec float64        `json:"elapsed_seconds"`
}

type suiteSummary struct {
	Suite      string         `json:"suite"`
	Codename   string         `json:"codename"`
	Version    string         `json:"version,omitempty"`
	Mirror     string         `json:"mirror"`
	Date       time.Time      `json:"date"`
	ValidUntil *time.Time     `json:"valid_until,omitempty"`
	InRelease  string         `json:"inrelease_sha256"`
	SignedBy   []string       `json:"signed_by"`
	Indexes    []indexSummary `json:"indexes"`
}

type indexSummary struct {
	Name    string `json:"name"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size_bytes"`
	Fetched int64  `json:"fetched_bytes"`
	URL     string `json:"url"`
	File    string `json:"file"`
}

func summarize(idx []repo.Index, elapsed time.Duration) updateSummary {
	s := updateSummary{ElapsedSec: elapsed.Seconds()}
	bySuite := map[string]int{}
	for _, ix := range idx {
		i, ok := bySuite[ix.Suite]
		if !ok {
			r := ix.Release
			ss := suiteSummary{Suite: ix.Suite, Codename: r.Codename, Version: r.Version, Mirror: ix.MirrorURL,
				Date: r.Date, InRelease: ix.InReleaseSHA256}
			if !r.ValidUntil.IsZero() {
				vu := r.ValidUntil
				ss.ValidUntil = &vu
			}
			for _, sig := range r.Signatures {
				if sig.Verified {
					ss.SignedBy = append(ss.SignedBy, fmt.Sprintf("%s %s (%s)", sig.Algorithm, sig.KeyID, sig.Signer))
				}
			}
			i = len(s.Suites)
			bySuite[ix.Suite] = i
			s.Suites = append(s.Suites, ss)
		}
		s.Suites[i].Indexes = append(s.Suites[i].Indexes, indexSummary{Name: ix.Name, SHA256: ix.SHA256, Size: ix.Size,
			Fetched: ix.Fetched, URL: ix.URL, File: ix.Source})
		s.Fetched += ix.Fetched
		s.Size += ix.Size
	}
	return s
}

func printUpdateSummary(cmd *cobra.Command, s updateSummary) error {
	out := cmd.OutOrStdout()
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "suite\tdate\tvalid until\tindex\tsize\tfetched\n")
	for _, ss := range s.Suites {
		vu := "-"
		if ss.ValidUntil != nil {
			vu = ss.ValidUntil.UTC().Format("2006-01-02 15:04 UTC")
		}
		for i, ix := range ss.Indexes {
			name, date, until := ss.Suite, ss.Date.UTC().Format("2006-01-02 15:04 UTC"), vu
			if i > 0 {
				name, date, until = "", "", ""
			}
			fetched := "cached"
			if ix.Fetched > 0 {
				fetched = mb(ix.Fetched)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", name, date, until, ix.Name, mb(ix.Size), fetched)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%d suites verified (", len(s.Suites))
	var signers []string
	seen := map[string]bool{}
	for _, ss := range s.Suites {
		for _, k := range ss.SignedBy {
			if !seen[k] {
				seen[k] = true
				signers = append(signers, k)
			}
		}
	}
	fmt.Fprintf(out, "%d signing keys), %s of indexes, %s downloaded in %.1fs\n",
		len(signers), mb(s.Size), mb(s.Fetched), s.ElapsedSec)
	return nil
}

func mb(n int64) string {
	if n < 1e6 {
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
