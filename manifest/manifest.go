// Package manifest is stage M of pdvm's pipeline: the exact package set a
// VM is built from, with the reason each package is there. Its canonical
// encoding is the lock file (FILE.pdvm.hcl.lock): deterministic, sorted and
// diff-friendly, so that the same description planned against the same
// archive gives byte-identical locks.
package manifest

// FormatVersion is the lock file format version this package writes.
const FormatVersion = 1

// Lock is a planned VM: the archive state it was resolved against and
// the resolved packages.
type Lock struct {
	Format      int    `json:"format"`
	VM          string `json:"vm"`          // the vm block's name
	Description string `json:"description"` // path of the .pdvm.hcl file, relative to the lock
	// DescriptionSHA256 and ConstraintsSHA256 detect a stale lock.
	DescriptionSHA256 string `json:"description_sha256"`
	ConstraintsSHA256 string `json:"constraints_sha256"`

	Release   string `json:"release"` // e.g. debian/bookworm
	Arch      string `json:"arch"`
	Base      string `json:"base"`      // debian | none
	Init      string `json:"init"`      // pdvm | systemd
	Objective string `json:"objective"` // count | size
	// Date is the newest archive date (RFC 3339); builds use it as
	// SOURCE_DATE_EPOCH so images are reproducible.
	Date string `json:"date"`

	Archive  []Suite   `json:"archive"`
	Proof    string    `json:"proof"` // optimal | feasible (budget hit)
	Packages []Package `json:"packages"`
}

// Suite records one verified index the plan used.
type Suite struct {
	Suite           string `json:"suite"`
	Codename        string `json:"codename,omitempty"`
	Component       string `json:"component"`
	Arch            string `json:"arch"`
	Date            string `json:"date"`
	InReleaseSHA256 string `json:"inrelease_sha256"`
	IndexSHA256     string `json:"index_sha256"`
	MirrorURL       string `json:"mirror"`
}

// Package is one resolved binary package.
type Package struct {
	Name          string `json:"name"`
	Version       string `json:"version"`
	Arch          string `json:"arch"`
	Source        string `json:"source"`
	SourceVersion string `json:"source_version"`
	Suite         string `json:"suite"`    // suite the .deb is fetched from
	Filename      string `json:"filename"` // pool path, relative to the suite's mirror
	SHA256        string `json:"sha256"`
	Size          int64  `json:"size"`           // bytes of the .deb
	InstalledSize int64  `json:"installed_size"` // KiB
	Essential     bool   `json:"essential,omitempty"`
	// Reason is the chain that pulls the package in, from the description
	// line that asked for it: e.g. ["web.pdvm.hcl:7 need nginx", "nginx", "libssl3"].
	Reason []string `json:"reason"`
}
