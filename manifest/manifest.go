// Package manifest is stage M of pdvm's pipeline: the exact package set a
// VM is built from, with the reason each package is there. Its canonical
// encoding is the lock file (FILE.pdvm.hcl.lock): deterministic, sorted and
// diff-friendly, so that the same description planned against the same
// archive gives byte-identical locks.
//
// # Encoding
//
// A lock is JSON: fixed key order (the order of the struct fields below),
// two-space indentation, packages sorted by name then architecture, a final
// newline, and nothing that varies between runs (no timestamps of the
// planning itself, no timings). [Encode] produces it, [Decode] reads it
// strictly (unknown keys are errors) and [Validate] checks its invariants;
// [Write] replaces a lock atomically (temporary file and rename), so a
// reader never sees half a lock.
//
// # Staleness
//
// A lock records what it was planned from: the SHA-256 of every input file
// of the description (Inputs, summarised in DescriptionSHA256), of the
// lowered constraints (ConstraintsSHA256) and of every archive index
// (Archive: suites, dates, InRelease and index hashes). A lock is stale
// when any of them changed; `pdvm plan --check` reports which.
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
	// DescriptionSHA256 covers every file in Inputs.
	DescriptionSHA256 string `json:"description_sha256"`
	ConstraintsSHA256 string `json:"constraints_sha256"`
	// Inputs lists the files the description read (itself, extended
	// files, file() arguments, file sources), relative to the lock.
	Inputs []Input `json:"inputs,omitempty"`

	Release   string `json:"release"` // e.g. debian/bookworm
	Arch      string `json:"arch"`
	Base      string `json:"base"`      // debian | none
	Init      string `json:"init"`      // pdvm | systemd
	Objective string `json:"objective"` // count | size
	// Date is the newest archive date (RFC 3339); builds use it as
	// SOURCE_DATE_EPOCH so images are reproducible.
	Date string `json:"date"`

	// Hardware is the VM's size after defaults; DiskMiB is computed from
	// the closure when the description leaves it unset.
	Hardware Hardware `json:"hardware"`
	// KernelBuild is set for kernel flavour "pdvm": no Debian kernel
	// package is in the lock; the builder compiles the kernel from the
	// recorded source with the recorded Kconfig requests.
	KernelBuild *KernelBuild `json:"kernel_build,omitempty"`

	Archive []Suite `json:"archive"`
	Proof   string  `json:"proof"` // optimal | feasible (budget hit)
	// Count and InstalledSize summarise Packages (InstalledSize in KiB).
	Count         int       `json:"count"`
	InstalledSize int64     `json:"installed_size"`
	Packages      []Package `json:"packages"`
}

// Input is one file a description read.
type Input struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Hardware is the VM's virtual hardware.
type Hardware struct {
	Hostname  string `json:"hostname,omitempty"`
	CPUs      int64  `json:"cpus"`
	MemoryMiB int64  `json:"memory_mib"`
	DiskMiB   int64  `json:"disk_mib"`
	// DiskAuto is true when DiskMiB was computed from the closure.
	DiskAuto bool `json:"disk_auto,omitempty"`
	// KernelFlavour is the description's kernel flavour (cloud, generic,
	// rt, none, custom, pdvm: compiled, see KernelBuild).
	KernelFlavour string `json:"kernel_flavour,omitempty"`
}

// KernelBuild records what a compiled kernel (flavour "pdvm") is built
// from: the pinned source package and the description's Kconfig requests
// (symbols without CONFIG_; the builder adds what its boot path needs).
type KernelBuild struct {
	Source        string   `json:"source"`         // e.g. linux-source-6.1
	SourceVersion string   `json:"source_version"` // e.g. 6.1.170-3
	SourceSHA256  string   `json:"source_sha256"`  // of the source .deb
	Need          []string `json:"need,omitempty"`
	Avoid         []string `json:"avoid,omitempty"`
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
	// Kernel marks the kernel image package. With base "none" it is
	// resolved on its own (Standalone): the builder unpacks the kernel and
	// its modules, and the package's own dependencies (initramfs-tools,
	// kmod, …) are not part of the VM.
	Kernel     bool `json:"kernel,omitempty"`
	Standalone bool `json:"standalone,omitempty"`
	// Reason is the chain that pulls the package in, from the description
	// line that asked for it: e.g. ["web.pdvm.hcl:7:13 need nginx",
	// "nginx 1.22.1-9+deb12u1", "Depends: nginx-core (...)", ...].
	Reason []string `json:"reason"`
}
