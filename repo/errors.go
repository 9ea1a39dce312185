package repo

import (
	"fmt"
	"strings"
)

// UnreachableError reports a mirror that could not be contacted.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("mirror unreachable: fetching %s: %v", e.URL, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// Hint says what to do about it.
func (e *UnreachableError) Hint() string {
	return "check the network and the mirror URL (--mirror), or work from the cache or /var/lib/apt/lists with --offline"
}

// NotFoundError reports a file the mirror does not have.
type NotFoundError struct {
	URL string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s: not found on the mirror (404)", e.URL)
}

// Hint says what to do about it.
func (e *NotFoundError) Hint() string {
	if strings.HasSuffix(e.URL, "Release") {
		return "check the suite name (--suite) and that the mirror URL (--mirror) points at a Debian archive root (the directory holding dists/)"
	}
	return "the mirror is incomplete or being updated: retry later or use another --mirror"
}

// HTTPError reports an unexpected HTTP status.
type HTTPError struct {
	URL    string
	Status string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("fetching %s: %s", e.URL, e.Status) }

// Hint says what to do about it.
func (e *HTTPError) Hint() string { return "retry later or use another --mirror" }

// HashMismatchError reports a file whose size or SHA-256 differs from the
// signed Release. Nothing of it is kept.
type HashMismatchError struct {
	File                  string // path as listed in Release, e.g. main/binary-amd64/Packages.xz
	Source                string // URL or file it was read from
	WantSHA256, GotSHA256 string
	WantSize, GotSize     int64
}

func (e *HashMismatchError) Error() string {
	if e.WantSize != e.GotSize {
		return fmt.Sprintf("%s (from %s): size mismatch: Release says %d bytes, got %d (sha256 expected %s, got %s)",
			e.File, e.Source, e.WantSize, e.GotSize, e.WantSHA256, e.GotSHA256)
	}
	return fmt.Sprintf("%s (from %s): sha256 mismatch: Release says %s, got %s", e.File, e.Source, e.WantSHA256, e.GotSHA256)
}

// Hint says what to do about it.
func (e *HashMismatchError) Hint() string {
	return "the mirror is being updated or is corrupt (nothing was cached): retry in a few minutes or use another --mirror"
}

// CorruptIndexError reports compressed data that does not decompress,
// although its hash matched the Release.
type CorruptIndexError struct {
	File   string
	Source string
	Err    error
}

func (e *CorruptIndexError) Error() string {
	return fmt.Sprintf("%s (from %s): corrupt compressed data: %v", e.File, e.Source, e.Err)
}
func (e *CorruptIndexError) Unwrap() error { return e.Err }

// Hint says what to do about it.
func (e *CorruptIndexError) Hint() string {
	return "the archive published a damaged index (nothing was cached): retry later or use another --mirror"
}

// MissingIndexError reports a component/architecture the Release does not
// list.
type MissingIndexError struct {
	Suite, Component, Arch string
	Source                 string // InRelease URL or file
	Architectures          []string
	Components             []string
}

func (e *MissingIndexError) Error() string {
	return fmt.Sprintf("%s: suite %s has no %s/binary-%s/Packages (it lists architectures %s; components %s)",
		e.Source, e.Suite, e.Component, e.Arch, strings.Join(e.Architectures, " "), strings.Join(e.Components, " "))
}

// Hint says what to do about it.
func (e *MissingIndexError) Hint() string {
	return "choose a component (--component) and architecture (--arch) the suite has"
}

// SuiteMismatchError reports an InRelease that is validly signed but for a
// different suite than the one requested (e.g. a mirror serving
// bookworm-updates' file as bookworm-security).
type SuiteMismatchError struct {
	URL                   string
	Want, Suite, Codename string
}

func (e *SuiteMismatchError) Error() string {
	return fmt.Sprintf("%s: asked for suite %s but the signed Release is for Suite %q, Codename %q", e.URL, e.Want, e.Suite, e.Codename)
}

// Hint says what to do about it.
func (e *SuiteMismatchError) Hint() string {
	return "the mirror serves the wrong file for this suite; check --mirror and --suite"
}

// AptListsError reports that /var/lib/apt/lists lacks what --offline needs.
type AptListsError struct {
	Dir, File string
	Err       error
}

func (e *AptListsError) Error() string {
	return fmt.Sprintf("offline: %s: %v", e.File, e.Err)
}
func (e *AptListsError) Unwrap() error { return e.Err }

// Hint says what to do about it.
func (e *AptListsError) Hint() string {
	return "nothing usable is cached: run 'pdvm repo update' (or 'apt-get update') while online, or drop --offline"
}
