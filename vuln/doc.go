// Package vuln answers "which known vulnerabilities does this VM carry?"
// for Debian VMs whose exact package set is known from their lock.
//
// # Data
//
// Two feeds are imported ([Import]):
//
//   - the Debian security tracker's JSON export (/tracker/data/json):
//     source package → CVE (or TEMP-) id → release codename →
//     {status, fixed_version, urgency, nodsa, nodsa_reason, repositories};
//   - OSV records of the Debian:N ecosystems: DEBIAN-CVE-*, DSA-* and DLA-*,
//     whose affected[] entries name source packages with ECOSYSTEM ranges.
//
// Both are normalised into [Record]s, one per (release, source package,
// advisory), and kept in pdvm's cache ([Store]) with the date of the data,
// so that every answer can say how old its knowledge is.
//
// # Matching
//
// Advisories name source packages; a VM contains binary packages. A binary
// is matched through its Source field and the source version (which
// differs from the binary version for binNMUs, "+bN", and for packages
// such as linux-signed-amd64), never by its own name and version: that
// mapping is the main source of scanner false positives.
//
// For a record of source s and installed source version v (Debian version
// order, [version.Compare]):
//
//   - tracker "resolved" with fixed_version F: affected iff v < F; F = "0"
//     means the release was never affected;
//   - tracker "open": every version is affected (the tracker knows no fix in
//     the release); the qualifiers are kept: unimportant, no-dsa (Debian
//     will not issue an advisory, may fix in a point release), ignored,
//     postponed and end-of-life are distinct [Status]es;
//   - tracker "undetermined": reported as such, never as a clean result;
//   - OSV: affected iff v lies in some range (introduced ≤ v < fixed, or
//     ≤ last_affected) or is listed in versions.
//
// A finding whose fix exists says which suites carry a fixed version
// (bookworm, bookworm-updates, bookworm-security) and whether the VM's
// lock uses one of them: "fixed in bookworm-security, but this VM uses
// bookworm only" is reported as such.
//
// # Urgency
//
// Debian's urgency ("not yet assigned", unimportant, low, medium, high,
// end-of-life; "low**" etc. when derived from NVD) is turned into an
// ordered [Urgency] by [Record.Effective]: most records carry no assigned
// urgency, so an unassigned record counts as high unless Debian marked it
// no-dsa, ignored or postponed ("minor issue", counted low). The rule is
// conservative on purpose: thresholds such as `--fail-on high` and
// `security { avoid = "high" }` must not pass a DSA-worthy issue because
// nobody filled in a field.
package vuln
