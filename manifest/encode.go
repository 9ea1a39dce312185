package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"pdvm.dev/pdvm/debian/version"
)

// Sort puts the packages in canonical order: by name, then architecture,
// then version.
func (l *Lock) Sort() {
	sort.SliceStable(l.Packages, func(i, j int) bool {
		a, b := &l.Packages[i], &l.Packages[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Arch != b.Arch {
			return a.Arch < b.Arch
		}
		return version.Compare(a.Version, b.Version) < 0
	})
	sort.SliceStable(l.Archive, func(i, j int) bool {
		a, b := &l.Archive[i], &l.Archive[j]
		return a.Suite+"\x00"+a.Component+"\x00"+a.Arch < b.Suite+"\x00"+b.Component+"\x00"+b.Arch
	})
	sort.SliceStable(l.Inputs, func(i, j int) bool { return l.Inputs[i].Name < l.Inputs[j].Name })
}

// Encode returns the canonical encoding of l (it sorts l first).
func Encode(l *Lock) ([]byte, error) {
	l.Sort()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(l); err != nil {
		return nil, fmt.Errorf("encoding lock: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode parses a lock strictly: unknown keys and trailing data are errors.
func Decode(data []byte) (*Lock, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var l Lock
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("decoding lock: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decoding lock: trailing data after the lock object")
	}
	return &l, nil
}

// Read reads and validates the lock at path.
func Read(path string) (*Lock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading lock: %w", err)
	}
	l, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := Validate(l); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// Write sorts and validates l and writes its canonical encoding to path
// atomically: a temporary file in the same directory, synced, then renamed
// over path.
func Write(path string, l *Lock) error {
	l.Sort()
	if err := Validate(l); err != nil {
		return fmt.Errorf("writing lock %s: %w", path, err)
	}
	data, err := Encode(l)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, data, 0o644)
}

// WriteFileAtomic writes data to path through a temporary file and rename.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(name, mode)
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// Digest is "sha256:" and the hex SHA-256 of l's canonical encoding.
func Digest(l *Lock) (string, error) {
	data, err := Encode(l)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// PackagesDigest hashes only what goes into the image's package content
// (architecture, base, init and every package's identity and hash), so
// that two descriptions resolving to the same packages share it.
func PackagesDigest(l *Lock) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", l.Arch, l.Base, l.Init)
	c := *l
	c.Packages = append([]Package(nil), l.Packages...)
	c.Sort()
	for _, p := range c.Packages {
		fmt.Fprintf(h, "%s %s %s %s %v %v\n", p.Name, p.Version, p.Arch, p.SHA256, p.Kernel, p.Standalone)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

var hexRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidationError lists every problem Validate found.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid lock: " + e.Problems[0]
	}
	return "invalid lock:\n\t" + strings.Join(e.Problems, "\n\t")
}

// Hint tells the user what to do.
func (e *ValidationError) Hint() string {
	return "regenerate the lock with 'pdvm plan FILE' rather than editing it by hand"
}

// Validate checks l's invariants and reports every violation: format
// version, required fields, canonical order without duplicates, well-formed
// versions and hashes, one reason per package and consistent summaries.
func Validate(l *Lock) error {
	var ps []string
	bad := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if l.Format != FormatVersion {
		bad("format %d, want %d", l.Format, FormatVersion)
	}
	for _, f := range []struct{ name, v string }{{"vm", l.VM}, {"release", l.Release}, {"arch", l.Arch}, {"base", l.Base}, {"init", l.Init}, {"objective", l.Objective}, {"proof", l.Proof}} {
		if f.v == "" {
			bad("%s is empty", f.name)
		}
	}
	if l.Proof != "" && l.Proof != "optimal" && l.Proof != "feasible" {
		bad("proof %q is neither optimal nor feasible", l.Proof)
	}
	for _, h := range []struct{ name, v string }{{"description_sha256", l.DescriptionSHA256}, {"constraints_sha256", l.ConstraintsSHA256}} {
		if h.v != "" && !hexRE.MatchString(h.v) {
			bad("%s %q is not a SHA-256", h.name, h.v)
		}
	}
	count, size := 0, int64(0)
	for i := range l.Packages {
		p := &l.Packages[i]
		id := fmt.Sprintf("package %d (%s)", i, p.Name)
		if p.Name == "" || p.Version == "" || p.Arch == "" {
			bad("%s: name, version and arch are required", id)
		}
		if p.Version != "" && !version.Valid(p.Version) {
			bad("%s: version %q is not a Debian version", id, p.Version)
		}
		if !hexRE.MatchString(p.SHA256) {
			bad("%s: sha256 %q is not a SHA-256", id, p.SHA256)
		}
		if p.Filename == "" {
			bad("%s: filename is empty", id)
		}
		if p.Size <= 0 {
			bad("%s: size %d is not positive", id, p.Size)
		}
		if len(p.Reason) == 0 {
			bad("%s: no reason", id)
		}
		if p.Standalone && !p.Kernel {
			bad("%s: only the kernel may be standalone", id)
		}
		if i > 0 {
			q := &l.Packages[i-1]
			if q.Name > p.Name || q.Name == p.Name && q.Arch > p.Arch {
				bad("%s: packages are not sorted by name and arch", id)
			}
			if q.Name == p.Name && q.Arch == p.Arch && q.Version == p.Version {
				bad("%s: duplicate of package %d", id, i-1)
			}
		}
		if !p.Standalone {
			count++
			size += p.InstalledSize
		}
	}
	if l.Count != count {
		bad("count %d, but %d packages (not counting a standalone kernel)", l.Count, count)
	}
	if l.InstalledSize != size {
		bad("installed_size %d KiB, but the packages sum to %d KiB", l.InstalledSize, size)
	}
	if k := l.KernelBuild; k != nil {
		if k.Source == "" || k.SourceVersion == "" {
			bad("kernel_build: source and source_version are required")
		}
		if k.SourceSHA256 != "" && !hexRE.MatchString(k.SourceSHA256) {
			bad("kernel_build: source_sha256 %q is not a SHA-256", k.SourceSHA256)
		}
	}
	if l.Hardware.CPUs < 0 || l.Hardware.MemoryMiB < 0 || l.Hardware.DiskMiB < 0 {
		bad("hardware sizes must not be negative")
	}
	if len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}
