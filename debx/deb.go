package debx

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"golang.org/x/sys/unix"
)

// Options control extraction.
type Options struct {
	// MaxFileSize is the largest single entry accepted (default 4 GiB).
	MaxFileSize int64
	// MaxTotal is the most content one package may extract (default 16 GiB).
	MaxTotal int64
	// AllowDevices permits character/block device and FIFO entries.
	AllowDevices bool
	// Owners applies the numeric uid/gid of each entry (needs root).
	Owners bool
	// Clamp, when non-zero, caps every modification time (SOURCE_DATE_EPOCH).
	Clamp time.Time
	// Skip, when set, is asked for every entry's root-relative path;
	// entries it returns true for are not written (e.g. documentation).
	Skip func(rel string) bool
}

const (
	defaultMaxFile  = 4 << 30
	defaultMaxTotal = 16 << 30
)

// Entry is one path a package installed.
type Entry struct {
	Path string // root-relative, no leading slash
	Type byte   // tar type flag
}

// Error is an extraction failure tied to a package and (when known) one of
// its entries.
type Error struct {
	Deb   string // the .deb's path
	Entry string // the offending archive entry, if any
	Err   error
}

func (e *Error) Error() string {
	if e.Entry != "" {
		return fmt.Sprintf("extracting %s: entry %q: %v", e.Deb, e.Entry, e.Err)
	}
	return fmt.Sprintf("extracting %s: %v", e.Deb, e.Err)
}
func (e *Error) Unwrap() error { return e.Err }

// Hint says what to do about a rejected package.
func (e *Error) Hint() string {
	return "the package is malformed or hostile; check its SHA256 against the archive and report it"
}

// ErrUnsafe marks entries rejected for trying to leave the root or for
// being of a forbidden kind; ErrTooLarge marks size limits.
var (
	ErrUnsafe   = errors.New("unsafe archive entry")
	ErrTooLarge = errors.New("archive entry too large")
)

// Member is one ar member's name and content reader.
type Member struct {
	Name string
	Size int64
	R    io.Reader // the member's content; valid only during the callback
}

// Members iterates over an ar archive (a .deb is one), calling f for each
// member until f returns stop or an error. A member larger than limit (when
// limit > 0) is an error wrapping ErrTooLarge.
func Members(r io.Reader, limit int64, f func(m Member) (stop bool, err error)) error {
	br := bufio.NewReader(r)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "!<arch>\n" {
		return errors.New("not a Debian package: not an ar archive (no \"!<arch>\" magic)")
	}
	hdr := make([]byte, 60)
	for {
		if _, err := io.ReadFull(br, hdr); err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("reading ar header: %w", err)
		}
		if hdr[58] != '`' || hdr[59] != '\n' {
			return fmt.Errorf("corrupt ar member header")
		}
		name := strings.TrimSuffix(strings.TrimSpace(string(hdr[0:16])), "/")
		size, err := strconv.ParseInt(strings.TrimSpace(string(hdr[48:58])), 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("ar member %q: bad size field %q", name, strings.TrimSpace(string(hdr[48:58])))
		}
		if limit > 0 && size > limit {
			return fmt.Errorf("ar member %q claims %d bytes, more than the %d-byte file: %w", name, size, limit, ErrTooLarge)
		}
		lr := &io.LimitedReader{R: br, N: size}
		stop, err := f(Member{Name: name, Size: size, R: lr})
		if err != nil || stop {
			return err
		}
		if _, err := io.Copy(io.Discard, lr); err != nil {
			return fmt.Errorf("reading ar member %q: %w", name, err)
		}
		if lr.N > 0 {
			return fmt.Errorf("ar member %q truncated", name)
		}
		if size%2 == 1 {
			br.ReadByte()
		}
	}
}

// Decompress returns a reader for a tar member compressed as its name's
// suffix says (.tar, .gz, .zst, .xz); xz goes through the xz program when
// it is installed, which is several times faster than Go's decoder.
// xz uses the xz(1) tool when present (several times faster than the pure
// Go decoder), else the Go decoder.
func Decompress(ctx context.Context, name string, r io.Reader) (io.ReadCloser, error) {
	switch {
	case strings.HasSuffix(name, ".tar"):
		return io.NopCloser(r), nil
	case strings.HasSuffix(name, ".gz"):
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		return z, nil
	case strings.HasSuffix(name, ".zst"):
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return z.IOReadCloser(), nil
	case strings.HasSuffix(name, ".xz"):
		if p, err := exec.LookPath("xz"); err == nil {
			// -T0: xz 5.4 decompresses multi-block streams (Debian's kernel
			// package has several blocks) on all cores
			return execReader(ctx, r, p, "-T0", "-dc")
		}
		z, err := xz.NewReader(bufio.NewReaderSize(r, 1<<16))
		if err != nil {
			return nil, err
		}
		return io.NopCloser(z), nil
	}
	return nil, fmt.Errorf("unsupported compression for member %q", name)
}

type cmdReader struct {
	io.ReadCloser
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

func (c *cmdReader) Close() error {
	c.ReadCloser.Close()
	err := c.cmd.Wait()
	if err != nil && c.stderr.Len() > 0 {
		return fmt.Errorf("%s: %w: %s", c.cmd.Path, err, strings.TrimSpace(c.stderr.String()))
	}
	return nil
}

func execReader(ctx context.Context, in io.Reader, prog string, args ...string) (io.ReadCloser, error) {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdin = in
	var eb bytes.Buffer
	cmd.Stderr = &eb
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &cmdReader{ReadCloser: out, cmd: cmd, stderr: &eb}, nil
}

// Control returns the package's control.tar member files (control,
// conffiles, maintainer scripts …) by name.
func Control(ctx context.Context, deb string) (map[string][]byte, error) {
	f, err := os.Open(deb)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, _ := f.Stat()
	out := map[string][]byte{}
	err = Members(f, st.Size(), func(m Member) (bool, error) {
		if !strings.HasPrefix(m.Name, "control.tar") {
			return false, nil
		}
		dr, err := Decompress(ctx, m.Name, m.R)
		if err != nil {
			return true, err
		}
		defer dr.Close()
		tr := tar.NewReader(dr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return true, nil
			}
			if err != nil {
				return true, fmt.Errorf("reading %s: %w", m.Name, err)
			}
			if h.Typeflag != tar.TypeReg || h.Size > 64<<20 {
				continue
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return true, err
			}
			out[path.Base(h.Name)] = b
		}
	})
	if err != nil {
		return nil, &Error{Deb: deb, Err: err}
	}
	return out, nil
}

// Extract unpacks deb's data.tar into root and returns the entries it
// wrote, in archive order.
func Extract(ctx context.Context, deb string, root *Root, opt Options) ([]Entry, error) {
	f, err := os.Open(deb)
	if err != nil {
		return nil, fmt.Errorf("extracting %s: %w", deb, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var entries []Entry
	found := false
	err = Members(f, st.Size(), func(m Member) (bool, error) {
		if !strings.HasPrefix(m.Name, "data.tar") {
			return false, nil
		}
		found = true
		dr, err := Decompress(ctx, m.Name, m.R)
		if err != nil {
			return true, err
		}
		entries, err = extractTar(ctx, tar.NewReader(dr), root, opt)
		cerr := dr.Close()
		if err == nil && cerr != nil {
			err = fmt.Errorf("decompressing %s: %w", m.Name, cerr)
		}
		return true, err
	})
	if err == nil && !found {
		err = fmt.Errorf("no data.tar member")
	}
	if err != nil {
		var de *Error
		if errors.As(err, &de) {
			de.Deb = deb
			return entries, de
		}
		return entries, &Error{Deb: deb, Err: err}
	}
	return entries, nil
}

func extractTar(ctx context.Context, tr *tar.Reader, root *Root, opt Options) ([]Entry, error) {
	maxFile, maxTotal := opt.MaxFileSize, opt.MaxTotal
	if maxFile <= 0 {
		maxFile = defaultMaxFile
	}
	if maxTotal <= 0 {
		maxTotal = defaultMaxTotal
	}
	var total int64
	regular := map[string]bool{} // regular files written from this archive
	var entries []Entry
	type dirAttr struct {
		rel string
		h   *tar.Header
	}
	var dirs []dirAttr
	for {
		if err := ctx.Err(); err != nil {
			return entries, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return entries, fmt.Errorf("reading data.tar: %w", err)
		}
		bad := func(err error) ([]Entry, error) { return entries, &Error{Entry: h.Name, Err: err} }
		if strings.HasPrefix(h.Name, "/") {
			return bad(fmt.Errorf("absolute path: %w", ErrUnsafe))
		}
		rel, err := Clean(h.Name)
		if err != nil {
			return bad(fmt.Errorf("%v: %w", err, ErrUnsafe))
		}
		if rel == "" {
			continue
		}
		if opt.Skip != nil && opt.Skip(rel) {
			continue
		}
		if h.Size > maxFile {
			return bad(fmt.Errorf("claims %d bytes, above the %d-byte limit per file: %w", h.Size, maxFile, ErrTooLarge))
		}
		total += h.Size
		if total > maxTotal {
			return bad(fmt.Errorf("package content exceeds the %d-byte limit: %w", maxTotal, ErrTooLarge))
		}
		mode := fs.FileMode(h.Mode).Perm()
		if h.Mode&04000 != 0 {
			mode |= fs.ModeSetuid
		}
		if h.Mode&02000 != 0 {
			mode |= fs.ModeSetgid
		}
		if h.Mode&01000 != 0 {
			mode |= fs.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(rel, mode); err != nil {
				return bad(err)
			}
			dirs = append(dirs, dirAttr{rel, h})
		case tar.TypeReg, tar.TypeRegA:
			w, err := root.Create(rel, mode)
			if err != nil {
				return bad(err)
			}
			n, err := io.Copy(w, io.LimitReader(tr, h.Size))
			if err == nil && n != h.Size {
				err = fmt.Errorf("short entry: %d of %d bytes", n, h.Size)
			}
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err == nil && opt.Owners {
				err = root.Chown(rel, h.Uid, h.Gid)
				if err == nil && mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
					err = root.Chmod(rel, mode) // chown clears set-id bits
				}
			}
			if err != nil {
				return bad(err)
			}
			regular[rel] = true
		case tar.TypeSymlink:
			if err := checkSymlink(rel, h.Linkname); err != nil {
				return bad(err)
			}
			if err := root.Symlink(h.Linkname, rel); err != nil {
				return bad(err)
			}
		case tar.TypeLink:
			if strings.HasPrefix(h.Linkname, "/") {
				return bad(fmt.Errorf("hard link to absolute path %q: %w", h.Linkname, ErrUnsafe))
			}
			target, err := Clean(h.Linkname)
			if err != nil {
				return bad(fmt.Errorf("hard link target: %v: %w", err, ErrUnsafe))
			}
			if !regular[target] {
				return bad(fmt.Errorf("hard link to %q, which is not a regular file earlier in this package: %w", h.Linkname, ErrUnsafe))
			}
			if err := root.Link(target, rel); err != nil {
				return bad(err)
			}
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			if !opt.AllowDevices {
				return bad(fmt.Errorf("device node or FIFO not allowed: %w", ErrUnsafe))
			}
			m := uint32(mode.Perm())
			switch h.Typeflag {
			case tar.TypeChar:
				m |= unix.S_IFCHR
			case tar.TypeBlock:
				m |= unix.S_IFBLK
			default:
				m |= unix.S_IFIFO
			}
			if err := root.Mknod(rel, m, int(unix.Mkdev(uint32(h.Devmajor), uint32(h.Devminor)))); err != nil {
				return bad(err)
			}
		default:
			return bad(fmt.Errorf("unsupported entry type %q: %w", h.Typeflag, ErrUnsafe))
		}
		if h.Typeflag != tar.TypeDir {
			if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA && opt.Owners {
				if err := root.Chown(rel, h.Uid, h.Gid); err != nil {
					return bad(err)
				}
			}
			if err := root.Chtimes(rel, clampTime(h.ModTime, opt.Clamp)); err != nil {
				return bad(err)
			}
		}
		entries = append(entries, Entry{Path: rel, Type: h.Typeflag})
	}
	// Directory owners and times last, so later entries don't bump them.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		st, err := root.Lstat(d.rel)
		if err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue // a symlink to a directory (merged /usr): leave it
		}
		if opt.Owners {
			if err := root.Chown(d.rel, d.h.Uid, d.h.Gid); err != nil {
				return entries, &Error{Entry: d.h.Name, Err: err}
			}
		}
		if err := root.Chtimes(d.rel, clampTime(d.h.ModTime, opt.Clamp)); err != nil {
			return entries, &Error{Entry: d.h.Name, Err: err}
		}
	}
	return entries, nil
}

// checkSymlink rejects a relative symlink target that climbs above the
// root from the link's directory.
func checkSymlink(rel, target string) error {
	if target == "" {
		return fmt.Errorf("empty symlink target: %w", ErrUnsafe)
	}
	if strings.HasPrefix(target, "/") {
		return nil
	}
	depth := strings.Count(rel, "/") // directories above the link
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return fmt.Errorf("symlink to %q points outside the root: %w", target, ErrUnsafe)
			}
		default:
			depth++
		}
	}
	return nil
}

func clampTime(t, max time.Time) time.Time {
	if !max.IsZero() && t.After(max) {
		return max
	}
	return t
}

// Walk reads deb's data.tar without writing anything, calling f for each
// regular file with its cleaned root-relative path, size and content
// reader (valid only during the call). Names are checked as by Extract;
// sizes are limited by opt.MaxFileSize. Returning ErrStop from f ends the
// walk early without error.
func Walk(ctx context.Context, deb string, opt Options, f func(rel string, size int64, r io.Reader) error) error {
	fh, err := os.Open(deb)
	if err != nil {
		return fmt.Errorf("reading %s: %w", deb, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	maxFile := opt.MaxFileSize
	if maxFile <= 0 {
		maxFile = defaultMaxFile
	}
	found := false
	err = Members(fh, st.Size(), func(m Member) (bool, error) {
		if !strings.HasPrefix(m.Name, "data.tar") {
			return false, nil
		}
		found = true
		dr, err := Decompress(ctx, m.Name, m.R)
		if err != nil {
			return true, err
		}
		defer dr.Close()
		tr := tar.NewReader(dr)
		for {
			if err := ctx.Err(); err != nil {
				return true, err
			}
			h, err := tr.Next()
			if err == io.EOF {
				return true, nil
			}
			if err != nil {
				return true, fmt.Errorf("reading data.tar: %w", err)
			}
			if strings.HasPrefix(h.Name, "/") {
				return true, &Error{Entry: h.Name, Err: fmt.Errorf("absolute path: %w", ErrUnsafe)}
			}
			rel, err := Clean(h.Name)
			if err != nil {
				return true, &Error{Entry: h.Name, Err: fmt.Errorf("%v: %w", err, ErrUnsafe)}
			}
			if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
				continue
			}
			if h.Size > maxFile {
				return true, &Error{Entry: h.Name, Err: fmt.Errorf("claims %d bytes, above the %d-byte limit per file: %w", h.Size, maxFile, ErrTooLarge)}
			}
			if err := f(rel, h.Size, io.LimitReader(tr, h.Size)); err != nil {
				if errors.Is(err, ErrStop) {
					io.Copy(io.Discard, dr) // let the decompressor finish cleanly
					return true, nil
				}
				return true, err
			}
		}
	})
	if err == nil && !found {
		err = fmt.Errorf("no data.tar member")
	}
	if err != nil {
		var de *Error
		if errors.As(err, &de) {
			de.Deb = deb
			return de
		}
		return &Error{Deb: deb, Err: err}
	}
	return nil
}

// ErrStop ends a Walk early.
var ErrStop = errors.New("stop walking")
