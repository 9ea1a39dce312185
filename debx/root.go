package debx

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Root is a directory that paths cannot escape: every operation resolves
// its path with openat2(2) and RESOLVE_IN_ROOT, so ".." and symlinks stay
// inside the directory, as they would in a chroot. Paths are slash
// separated and relative to the root; a leading "/" or "./" is ignored.
type Root struct {
	dir    string
	fd     int
	owners map[string]Owner // see RecordOwners
}

// Owner is a numeric file owner.
type Owner struct{ UID, GID int }

// RecordOwners makes Chown remember every owner it is asked to set, by
// resolved root-relative path, and not fail when it may not set it (pdvm
// running without root): the image builder applies them later, when it
// writes the file system.
func (r *Root) RecordOwners() { r.owners = map[string]Owner{} }

// Owners returns what Chown recorded (nil unless RecordOwners was called).
func (r *Root) Owners() map[string]Owner { return r.owners }

// OpenRoot opens dir (which must exist) as a Root.
func OpenRoot(dir string) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening root %s: %w", dir, err)
	}
	// the canonical path, as /proc/self/fd reports directories under it
	if canon, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err == nil {
		dir = canon
	}
	return &Root{dir: dir, fd: fd}, nil
}

// Close releases the root's descriptor.
func (r *Root) Close() error { return unix.Close(r.fd) }

// Dir is the root's path on the host.
func (r *Root) Dir() string { return r.dir }

// Clean turns an archive or configuration path into a root-relative one
// ("" for the root itself). It rejects ".." components.
func Clean(name string) (string, error) {
	n := strings.TrimPrefix(strings.TrimLeft(name, "/"), "./")
	n = strings.TrimLeft(n, "/")
	for _, c := range strings.Split(n, "/") {
		if c == ".." {
			return "", fmt.Errorf("path %q contains \"..\"", name)
		}
	}
	n = path.Clean("/" + n)[1:]
	return n, nil
}

func (r *Root) openDir(rel string) (int, error) {
	if rel == "" || rel == "." {
		return unix.Openat2(r.fd, ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC})
	}
	return unix.Openat2(r.fd, rel, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
}

// dirFD opens directory rel, creating it and its parents (mode 0755) when
// create is set.
func (r *Root) dirFD(rel string, create bool) (int, error) {
	fd, err := r.openDir(rel)
	if err == nil || !create || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	pfd, err := r.dirFD(path.Dir(rel), true)
	if err != nil {
		return -1, err
	}
	err = unix.Mkdirat(pfd, path.Base(rel), 0o755)
	unix.Close(pfd)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return -1, err
	}
	return r.openDir(rel)
}

// parent opens rel's parent directory (creating it if missing) and
// returns it with rel's last component.
func (r *Root) parent(rel string) (int, string, error) {
	rel, err := Clean(rel)
	if err != nil {
		return -1, "", err
	}
	if rel == "" {
		return -1, "", fmt.Errorf("the root itself is not a valid target here")
	}
	dir, base := path.Split(rel)
	fd, err := r.dirFD(strings.TrimSuffix(dir, "/"), true)
	if err != nil {
		return -1, "", fmt.Errorf("opening directory /%s: %w", dir, err)
	}
	return fd, base, nil
}

// clear removes a non-directory entry at base so it can be replaced. It
// refuses to replace a directory.
func clear(pfd int, base string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return fmt.Errorf("a directory is in the way")
	}
	return unix.Unlinkat(pfd, base, 0)
}

// MkdirAll creates directory rel and its parents. An existing directory,
// or a symlink that resolves to one inside the root, is left as it is.
func (r *Root) MkdirAll(rel string, mode fs.FileMode) error {
	c, err := Clean(rel)
	if err != nil {
		return err
	}
	fd, err := r.openDir(c)
	if err == nil {
		unix.Close(fd)
		return nil
	}
	pfd, base, err := r.parent(c)
	if err != nil {
		return fmt.Errorf("creating directory /%s: %w", c, err)
	}
	defer unix.Close(pfd)
	if err := unix.Mkdirat(pfd, base, uint32(mode.Perm())); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("creating directory /%s: %w", c, err)
	}
	return unix.Fchmodat(pfd, base, uint32(unixMode(mode)), 0)
}

// Create creates (or replaces) regular file rel for writing. A symlink at
// rel is replaced, never followed.
func (r *Root) Create(rel string, mode fs.FileMode) (*os.File, error) {
	pfd, base, err := r.parent(rel)
	if err != nil {
		return nil, fmt.Errorf("creating /%s: %w", strings.TrimLeft(rel, "/"), err)
	}
	defer unix.Close(pfd)
	if err := clear(pfd, base); err != nil {
		return nil, fmt.Errorf("creating /%s: %w", strings.TrimLeft(rel, "/"), err)
	}
	fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(mode.Perm()))
	if err != nil {
		return nil, fmt.Errorf("creating /%s: %w", strings.TrimLeft(rel, "/"), err)
	}
	f := os.NewFile(uintptr(fd), r.dir+"/"+strings.TrimLeft(rel, "/"))
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// WriteFile creates or replaces rel with data.
func (r *Root) WriteFile(rel string, data []byte, mode fs.FileMode) error {
	f, err := r.Create(rel, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing /%s: %w", rel, err)
	}
	return f.Close()
}

// Open opens rel for reading, resolving symlinks inside the root.
func (r *Root) Open(rel string) (*os.File, error) {
	c, err := Clean(rel)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Openat2(r.fd, c, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: "/" + c, Err: err}
	}
	return os.NewFile(uintptr(fd), r.dir+"/"+c), nil
}

// ReadFile reads rel, resolving symlinks inside the root.
func (r *Root) ReadFile(rel string) ([]byte, error) {
	f, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// Lstat describes rel without following a final symlink.
func (r *Root) Lstat(rel string) (unix.Stat_t, error) {
	var st unix.Stat_t
	c, err := Clean(rel)
	if err != nil {
		return st, err
	}
	if c == "" {
		return st, unix.Fstat(r.fd, &st)
	}
	dir, base := path.Split(c)
	pfd, err := r.openDir(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return st, &fs.PathError{Op: "lstat", Path: "/" + c, Err: err}
	}
	defer unix.Close(pfd)
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return st, &fs.PathError{Op: "lstat", Path: "/" + c, Err: err}
	}
	return st, nil
}

// Exists reports whether rel exists (without following a final symlink).
func (r *Root) Exists(rel string) bool {
	_, err := r.Lstat(rel)
	return err == nil
}

// Symlink creates (or replaces) symlink rel pointing at target. The target
// is stored as given; it is interpreted inside the root by the VM.
func (r *Root) Symlink(target, rel string) error {
	pfd, base, err := r.parent(rel)
	if err != nil {
		return fmt.Errorf("creating symlink /%s: %w", rel, err)
	}
	defer unix.Close(pfd)
	if err := clear(pfd, base); err != nil {
		return fmt.Errorf("creating symlink /%s: %w", rel, err)
	}
	if err := unix.Symlinkat(target, pfd, base); err != nil {
		return fmt.Errorf("creating symlink /%s: %w", rel, err)
	}
	return nil
}

// Link creates (or replaces) rel as a hard link to the regular file
// oldrel; both are resolved inside the root.
func (r *Root) Link(oldrel, rel string) error {
	opfd, obase, err := r.parent(oldrel)
	if err != nil {
		return fmt.Errorf("linking /%s: %w", rel, err)
	}
	defer unix.Close(opfd)
	pfd, base, err := r.parent(rel)
	if err != nil {
		return fmt.Errorf("linking /%s: %w", rel, err)
	}
	defer unix.Close(pfd)
	if err := clear(pfd, base); err != nil {
		return fmt.Errorf("linking /%s: %w", rel, err)
	}
	if err := unix.Linkat(opfd, obase, pfd, base, 0); err != nil {
		return fmt.Errorf("linking /%s to /%s: %w", rel, oldrel, err)
	}
	return nil
}

// Mknod creates a device node or FIFO.
func (r *Root) Mknod(rel string, mode uint32, dev int) error {
	pfd, base, err := r.parent(rel)
	if err != nil {
		return fmt.Errorf("creating node /%s: %w", rel, err)
	}
	defer unix.Close(pfd)
	if err := clear(pfd, base); err != nil {
		return fmt.Errorf("creating node /%s: %w", rel, err)
	}
	return unix.Mknodat(pfd, base, mode, dev)
}

// Remove removes a file, symlink or empty directory (no error if absent).
func (r *Root) Remove(rel string) error {
	c, err := Clean(rel)
	if err != nil || c == "" {
		return fmt.Errorf("removing %q: not a removable path", rel)
	}
	dir, base := path.Split(c)
	pfd, err := r.openDir(strings.TrimSuffix(dir, "/"))
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	defer unix.Close(pfd)
	err = unix.Unlinkat(pfd, base, 0)
	if errors.Is(err, unix.EISDIR) {
		err = unix.Unlinkat(pfd, base, unix.AT_REMOVEDIR)
	}
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing /%s: %w", c, err)
	}
	return nil
}

// Chown sets the owner of rel without following a final symlink.
func (r *Root) Chown(rel string, uid, gid int) error {
	return r.at(rel, func(pfd int, base string) error {
		err := unix.Fchownat(pfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
		if r.owners != nil {
			dir, lerr := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", pfd))
			if lerr != nil {
				return lerr
			}
			key := strings.TrimPrefix(strings.TrimPrefix(dir, r.dir), "/")
			if base != "." {
				key = path.Join(key, base)
			}
			r.owners[key] = Owner{uid, gid}
			if errors.Is(err, unix.EPERM) {
				err = nil
			}
		}
		return err
	})
}

// Chmod sets the mode of rel (which must not be a symlink).
func (r *Root) Chmod(rel string, mode fs.FileMode) error {
	return r.at(rel, func(pfd int, base string) error {
		return unix.Fchmodat(pfd, base, uint32(unixMode(mode)), 0)
	})
}

// Chtimes sets access and modification time of rel without following a
// final symlink.
func (r *Root) Chtimes(rel string, t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	return r.at(rel, func(pfd int, base string) error {
		return unix.UtimesNanoAt(pfd, base, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
	})
}

func (r *Root) at(rel string, f func(pfd int, base string) error) error {
	c, err := Clean(rel)
	if err != nil {
		return err
	}
	if c == "" {
		return f(r.fd, ".")
	}
	dir, base := path.Split(c)
	pfd, err := r.openDir(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return &fs.PathError{Op: "open", Path: "/" + dir, Err: err}
	}
	defer unix.Close(pfd)
	if err := f(pfd, base); err != nil {
		return &fs.PathError{Op: "set attributes", Path: "/" + c, Err: err}
	}
	return nil
}

// unixMode converts permission and setuid/setgid/sticky bits.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= unix.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		u |= unix.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		u |= unix.S_ISVTX
	}
	return u
}
