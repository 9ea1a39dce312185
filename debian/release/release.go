// Package release reads a Debian archive's Release file, the signed root of
// trust for one suite (such as bookworm or bookworm-security).
//
// # The format
//
// A Release file is a single deb822 paragraph. Besides descriptive fields
// (Origin, Label, Suite, Codename, Version, Date, Valid-Until, Architectures,
// Components) it lists every index file of the suite with its size and
// hash:
//
//	SHA256:
//	 81097cab…402c9 50057461 main/binary-amd64/Packages
//	 4c17b207…be6fc 12084574 main/binary-amd64/Packages.gz
//
// An index downloaded from the mirror is trusted only if its size and
// SHA-256 match this list, and the list is trusted only if the Release file
// carries a good signature. Debian publishes the signed Release as
// "InRelease", an OpenPGP clearsigned message that Debian signs with several
// keys at once (currently two RSA keys and one Ed25519 key).
//
// # Verification returns only verified data
//
// [Verify] checks the clearsigned message against a keyring and only then
// parses the signed text. The result contains nothing that was not covered
// by a good signature. When verification fails, the unverified text is
// available only through the error ([BadSignatureError.Unverified],
// [UnknownKeyError.Unverified]), in the manner of
// golang.org/x/mod/sumdb/note.Open. There is no way to turn verification
// off.
//
// # Freshness
//
// A good signature says who wrote the file, not when. [Release.Check]
// rejects a Date in the future and an expired Valid-Until, which is how apt
// defends against a mirror replaying an old, correctly signed Release.
package release

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Release is the parsed, verified body of a Release or InRelease file.
type Release struct {
	Origin, Label, Suite, Codename, Version, Description string

	Date       time.Time // zero if the field is absent
	ValidUntil time.Time // zero if the field is absent: never expires

	Architectures []string
	Components    []string

	// AcquireByHash is "Acquire-By-Hash: yes": every index is also
	// available under <dir>/by-hash/SHA256/<hash>, which cannot change
	// while a client is downloading (unlike the plain name).
	AcquireByHash bool

	// NoArchAllPackages is "No-Support-for-Architecture-all: Packages":
	// architecture-all packages are listed in every binary-<arch>/Packages
	// index, so binary-all/Packages repeats them and need not be read
	// alongside an architecture-specific index.
	NoArchAllPackages bool

	// SHA256 lists the files of the suite in the order the file gives them.
	SHA256 []File

	// Fields holds every field of the paragraph, keyed by its name as
	// written, including those parsed above. Multi-line values keep their
	// line breaks.
	Fields map[string]string

	// Signatures are the OpenPGP signatures on the file, in order. At
	// least one is Verified; others may be by keys not in the keyring.
	Signatures []Signature

	files map[string]int // path -> index in SHA256
}

// File is one entry of the SHA256 list.
type File struct {
	Path   string // relative to dists/<suite>/, e.g. main/binary-amd64/Packages.xz
	Size   int64
	SHA256 string // lowercase hex
}

// Signature describes one OpenPGP signature on an InRelease file.
type Signature struct {
	KeyID       string    // 16 hex digits, upper case, as gpg prints it
	Fingerprint string    // 40 hex digits if the signature names it
	Algorithm   string    // e.g. RSA, EdDSA
	Hash        string    // e.g. SHA256, SHA512
	Created     time.Time // signature creation time
	Signer      string    // the signing key's primary identity, if the key is known
	Verified    bool
	Problem     string // why it is not Verified, e.g. "key not in keyring"
}

// File returns the SHA256 entry for path, which is relative to the suite's
// dists/<suite>/ directory.
func (r *Release) File(path string) (File, bool) {
	i, ok := r.files[path]
	if !ok {
		return File{}, false
	}
	return r.SHA256[i], true
}

// HasComponent reports whether the Release lists component c. Debian's
// security archive names its components "updates/main" etc. while storing
// the files under main/; both spellings are accepted.
func (r *Release) HasComponent(c string) bool {
	for _, have := range r.Components {
		if have == c || strings.TrimPrefix(have, "updates/") == c {
			return true
		}
	}
	return false
}

// HasArchitecture reports whether the Release lists architecture a.
func (r *Release) HasArchitecture(a string) bool {
	for _, have := range r.Architectures {
		if have == a {
			return true
		}
	}
	return false
}

// ParseError is a problem in the text of a Release file.
type ParseError struct {
	Name string // file name or URL, as given to the parser
	Line int    // 1-based line in the signed text; 0 if not tied to a line
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Name, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// maxSize bounds the text accepted as a Release file. Debian's largest is
// about 150 kB.
const maxSize = 64 << 20

// parse parses the text of a Release file. It is unexported on purpose:
// outside this package, a Release only comes from [Verify].
func parse(name string, data []byte) (*Release, error) {
	errorf := func(line int, format string, args ...any) error {
		return &ParseError{Name: name, Line: line, Err: fmt.Errorf(format, args...)}
	}
	if len(data) > maxSize {
		return nil, errorf(0, "file is %d bytes, more than the %d a Release file may have", len(data), maxSize)
	}
	type field struct {
		value string
		more  []string // continuation lines
		line  int
	}
	fields := map[string]*field{}
	var order []string
	var cur *field
	ended := 0 // line of the blank line that ended the paragraph
	lineNo := 0
	for rest := data; len(rest) > 0; {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		lineNo++
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			if len(fields) > 0 && ended == 0 {
				ended = lineNo
			}
			continue
		}
		if ended > 0 {
			return nil, errorf(lineNo, "unexpected text after the end of the paragraph at line %d (a Release file is one paragraph)", ended)
		}
		if line[0] == '#' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur == nil {
				return nil, errorf(lineNo, "continuation line before any field")
			}
			cur.more = append(cur.more, strings.TrimSpace(string(line)))
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, errorf(lineNo, "expected \"Field: value\", got %q", truncate(line))
		}
		key := string(line[:colon])
		if strings.ContainsAny(key, " \t") {
			return nil, errorf(lineNo, "field name %q contains white space", key)
		}
		if prev, dup := fields[key]; dup {
			return nil, errorf(lineNo, "field %s repeated (first at line %d)", key, prev.line)
		}
		cur = &field{value: strings.TrimSpace(string(line[colon+1:])), line: lineNo}
		fields[key] = cur
		order = append(order, key)
	}
	if len(fields) == 0 {
		return nil, errorf(0, "empty Release file")
	}

	for _, f := range fields {
		if len(f.more) > 0 {
			f.value += "\n" + strings.Join(f.more, "\n")
			f.more = nil
		}
	}
	r := &Release{Fields: make(map[string]string, len(fields)), files: map[string]int{}}
	for _, k := range order {
		r.Fields[k] = fields[k].value
	}
	get := func(k string) (string, int) {
		if f, ok := fields[k]; ok {
			return f.value, f.line
		}
		return "", 0
	}
	single := func(k string) (string, error) {
		v, line := get(k)
		if strings.Contains(v, "\n") {
			return "", errorf(line, "field %s must be a single line", k)
		}
		return v, nil
	}
	var err error
	for _, s := range []struct {
		key string
		dst *string
	}{{"Origin", &r.Origin}, {"Label", &r.Label}, {"Suite", &r.Suite}, {"Codename", &r.Codename},
		{"Version", &r.Version}, {"Description", &r.Description}} {
		if *s.dst, err = single(s.key); err != nil {
			return nil, err
		}
	}
	if r.Suite == "" && r.Codename == "" {
		return nil, errorf(0, "neither Suite nor Codename is set")
	}
	for _, d := range []struct {
		key string
		dst *time.Time
	}{{"Date", &r.Date}, {"Valid-Until", &r.ValidUntil}} {
		v, line := get(d.key)
		if v == "" {
			continue
		}
		if *d.dst, err = ParseDate(v); err != nil {
			return nil, errorf(line, "field %s: %v", d.key, err)
		}
	}
	arch, _ := get("Architectures")
	r.Architectures = strings.Fields(arch)
	comp, _ := get("Components")
	r.Components = strings.Fields(comp)
	switch v, line := get("Acquire-By-Hash"); strings.ToLower(v) {
	case "yes":
		r.AcquireByHash = true
	case "no", "":
	default:
		return nil, errorf(line, "field Acquire-By-Hash: want yes or no, got %q", v)
	}
	if v, _ := get("No-Support-for-Architecture-all"); v == "Packages" {
		r.NoArchAllPackages = true
	}

	list, line := get("SHA256")
	if line == 0 {
		return nil, errorf(0, "no SHA256 field: the indexes cannot be checked (MD5Sum and SHA1 are not accepted)")
	}
	for i, l := range strings.Split(list, "\n") {
		if i == 0 {
			if l != "" {
				return nil, errorf(line, "SHA256: expected the file list on the following lines, got %q", l)
			}
			continue
		}
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, errorf(line+i, "SHA256 entry: want \"<sha256> <size> <path>\", got %q", l)
		}
		if !isHex(f[0], 64) {
			return nil, errorf(line+i, "SHA256 entry for %s: %q is not 64 hex digits", f[2], f[0])
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size < 0 {
			return nil, errorf(line+i, "SHA256 entry for %s: bad size %q", f[2], f[1])
		}
		if strings.HasPrefix(f[2], "/") || strings.Contains("/"+f[2]+"/", "/../") {
			return nil, errorf(line+i, "SHA256 entry: path %q escapes the suite directory", f[2])
		}
		if prev, dup := r.files[f[2]]; dup {
			if r.SHA256[prev].SHA256 != strings.ToLower(f[0]) || r.SHA256[prev].Size != size {
				return nil, errorf(line+i, "SHA256 entry for %s repeated with a different hash or size", f[2])
			}
			continue
		}
		r.files[f[2]] = len(r.SHA256)
		r.SHA256 = append(r.SHA256, File{Path: f[2], Size: size, SHA256: strings.ToLower(f[0])})
	}
	return r, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func truncate(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

// ParseDate parses a Release date such as "Sat, 16 May 2026 10:54:28 UTC"
// (RFC 1123 with UTC, GMT or a numeric zone, as apt accepts).
func ParseDate(s string) (time.Time, error) {
	for _, layout := range []string{
		"Mon, 02 Jan 2006 15:04:05 MST", "Mon, 2 Jan 2006 15:04:05 MST",
		"Mon, 02 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 -0700",
	} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if strings.Contains(layout, "MST") {
			// time.Parse invents a zero-offset zone for unknown
			// abbreviations; only accept the ones that mean UTC.
			if z, _ := t.Zone(); z != "UTC" && z != "GMT" && z != "Z" {
				return time.Time{}, fmt.Errorf("date %q: time zone %s is not UTC", s, z)
			}
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("date %q is not in the form \"Sat, 16 May 2026 10:54:28 UTC\"", s)
}

// MaxClockSkew is how far in the future a Release Date may lie before
// [Release.Check] rejects it.
const MaxClockSkew = 10 * time.Minute

// Sentinels matched by a *[DateError] with errors.Is.
var (
	ErrExpired     = errors.New("Release file has expired")
	ErrNotYetValid = errors.New("Release file is not valid yet")
)

// DateError reports a Release that is outside its validity period.
type DateError struct {
	Suite      string
	Date       time.Time
	ValidUntil time.Time
	Now        time.Time
	Expired    bool // true: Valid-Until has passed; false: Date is in the future
}

func (e *DateError) Error() string {
	if e.Expired {
		return fmt.Sprintf("Release file for %s expired %s ago (Valid-Until %s, now %s)",
			e.Suite, e.Now.Sub(e.ValidUntil).Round(time.Second), e.ValidUntil.Format(time.RFC1123), e.Now.UTC().Format(time.RFC1123))
	}
	return fmt.Sprintf("Release file for %s is dated %s in the future (Date %s, now %s)",
		e.Suite, e.Date.Sub(e.Now).Round(time.Second), e.Date.Format(time.RFC1123), e.Now.UTC().Format(time.RFC1123))
}

func (e *DateError) Is(target error) bool {
	return (e.Expired && target == ErrExpired) || (!e.Expired && target == ErrNotYetValid)
}

// Hint says what to do about it.
func (e *DateError) Hint() string {
	if e.Expired {
		return "the mirror is stale (choose another with --mirror) or the system clock is wrong; --offline accepts an expired index"
	}
	return "the system clock is probably wrong: check it (timedatectl) and retry"
}

// Check reports a *[DateError] if Date is more than [MaxClockSkew] after now
// or Valid-Until is before now.
func (r *Release) Check(now time.Time) error {
	name := r.Codename
	if name == "" {
		name = r.Suite
	}
	if !r.Date.IsZero() && r.Date.Sub(now) > MaxClockSkew {
		return &DateError{Suite: name, Date: r.Date, ValidUntil: r.ValidUntil, Now: now}
	}
	if !r.ValidUntil.IsZero() && now.After(r.ValidUntil) {
		return &DateError{Suite: name, Date: r.Date, ValidUntil: r.ValidUntil, Now: now, Expired: true}
	}
	return nil
}
