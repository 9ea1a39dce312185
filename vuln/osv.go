package vuln

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"pdvm.dev/pdvm/debian/version"
)

// Debian releases by OSV ecosystem number.
var debianReleases = map[string]string{
	"9": "stretch", "10": "buster", "11": "bullseye", "12": "bookworm", "13": "trixie", "14": "forky",
}

// ReleaseNumber maps a codename to its Debian release number ("bookworm" →
// "12"), "" if unknown.
func ReleaseNumber(codename string) string {
	for n, c := range debianReleases {
		if c == codename {
			return n
		}
	}
	return ""
}

type osvEvent struct {
	Introduced   string `json:"introduced"`
	Fixed        string `json:"fixed"`
	LastAffected string `json:"last_affected"`
	Limit        string `json:"limit"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		Purl      string `json:"purl"`
	} `json:"package"`
	Ranges []struct {
		Type   string     `json:"type"`
		Events []osvEvent `json:"events"`
	} `json:"ranges"`
	Versions          []string       `json:"versions"`
	EcosystemSpecific map[string]any `json:"ecosystem_specific"`
}

type osvRecord struct {
	ID        string        `json:"id"`
	Modified  string        `json:"modified"`
	Withdrawn string        `json:"withdrawn"`
	Aliases   []string      `json:"aliases"`
	Upstream  []string      `json:"upstream"`
	Related   []string      `json:"related"`
	Summary   string        `json:"summary"`
	Details   string        `json:"details"`
	Affected  []osvAffected `json:"affected"`
}

// ParseOSV parses OSV JSON: one record, or an array of records. It returns
// the Debian records and the newest "modified" time seen (zero if none).
func ParseOSV(name string, data []byte) ([]Record, time.Time, error) {
	trim := bytes.TrimSpace(data)
	var raws []json.RawMessage
	var offsets []int64
	if len(trim) > 0 && trim[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := expectDelim(dec, '['); err != nil {
			return nil, time.Time{}, syntaxError(name, data, "", 0, err)
		}
		for i := 0; dec.More(); i++ {
			start := skipSep(data, dec.InputOffset())
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, time.Time{}, syntaxError(name, data, fmt.Sprintf("#%d", i+1), 0, err)
			}
			raws = append(raws, raw)
			offsets = append(offsets, start)
		}
		if _, err := dec.Token(); err != nil {
			return nil, time.Time{}, syntaxError(name, data, "", 0, err)
		}
	} else {
		raws, offsets = []json.RawMessage{data}, []int64{0}
	}
	var out []Record
	var newest time.Time
	for i, raw := range raws {
		var r osvRecord
		label := fmt.Sprintf("#%d", i+1)
		if len(raws) == 1 {
			label = ""
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			// Try to name the record by its id even when the rest is bad.
			var idOnly struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(raw, &idOnly) == nil && idOnly.ID != "" {
				label = idOnly.ID
			}
			return nil, time.Time{}, syntaxError(name, data, label, offsets[i], err)
		}
		if r.ID != "" {
			label = r.ID
		}
		recs, mod, err := osvRecords(&r)
		if err != nil {
			return nil, time.Time{}, &RecordError{File: name, Record: label, Line: lineAt(data, offsets[i]), Offset: offsets[i], Err: err}
		}
		if mod.After(newest) {
			newest = mod
		}
		out = append(out, recs...)
	}
	return out, newest, nil
}

func osvRecords(r *osvRecord) ([]Record, time.Time, error) {
	if r.ID == "" {
		return nil, time.Time{}, errors.New("missing \"id\"")
	}
	var mod time.Time
	if r.Modified != "" {
		t, err := time.Parse(time.RFC3339, r.Modified)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("modified %q is not an RFC 3339 time", r.Modified)
		}
		mod = t
	}
	if r.Withdrawn != "" {
		return nil, mod, nil
	}
	id := CanonicalID(r.ID)
	aliasSet := map[string]bool{}
	for _, lst := range [][]string{r.Aliases, r.Upstream} {
		for _, a := range lst {
			if a = CanonicalID(a); a != id {
				aliasSet[a] = true
			}
		}
	}
	aliases := make([]string, 0, len(aliasSet))
	for a := range aliasSet {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	desc := r.Summary
	if desc == "" {
		desc = r.Details
	}
	var out []Record
	for ai, a := range r.Affected {
		eco := a.Package.Ecosystem
		num, ok := strings.CutPrefix(eco, "Debian:")
		if !ok {
			continue // another ecosystem, or bare "Debian" without a release
		}
		rel := debianReleases[num]
		if rel == "" {
			continue
		}
		if a.Package.Name == "" {
			return nil, mod, fmt.Errorf("affected[%d]: missing package name", ai)
		}
		rec := Record{ID: id, Aliases: aliases, Source: a.Package.Name, Release: rel, Feed: "osv", Description: firstLine(desc)}
		if u, ok := a.EcosystemSpecific["urgency"].(string); ok {
			rec.Urgency = u
		}
		for ri, rg := range a.Ranges {
			if rg.Type != "ECOSYSTEM" {
				continue
			}
			var cur Range
			open := false
			for ei, ev := range rg.Events {
				for _, v := range []string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
					if v != "" && v != "0" {
						if _, err := version.Parse(v); err != nil {
							return nil, mod, fmt.Errorf("affected[%d] (%s) ranges[%d].events[%d]: %w", ai, a.Package.Name, ri, ei, err)
						}
					}
				}
				switch {
				case ev.Introduced != "":
					if open {
						rec.Ranges = append(rec.Ranges, cur)
					}
					cur, open = Range{Introduced: ev.Introduced}, true
				case ev.Fixed != "":
					cur.Fixed = ev.Fixed
					rec.Ranges = append(rec.Ranges, cur)
					cur, open = Range{}, false
				case ev.LastAffected != "":
					cur.LastAffected = ev.LastAffected
					rec.Ranges = append(rec.Ranges, cur)
					cur, open = Range{}, false
				case ev.Limit != "":
					// limit bounds the search space; with Debian records it
					// does not occur. Treat as fixed at the limit.
					cur.Fixed = ev.Limit
					rec.Ranges = append(rec.Ranges, cur)
					cur, open = Range{}, false
				default:
					return nil, mod, fmt.Errorf("affected[%d] (%s) ranges[%d].events[%d]: empty event", ai, a.Package.Name, ri, ei)
				}
			}
			if open {
				rec.Ranges = append(rec.Ranges, cur)
			}
		}
		for _, v := range a.Versions {
			if _, err := version.Parse(v); err != nil {
				return nil, mod, fmt.Errorf("affected[%d] (%s) versions: %w", ai, a.Package.Name, err)
			}
		}
		rec.Versions = a.Versions
		rec.State = Open
		if len(rec.Ranges) == 0 && len(rec.Versions) == 0 {
			return nil, mod, fmt.Errorf("affected[%d] (%s): no ECOSYSTEM range and no versions", ai, a.Package.Name)
		}
		for _, rg := range rec.Ranges {
			if rg.Fixed != "" {
				rec.State = Resolved
				if len(rec.Ranges) == 1 && (rg.Introduced == "" || rg.Introduced == "0") {
					rec.Fixed = rg.Fixed
				}
			}
		}
		out = append(out, rec)
	}
	return out, mod, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// skipSep advances off past whitespace, commas and colons to the start of
// the next JSON value.
func skipSep(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}
