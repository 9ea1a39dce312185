package kernelsrc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
)

// BuildOptions configure [Build].
type BuildOptions struct {
	Src      string    // unpacked kernel tree
	CacheDir string    // builds are kept in CacheDir/builds/KEY
	Jobs     int       // make -j (default: number of CPUs)
	Log      io.Writer // make's output (default: discarded)
}

// BuildResult is a built (or cached) kernel image.
type BuildResult struct {
	BzImage string // path of the cached bzImage
	Key     string // cache key: SHA256 of .config, source version and compiler
	Cached  bool   // found in the cache, nothing was built
	Size    int64
}

// Build compiles arch/x86/boot/bzImage for dotconfig, or returns the cached
// image for the same .config, source version and compiler. The build runs
// out of tree in a temporary directory under the cache and only the image
// is kept; it is stored through a temporary name and rename.
//
// A kernel build for a minimal configuration costs a few hundred CPU
// seconds (218 for examples/web.pdvm.hcl, 412 options; the bench report
// measured 900 to 1,200 for configurations with 413 to 601 =y).
func Build(ctx context.Context, dotconfig []byte, opt BuildOptions) (*BuildResult, error) {
	cc, err := exec.CommandContext(ctx, "gcc", "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running gcc --version: %w", err)
	}
	ld, err := exec.CommandContext(ctx, "ld", "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running ld --version: %w", err)
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(Package + " " + Version + "\n"), firstLine(cc), firstLine(ld), dotconfig} {
		fmt.Fprintf(h, "%d\n", len(part))
		h.Write(part)
	}
	key := hex.EncodeToString(h.Sum(nil))[:32]
	dir := filepath.Join(opt.CacheDir, "builds", key)
	img := filepath.Join(dir, "bzImage")
	if st, err := os.Stat(img); err == nil {
		return &BuildResult{BzImage: img, Key: key, Cached: true, Size: st.Size()}, nil
	}
	if err := os.MkdirAll(filepath.Join(opt.CacheDir, "builds"), 0o755); err != nil {
		return nil, fmt.Errorf("creating the build cache: %w", err)
	}
	// One process compiles a configuration; others wait for it and take
	// the cached image (go test runs packages in parallel, and pdvm build
	// may run twice for the same description).
	lock, err := os.OpenFile(filepath.Join(opt.CacheDir, "builds", "."+key+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking the kernel build %s: %w", key, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("locking the kernel build %s: %w", key, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if st, err := os.Stat(img); err == nil {
		return &BuildResult{BzImage: img, Key: key, Cached: true, Size: st.Size()}, nil
	}
	work, err := os.MkdirTemp(filepath.Join(opt.CacheDir, "builds"), ".build-*")
	if err != nil {
		return nil, fmt.Errorf("creating a build directory: %w", err)
	}
	defer os.RemoveAll(work)
	obj := filepath.Join(work, "o")
	if err := os.MkdirAll(obj, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", obj, err)
	}
	if err := os.WriteFile(filepath.Join(obj, ".config"), dotconfig, 0o644); err != nil {
		return nil, fmt.Errorf("writing .config: %w", err)
	}
	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "make", append([]string{"-C", opt.Src, "ARCH=x86_64", "O=" + obj}, args...)...)
		cmd.Stdout, cmd.Stderr = logw, logw
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("make %v: %w", args, err)
		}
		return nil
	}
	if err := run("olddefconfig"); err != nil {
		return nil, err
	}
	after, err := os.ReadFile(filepath.Join(obj, ".config"))
	if err != nil {
		return nil, fmt.Errorf("reading .config after olddefconfig: %w", err)
	}
	if !bytes.Equal(after, dotconfig) {
		// Values are what matter; conf may rewrite comments. Keep going but
		// key the cache on the input.
		fmt.Fprintln(logw, "note: make olddefconfig rewrote .config")
	}
	if err := run("-j"+strconv.Itoa(jobs), "bzImage"); err != nil {
		return nil, err
	}
	built := filepath.Join(obj, "arch/x86/boot/bzImage")
	data, err := os.ReadFile(built)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", built, err)
	}
	stage := filepath.Join(work, "out")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(stage, "bzImage"), data, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(stage, "config"), dotconfig, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(stage, dir); err != nil {
		if _, serr := os.Stat(img); serr == nil {
			return &BuildResult{BzImage: img, Key: key, Cached: true, Size: int64(len(data))}, nil
		}
		return nil, fmt.Errorf("storing the build in %s: %w", dir, err)
	}
	return &BuildResult{BzImage: img, Key: key, Size: int64(len(data))}, nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}
