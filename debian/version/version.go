// Package version implements Debian package version numbers as dpkg
// understands them (deb-version(7)):
//
//	[epoch:]upstream_version[-debian_revision]
//
// The epoch is a small unsigned integer (default 0). The upstream version
// may contain alphanumerics and . + ~ - : (a hyphen only when a revision
// follows; a colon only when an epoch is present). The revision, after the
// last hyphen, may contain alphanumerics and + . ~.
//
// # Ordering
//
// Versions compare by epoch, then upstream, then revision. Each part is
// compared by dpkg's verrevcmp: alternating runs of non-digits and digits;
// non-digit runs compare character by character where '~' sorts before
// everything, even the end of the string, and letters sort before other
// characters; digit runs compare numerically. So 1.0~rc1 < 1.0 < 1.0+b1 <
// 1.0a < 1.0.1, and 1:0.9 > 2.0.
//
// [Compare] works on strings directly and does not allocate; it agrees with
// `dpkg --compare-versions` (a test runs dpkg on pairs from the real archive).
package version

import (
	"fmt"
	"strings"
)

// Version is a parsed Debian version.
type Version struct {
	Epoch    uint32
	Upstream string
	Revision string // "" when absent
}

// String formats v the way dpkg prints it.
func (v Version) String() string {
	var b strings.Builder
	// An upstream version containing ':' needs its epoch, even 0, to
	// stay unambiguous.
	if v.Epoch != 0 || strings.IndexByte(v.Upstream, ':') >= 0 {
		fmt.Fprintf(&b, "%d:", v.Epoch)
	}
	b.WriteString(v.Upstream)
	if v.Revision != "" {
		b.WriteByte('-')
		b.WriteString(v.Revision)
	}
	return b.String()
}

// Error describes an invalid version string. Offset is the byte offset
// of the offending character within the string.
type Error struct {
	Version string
	Offset  int
	Reason  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid version %q: %s", e.Version, e.Reason)
}

// Parse parses and validates s.
func Parse(s string) (Version, error) {
	var v Version
	if s == "" {
		return v, &Error{s, 0, "empty version"}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c == '\t' || c == '\n' {
			return v, &Error{s, i, "contains whitespace"}
		}
	}
	rest := s
	off := 0
	if i := strings.IndexByte(s, ':'); i >= 0 {
		ep := s[:i]
		if ep == "" {
			return v, &Error{s, 0, "empty epoch before ':'"}
		}
		var n uint64
		for j := 0; j < len(ep); j++ {
			c := ep[j]
			if c < '0' || c > '9' {
				return v, &Error{s, j, "epoch is not a number"}
			}
			n = n*10 + uint64(c-'0')
			if n > 1<<31-1 {
				return v, &Error{s, j, "epoch is too large"}
			}
		}
		v.Epoch = uint32(n)
		rest = s[i+1:]
		off = i + 1
		if rest == "" {
			return v, &Error{s, i, "nothing after the epoch colon"}
		}
	}
	up := rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		up, v.Revision = rest[:i], rest[i+1:]
		if v.Revision == "" {
			return v, &Error{s, off + i, "empty revision after '-'"}
		}
	}
	if up == "" {
		return v, &Error{s, off, "empty upstream version"}
	}
	if up[0] < '0' || up[0] > '9' {
		return v, &Error{s, off, "upstream version does not start with a digit"}
	}
	for j := 0; j < len(up); j++ {
		c := up[j]
		if !isAlnum(c) && c != '.' && c != '+' && c != '~' && c != '-' && c != ':' {
			return v, &Error{s, off + j, fmt.Sprintf("invalid character %q in upstream version", c)}
		}
	}
	for j := 0; j < len(v.Revision); j++ {
		c := v.Revision[j]
		if !isAlnum(c) && c != '.' && c != '+' && c != '~' {
			return v, &Error{s, len(s) - len(v.Revision) + j, fmt.Sprintf("invalid character %q in revision", c)}
		}
	}
	v.Upstream = up
	return v, nil
}

// Valid reports whether s parses.
func Valid(s string) bool { _, err := Parse(s); return err == nil }

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// split divides s into epoch, upstream and revision without validating.
func split(s string) (epoch uint64, upstream, revision string) {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		for j := 0; j < i; j++ {
			c := s[j]
			if c >= '0' && c <= '9' {
				epoch = epoch*10 + uint64(c-'0')
			}
		}
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		return epoch, s[:i], s[i+1:]
	}
	return epoch, s, ""
}

// Compare returns -1, 0 or +1 as a is older than, equal to or newer than b.
// Invalid strings are compared by the same rules without complaint.
func Compare(a, b string) int {
	if a == b {
		return 0
	}
	ea, ua, ra := split(a)
	eb, ub, rb := split(b)
	switch {
	case ea < eb:
		return -1
	case ea > eb:
		return 1
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

// Compare orders v against w.
func (v Version) Compare(w Version) int {
	switch {
	case v.Epoch < w.Epoch:
		return -1
	case v.Epoch > w.Epoch:
		return 1
	}
	if c := verrevcmp(v.Upstream, w.Upstream); c != 0 {
		return c
	}
	return verrevcmp(v.Revision, w.Revision)
}

// order is the sort weight of a character in a non-digit run.
func order(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return 0
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return int(c)
	case c == '~':
		return -1
	default:
		return int(c) + 256
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := 0, 0
			if i < len(a) {
				ac = order(a[i])
			}
			if j < len(b) {
				bc = order(b[j])
			}
			if ac != bc {
				if ac < bc {
					return -1
				}
				return 1
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			if first < 0 {
				return -1
			}
			return 1
		}
	}
	return 0
}
