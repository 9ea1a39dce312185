// Package sbom writes software bills of materials for a VM from its lock:
// SPDX 2.3 JSON ([SPDX]) and CycloneDX 1.6 JSON ([CycloneDX]).
//
// Both describe the VM as one root element that contains every binary
// package of the lock. Each package carries its Debian package URL
//
//	pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12
//
// (with upstream=SOURCE or SOURCE@VERSION when the source package differs
// from the binary, the convention scanners use to map binaries to the
// source packages that advisories name), the SHA-256 of its .deb, its
// download location in the archive, and its source package and version.
//
// # Determinism
//
// An SBOM is a pure function of the lock: timestamps are the lock's Date
// (the archive's date, which builds also use as SOURCE_DATE_EPOCH),
// element ids derive from package names and architectures, and the
// document namespace and CycloneDX serial number derive from the lock's
// canonical encoding. The same lock always gives byte-identical SBOMs.
package sbom
