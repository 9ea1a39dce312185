package manifest

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func pkg(name, ver string) Package {
	return Package{Name: name, Version: ver, Arch: "amd64", Source: name, SourceVersion: ver, Suite: "bookworm",
		Filename: "pool/main/" + name + "_" + ver + "_amd64.deb", SHA256: sha, Size: 1000, InstalledSize: 10,
		Reason: []string{"web.pdvm.hcl:3:11 need " + name, name + " " + ver}}
}

func sample() *Lock {
	l := &Lock{Format: FormatVersion, VM: "web", Description: "web.pdvm.hcl", Release: "debian/bookworm", Arch: "amd64",
		Base: "none", Init: "pdvm", Objective: "count", Proof: "optimal",
		DescriptionSHA256: sha, ConstraintsSHA256: sha,
		Archive: []Suite{{Suite: "bookworm-security", Component: "main", Arch: "amd64"}, {Suite: "bookworm", Component: "main", Arch: "amd64"}},
		// deliberately unsorted
		Packages: []Package{pkg("zlib1g", "1:1.2.13.dfsg-1"), pkg("nginx", "1.22.1-9"), pkg("libc6", "2.36-9")},
		Hardware: Hardware{CPUs: 1, MemoryMiB: 256, DiskMiB: 128, DiskAuto: true},
	}
	l.Count = 3
	l.InstalledSize = 30
	return l
}

func TestEncodeCanonical(t *testing.T) {
	a, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	// Same content in another order encodes identically.
	s := sample()
	s.Packages[0], s.Packages[2] = s.Packages[2], s.Packages[0]
	s.Archive[0], s.Archive[1] = s.Archive[1], s.Archive[0]
	b, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("Encode is not canonical:\n%s\nvs\n%s", a, b)
	}
	if !bytes.HasSuffix(a, []byte("}\n")) || bytes.Contains(a, []byte("\t")) {
		t.Errorf("encoding should be 2-space indented JSON ending in a newline:\n%s", a)
	}
	if i, j := bytes.Index(a, []byte(`"libc6"`)), bytes.Index(a, []byte(`"zlib1g"`)); i < 0 || j < i {
		t.Errorf("packages not sorted by name")
	}
	// Round trip.
	l, err := Decode(a)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := Encode(l)
	if !bytes.Equal(a, c) {
		t.Errorf("Decode/Encode round trip changed the lock")
	}
	d1, _ := Digest(sample())
	d2, _ := Digest(s)
	if d1 != d2 || !strings.HasPrefix(d1, "sha256:") {
		t.Errorf("Digest = %s, %s; want equal sha256: digests", d1, d2)
	}
}

func TestDecodeStrict(t *testing.T) {
	for _, in := range []string{
		`{"format": 1, "colour": "red"}`,
		`{"format": 1} {"format": 1}`,
		`{"format": "one"}`,
		`not json`,
	} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) succeeded, want an error", in)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(func() *Lock { l := sample(); l.Sort(); return l }()); err != nil {
		t.Fatalf("Validate(sample) = %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Lock)
		wants []string
	}{
		{"format", func(l *Lock) { l.Format = 9 }, []string{"format 9"}},
		{"empty vm", func(l *Lock) { l.VM = "" }, []string{"vm is empty"}},
		{"proof", func(l *Lock) { l.Proof = "maybe" }, []string{"proof \"maybe\""}},
		{"unsorted", func(l *Lock) { l.Packages[0], l.Packages[1] = l.Packages[1], l.Packages[0] }, []string{"not sorted"}},
		{"bad hash and version", func(l *Lock) { l.Packages[0].SHA256 = "xyz"; l.Packages[0].Version = "!" }, []string{"not a SHA-256", "not a Debian version"}},
		{"no reason", func(l *Lock) { l.Packages[1].Reason = nil }, []string{"no reason"}},
		{"count", func(l *Lock) { l.Count = 7 }, []string{"count 7"}},
		{"size", func(l *Lock) { l.InstalledSize = 1 }, []string{"installed_size 1"}},
		{"standalone", func(l *Lock) { l.Packages[0].Standalone = true }, []string{"only the kernel"}},
		{"duplicate", func(l *Lock) { l.Packages[1] = l.Packages[0] }, []string{"duplicate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := sample()
			l.Sort()
			tc.edit(l)
			err := Validate(l)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestWriteReadAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "web.pdvm.hcl.lock")
	if _, err := Read(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read(missing) = %v, want fs.ErrNotExist", err)
	}
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.VM != "web" || len(l.Packages) != 3 {
		t.Errorf("Read = %+v", l)
	}
	// An invalid lock is refused and the old file stays intact.
	bad := sample()
	bad.Format = 0
	if err := Write(path, bad); err == nil {
		t.Fatal("Write(invalid) succeeded")
	}
	if _, err := Read(path); err != nil {
		t.Errorf("the previous lock was damaged: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
	// A corrupt lock names the file.
	os.WriteFile(path, []byte(`{"format": 1, "extra": true}`), 0o644)
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Read(corrupt) = %v, want an error naming %s", err, path)
	}
}

func TestDiff(t *testing.T) {
	a := sample()
	b := sample()
	b.Packages = []Package{pkg("libc6", "2.36-9+deb12u1"), pkg("nginx", "1.22.1-9"), pkg("libssl3", "3.0.15-1")}
	b.Base = "debian"
	d := Diff(a, b)
	if len(d.Added) != 1 || d.Added[0].Name != "libssl3" {
		t.Errorf("Added = %v", d.Added)
	}
	if len(d.Removed) != 1 || d.Removed[0].Name != "zlib1g" {
		t.Errorf("Removed = %v", d.Removed)
	}
	if len(d.Changed) != 1 || d.Changed[0].Name != "libc6" || !d.Changed[0].Upgrade() {
		t.Errorf("Changed = %v", d.Changed)
	}
	if len(d.Settings) != 1 || d.Settings[0] != "base: none → debian" {
		t.Errorf("Settings = %v", d.Settings)
	}
	text := d.Text()
	for _, w := range []string{"+ libssl3 3.0.15-1 amd64", "- zlib1g", "~ libc6 2.36-9 → 2.36-9+deb12u1 amd64", "1 added, 1 removed, 1 changed"} {
		if !strings.Contains(text, w) {
			t.Errorf("Text() = %q, want it to contain %q", text, w)
		}
	}
	if !Diff(a, sample()).Empty() {
		t.Errorf("Diff of equal locks is not empty")
	}
	if d := Diff(nil, a); len(d.Added) != 3 || len(d.Settings) != 0 {
		t.Errorf("Diff(nil, a) = %+v, want 3 added", d)
	}
}

func TestPackagesDigest(t *testing.T) {
	a, b := sample(), sample()
	b.VM, b.Description, b.DescriptionSHA256 = "other", "other.pdvm.hcl", strings.Repeat("f", 64)
	if PackagesDigest(a) != PackagesDigest(b) {
		t.Errorf("PackagesDigest depends on the description")
	}
	b.Packages[0].SHA256 = strings.Repeat("e", 64)
	if PackagesDigest(a) == PackagesDigest(b) {
		t.Errorf("PackagesDigest ignores package hashes")
	}
}

// A lock with a compiled kernel round-trips; one without keeps the old
// shape (no kernel_build key); a kernel_build without a source is invalid.
func TestKernelBuild(t *testing.T) {
	l := sample()
	l.Sort()
	plain, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain, []byte("kernel_build")) {
		t.Errorf("a lock without a compiled kernel mentions kernel_build:\n%s", plain)
	}
	l.KernelBuild = &KernelBuild{Source: "linux-source-6.1", SourceVersion: "6.1.170-3", SourceSHA256: sha, Need: []string{"VIRTIO_NET", "IPV6"}}
	data, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.KernelBuild == nil || back.KernelBuild.SourceVersion != "6.1.170-3" || strings.Join(back.KernelBuild.Need, ",") != "VIRTIO_NET,IPV6" {
		t.Errorf("kernel_build did not round-trip: %+v", back.KernelBuild)
	}
	if err := Validate(back); err != nil {
		t.Errorf("Validate = %v", err)
	}
	back.KernelBuild.Source = ""
	back.KernelBuild.SourceSHA256 = "nope"
	err = Validate(back)
	if err == nil || !strings.Contains(err.Error(), "kernel_build: source") || !strings.Contains(err.Error(), "not a SHA-256") {
		t.Errorf("Validate of a broken kernel_build = %v", err)
	}
}
