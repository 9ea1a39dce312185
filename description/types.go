package description

import (
	"time"

	"github.com/hashicorp/hcl/v2"

	"pdvm.dev/pdvm/debian/relation"
)

// File is a decoded description file.
type File struct {
	// Name is the file name as given to Load or Parse.
	Name string
	VMs  []*VM
	// Sources holds every file parsed on the way (the description, the
	// files and templates it extends), keyed by file name, for rendering
	// diagnostics with source snippets.
	Sources map[string]*hcl.File
	// Inputs lists the files whose content determines the description (the
	// file itself, extended files, file() and templatefile() arguments and
	// file sources), sorted, for detecting a stale lock.
	Inputs []Input
}

// Input is one file a description read, with the SHA-256 of its content.
type Input struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// VM returns the vm block called name.
func (f *File) VM(name string) *VM {
	for _, v := range f.VMs {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Str is a string attribute. Set is false when the attribute is absent.
type Str struct {
	Value string
	Range hcl.Range
	Set   bool
}

// Int is a number attribute.
type Int struct {
	Value int64
	Range hcl.Range
	Set   bool
}

// Bool is a bool attribute.
type Bool struct {
	Value bool
	Range hcl.Range
	Set   bool
}

// Size is a memory or disk size ("512M", "2G"; a bare number means MiB).
type Size struct {
	Bytes int64
	Text  string
	Range hcl.Range
	Set   bool
}

// Duration is a time span ("30s", "5m", "7d").
type Duration struct {
	Value time.Duration
	Text  string
	Range hcl.Range
	Set   bool
}

// Strs is a list of strings; each element keeps its own range when the
// list is written literally, else the list's range.
type Strs struct {
	Values []string
	Ranges []hcl.Range
	Range  hcl.Range
	Set    bool
}

// Rel is one entry of a need, avoid or prefer list: a relation clause in
// Debian syntax. Range covers the string literal.
type Rel struct {
	Text   string
	Clause relation.Clause
	Range  hcl.Range
}

// VM is one vm block, after extends has been applied.
type VM struct {
	Name     string
	DefRange hcl.Range // the `vm "NAME"` header

	From      Str // "debian/bookworm"
	Arch      Str // Debian architecture, e.g. "amd64"
	Extends   Str
	Base      Str // "debian" | "none"
	Init      Str // "pdvm" | "systemd"
	Objective Str // "count" | "size"
	Hostname  Str

	Need   []Rel
	Avoid  []Rel
	Prefer []Rel

	Kernel   *Kernel
	Hardware *Hardware
	Network  *Network
	Output   *Output
	Security *Security

	Users    []*User
	Services []*Service
	Files    []*FileSpec
	Probes   []*Probe

	// Chain lists the templates and files this vm extends, nearest first
	// (e.g. ["builtin:server", "builtin:generic"]).
	Chain []string
}

// Kernel is the kernel block: the kernel flavour and Kconfig requests.
type Kernel struct {
	DefRange hcl.Range
	Flavour  Str  // "cloud" | "generic" | "rt" | "none" | "custom" | "pdvm" (built from source)
	Need     Strs // Kconfig symbols (without CONFIG_)
	Avoid    Strs
}

// Hardware is the hardware block.
type Hardware struct {
	DefRange hcl.Range
	CPUs     Int
	Memory   Size
	Disk     Size // unset: computed from the closure (see constraint)
}

// Forward is one port forward "HOST:GUEST[/tcp|udp]".
type Forward struct {
	Host, Guest int
	Proto       string // tcp | udp
	Range       hcl.Range
}

// Network is the network block.
type Network struct {
	DefRange hcl.Range
	Mode     Str // "dhcp" | "static" | "none"
	Address  Str // CIDR, static only
	Gateway  Str
	DNS      Strs
	Forward  []Forward
}

// User is a user "NAME" block.
type User struct {
	Name              string
	DefRange          hcl.Range
	SSHAuthorizedKeys Strs
	PasswordHash      Str // crypt(3) hash, never a plain password
	Groups            Strs
	Sudo              Bool
	Shell             Str
}

// Service is a service "NAME" block.
type Service struct {
	Name     string
	DefRange hcl.Range
	Command  Str
	User     Str
	After    Strs
	Restart  Str // "always" | "on-failure" | "never"
}

// FileSpec is a file "PATH" block. Content holds the bytes either way:
// written inline or read from Source at decode time.
type FileSpec struct {
	Path     string
	DefRange hcl.Range
	Content  Str
	Source   Str // the path as written; SourcePath is resolved
	// SourcePath is Source resolved against the description's directory.
	SourcePath string
	Mode       uint32 // default 0644
	ModeAttr   Str
	Owner      Str // "user[:group]"
}

// Probe is a probe "NAME" block: how a boot test proves the purpose.
// Exactly one of HTTP, TCP and Command is set.
type Probe struct {
	Name     string
	DefRange hcl.Range
	HTTP     *HTTPProbe
	TCP      *TCPProbe
	Command  *CommandProbe
	Timeout  Duration // DefaultProbeTimeout when unset (Set false)
}

// HTTPProbe expects an HTTP response on Port.
type HTTPProbe struct {
	DefRange hcl.Range
	Port     Int
	Path     Str // "/" when unset (Set false)
	Status   Int // 200 when unset (Set false)
	Contains Str
}

// TCPProbe expects a TCP connection (and optionally a banner) on Port.
type TCPProbe struct {
	DefRange hcl.Range
	Port     Int
	Banner   Str
}

// CommandProbe runs a command in the guest and expects its output to
// contain Expect.
type CommandProbe struct {
	DefRange hcl.Range
	Run      Str
	Expect   Str
}

// Output is the output block: image formats and hypervisor configs.
type Output struct {
	DefRange    hcl.Range
	Formats     Strs
	Hypervisors Strs
}

// Security is the security block: what known vulnerabilities the VM may
// carry.
type Security struct {
	DefRange hcl.Range
	Avoid    Str      // lowest severity to refuse: "low" | "medium" | "high" | "critical"
	MaxAge   Duration // refuse fixes older than this that are not applied
}
