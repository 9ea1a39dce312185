package vuln

import (
	"fmt"
	"strings"

	"pdvm.dev/pdvm/debian/version"
)

// Urgency is an ordered severity level.
type Urgency int8

// Urgency levels, lowest first. Debian's scale stops at High; Critical is
// accepted as a threshold and behaves like High.
const (
	UrgencyNone Urgency = iota
	Unimportant
	Low
	Medium
	High
	Critical
)

var urgencyNames = [...]string{"none", "unimportant", "low", "medium", "high", "critical"}

func (u Urgency) String() string {
	if int(u) < len(urgencyNames) && u >= 0 {
		return urgencyNames[u]
	}
	return fmt.Sprintf("urgency(%d)", int(u))
}

// MarshalText encodes u by name.
func (u Urgency) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// ParseUrgency parses a threshold level: unimportant (or any), low, medium,
// high, critical.
func ParseUrgency(s string) (Urgency, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "any", "unimportant", "all":
		return Unimportant, nil
	case "low":
		return Low, nil
	case "medium":
		return Medium, nil
	case "high":
		return High, nil
	case "critical":
		return Critical, nil
	case "none", "never", "":
		return UrgencyNone, nil
	}
	return 0, fmt.Errorf("unknown urgency level %q (want unimportant, low, medium, high, critical or none)", s)
}

// atLeast reports whether u meets threshold t; Critical thresholds accept
// High (Debian assigns nothing above high). A zero threshold matches
// nothing.
func (u Urgency) atLeast(t Urgency) bool {
	if t == UrgencyNone {
		return false
	}
	if t == Critical {
		t = High
	}
	return u >= t
}

// State is the tracker's verdict for a (source, advisory, release).
type State string

// The tracker's states.
const (
	Resolved     State = "resolved"     // fixed in Fixed (or "0": never affected)
	Open         State = "open"         // no fix in the release
	Undetermined State = "undetermined" // not analysed yet
)

// Range is an OSV ECOSYSTEM range in Debian version order.
type Range struct {
	Introduced   string `json:"introduced,omitempty"` // "" or "0": from the beginning
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
}

// Record is one advisory as it applies to one source package in one
// release.
type Record struct {
	ID      string   `json:"id"`                // CVE-…, TEMP-…, DSA-…, DLA-…
	Aliases []string `json:"aliases,omitempty"` // the CVEs a DSA/DLA fixes; upstream ids of DEBIAN-CVE records
	Source  string   `json:"source"`            // source package name
	Release string   `json:"release"`           // codename: bookworm, trixie…
	State   State    `json:"state"`
	// Fixed is the first fixed version (tracker fixed_version); "0" means
	// the release was never affected. Empty when open.
	Fixed    string   `json:"fixed,omitempty"`
	Ranges   []Range  `json:"ranges,omitempty"`   // OSV ranges (OSV records only)
	Versions []string `json:"versions,omitempty"` // OSV enumerated affected versions
	Urgency  string   `json:"urgency,omitempty"`  // Debian's urgency text
	// NoDSA is the tracker's no-dsa comment ("Minor issue"); NoDSAReason
	// is "" for no-dsa, "ignored" or "postponed".
	NoDSA       string `json:"nodsa,omitempty"`
	NoDSAReason string `json:"nodsa_reason,omitempty"`
	HasNoDSA    bool   `json:"has_nodsa,omitempty"`
	// Repositories is the source version in each suite of the release when
	// the tracker computed the record ("bookworm-security": "…").
	Repositories map[string]string `json:"repositories,omitempty"`
	Description  string            `json:"description,omitempty"`
	Scope        string            `json:"scope,omitempty"` // remote | local, when known
	Feed         string            `json:"feed"`            // tracker | osv
}

// Status is what a finding means for the VM.
type Status string

// Finding statuses. Each is distinct on purpose: flattening them to
// "vulnerable" is what makes scanners noisy.
const (
	StatusFixed        Status = "fixed"        // a fixed version exists; the VM has an older one
	StatusOpen         Status = "open"         // affected, no fix in the release yet
	StatusNoDSA        Status = "no-dsa"       // affected; Debian will not issue an advisory (minor)
	StatusIgnored      Status = "ignored"      // affected; will not be fixed in the release
	StatusPostponed    Status = "postponed"    // affected; fix deferred to a later update
	StatusEndOfLife    Status = "end-of-life"  // affected; package out of security support
	StatusUnimportant  Status = "unimportant"  // affected, but Debian considers it no security risk
	StatusUndetermined Status = "undetermined" // not analysed yet: neither clean nor affected
)

// notAffected reports whether the record says version v is not affected.
// It does not look at Undetermined (callers handle that first).
func (r *Record) affects(v string) bool {
	if len(r.Ranges) > 0 || len(r.Versions) > 0 {
		for _, x := range r.Versions {
			if version.Compare(x, v) == 0 {
				return true
			}
		}
		for _, rg := range r.Ranges {
			if rg.Introduced != "" && rg.Introduced != "0" && version.Compare(v, rg.Introduced) < 0 {
				continue
			}
			switch {
			case rg.Fixed != "":
				if version.Compare(v, rg.Fixed) < 0 {
					return true
				}
			case rg.LastAffected != "":
				if version.Compare(v, rg.LastAffected) <= 0 {
					return true
				}
			default:
				return true
			}
		}
		return false
	}
	switch r.State {
	case Open:
		return true
	case Resolved:
		return r.Fixed != "" && r.Fixed != "0" && version.Compare(v, r.Fixed) < 0
	}
	return false
}

// NotAffected reports whether the release was never affected (tracker
// fixed_version "0").
func (r *Record) NotAffected() bool { return r.State == Resolved && r.Fixed == "0" }

// status classifies an affecting record.
func (r *Record) status() Status {
	u := strings.TrimRight(r.Urgency, "*")
	switch {
	case r.State == Undetermined:
		return StatusUndetermined
	case r.fixVersion() != "":
		if u == "unimportant" {
			return StatusUnimportant
		}
		return StatusFixed
	case u == "end-of-life":
		return StatusEndOfLife
	case r.NoDSAReason == "ignored":
		return StatusIgnored
	case r.NoDSAReason == "postponed":
		return StatusPostponed
	case r.HasNoDSA || r.NoDSA != "":
		return StatusNoDSA
	case u == "unimportant":
		return StatusUnimportant
	}
	return StatusOpen
}

// Effective is the record's urgency for thresholds: the assigned urgency
// when there is one; unimportant stays unimportant; an unassigned record
// counts as low when Debian marked it no-dsa/ignored/postponed ("minor
// issue") and as high otherwise; end-of-life counts as high (no fix will
// come).
func (r *Record) Effective() Urgency {
	u := strings.TrimRight(strings.ToLower(r.Urgency), "*")
	switch u {
	case "unimportant":
		return Unimportant
	case "low":
		return Low
	case "medium":
		return Medium
	case "high":
		return High
	case "critical":
		return Critical
	case "end-of-life":
		return High
	}
	if r.HasNoDSA || r.NoDSA != "" || r.NoDSAReason != "" {
		return Low
	}
	return High
}

// fixVersion is the version that fixes r, if any ("" when none is known).
func (r *Record) fixVersion() string {
	if r.Fixed != "" && r.Fixed != "0" {
		return r.Fixed
	}
	for _, rg := range r.Ranges {
		if rg.Fixed != "" {
			return rg.Fixed
		}
	}
	return ""
}

// key orders and de-duplicates records.
func (r *Record) key() string { return r.Release + "\x00" + r.Source + "\x00" + r.ID + "\x00" + r.Feed }

// IsAdvisoryID reports whether s looks like an advisory id pdvm can query:
// CVE-…, TEMP-…, DSA-…, DLA-…, DTSA-…, DEBIAN-CVE-….
func IsAdvisoryID(s string) bool {
	for _, p := range []string{"CVE-", "TEMP-", "DSA-", "DLA-", "DTSA-", "DEBIAN-CVE-"} {
		if strings.HasPrefix(strings.ToUpper(s), p) {
			return true
		}
	}
	return false
}

// CanonicalID upper-cases an advisory id and maps DEBIAN-CVE-X to CVE-X.
func CanonicalID(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.TrimPrefix(s, "DEBIAN-")
}
