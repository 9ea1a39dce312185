// Package debx unpacks Debian binary packages (.deb) into a directory that
// will become a VM's root file system, without trusting the package.
//
// A .deb is an ar(1) archive of three members: "debian-binary" (the format
// version, "2.0"), control.tar.{gz,xz,zst} (metadata and maintainer
// scripts) and data.tar.{gz,xz,zst} (the files). debx reads the ar framing
// itself, decompresses the data member and writes each tar entry below a
// root directory.
//
// # Containment
//
// Every file system operation goes through a [Root]: an open directory file
// descriptor, with each path resolved by openat2(2) with RESOLVE_IN_ROOT, so
// the kernel treats the root like a chroot — ".." stops at the root and
// symlinks (absolute or relative) are followed inside it. On top of that,
// entries are checked lexically so that a hostile package fails with a
// clear error rather than being silently clamped:
//
//   - names that are absolute or contain ".." are rejected;
//   - a symlink whose relative target climbs above the root is rejected
//     (absolute targets such as /etc/alternatives/awk are legitimate: they
//     mean the same path inside the VM);
//   - a hard link must name a regular file extracted earlier from the same
//     archive;
//   - character and block devices and FIFOs are rejected unless
//     [Options.AllowDevices] is set;
//   - an entry larger than [Options.MaxFileSize], or an archive whose
//     content exceeds [Options.MaxTotal], stops extraction.
//
// The final path component is never followed when it is a symlink: a file
// entry replaces whatever link was there rather than writing through it.
package debx
