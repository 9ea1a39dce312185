// Package surface measures the trusted computing base (TCB) and attack
// surface of a VM as a vector, so that VMs built for different purposes,
// and a generic image, can be compared part by part.
//
// Package-level parts come from the lock. File-level parts come from the
// packages' .debs (data.tar headers and contents, maintainer scripts;
// [ScanDeb]) or from a built root file system ([ScanRootfs]). A part that
// could not be measured is reported as unknown, never as zero.
//
// # The parts
//
// Binary packages, source packages, installed KiB: the size of what the
// VM trusts, from the lock (Installed-Size of each package). Every
// package is code someone must keep patched; source packages are the unit
// in which Debian issues advisories, so they count how many advisory
// streams the VM follows.
//
// Files and ELF objects: regular files shipped by the packages, and those
// starting with the ELF magic (executables, shared libraries, kernel
// modules). ELF objects are the code that can run; the number is the
// closest cheap proxy for "lines of code in the TCB".
//
// Setuid/setgid and file-capability executables: entry points that run
// with more privilege than their caller (Manadhata & Wing's highest
// damage potential reachable by a local user). Set-id bits come from the
// tar headers and from dpkg-statoverride calls in postinst; capabilities
// from setcap calls in postinst (a .deb cannot carry extended
// attributes), or from security.capability on a built root file system.
//
// Enabled services and listening ports: what runs at boot and which
// channels it opens. Under systemd (init "systemd" or base "debian") a
// unit counts when its package enables it (deb-systemd-helper or
// systemctl enable in postinst, or a shipped *.wants/ link); under pdvm's
// own init only the description's service blocks start. Ports come from
// socket units, from Debian's default configuration of known daemons
// (openssh 22/tcp, nginx 80/tcp, systemd-resolved 53 on loopback and
// LLMNR 5355, chrony 323/udp on loopback, dhclient 68/udp, …), and from
// the description's forwarded and probed ports.
//
// Login-capable accounts: accounts with an interactive shell (base-passwd's
// passwd.master, accounts created by maintainer scripts with a shell,
// description users, pdvm's root for base "none", cloud-init's "debian"
// user on the generic image, or /etc/passwd of a rootfs). Each is a way
// in for whoever holds a password or key.
//
// World-writable paths: files and directories any user may modify
// (untrusted data items). Sticky directories such as /tmp are listed
// separately and weigh less.
//
// Kernel modules and options: modules shipped by the kernel package (a
// built image keeps only those it needs; measure the rootfs for that
// number) and the options of its config built in (=y) or modular (=m):
// the kernel's share of the TCB (Kurmus et al., NDSS 2013).
//
// Open advisories weighted by urgency: findings of `pdvm audit` for the
// lock, one per (source, advisory), weighted high 1, medium 0.6, low 0.3,
// unimportant 0.05, halved for no-dsa/ignored/postponed. This is the
// "known-vulnerability" dimension; it changes with every advisory and
// every re-plan, the other parts only with the VM's content.
//
// # The weighted total
//
// Following Manadhata & Wing ("An Attack Surface Metric", IEEE TSE 2011),
// each resource gets a damage-potential/effort ratio der = dp/ef, and the
// surface is the triple of sums over entry/exit points (methods),
// channels and untrusted data items:
//
//   - methods: each enabled service (dp 5 as root, 3 otherwise; ef 1 when
//     it listens on all interfaces, 3 when only local), each setuid (5/3),
//     setgid (3/3) and file-capability (4/3) executable, each login
//     account (dp 5 for root, 3 otherwise; ef 2 with a remote-login daemon
//     installed, 3 otherwise);
//   - channels: each listening port (dp 5 when the listener is root, 3
//     otherwise; ef 1 on all interfaces, 4 on loopback);
//   - data: each world-writable path (3/3) and sticky directory (1/3).
//
// The total adds the three sums, the advisory weight and ELF objects/100
// (one point per hundred programs and libraries). Manadhata & Wing
// advise against collapsing the triple into one number; the total exists
// only to rank VMs, and the parts are always shown next to it.
package surface
