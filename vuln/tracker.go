package vuln

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"pdvm.dev/pdvm/debian/version"
)

// RecordError is malformed input: the file, the record in it and what is
// wrong. Nothing of a file with a RecordError is imported.
type RecordError struct {
	File   string // file, URL, or "archive.zip:member"
	Record string // e.g. "openssh CVE-2024-6387" or "DSA-5724-1"
	Line   int    // 1-based line of the record's start; 0 if unknown
	Offset int64  // byte offset of the record's start; -1 if unknown
	Err    error
}

func (e *RecordError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Record != "" {
		fmt.Fprintf(&b, ": record %s", e.Record)
	} else if e.Offset >= 0 {
		fmt.Fprintf(&b, ": at byte %d", e.Offset)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *RecordError) Unwrap() error { return e.Err }

// Hint tells the user what to do.
func (e *RecordError) Hint() string {
	return "the file is not valid advisory data; fetch it again (a truncated download looks like this) and check that it is the tracker's /tracker/data/json or OSV JSON; the previous data was kept"
}

type trackerRelease struct {
	Status          string            `json:"status"`
	Repositories    map[string]string `json:"repositories"`
	FixedVersion    *string           `json:"fixed_version"`
	Urgency         string            `json:"urgency"`
	NoDSA           *string           `json:"nodsa"`
	NoDSAReason     string            `json:"nodsa_reason"`
	NextPointUpdate bool              `json:"next_point_update"`
}

type trackerIssue struct {
	Description string                    `json:"description"`
	Scope       string                    `json:"scope"`
	DebianBug   json.RawMessage           `json:"debianbug"`
	Releases    map[string]trackerRelease `json:"releases"`
}

// lineAt returns the 1-based line number of offset off in data.
func lineAt(data []byte, off int64) int {
	if off < 0 || off > int64(len(data)) {
		return 0
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// syntaxError turns a JSON decoding error into a RecordError.
func syntaxError(name string, data []byte, record string, base int64, err error) *RecordError {
	off := base
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = base + se.Offset
	case errors.As(err, &te):
		off = base + te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		off = int64(len(data))
		err = fmt.Errorf("unexpected end of JSON (truncated file?)")
	}
	return &RecordError{File: name, Record: record, Line: lineAt(data, off), Offset: off, Err: err}
}

// ParseTracker parses the Debian security tracker's JSON export (the shape
// of https://security-tracker.debian.org/tracker/data/json). name is used
// in errors. Records of every release are returned; the caller filters.
func ParseTracker(name string, data []byte) ([]Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, syntaxError(name, data, "", dec.InputOffset(), fmt.Errorf("want a JSON object of source packages: %w", err))
	}
	var out []Record
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, syntaxError(name, data, "", 0, err)
		}
		src, _ := t.(string)
		if err := expectDelim(dec, '{'); err != nil {
			return nil, syntaxError(name, data, src, dec.InputOffset(), fmt.Errorf("want an object of advisories: %w", err))
		}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return nil, syntaxError(name, data, src, 0, err)
			}
			id, _ := t.(string)
			rec := src + " " + id
			start := skipSep(data, dec.InputOffset())
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, syntaxError(name, data, rec, 0, err)
			}
			var is trackerIssue
			if err := json.Unmarshal(raw, &is); err != nil {
				return nil, syntaxError(name, data, rec, start, err)
			}
			recs, err := trackerRecords(src, id, &is)
			if err != nil {
				return nil, &RecordError{File: name, Record: rec, Line: lineAt(data, start), Offset: start, Err: err}
			}
			out = append(out, recs...)
		}
		if _, err := dec.Token(); err != nil {
			return nil, syntaxError(name, data, src, 0, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(name, data, "", 0, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &RecordError{File: name, Offset: dec.InputOffset(), Line: lineAt(data, dec.InputOffset()), Err: errors.New("trailing data after the JSON object")}
	}
	return out, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := t.(json.Delim); !ok || got != d {
		return fmt.Errorf("got %v", t)
	}
	return nil
}

func trackerRecords(src, id string, is *trackerIssue) ([]Record, error) {
	if src == "" {
		return nil, errors.New("empty source package name")
	}
	if !IsAdvisoryID(id) {
		return nil, fmt.Errorf("advisory id %q is not a CVE-, TEMP-, DSA- or DLA- id", id)
	}
	rels := make([]string, 0, len(is.Releases))
	for r := range is.Releases {
		rels = append(rels, r)
	}
	sort.Strings(rels)
	var out []Record
	for _, rel := range rels {
		tr := is.Releases[rel]
		r := Record{
			ID: CanonicalID(id), Source: src, Release: rel,
			Urgency: tr.Urgency, NoDSAReason: tr.NoDSAReason,
			Repositories: tr.Repositories, Description: is.Description, Scope: is.Scope,
			Feed: "tracker",
		}
		if tr.NoDSA != nil {
			r.NoDSA, r.HasNoDSA = *tr.NoDSA, true
		}
		switch tr.Status {
		case "resolved":
			r.State = Resolved
			if tr.FixedVersion == nil || *tr.FixedVersion == "" {
				return nil, fmt.Errorf("releases.%s: status resolved without fixed_version", rel)
			}
			r.Fixed = *tr.FixedVersion
		case "open":
			r.State = Open
		case "undetermined":
			r.State = Undetermined
		default:
			return nil, fmt.Errorf("releases.%s: unknown status %q (want resolved, open or undetermined)", rel, tr.Status)
		}
		if r.Fixed != "" && r.Fixed != "undetermined" {
			if _, err := version.Parse(r.Fixed); err != nil {
				return nil, fmt.Errorf("releases.%s.fixed_version: %w", rel, err)
			}
		}
		if r.Fixed == "undetermined" {
			r.State, r.Fixed = Undetermined, ""
		}
		for suite, v := range tr.Repositories {
			if _, err := version.Parse(v); err != nil {
				return nil, fmt.Errorf("releases.%s.repositories.%s: %w", rel, suite, err)
			}
		}
		switch r.NoDSAReason {
		case "", "ignored", "postponed":
		default:
			return nil, fmt.Errorf("releases.%s: unknown nodsa_reason %q (want \"\", ignored or postponed)", rel, r.NoDSAReason)
		}
		out = append(out, r)
	}
	return out, nil
}
