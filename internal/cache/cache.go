// Package cache is pdvm's on-disk cache: where it lives, how files get into
// it, and how concurrent pdvm processes share it.
//
// # Crash safety
//
// Nothing is ever written under its final name. [WriteFile], [WriteFrom] and
// [Pending] write to a temporary file in the destination directory (named
// ".tmp-*"), fsync it, and rename it into place; on any error the temporary
// file is removed. A crash or Ctrl-C can therefore leave at most a stray
// ".tmp-*" file (removed by [RemoveStale]), never a truncated entry under a
// final name.
//
// # Content addressing
//
// A [Store] keeps files named by the SHA-256 of their content. [Store.Put]
// hashes while it writes and only renames the file into place when the hash
// (and, if known, the size) is what the caller expected, so a store entry is
// always exactly the bytes its name promises.
//
// # Locking
//
// [Lock] takes an exclusive flock(2) on dir/.lock, waiting until the context
// ends; the lock file holds the holder's PID so that a timeout can say who
// holds it. Readers of content-addressed files need no lock: entries appear
// atomically and never change.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// EnvDir overrides the cache directory when set (used by tests and CI).
const EnvDir = "PDVM_CACHE_DIR"

// Dir returns pdvm's cache directory: $PDVM_CACHE_DIR if set, else
// $XDG_CACHE_HOME/pdvm, else ~/.cache/pdvm. It does not create it.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "pdvm"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w (set XDG_CACHE_HOME or --cache-dir)", err)
	}
	return filepath.Join(home, ".cache", "pdvm"), nil
}

const tmpPrefix = ".tmp-"

// Pending is a file being written that is not yet visible under its final
// name. Write to it, then Commit or Abort; Abort after Commit is a no-op, so
// `defer p.Abort()` is the normal pattern.
type Pending struct {
	f    *os.File
	h    hash.Hash
	n    int64
	done bool
}

// Create starts a pending file in dir (created if missing). The final name
// is chosen at Commit time and must be in the same directory or file system.
func Create(dir string) (*Pending, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary file in %s: %w", dir, err)
	}
	return &Pending{f: f, h: sha256.New()}, nil
}

// Write appends to the pending file and to its running SHA-256.
func (p *Pending) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	p.h.Write(b[:n])
	p.n += int64(n)
	return n, err
}

// Name is the temporary file's path (readable before Commit, e.g. to
// decompress it into another Pending).
func (p *Pending) Name() string { return p.f.Name() }

// Size is the number of bytes written so far.
func (p *Pending) Size() int64 { return p.n }

// SHA256 is the lowercase hex SHA-256 of the bytes written so far.
func (p *Pending) SHA256() string { return hex.EncodeToString(p.h.Sum(nil)) }

// Commit fsyncs the file, sets perm and renames it to path.
func (p *Pending) Commit(path string, perm fs.FileMode) error {
	if p.done {
		return fmt.Errorf("committing %s: already committed or aborted", path)
	}
	err := p.f.Chmod(perm)
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p.f.Name(), path)
	}
	p.done = true
	if err != nil {
		os.Remove(p.f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// Abort closes and removes the temporary file. It is safe to call at any
// time, any number of times.
func (p *Pending) Abort() {
	if p.done {
		return
	}
	p.done = true
	p.f.Close()
	os.Remove(p.f.Name())
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// WriteFile atomically replaces path with data.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	p, err := Create(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer p.Abort()
	if _, err := p.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return p.Commit(path, perm)
}

// WriteFrom atomically replaces path with everything read from r and returns
// the number of bytes written. If r fails, path is left untouched.
func WriteFrom(path string, r io.Reader, perm fs.FileMode) (int64, error) {
	p, err := Create(filepath.Dir(path))
	if err != nil {
		return 0, err
	}
	defer p.Abort()
	n, err := io.Copy(p, r)
	if err != nil {
		return n, fmt.Errorf("writing %s: %w", path, err)
	}
	return n, p.Commit(path, perm)
}

// RemoveStale deletes temporary files older than age left in dir by
// processes that died mid-write. It returns the number removed.
func RemoveStale(dir string, age time.Duration) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			if os.Remove(filepath.Join(dir, e.Name())) == nil {
				n++
			}
		}
	}
	return n
}

// A Store is a directory of content-addressed files, each named by the
// lowercase hex SHA-256 of its content.
type Store struct {
	Dir string
}

// Path is where the entry with the given SHA-256 lives (whether or not it
// exists).
func (s Store) Path(sum string) string {
	if len(sum) < 2 {
		return filepath.Join(s.Dir, sum)
	}
	return filepath.Join(s.Dir, sum[:2], sum)
}

// Has reports whether the entry exists, with the given size if size >= 0.
func (s Store) Has(sum string, size int64) bool {
	fi, err := os.Stat(s.Path(sum))
	return err == nil && fi.Mode().IsRegular() && (size < 0 || fi.Size() == size)
}

// Open opens an entry; a missing entry gives an error satisfying
// errors.Is(err, fs.ErrNotExist).
func (s Store) Open(sum string) (*os.File, error) { return os.Open(s.Path(sum)) }

// Pending starts a file destined for this store (see [Store.Commit]).
func (s Store) Pending() (*Pending, error) { return Create(s.Dir) }

// Commit checks a pending file against the expected SHA-256 (and size, if
// size >= 0) and moves it into the store. On mismatch it aborts p and
// returns a *[MismatchError].
func (s Store) Commit(p *Pending, wantSum string, wantSize int64) (string, error) {
	got := p.SHA256()
	if (wantSize >= 0 && p.Size() != wantSize) || (wantSum != "" && got != wantSum) {
		p.Abort()
		return "", &MismatchError{WantSHA256: wantSum, GotSHA256: got, WantSize: wantSize, GotSize: p.Size()}
	}
	path := s.Path(got)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.Abort()
		return "", fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	return path, p.Commit(path, 0o644)
}

// Put copies r into the store, verifying it against wantSum (and wantSize if
// >= 0; an empty wantSum accepts any content). It returns the entry's path
// and SHA-256. Reading stops one byte past wantSize so an oversized stream
// cannot fill the disk.
func (s Store) Put(r io.Reader, wantSum string, wantSize int64) (path, sum string, err error) {
	p, err := s.Pending()
	if err != nil {
		return "", "", err
	}
	defer p.Abort()
	if wantSize >= 0 {
		r = io.LimitReader(r, wantSize+1)
	}
	if _, err := io.Copy(p, r); err != nil {
		return "", "", err
	}
	sum = p.SHA256()
	path, err = s.Commit(p, wantSum, wantSize)
	return path, sum, err
}

// MismatchError reports content whose size or SHA-256 is not what was
// expected.
type MismatchError struct {
	WantSHA256, GotSHA256 string
	WantSize, GotSize     int64 // WantSize < 0: size not checked
}

func (e *MismatchError) Error() string {
	if e.WantSize >= 0 && e.GotSize != e.WantSize {
		return fmt.Sprintf("size mismatch: expected %d bytes, got %d (sha256 expected %s, got %s)",
			e.WantSize, e.GotSize, e.WantSHA256, e.GotSHA256)
	}
	return fmt.Sprintf("sha256 mismatch: expected %s, got %s", e.WantSHA256, e.GotSHA256)
}

// ErrMismatch matches every *MismatchError with errors.Is.
var ErrMismatch = errors.New("content does not match its expected hash")

func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }
