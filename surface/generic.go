package surface

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/manifest"
)

// GenericSeed is the package list of Debian 12's official "genericcloud"
// image as the Debian cloud team's FAI configuration builds it for
// bookworm (mirrored in GoCarrot/debian-cloud-images, config_space/):
// the minbase variant of debootstrap (every Priority: required package
// and apt), plus the classes SYSTEM_BOOT, CLOUD, GENERIC and DEBIAN and
// the cloud kernel. It is the list shared/bench/image/60-genericcloud-
// estimate.sh resolves with mmdebstrap (≈275 packages, ≈469 MiB).
var GenericSeed = []string{
	// SYSTEM_BOOT
	"sudo", "libpam-systemd", "systemd-resolved", "libnss-myhostname", "netplan.io", "polkitd",
	"unattended-upgrades", "apparmor", "zstd", "apt-utils", "init", "iptables", "iputils-ping", "less",
	"nano", "netbase", "vim-tiny", "whiptail", "chrony",
	// CLOUD
	"openssh-server", "cloud-initramfs-growroot",
	// GENERIC
	"cloud-init", "bridge-utils", "ifenslave", "vlan", "cloud-guest-utils",
	// DEBIAN
	"grub-pc", "isc-dhcp-client",
	// kernel
	"linux-image-cloud-amd64",
}

// GenericAccounts are created at first boot of the cloud image:
// cloud-init's default user on Debian images is "debian" with a login
// shell, sudo and the SSH key given to the cloud.
var GenericAccounts = []Account{{Name: "debian", Shell: "/bin/bash", From: "cloud-init"}}

// GenericLock resolves the generic seed on u the way apt does for
// mmdebstrap: minbase (Essential, Priority: required, apt) and the seed,
// then Depends and Pre-Depends, each clause satisfied by a package already
// chosen or else by its first installable alternative at the newest
// version; Recommends are not installed. Conflicts are not checked (the
// seed is known to be co-installable).
func GenericLock(u *archive.Universe) (*manifest.Lock, error) {
	chosen := map[string]archive.ID{}
	var order []archive.ID
	var queue []archive.ID
	pick := func(name string) (archive.ID, bool) {
		for _, id := range u.Named(name) {
			p := u.Pkg(id)
			if p.Arch == u.Native || p.Arch == "all" {
				return id, true
			}
		}
		return -1, false
	}
	choose := func(id archive.ID) {
		p := u.Pkg(id)
		if _, ok := chosen[p.Name]; ok {
			return
		}
		chosen[p.Name] = id
		order = append(order, id)
		queue = append(queue, id)
	}
	var base []string
	seen := map[string]bool{}
	for i := range u.Packages {
		p := &u.Packages[i]
		if (p.Essential || p.Priority == "required") && !seen[p.Name] {
			seen[p.Name] = true
			base = append(base, p.Name)
		}
	}
	sort.Strings(base)
	for _, n := range append(append(base, "apt"), GenericSeed...) {
		id, ok := pick(n)
		if !ok {
			return nil, fmt.Errorf("building the generic baseline: %s is not in the archive", n)
		}
		choose(id)
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		p := u.Pkg(id)
		for _, k := range []archive.Kind{archive.PreDepends, archive.Depends} {
		clause:
			for _, c := range p.Rel[k] {
				for _, a := range c {
					for _, cid := range u.Candidates(nil, a) {
						if chosen[u.Pkg(cid).Name] == cid {
							continue clause
						}
					}
				}
				for _, a := range c {
					if cs := u.Candidates(nil, a); len(cs) > 0 {
						if _, taken := chosen[u.Pkg(cs[0]).Name]; taken {
							continue // another version of that name is in: try the next alternative
						}
						choose(cs[0])
						continue clause
					}
				}
			}
		}
	}
	l := &manifest.Lock{Format: manifest.FormatVersion, VM: "generic", Description: "Debian 12 genericcloud (approximation)",
		Release: "debian/bookworm", Arch: u.Native, Base: "debian", Init: "systemd", Objective: "count", Proof: "feasible"}
	var newest time.Time
	mirrors := map[string]manifest.Suite{}
	for _, o := range u.Origins {
		if d, err := time.Parse(time.RFC1123, o.Date); err == nil && d.After(newest) {
			newest = d
		}
		if _, ok := mirrors[o.Suite]; !ok {
			mirrors[o.Suite] = manifest.Suite{Suite: o.Suite, Codename: o.Codename, Component: o.Component, Arch: o.Arch, Date: o.Date, MirrorURL: o.MirrorURL}
		}
	}
	if !newest.IsZero() {
		l.Date = newest.UTC().Format(time.RFC3339)
	}
	for _, s := range mirrors {
		l.Archive = append(l.Archive, s)
	}
	for _, id := range order {
		p := u.Pkg(id)
		l.Packages = append(l.Packages, manifest.Package{Name: p.Name, Version: p.Version, Arch: p.Arch, Source: p.Source,
			SourceVersion: p.SourceVersion, Suite: suiteOf(u, p), Filename: p.Filename, SHA256: p.SHA256, Size: p.Size,
			InstalledSize: p.InstalledSize, Essential: p.Essential, Kernel: strings.HasPrefix(p.Name, "linux-image-"),
			Reason: []string{"generic baseline"}})
		l.Count++
		l.InstalledSize += p.InstalledSize
	}
	l.Sort()
	return l, nil
}

// suiteOf is the suite a package is fetched from: the security archive
// has its own pool (pool/updates/…).
func suiteOf(u *archive.Universe, p *archive.Package) string {
	names := u.OriginNames(p)
	if strings.HasPrefix(p.Filename, "pool/updates/") {
		for _, n := range names {
			if strings.HasSuffix(n, "-security") {
				return n
			}
		}
	}
	for _, n := range names {
		if !strings.HasSuffix(n, "-security") {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}
