// Package build is stage T of pdvm's pipeline: it turns a lock (the exact
// package set) and a [Spec] (users, files, services, network, hardware)
// into a bootable VM image, in every common disk format, with hypervisor
// configurations.
//
// # Pipeline
//
//  1. Fetch the lock's .debs (package fetch), verified by SHA-256.
//  2. Assemble the root file system in a staging directory, without
//     mounting anything: each package's data.tar is unpacked by package
//     debx, which keeps every entry inside the root. With base "none" no
//     maintainer script runs; pdvm writes /etc/passwd, /etc/group,
//     /etc/shadow, the hostname, the network and what the services need
//     (the postinst effects recorded as data in [PackageSetup]). With base
//     "debian" the packages are then configured by dpkg in a chroot, as
//     mmdebstrap does.
//  3. Kernel: the linux-image package of the lock is unpacked apart; only
//     the modules.dep closure of the drivers the hardware needs is copied
//     into the image (package kmod): virtio_pci and virtio_net for the NIC,
//     9 modules and about 0.5 MiB of Debian's 1,121 (87 MiB). The cloud
//     kernel has NVMe and ext4 built in, so the default NVMe root disk
//     boots without an initramfs — measured, this is also the fastest
//     path; a virtio-blk root disk, or Firecracker's virtio-mmio, gets a
//     small generated one (see initrd.go). With kernel flavour "pdvm" the
//     lock has no kernel package: the kernel is compiled from the pinned
//     linux-source with everything built in (kernel.go), so the image has
//     no modules and no initramfs.
//  4. Init: pdvm's own static init ([InitBinary], package vminit) with its
//     configuration, or systemd units generated from the spec.
//  5. File system: mkfs.ext4 -d, made deterministic: the UUID and
//     directory hash seed derive from the build key, every timestamp is the
//     lock's Date (SOURCE_DATE_EPOCH): file times are clamped in the
//     staging tree, E2FSPROGS_FAKE_TIME fixes the superblock times, and
//     debugfs rewrites the inode change/access times mkfs copies from the
//     staging tree.
//  6. A full disk: MBR, a FAT boot partition with syslinux and the kernel
//     (installed with mtools, no loop device), the ext4 root partition.
//  7. Formats and hypervisor configurations (package target).
//
// # Cache and atomicity
//
// A build is keyed by the SHA-256 of the lock's package set and archive,
// the normalised spec and the init binary ([Key]); the description's own
// path and hash are not part of it, so two descriptions that resolve to
// the same manifest and configuration share the image. Images are built
// in a temporary directory inside the cache and renamed into place as a
// whole, and outputs are copied to temporary names and renamed, so a
// build killed at any point leaves no partial image under a final name.
package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"pdvm.dev/pdvm/fetch"
	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/manifest"
)

// Version changes whenever the builder's output for the same input changes.
const Version = "pdvm-build-1"

// Options control a build.
type Options struct {
	CacheDir string // default cache.Dir()
	OutDir   string // where artifacts are published; empty: not published
	Fetcher  *fetch.Fetcher
	// Log receives one line per stage (the library never prints).
	Log func(format string, args ...any)
	// NoCache rebuilds even when the cache has the image.
	NoCache bool
	// testHook, if set, is called at named points (crash tests).
	testHook func(point string)
}

// Artifact is one output file.
type Artifact struct {
	Kind   string `json:"kind"` // kernel, rootfs, disk, format:qcow2, config:libvirt, …
	Name   string `json:"name"` // file name
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Path   string `json:"path,omitempty"` // where it was published (set on publish)
	// Internal artifacts stay in the cache (e.g. the raw disk when raw
	// was not asked for).
	Internal bool `json:"internal,omitempty"`
}

// Result describes a finished build.
type Result struct {
	Key      string   `json:"key"`
	Cached   bool     `json:"cached"`
	Dir      string   `json:"dir"` // the image's cache directory
	Packages int      `json:"packages"`
	Kernel   string   `json:"kernel"`
	Modules  []string `json:"modules"`
	Initrd   bool     `json:"initrd"`
	// InitrdModules are the modules the initramfs loads (virtio root disk).
	InitrdModules []string   `json:"initrd_modules,omitempty"`
	RootBytes     int64      `json:"rootfs_bytes"` // content of the root file system
	DiskMiB       int64      `json:"disk_mib"`
	Cmdline       string     `json:"cmdline"`      // for direct boot of the full disk
	RootCmdline   string     `json:"root_cmdline"` // for direct boot of the bare rootfs image
	Artifacts     []Artifact `json:"artifacts"`
	Stages        []Stage    `json:"stages"`
}

// Stage is a timed step.
type Stage struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Artifact returns the artifact of a kind, or nil.
func (r *Result) Artifact(kind string) *Artifact {
	for i := range r.Artifacts {
		if r.Artifacts[i].Kind == kind {
			return &r.Artifacts[i]
		}
	}
	return nil
}

// Key is the cache key of a build.
func Key(l *manifest.Lock, s *Spec, initSum string) string {
	h := sha256.New()
	type keyed struct {
		Version  string
		Release  string
		Arch     string
		Date     string
		Packages []manifest.Package
		Spec     *Spec
		Init     string
		Kernel   *manifest.KernelBuild `json:",omitempty"`
	}
	pk := append([]manifest.Package(nil), l.Packages...)
	for i := range pk {
		pk[i].Reason = nil // why a package is there does not change the image
	}
	sort.Slice(pk, func(i, j int) bool { return pk[i].Name < pk[j].Name })
	b, _ := json.Marshal(keyed{Version, l.Release, l.Arch, l.Date, pk, s, initSum, l.KernelBuild})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Build builds (or finds in the cache) the image for lock and spec and,
// if opt.OutDir is set, publishes its artifacts there.
func Build(ctx context.Context, l *manifest.Lock, spec Spec, opt Options) (*Result, error) {
	if err := spec.Normalize(); err != nil {
		return nil, fmt.Errorf("checking the build spec: %w", err)
	}
	if opt.CacheDir == "" {
		d, err := cache.Dir()
		if err != nil {
			return nil, err
		}
		opt.CacheDir = d
	}
	if opt.Log == nil {
		opt.Log = func(string, ...any) {}
	}
	if err := checkTools(&spec); err != nil {
		return nil, err
	}
	initBin, err := InitBinary(ctx, opt.CacheDir)
	if err != nil {
		return nil, err
	}
	initSum, err := fileSHA256(initBin)
	if err != nil {
		return nil, err
	}
	key := Key(l, &spec, initSum)
	images := filepath.Join(opt.CacheDir, "images")
	final := filepath.Join(images, cacheID(key))
	res, err := loadResult(final)
	if err == nil && !opt.NoCache {
		res.Cached = true
		opt.Log("cache hit: image %s", key[:16])
	} else {
		unlock, err := cache.Lock(ctx, filepath.Join(images, "locks", filepath.Base(final)[:16]))
		if err != nil {
			return nil, err
		}
		defer unlock()
		if res, err = loadResult(final); err == nil && !opt.NoCache {
			res.Cached = true
		} else {
			// With the key's lock held, temporary directories of this key
			// were left by killed builds.
			if old, _ := filepath.Glob(filepath.Join(images, ".tmp-"+filepath.Base(final)[:16]+"-*")); len(old) > 0 {
				for _, o := range old {
					os.RemoveAll(o)
				}
			}
			res, err = buildInto(ctx, l, &spec, opt, key, initBin, images, final)
			if err != nil {
				return nil, err
			}
		}
	}
	res.Dir = final
	if opt.OutDir != "" {
		if err := publish(ctx, res, final, opt.OutDir, opt.testHook); err != nil {
			return nil, err
		}
		if err := writeConfigs(ctx, res, &spec, opt.OutDir); err != nil {
			return nil, err
		}
	}
	return res, nil
}

const resultFile = "result.json"

var (
	selfOnce sync.Once
	selfSum  string
)

// cacheID names an image in the cache: the build key (which alone seeds
// every identifier in the image, so that any pdvm built from the same
// source makes the same bytes) plus the SHA-256 of the running pdvm, so
// that a changed builder never reuses an image an older one made.
func cacheID(key string) string {
	selfOnce.Do(func() {
		if exe, err := os.Executable(); err == nil {
			selfSum, _ = fileSHA256(exe)
		}
	})
	h := sha256.Sum256([]byte(key + "\x00" + selfSum + "\x00" + Version))
	return hex.EncodeToString(h[:])
}

func loadResult(dir string) (*Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, resultFile))
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("reading cached image %s: %w", dir, err)
	}
	for _, a := range r.Artifacts {
		fi, err := os.Stat(filepath.Join(dir, a.Name))
		if err != nil || fi.Size() != a.Size {
			return nil, fmt.Errorf("cached image %s is incomplete (%s)", dir, a.Name)
		}
	}
	return &r, nil
}

// buildInto builds in a temporary directory under images and renames it to
// final when complete.
func buildInto(ctx context.Context, l *manifest.Lock, spec *Spec, opt Options, key, initBin, images, final string) (*Result, error) {
	if err := os.MkdirAll(images, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(images, ".tmp-"+filepath.Base(final)[:16]+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	b := &builder{ctx: ctx, lock: l, spec: spec, opt: opt, key: key, initBin: initBin, work: tmp,
		out: filepath.Join(tmp, "out")}
	if err := os.MkdirAll(b.out, 0o755); err != nil {
		return nil, err
	}
	res, err := b.run()
	if err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(b.out, resultFile), res); err != nil {
		return nil, err
	}
	b.hook("before-commit")
	os.RemoveAll(final) // an incomplete leftover (loadResult failed)
	if err := os.Rename(b.out, final); err != nil {
		return nil, fmt.Errorf("storing the image in the cache: %w", err)
	}
	syncDir(images)
	return res, nil
}

// publish copies artifacts into outDir under temporary names, then renames
// each into place.
func publish(ctx context.Context, r *Result, from, outDir string, hook func(string)) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", outDir, err)
	}
	for i := range r.Artifacts {
		a := &r.Artifacts[i]
		if a.Internal {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		dst := filepath.Join(outDir, a.Name)
		p, err := cache.Create(outDir)
		if err != nil {
			return err
		}
		f, err := os.Open(filepath.Join(from, a.Name))
		if err == nil {
			err = copySparse(p, f)
			f.Close()
		}
		if hook != nil {
			hook("publish:" + a.Name)
		}
		if err != nil {
			p.Abort()
			return fmt.Errorf("publishing %s: %w", a.Name, err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(a.Name, ".sh") {
			mode = 0o755
		}
		if err := p.Commit(dst, mode); err != nil {
			return err
		}
		a.Path = dst
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return cache.WriteFile(path, append(b, '\n'), 0o644)
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// TooSmallError is a disk size below what the content needs.
type TooSmallError struct {
	HaveMiB, NeedMiB int64
}

func (e *TooSmallError) Error() string {
	return fmt.Sprintf("disk size %d MiB is too small: the root file system needs at least %d MiB", e.HaveMiB, e.NeedMiB)
}

// Hint says what to change.
func (e *TooSmallError) Hint() string {
	return fmt.Sprintf("set the disk size to %d MiB or more in the hardware block (or leave it out to size the disk automatically)", e.NeedMiB)
}

var errNoKernel = errors.New("the lock has no kernel package (linux-image-*)")
