package build

import (
	"fmt"
	"path"
	"strings"
)

// installSystemd enables the description's services as systemd units and
// configures systemd-networkd. systemd itself must be in the lock.
func (b *builder) installSystemd() error {
	r := b.root
	if !r.Exists("usr/lib/systemd/systemd") && !r.Exists("lib/systemd/systemd") {
		return fmt.Errorf("init is systemd but no package of the lock installs /lib/systemd/systemd (add systemd to the description)")
	}
	wants := "etc/systemd/system/multi-user.target.wants"
	if err := r.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	for _, sv := range b.services() {
		argv, err := b.resolveCommand(sv.Command)
		if err != nil {
			return fmt.Errorf("service %s: %w", sv.Name, err)
		}
		restart := sv.Restart
		if restart == "" {
			restart = "on-failure"
		}
		var u strings.Builder
		fmt.Fprintf(&u, "[Unit]\nDescription=%s (pdvm)\nAfter=network-online.target\nWants=network-online.target\n\n[Service]\n", sv.Name)
		fmt.Fprintf(&u, "ExecStart=%s\nRestart=%s\n", quoteArgs(argv), restart)
		if sv.User != "" && sv.User != "root" {
			fmt.Fprintf(&u, "User=%s\n", sv.User)
		}
		if sv.Dir != "" {
			fmt.Fprintf(&u, "WorkingDirectory=%s\n", sv.Dir)
		}
		for _, e := range sv.Env {
			fmt.Fprintf(&u, "Environment=%q\n", e)
		}
		u.WriteString("\n[Install]\nWantedBy=multi-user.target\n")
		// Named like the package's own unit, it overrides it (/etc before
		// /lib), so a service is never started twice.
		unit := sv.Name + ".service"
		if err := r.WriteFile(path.Join("etc/systemd/system", unit), []byte(u.String()), 0o644); err != nil {
			return err
		}
		if err := r.Symlink("/etc/systemd/system/"+unit, path.Join(wants, unit)); err != nil {
			return err
		}
	}
	if len(b.kmods) > 0 {
		var m strings.Builder
		for _, k := range b.kmods {
			m.WriteString(strings.TrimSuffix(path.Base(k), ".ko") + "\n")
		}
		if err := r.WriteFile("etc/modules-load.d/pdvm.conf", []byte(m.String()), 0o644); err != nil {
			return err
		}
	}
	if !b.spec.Network.None {
		net := "[Match]\nName=e* en*\n\n[Network]\n"
		if b.spec.Network.DHCP {
			net += "DHCP=ipv4\n"
		} else {
			net += "Address=" + b.spec.Network.Address + "\n"
			if b.spec.Network.Gateway != "" {
				net += "Gateway=" + b.spec.Network.Gateway + "\n"
			}
		}
		for _, d := range b.spec.Network.DNS {
			net += "DNS=" + d + "\n"
		}
		if err := r.WriteFile("etc/systemd/network/10-pdvm.network", []byte(net), 0o644); err != nil {
			return err
		}
		if r.Exists("lib/systemd/system/systemd-networkd.service") {
			r.Symlink("/lib/systemd/system/systemd-networkd.service", path.Join(wants, "systemd-networkd.service"))
		}
	}
	// An empty machine-id marks the first boot (systemd fills it in);
	// systemd-firstboot must not stop that boot to ask questions.
	if !r.Exists("etc/machine-id") {
		if err := r.WriteFile("etc/machine-id", nil, 0o444); err != nil {
			return err
		}
	}
	b.res.Cmdline += " init=/lib/systemd/systemd systemd.firstboot=off"
	return nil
}

func quoteArgs(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if strings.ContainsAny(a, " \t\"';\\") {
			a = `"` + strings.ReplaceAll(strings.ReplaceAll(a, `\`, `\\`), `"`, `\"`) + `"`
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
