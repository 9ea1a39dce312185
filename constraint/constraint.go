// Package constraint is stage C of pdvm's pipeline: it turns a decoded
// description ([description.VM]) into the flat set of constraints the
// resolver and the builder work from, filling in every default on the way
// and saying so.
//
// Each [Constraint] carries its [Origin]: the range in the description that
// caused it, and whether pdvm filled it in (a default, e.g. the release
// debian/bookworm when from is unset) or derived it from another setting
// (e.g. init = "systemd" needs the package systemd-sysv; an SSH key needs an
// SSH server). `pdvm lower` prints the set; nothing is hidden.
//
// # Package constraints
//
//   - need: a clause that must hold (conjunction over entries; each entry a
//     disjunction "a | b" of atoms, possibly versioned);
//   - avoid: an atom that must not be installed (negation; with a version
//     range, only the matching versions are excluded);
//   - prefer: a clause the resolver should satisfy if it costs nothing
//     under the objective (soft);
//   - kernel: the kernel package of the chosen flavour. With base = "none"
//     it is Standalone: the builder unpacks the kernel image itself, so the
//     kernel package's own dependencies (initramfs-tools, kmod, …, which
//     only dpkg's maintainer scripts use) are not part of the VM. With
//     base = "debian" it is an ordinary need.
//
// Lowering does no I/O and knows nothing about the archive; whether a
// name exists is the resolver's question.
package constraint

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/description"
)

// Kind names what a constraint constrains.
type Kind string

// Constraint kinds. Settings have a Value; package kinds have a Clause.
const (
	Release   Kind = "release"   // "debian/bookworm"
	Arch      Kind = "arch"      // Debian architecture
	Base      Kind = "base"      // "none" | "debian"
	Init      Kind = "init"      // "pdvm" | "systemd"
	Objective Kind = "objective" // "count" | "size"
	Hostname  Kind = "hostname"
	Network   Kind = "network" // "dhcp" | "static" | "none"
	CPUs      Kind = "cpus"
	Memory    Kind = "memory" // bytes
	Disk      Kind = "disk"   // bytes, or "auto"
	Flavour   Kind = "kernel-flavour"
	Format    Kind = "format"
	Hyperv    Kind = "hypervisor"
	Severity  Kind = "security-avoid"   // lowest CVE severity refused
	MaxAge    Kind = "security-max-age" // oldest unapplied fix tolerated

	Need         Kind = "need"
	Avoid        Kind = "avoid"
	Prefer       Kind = "prefer"
	KernelPkg    Kind = "kernel"
	KconfigNeed  Kind = "kconfig-need"
	KconfigAvoid Kind = "kconfig-avoid"
)

// Defaults, filled in when the description leaves them unset.
const (
	DefaultRelease   = "debian/bookworm"
	DefaultArch      = "amd64"
	DefaultBase      = "none"
	DefaultInit      = "pdvm"
	DefaultObjective = "count"
	DefaultFlavour   = "cloud"
	DefaultNetwork   = "dhcp"
	DefaultCPUs      = 1
	DefaultMemory    = 256 << 20
	DefaultFormat    = "qcow2"
	DefaultHyperv    = "qemu"
)

// Origin says where a constraint comes from.
type Origin struct {
	Range hcl.Range
	// Default is true when pdvm filled the value in; Range is then the vm
	// block's header (or the block the default belongs to).
	Default bool
	// Because, when set, names the setting this constraint was derived
	// from (e.g. `init = "systemd"`).
	Because string
}

// Pos formats the origin as file:line:col.
func (o Origin) Pos() string {
	return fmt.Sprintf("%s:%d:%d", o.Range.Filename, o.Range.Start.Line, o.Range.Start.Column)
}

// Constraint is one lowered constraint.
type Constraint struct {
	Kind   Kind
	Value  string          // canonical text: a setting's value or a clause
	Clause relation.Clause // package kinds only
	// Source is the relation as written in the description ("" for
	// defaults and derived constraints), to point inside the literal.
	Source string
	// Standalone marks a kernel package resolved on its own (base none).
	Standalone bool
	Origin     Origin
}

// IsPackage reports whether c constrains the package set.
func (c *Constraint) IsPackage() bool {
	switch c.Kind {
	case Need, Avoid, Prefer, KernelPkg:
		return true
	}
	return false
}

// Set is the lowered form of one vm.
type Set struct {
	VM string
	// Settings after defaults; also present as constraints.
	Release, Suite string // Suite is the release's codename, e.g. bookworm
	Arch           string
	Base, Init     string
	Objective      string
	Flavour        string
	Hostname       string
	CPUs           int64
	Memory         int64
	Disk           int64 // 0: computed from the closure (see DiskSize)

	Constraints []Constraint
}

// Of returns the constraints of kind k, in order.
func (s *Set) Of(k Kind) []Constraint {
	var out []Constraint
	for _, c := range s.Constraints {
		if c.Kind == k {
			out = append(out, c)
		}
	}
	return out
}

// Lower fills in defaults and lowers vm to its constraint set.
func Lower(vm *description.VM) *Set {
	s := &Set{VM: vm.Name}
	at := vm.DefRange
	setting := func(k Kind, v description.Str, def string, dst *string) {
		if v.Set {
			*dst = v.Value
			s.add(Constraint{Kind: k, Value: v.Value, Origin: Origin{Range: v.Range}})
			return
		}
		*dst = def
		s.add(Constraint{Kind: k, Value: def, Origin: Origin{Range: at, Default: true}})
	}
	setting(Release, vm.From, DefaultRelease, &s.Release)
	s.Suite = s.Release[strings.IndexByte(s.Release, '/')+1:]
	setting(Arch, vm.Arch, DefaultArch, &s.Arch)
	setting(Base, vm.Base, DefaultBase, &s.Base)
	setting(Init, vm.Init, DefaultInit, &s.Init)
	setting(Objective, vm.Objective, DefaultObjective, &s.Objective)
	setting(Hostname, vm.Hostname, hostname(vm.Name), &s.Hostname)

	// Hardware.
	var hw description.Hardware
	hwAt := at
	if vm.Hardware != nil {
		hw = *vm.Hardware
		hwAt = hw.DefRange
	}
	if hw.CPUs.Set {
		s.CPUs = hw.CPUs.Value
		s.add(Constraint{Kind: CPUs, Value: fmt.Sprint(s.CPUs), Origin: Origin{Range: hw.CPUs.Range}})
	} else {
		s.CPUs = DefaultCPUs
		s.add(Constraint{Kind: CPUs, Value: fmt.Sprint(s.CPUs), Origin: Origin{Range: hwAt, Default: true}})
	}
	if hw.Memory.Set {
		s.Memory = hw.Memory.Bytes
		s.add(Constraint{Kind: Memory, Value: FormatSize(s.Memory), Origin: Origin{Range: hw.Memory.Range}})
	} else {
		s.Memory = DefaultMemory
		s.add(Constraint{Kind: Memory, Value: FormatSize(s.Memory), Origin: Origin{Range: hwAt, Default: true}})
	}
	if hw.Disk.Set {
		s.Disk = hw.Disk.Bytes
		s.add(Constraint{Kind: Disk, Value: FormatSize(s.Disk), Origin: Origin{Range: hw.Disk.Range}})
	} else {
		s.add(Constraint{Kind: Disk, Value: "auto: " + DiskRule, Origin: Origin{Range: hwAt, Default: true}})
	}

	// Network and output.
	mode := description.Str{}
	netAt := at
	if vm.Network != nil {
		mode, netAt = vm.Network.Mode, vm.Network.DefRange
	}
	var net string
	if mode.Set {
		net = mode.Value
		s.add(Constraint{Kind: Network, Value: net, Origin: Origin{Range: mode.Range}})
	} else {
		s.add(Constraint{Kind: Network, Value: DefaultNetwork, Origin: Origin{Range: netAt, Default: true}})
	}
	var out description.Output
	outAt := at
	if vm.Output != nil {
		out, outAt = *vm.Output, vm.Output.DefRange
	}
	s.list(Format, out.Formats, DefaultFormat, outAt)
	s.list(Hyperv, out.Hypervisors, DefaultHyperv, outAt)
	if sec := vm.Security; sec != nil {
		if sec.Avoid.Set {
			s.add(Constraint{Kind: Severity, Value: sec.Avoid.Value, Origin: Origin{Range: sec.Avoid.Range}})
		}
		if sec.MaxAge.Set {
			s.add(Constraint{Kind: MaxAge, Value: sec.MaxAge.Text, Origin: Origin{Range: sec.MaxAge.Range}})
		}
	}

	// Packages: what the description asks for.
	for _, r := range vm.Need {
		s.add(Constraint{Kind: Need, Value: r.Clause.String(), Clause: r.Clause, Source: r.Text, Origin: Origin{Range: r.Range}})
	}
	for _, r := range vm.Avoid {
		s.add(Constraint{Kind: Avoid, Value: r.Clause.String(), Clause: r.Clause, Source: r.Text, Origin: Origin{Range: r.Range}})
	}
	for _, r := range vm.Prefer {
		s.add(Constraint{Kind: Prefer, Value: r.Clause.String(), Clause: r.Clause, Source: r.Text, Origin: Origin{Range: r.Range}})
	}

	// Packages the other settings imply.
	if s.Init == "systemd" {
		s.derive(Need, "systemd-sysv", vm.Init.Range, `init = "systemd"`)
	}
	sshServer := false
	for _, r := range vm.Need {
		for _, a := range r.Clause {
			if a.Name == "openssh-server" || a.Name == "dropbear" || a.Name == "dropbear-bin" {
				sshServer = true
			}
		}
	}
	for _, u := range vm.Users {
		if len(u.SSHAuthorizedKeys.Values) > 0 && !sshServer {
			sshServer = true
			s.derive(Need, "openssh-server | dropbear-bin", u.SSHAuthorizedKeys.Range, fmt.Sprintf("user %q has ssh_authorized_keys", u.Name))
		}
		if u.Sudo.Set && u.Sudo.Value {
			s.derive(Need, "sudo", u.Sudo.Range, fmt.Sprintf("user %q has sudo = true", u.Name))
		}
		if u.Shell.Set {
			if pkg := shellPackage(u.Shell.Value); pkg != "" {
				s.derive(Need, pkg, u.Shell.Range, fmt.Sprintf("user %q has shell = %q", u.Name, u.Shell.Value))
			}
		}
	}

	// Kernel.
	var k description.Kernel
	kAt := at
	if vm.Kernel != nil {
		k, kAt = *vm.Kernel, vm.Kernel.DefRange
	}
	if k.Flavour.Set {
		s.Flavour = k.Flavour.Value
		s.add(Constraint{Kind: Flavour, Value: s.Flavour, Origin: Origin{Range: k.Flavour.Range}})
	} else {
		s.Flavour = DefaultFlavour
		s.add(Constraint{Kind: Flavour, Value: s.Flavour, Origin: Origin{Range: kAt, Default: true}})
	}
	if pkg := KernelPackage(s.Flavour, s.Arch); pkg != "" {
		o := Origin{Range: kAt, Default: !k.Flavour.Set, Because: fmt.Sprintf("kernel flavour %q", s.Flavour)}
		if k.Flavour.Set {
			o.Range = k.Flavour.Range
		}
		s.add(Constraint{Kind: KernelPkg, Value: pkg, Clause: relation.Clause{{Name: pkg}}, Standalone: s.Base == "none", Origin: o})
	}
	for i, sym := range k.Need.Values {
		s.add(Constraint{Kind: KconfigNeed, Value: sym, Origin: Origin{Range: k.Need.Ranges[i]}})
	}
	for i, sym := range k.Avoid.Values {
		s.add(Constraint{Kind: KconfigAvoid, Value: sym, Origin: Origin{Range: k.Avoid.Ranges[i]}})
	}
	return s
}

func (s *Set) add(c Constraint) { s.Constraints = append(s.Constraints, c) }

func (s *Set) derive(k Kind, clause string, at hcl.Range, because string) {
	c, err := relation.ParseClause(clause)
	if err != nil {
		panic(fmt.Sprintf("constraint: bad built-in clause %q: %v", clause, err))
	}
	s.add(Constraint{Kind: k, Value: c.String(), Clause: c, Origin: Origin{Range: at, Because: because}})
}

func (s *Set) list(k Kind, v description.Strs, def string, at hcl.Range) {
	if !v.Set || len(v.Values) == 0 {
		s.add(Constraint{Kind: k, Value: def, Origin: Origin{Range: at, Default: true}})
		return
	}
	for i, x := range v.Values {
		s.add(Constraint{Kind: k, Value: x, Origin: Origin{Range: v.Ranges[i]}})
	}
}

// KernelPackage is the Debian kernel metapackage of a flavour ("" when
// the flavour has no package: none, custom, and pdvm, whose kernel the
// builder compiles from the pinned linux-source with every needed option
// built in).
func KernelPackage(flavour, arch string) string {
	switch flavour {
	case "cloud":
		return "linux-image-cloud-" + arch
	case "generic":
		return "linux-image-" + arch
	case "rt":
		return "linux-image-rt-" + arch
	}
	return ""
}

func shellPackage(shell string) string {
	switch strings.TrimPrefix(shell, "/usr") {
	case "/bin/bash":
		return "bash"
	case "/bin/sh", "/bin/dash":
		return "dash"
	case "/bin/zsh":
		return "zsh"
	case "/bin/fish":
		return "fish"
	case "/bin/busybox":
		return "busybox"
	}
	return ""
}

func hostname(vm string) string {
	h := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		return '-'
	}, vm)
	return strings.Trim(h, "-")
}

// DiskRule describes DiskSize for `pdvm lower`.
const DiskRule = "Installed-Size of the closure × 1.5 + 64 MiB, rounded up to 16 MiB"

// DiskSize is the default disk size for a closure whose Installed-Size
// fields sum to installedKiB: room for the files, file system overhead
// and some growth.
func DiskSize(installedKiB int64) int64 {
	b := installedKiB*1024*3/2 + 64<<20
	const step = 16 << 20
	return (b + step - 1) / step * step
}

// FormatSize prints a byte count the way descriptions write sizes.
func FormatSize(b int64) string {
	switch {
	case b%(1<<30) == 0:
		return fmt.Sprintf("%dG", b>>30)
	case b%(1<<20) == 0:
		return fmt.Sprintf("%dM", b>>20)
	case b%(1<<10) == 0:
		return fmt.Sprintf("%dK", b>>10)
	}
	return fmt.Sprintf("%dB", b)
}

// Text renders the set, one constraint a line, as `pdvm lower` prints it:
//
//	web.pdvm.hcl:7:13  need     nginx
//	web.pdvm.hcl:2:1   base     none   (default)
func (s *Set) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vm %q\n", s.VM)
	w := 0
	kw := 0
	for _, c := range s.Constraints {
		w = max(w, len(c.Origin.Pos()))
		kw = max(kw, len(c.Kind))
	}
	for _, c := range s.Constraints {
		line := fmt.Sprintf("  %-*s  %-*s  %s", w, c.Origin.Pos(), kw, c.Kind, c.Value)
		var notes []string
		if c.Origin.Default {
			notes = append(notes, "default")
		}
		if c.Origin.Because != "" {
			notes = append(notes, "because "+c.Origin.Because)
		}
		if c.Standalone {
			notes = append(notes, "standalone: base none, the builder unpacks it without its dependencies")
		}
		if len(notes) > 0 {
			line += "  (" + strings.Join(notes, "; ") + ")"
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// Digest is the SHA-256 of the constraints' meaning, without positions:
// moving or reformatting lines of the description leaves it unchanged.
func (s *Set) Digest() string {
	lines := make([]string, 0, len(s.Constraints))
	for _, c := range s.Constraints {
		lines = append(lines, fmt.Sprintf("%s\t%s\t%v\t%v", c.Kind, c.Value, c.Origin.Default, c.Standalone))
	}
	sort.Strings(lines)
	h := sha256.New()
	fmt.Fprintf(h, "vm %s\n", s.VM)
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// JSON is the machine-readable form of one constraint (`pdvm lower --json`).
type JSON struct {
	Kind       Kind   `json:"kind"`
	Value      string `json:"value"`
	At         string `json:"at"`
	Default    bool   `json:"default,omitempty"`
	Because    string `json:"because,omitempty"`
	Standalone bool   `json:"standalone,omitempty"`
}

// JSON returns the constraints in their machine-readable form.
func (s *Set) JSON() []JSON {
	out := make([]JSON, 0, len(s.Constraints))
	for _, c := range s.Constraints {
		out = append(out, JSON{Kind: c.Kind, Value: c.Value, At: c.Origin.Pos(), Default: c.Origin.Default, Because: c.Origin.Because, Standalone: c.Standalone})
	}
	return out
}
