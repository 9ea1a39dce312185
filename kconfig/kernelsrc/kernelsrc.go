// Package kernelsrc fetches the Linux kernel source pdvm models: Debian's
// linux-source-6.1 package at one pinned version, verified by its SHA256
// from the bookworm Packages index, and unpacked once into the pdvm cache.
//
// The .deb holds /usr/src/linux-source-6.1.tar.xz (about 138 MB); unpacked
// it is a 1.5 GB tree. Both steps are idempotent and crash-safe: the .deb is
// written to a temporary file and renamed after its hash checks out, and the
// tree is unpacked into a temporary directory that is renamed into place
// only when complete, so a killed run leaves nothing that looks finished.
package kernelsrc

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"pdvm.dev/pdvm/debx"
	"pdvm.dev/pdvm/internal/cache"
)

// The pinned source package: linux-source-6.1 from the plain bookworm
// suite (`apt-cache show linux-source-6.1`; bookworm-security versions
// disappear from the mirror when superseded).
const (
	Package       = "linux-source-6.1"
	Version       = "6.1.170-3"
	KernelVersion = "6.1.170"
	Filename      = "pool/main/l/linux/linux-source-6.1_6.1.170-3_all.deb"
	SHA256        = "0543813917cb88087d40385c0ac2581eac5cf61911e5a53258ff7997fa621478"
	Size          = 139047704
	// DefaultMirror is where Fetch downloads from.
	DefaultMirror = "http://deb.debian.org/debian/"
	tarball       = "usr/src/linux-source-6.1.tar.xz"
)

// CacheDir returns the kernel directory of pdvm's cache (see cache.Dir).
func CacheDir() (string, error) {
	d, err := cache.Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "kernel"), nil
}

// Fetch makes sure the pinned .deb is in cacheDir and returns its path.
// A cached file is re-verified; a wrong one is downloaded again.
func Fetch(ctx context.Context, cacheDir, mirror string) (string, error) {
	if mirror == "" {
		mirror = DefaultMirror
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", cacheDir, err)
	}
	dst := filepath.Join(cacheDir, filepath.Base(Filename))
	if ok, err := verify(dst); err == nil && ok {
		return dst, nil
	}
	url := strings.TrimSuffix(mirror, "/") + "/" + Filename
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("downloading %s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(cacheDir, ".download-*")
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", url, err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("downloading %s: %w", url, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != SHA256 || n != Size {
		return "", fmt.Errorf("downloading %s: got %d bytes with SHA256 %s, want %d bytes with %s (mirror out of date or corrupt)", url, n, got, Size, SHA256)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("storing %s: %w", dst, err)
	}
	return dst, nil
}

func verify(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == SHA256, nil
}

// Tree returns the unpacked source tree for the pinned version, fetching
// and unpacking it into cacheDir first if needed.
func Tree(ctx context.Context, cacheDir, mirror string) (string, error) {
	dir := filepath.Join(cacheDir, "linux-source-"+Version)
	if _, err := os.Stat(filepath.Join(dir, "Kconfig")); err == nil {
		return dir, nil
	}
	// One process fetches and unpacks; others wait for it (go test runs
	// packages in parallel, and each may need the tree).
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", cacheDir, err)
	}
	lock, err := os.OpenFile(filepath.Join(cacheDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("locking %s: %w", cacheDir, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking %s: %w", cacheDir, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(dir, "Kconfig")); err == nil {
		return dir, nil
	}
	debPath, err := Fetch(ctx, cacheDir, mirror)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cacheDir, ".unpack-*")
	if err != nil {
		return "", fmt.Errorf("unpacking %s: %w", debPath, err)
	}
	defer os.RemoveAll(tmp)
	if err := Unpack(ctx, debPath, tmp); err != nil {
		return "", err
	}
	src := filepath.Join(tmp, "linux-source-6.1")
	if _, err := os.Stat(filepath.Join(src, "Kconfig")); err != nil {
		return "", fmt.Errorf("unpacking %s: no linux-source-6.1/Kconfig in the tarball", debPath)
	}
	if err := os.Rename(src, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "Kconfig")); serr == nil {
			return dir, nil // another process won the race
		}
		return "", fmt.Errorf("moving the unpacked tree to %s: %w", dir, err)
	}
	return dir, nil
}

// Unpack extracts the kernel tarball inside the .deb at debPath into dir.
func Unpack(ctx context.Context, debPath, dir string) error {
	f, err := os.Open(debPath)
	if err != nil {
		return fmt.Errorf("opening %s: %w", debPath, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("opening %s: %w", debPath, err)
	}
	found := false
	err = debx.Members(f, st.Size(), func(m debx.Member) (bool, error) {
		if !strings.HasPrefix(m.Name, "data.tar") {
			return false, nil
		}
		found = true
		data, err := debx.Decompress(ctx, m.Name, m.R)
		if err != nil {
			return true, fmt.Errorf("%s: %w", m.Name, err)
		}
		defer data.Close()
		tr := tar.NewReader(data)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return true, fmt.Errorf("no %s inside", tarball)
			}
			if err != nil {
				return true, fmt.Errorf("%s: %w", m.Name, err)
			}
			if strings.TrimPrefix(h.Name, "./") != tarball {
				continue
			}
			inner, err := debx.Decompress(ctx, tarball, tr)
			if err != nil {
				return true, fmt.Errorf("%s: %w", tarball, err)
			}
			defer inner.Close()
			return true, extract(ctx, tar.NewReader(bufio.NewReaderSize(inner, 1<<20)), dir)
		}
	})
	if err == nil && !found {
		err = errors.New("no data.tar member")
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", debPath, err)
	}
	return nil
}

func extract(ctx context.Context, tr *tar.Reader, dir string) error {
	for n := 0; ; n++ {
		if n%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the kernel tarball: %w", err)
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("reading the kernel tarball: unsafe path %q", h.Name)
		}
		p := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return fmt.Errorf("unpacking %s: %w", name, err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return fmt.Errorf("unpacking %s: %w", name, err)
			}
			mode := os.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return fmt.Errorf("unpacking %s: %w", name, err)
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("unpacking %s: %w", name, err)
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return fmt.Errorf("unpacking %s: %w", name, err)
			}
			if err := os.Symlink(h.Linkname, p); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("unpacking %s: %w", name, err)
			}
		}
	}
}
