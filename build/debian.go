package build

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"pdvm.dev/pdvm/internal/tool"
)

// Base "debian": a real Debian system
//
// As mmdebstrap does, every package's data.tar is unpacked first (so that
// the shell, dpkg and the programs maintainer scripts call exist), then
// dpkg installs all packages again inside a chroot of the tree: it
// records them in its database and runs their maintainer scripts in
// dependency order (--force-depends only lets dpkg accept the one-shot
// order, the lock is already dependency-closed). A policy-rc.d keeps
// services from starting during the installation. The kernel package is
// not installed by dpkg: it is unpacked apart and pruned like with base
// "none", so no initramfs is generated. This needs root (chroot).

func (b *builder) dpkgInstall() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("base \"debian\" runs dpkg in a chroot, which needs root; run pdvm as root or use base = \"none\"")
	}
	r := b.root
	if !r.Exists("usr/bin/dpkg") {
		return fmt.Errorf("base \"debian\": dpkg is not in the lock (plan the description again: base debian needs the Essential packages)")
	}
	if _, err := tool.Look("chroot"); err != nil {
		return err
	}
	debDir := "var/cache/pdvm-debs"
	if err := r.MkdirAll(debDir, 0o755); err != nil {
		return err
	}
	var names []string
	for _, p := range b.lock.Packages {
		if p.Name == b.kernel.Name || isMeta(p) {
			continue
		}
		name := fmt.Sprintf("%s_%s.deb", p.Name, strings.ReplaceAll(p.Version, ":", "%3a"))
		data, err := os.ReadFile(b.debs[p.Name])
		if err != nil {
			return err
		}
		if err := r.WriteFile(path.Join(debDir, name), data, 0o644); err != nil {
			return err
		}
		names = append(names, "/"+path.Join(debDir, name))
	}
	sort.Strings(names)
	r.WriteFile("usr/sbin/policy-rc.d", []byte("#!/bin/sh\nexit 101\n"), 0o755)
	// the documentation base "none" leaves out, as dpkg path filters (they
	// stay in the image, so later package installs honour them too)
	r.WriteFile("etc/dpkg/dpkg.cfg.d/pdvm-excludes", []byte(`# written by pdvm: a VM needs no manuals
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/lintian/*
`), 0o644)
	for _, f := range []string{"var/lib/dpkg/status", "var/lib/dpkg/available"} {
		if !r.Exists(f) {
			r.WriteFile(f, nil, 0o644)
		}
	}
	r.MkdirAll("var/lib/dpkg/info", 0o755)
	r.MkdirAll("var/lib/dpkg/updates", 0o755)
	env := []string{"DEBIAN_FRONTEND=noninteractive", "DEBCONF_NONINTERACTIVE_SEEN=true", "LC_ALL=C.UTF-8",
		"SOURCE_DATE_EPOCH=" + strconv.FormatInt(b.date.Unix(), 10), "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	args := append([]string{r.Dir(), "dpkg", "--install", "--force-depends", "--force-confdef", "--force-confold", "--no-triggers"}, names...)
	if _, err := tool.Run(b.ctx, env, "chroot", args...); err != nil {
		return fmt.Errorf("installing the packages with dpkg in a chroot: %w", err)
	}
	if _, err := tool.Run(b.ctx, env, "chroot", r.Dir(), "dpkg", "--configure", "--pending", "--force-depends"); err != nil {
		return fmt.Errorf("configuring the packages with dpkg in a chroot: %w", err)
	}
	// leave no installer traces that differ between builds
	for _, f := range []string{"usr/sbin/policy-rc.d", "var/log/dpkg.log", "var/log/alternatives.log", "var/cache/debconf/config.dat-old",
		"var/cache/debconf/templates.dat-old", "var/lib/dpkg/status-old", "var/lib/dpkg/diversions-old", "var/lib/dpkg/available-old", "etc/machine-id"} {
		r.Remove(f)
	}
	os.RemoveAll(filepath.Join(r.Dir(), debDir))
	r.WriteFile("etc/machine-id", nil, 0o444) // systemd fills it at first boot
	return nil
}

// loadAccounts reads the passwd and group files dpkg's base-passwd wrote,
// so that description users are added to them.
func loadAccounts(passwd, groupf []byte) *accounts {
	a := &accounts{}
	sc := bufio.NewScanner(bytes.NewReader(passwd))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 7 {
			continue
		}
		uid, _ := strconv.Atoi(f[2])
		gid, _ := strconv.Atoi(f[3])
		a.users = append(a.users, &account{Name: f[0], UID: uid, GID: gid, Gecos: f[4], Home: f[5], Shell: f[6], Hash: "*"})
	}
	sc = bufio.NewScanner(bytes.NewReader(groupf))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 4 {
			continue
		}
		gid, _ := strconv.Atoi(f[2])
		g := &group{Name: f[0], GID: gid}
		if f[3] != "" {
			g.Members = strings.Split(f[3], ",")
		}
		a.groups = append(a.groups, g)
	}
	if u := a.user("root"); u != nil {
		u.Hash = "!"
	}
	return a
}
