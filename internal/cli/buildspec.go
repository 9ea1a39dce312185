package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"pdvm.dev/pdvm/build"
	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/manifest"
)

// buildSpec turns a described vm (and its lock, for the hardware the plan
// settled) into the builder's spec.
func buildSpec(vm *description.VM, l *manifest.Lock) (build.Spec, error) {
	s := build.Spec{Name: vm.Name, Hostname: vm.Hostname.Value, Base: vm.Base.Value, Init: vm.Init.Value}
	if s.Base == "" {
		s.Base = l.Base
	}
	if s.Init == "" {
		s.Init = l.Init
	}
	if l.Hardware.Hostname != "" && s.Hostname == "" {
		s.Hostname = l.Hardware.Hostname
	}
	s.Hardware.CPUs = int(l.Hardware.CPUs)
	s.Hardware.MemoryMiB = int(l.Hardware.MemoryMiB)
	if h := vm.Hardware; h != nil {
		if h.CPUs.Set {
			s.Hardware.CPUs = int(h.CPUs.Value)
		}
		if h.Memory.Set {
			s.Hardware.MemoryMiB = int(h.Memory.Bytes >> 20)
		}
		if h.Disk.Set {
			s.Hardware.DiskMiB = int(h.Disk.Bytes >> 20)
		}
	}
	for _, u := range vm.Users {
		s.Users = append(s.Users, build.User{Name: u.Name, SSHKeys: u.SSHAuthorizedKeys.Values, PasswordHash: u.PasswordHash.Value,
			Groups: u.Groups.Values, Sudo: u.Sudo.Value, Shell: u.Shell.Value})
	}
	for _, f := range vm.Files {
		s.Files = append(s.Files, build.File{Path: f.Path, Content: f.Content.Value, Mode: f.Mode, Owner: f.Owner.Value})
	}
	at := func(r interface{ String() string }) string { return r.String() }
	for _, sv := range vm.Services {
		argv, err := build.SplitCommand(sv.Command.Value)
		if err != nil {
			return s, fmt.Errorf("%s: service %q: %w", at(sv.Command.Range), sv.Name, err)
		}
		restart := sv.Restart.Value
		if restart == "never" {
			restart = "no"
		}
		s.Services = append(s.Services, build.Service{Name: sv.Name, Command: argv, User: sv.User.Value, Restart: restart})
	}
	if n := vm.Network; n != nil {
		switch n.Mode.Value {
		case "dhcp":
			s.Network.DHCP = true
		case "none":
			s.Network.None = true
		}
		s.Network.Address, s.Network.Gateway, s.Network.DNS = n.Address.Value, n.Gateway.Value, n.DNS.Values
		for _, f := range n.Forward {
			s.Ports = append(s.Ports, build.Port{Host: f.Host, Guest: f.Guest, Proto: f.Proto})
		}
	}
	if k := vm.Kernel; k != nil {
		// Kconfig symbols name modules in lower case for most drivers
		// (VIRTIO_NET -> virtio_net); the builder keeps those the kernel
		// has as modules and ignores the rest (built in, or no module).
		for _, sym := range k.Need.Values {
			s.Kernel.Modules = append(s.Kernel.Modules, "?"+strings.ToLower(sym))
		}
	}
	if o := vm.Output; o != nil {
		s.Formats, s.Hypervisors = o.Formats.Values, o.Hypervisors.Values
	}
	for _, p := range vm.Probes {
		bp := build.Probe{Name: p.Name, Timeout: int(p.Timeout.Value.Seconds())}
		switch {
		case p.HTTP != nil:
			bp.Kind, bp.Port, bp.Path, bp.Status, bp.Contains = "http", int(p.HTTP.Port.Value), p.HTTP.Path.Value, int(p.HTTP.Status.Value), p.HTTP.Contains.Value
		case p.TCP != nil:
			bp.Kind, bp.Port, bp.Contains = "tcp", int(p.TCP.Port.Value), p.TCP.Banner.Value
		case p.Command != nil:
			argv, err := build.SplitCommand(p.Command.Run.Value)
			if err != nil {
				return s, fmt.Errorf("%s: probe %q: %w", at(p.Command.Run.Range), p.Name, err)
			}
			bp.Kind, bp.Command, bp.Contains = "command", argv, p.Command.Expect.Value
		}
		s.Probes = append(s.Probes, bp)
	}
	return s, nil
}

// lockDescription is the description a lock was planned from.
func lockDescription(lockPath string, l *manifest.Lock) string {
	return filepath.Join(filepath.Dir(lockPath), l.Description)
}
