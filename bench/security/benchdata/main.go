// Command benchdata prepares the inputs of bench/security/run.sh:
//
//	benchdata tracker FIXES.json OUT.json
//	    turns shared/data/security/bookworm-security-fixes.json (CVE ids
//	    named in the packages' own changelogs) into the Debian security
//	    tracker's JSON shape: every (source, CVE) becomes a bookworm record
//	    "resolved, fixed in the first version whose changelog names it".
//	benchdata locks DIR N BIN2SRC.tsv[.gz]
//	    writes N realistic locks (150–300 real packages each) into DIR.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"pdvm.dev/pdvm/internal/fleetgen"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchdata:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("usage: benchdata tracker FIXES OUT | benchdata locks DIR N BIN2SRC")
	}
	switch args[0] {
	case "tracker":
		if len(args) != 3 {
			return fmt.Errorf("usage: benchdata tracker FIXES.json OUT.json")
		}
		return tracker(args[1], args[2])
	case "locks":
		if len(args) != 4 {
			return fmt.Errorf("usage: benchdata locks DIR N BIN2SRC.tsv.gz")
		}
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		rows, err := fleetgen.ReadTable(args[3])
		if err != nil {
			return err
		}
		var req []string
		seen := map[string]bool{}
		for _, r := range rows {
			if r.Priority == "required" && r.Suite == "bookworm" && !seen[r.Name] {
				seen[r.Name] = true
				req = append(req, r.Name)
			}
		}
		if err := os.MkdirAll(args[1], 0o755); err != nil {
			return err
		}
		_, err = fleetgen.Generate(args[1], rows, fleetgen.Options{Locks: n, Always: req,
			Sometime: []string{"openssh-server", "nginx", "libexpat1"}, Seed: 42})
		return err
	}
	return fmt.Errorf("unknown command %q", args[0])
}

type release struct {
	Status       string            `json:"status"`
	Repositories map[string]string `json:"repositories"`
	FixedVersion string            `json:"fixed_version"`
	Urgency      string            `json:"urgency"`
}

func tracker(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var d struct {
		Packages map[string]struct {
			Repositories map[string]string `json:"repositories"`
			Fixes        map[string]struct {
				Version string `json:"version"`
			} `json:"cve_fixes"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	res := map[string]map[string]map[string]map[string]release{}
	for src, p := range d.Packages {
		res[src] = map[string]map[string]map[string]release{}
		for cve, f := range p.Fixes {
			res[src][cve] = map[string]map[string]release{"releases": {"bookworm": {Status: "resolved", Repositories: p.Repositories,
				FixedVersion: f.Version, Urgency: "not yet assigned"}}}
		}
	}
	ob, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(out, ob, 0o644)
}
