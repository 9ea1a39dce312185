package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/internal/tool"
)

// How pdvm-init gets into an image
//
// The VM runs pdvm-init as PID 1, and the VM may have no C library, so the
// binary must be static. pdvm itself may be linked dynamically (go run
// uses cgo when it can), so the builder cannot copy its own executable.
// Instead [InitBinary] compiles cmd/pdvm-init from this module's source
// with CGO_ENABLED=0, -trimpath and an empty build id (so the bytes depend
// only on the source and the Go version), and caches the result under
// CACHE/init/HASH, HASH being the SHA-256 of the Go version and every .go
// file of the packages involved plus go.mod and go.sum. The source is
// found by walking up from the working directory to the go.mod declaring
// module pdvm.dev/pdvm (true for `go run ./cmd/pdvm` and for tests).
// $PDVM_INIT names a prebuilt binary instead (for installed pdvm
// binaries without the source). Either way the ELF is checked to have no
// program interpreter (PT_INTERP), i.e. to be statically linked.

// EnvInit names a prebuilt static pdvm-init to use instead of compiling.
const EnvInit = "PDVM_INIT"

// InitBinary returns the path of a static pdvm-init binary.
func InitBinary(ctx context.Context, cacheDir string) (string, error) {
	if p := os.Getenv(EnvInit); p != "" {
		if err := CheckStatic(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvInit, p, err)
		}
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	sum, err := sourceHash(root)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(cacheDir, "init", sum, "pdvm-init")
	if CheckStatic(dst) == nil {
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	p, err := cache.Create(filepath.Dir(dst))
	if err != nil {
		return "", err
	}
	tmp := p.Name()
	defer p.Abort()
	gobin, err := goTool()
	if err != nil {
		return "", err
	}
	out, err := runIn(ctx, root, []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=mod"},
		gobin, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", tmp, "./cmd/pdvm-init")
	if err != nil {
		return "", fmt.Errorf("compiling pdvm-init: %w\n%s", err, out)
	}
	if err := CheckStatic(tmp); err != nil {
		return "", err
	}
	if err := p.Commit(dst, 0o755); err != nil {
		return "", err
	}
	return dst, nil
}

func goTool() (string, error) {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p, nil
	}
	return tool.Look("go")
}

// CheckStatic fails unless path is an x86-64 ELF executable without a
// program interpreter.
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		return fmt.Errorf("%s is for %v, not x86-64", path, f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (has a PT_INTERP program header)", path)
		}
	}
	return nil
}

// moduleRoot finds the pdvm source tree: above the working directory,
// above the running executable, or (for `go install`ed binaries) in the
// Go module cache at the version recorded in the executable.
func moduleRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	// The directory this file was compiled from (absent with -trimpath):
	// a pdvm binary built from a checkout finds that checkout wherever it
	// is run.
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			b, err := os.ReadFile(filepath.Join(d, "go.mod"))
			if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module pdvm.dev/pdvm\n")) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == "pdvm.dev/pdvm" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		if gobin, err := goTool(); err == nil {
			if out, err := runIn(context.Background(), "", nil, gobin, "env", "GOMODCACHE"); err == nil {
				d := filepath.Join(strings.TrimSpace(string(out)), "pdvm.dev", "pdvm@"+bi.Main.Version)
				if fileExists(filepath.Join(d, "go.mod")) {
					return d, nil
				}
			}
		}
	}
	return "", fmt.Errorf("finding pdvm's source to compile pdvm-init: no go.mod for pdvm.dev/pdvm above %s (run pdvm from its source tree, or set %s to a static pdvm-init binary built with CGO_ENABLED=0 go build ./cmd/pdvm-init)", strings.Join(starts, " or "), EnvInit)
}

// sourceHash hashes what the init binary is built from.
func sourceHash(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", runtime.Version())
	var files []string
	for _, f := range []string{"go.mod", "go.sum"} {
		files = append(files, filepath.Join(root, f))
	}
	for _, d := range []string{"cmd/pdvm-init", "vminit"} {
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(root, f)
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
