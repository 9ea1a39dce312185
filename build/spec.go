package build

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"pdvm.dev/pdvm/target"
	"pdvm.dev/pdvm/vmtest"
)

// Spec is everything the builder needs besides the lock: what the VM is
// called, who can log in, which files and services it has, how it is
// networked and sized, and what to emit. It is plain data; the CLI fills
// it from a description (package description), tests fill it directly.
type Spec struct {
	Name     string // artifact base name, e.g. "web"
	Hostname string
	Base     string // "none" (default) | "debian"
	Init     string // "pdvm" (default) | "systemd"

	Users    []User
	Files    []File
	Services []Service
	Network  Network
	Hardware Hardware
	Kernel   Kernel
	Ports    []Port
	Probes   []Probe

	// Formats are disk image formats to emit: raw, qcow2, vmdk, vhd, vhdx,
	// vdi. Hypervisors are configs to emit: qemu, libvirt, firecracker, ovf.
	Formats     []string
	Hypervisors []string
}

// User is a login account.
type User struct {
	Name         string
	UID          int      // 0: allocated from 1000 up
	Groups       []string // supplementary groups, created if missing
	SSHKeys      []string // authorized_keys lines
	PasswordHash string   // crypt(3) hash; empty: password login disabled
	Sudo         bool
	Shell        string // default /bin/sh if present, else /usr/sbin/nologin
	Home         string // default /home/NAME
}

// File is a file written into the image after packages are unpacked.
type File struct {
	Path    string
	Content string
	Mode    uint32 // default 0644
	Owner   string // "user" or "user:group", default root
}

// Service is a long-running process.
type Service struct {
	Name    string
	Command []string // argv; a relative Command[0] is looked up in /usr/sbin, /usr/bin
	User    string   // default root
	Restart string   // always | on-failure (default) | no
	Env     []string
	Dir     string
}

// Network is the VM's network configuration.
type Network struct {
	DHCP    bool
	Address string // CIDR, when not DHCP
	Gateway string
	DNS     []string
	None    bool // no network at all
}

// Hardware sizes the VM.
type Hardware struct {
	CPUs      int
	MemoryMiB int
	DiskMiB   int    // 0: computed from content
	DiskBus   string // nvme (default; root driver built into the cloud kernel) | virtio
}

// Kernel selects the kernel and its modules.
type Kernel struct {
	Package string   // default: the linux-image-*-cloud-amd64 package in the lock
	Modules []string // extra modules to keep (with their dependencies)
	Cmdline string   // appended to the generated command line
}

// Port forwards a host port to the guest (user networking).
type Port struct {
	Host, Guest int
	Proto       string // tcp (default) | udp
}

// Probe checks that the VM serves its purpose (see package vmtest).
type Probe = vmtest.Probe

var nameRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]*$`)

// Normalize fills defaults and checks the spec.
func (s *Spec) Normalize() error {
	if s.Name == "" {
		s.Name = "vm"
	}
	if s.Hostname == "" {
		s.Hostname = s.Name
	}
	if s.Base == "" {
		s.Base = "none"
	}
	if s.Init == "" {
		s.Init = "pdvm"
	}
	if s.Base != "none" && s.Base != "debian" {
		return fmt.Errorf("base %q: must be none or debian", s.Base)
	}
	if s.Init != "pdvm" && s.Init != "systemd" {
		return fmt.Errorf("init %q: must be pdvm or systemd", s.Init)
	}
	if s.Hardware.CPUs == 0 {
		s.Hardware.CPUs = 1
	}
	if s.Hardware.MemoryMiB == 0 {
		s.Hardware.MemoryMiB = 512
	}
	if s.Hardware.DiskBus == "" {
		s.Hardware.DiskBus = "nvme"
	}
	if s.Hardware.DiskBus != "nvme" && s.Hardware.DiskBus != "virtio" {
		return fmt.Errorf("disk bus %q: must be nvme or virtio", s.Hardware.DiskBus)
	}
	if !s.Network.None && !s.Network.DHCP && s.Network.Address == "" {
		// QEMU user networking's fixed plan
		s.Network.Address, s.Network.Gateway = "10.0.2.15/24", "10.0.2.2"
		if len(s.Network.DNS) == 0 {
			s.Network.DNS = []string{"10.0.2.3"}
		}
	}
	for i, p := range s.Ports {
		if p.Host == 0 {
			s.Ports[i].Host = p.Guest
			if p.Guest < 1024 {
				s.Ports[i].Host = p.Guest + 8000
			}
		}
		if p.Proto == "" {
			s.Ports[i].Proto = "tcp"
		}
	}
	if len(s.Formats) == 0 {
		s.Formats = []string{"qcow2"}
	}
	for _, f := range s.Formats {
		if _, ok := target.Formats[f]; !ok {
			return fmt.Errorf("format %q: must be one of %s", f, strings.Join(target.Names(), ", "))
		}
	}
	if !safeName.MatchString(s.Name) {
		return fmt.Errorf("name %q: use letters, digits, '.', '_' and '-' only", s.Name)
	}
	if len(s.Hypervisors) == 0 {
		s.Hypervisors = []string{"qemu"}
	}
	for _, h := range s.Hypervisors {
		switch h {
		case "qemu", "libvirt", "firecracker":
		case "ovf":
			if !slices.Contains(s.Formats, "vmdk") {
				s.Formats = append(s.Formats, "vmdk") // an OVF package carries a VMDK
			}
		default:
			return fmt.Errorf("hypervisor %q: must be qemu, libvirt, firecracker or ovf", h)
		}
	}
	for _, u := range s.Users {
		if !nameRE.MatchString(u.Name) {
			return fmt.Errorf("user %q: not a valid user name", u.Name)
		}
	}
	for i, f := range s.Files {
		if !path.IsAbs(f.Path) {
			return fmt.Errorf("file %q: path must be absolute", f.Path)
		}
		if f.Mode == 0 {
			s.Files[i].Mode = 0o644
		}
	}
	for _, sv := range s.Services {
		if len(sv.Command) == 0 {
			return fmt.Errorf("service %q: no command", sv.Name)
		}
	}
	for i, p := range s.Probes {
		switch p.Kind {
		case "http":
			if s.Probes[i].Status == 0 {
				s.Probes[i].Status = 200
			}
			if s.Probes[i].Path == "" {
				s.Probes[i].Path = "/"
			}
		case "tcp", "command":
		default:
			return fmt.Errorf("probe %q: kind %q must be http, tcp or command", p.Name, p.Kind)
		}
		if s.Probes[i].Timeout == 0 {
			s.Probes[i].Timeout = 60
		}
	}
	return nil
}

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// SplitCommand splits a command line into words the way sh does for the
// simple cases services use: blanks separate words, single quotes keep
// everything literal, double quotes keep blanks and allow \" and \\.
// There is no expansion: a VM with base "none" may have no shell at all.
func SplitCommand(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("command %q: unterminated single quote", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("command %q: unterminated double quote", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.IndexByte("|&;<>()$`*?[", c) >= 0:
			return nil, fmt.Errorf("command %q: shell syntax (%q) is not supported; write the program and its arguments", s, c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	return out, nil
}
