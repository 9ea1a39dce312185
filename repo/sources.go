package repo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Source is one entry of the machine's apt configuration: a deb822
// paragraph of a *.sources file or one line of a *.list file.
type Source struct {
	Types         []string // "deb", "deb-src"
	URIs          []string
	Suites        []string
	Components    []string
	Architectures []string // empty: apt's default
	SignedBy      string   // keyring path(s) or an inline key; empty: apt's trusted keys
	Enabled       bool

	File string // where it was read from
	Line int    // first line of the entry
}

// SourcesError is a malformed apt sources entry.
type SourcesError struct {
	File string
	Line int
	Err  error
}

func (e *SourcesError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *SourcesError) Unwrap() error { return e.Err }

// Hint says what to do about it.
func (e *SourcesError) Hint() string {
	return "fix the apt sources entry (see sources.list(5)), or bypass the apt configuration with --mirror"
}

// ReadSources reads apt's source configuration under etc (normally
// /etc/apt): sources.list, sources.list.d/*.list and
// sources.list.d/*.sources, in apt's order. Files with other extensions are
// ignored, as apt ignores them. Entries from files that fail to parse are
// skipped; the problems are returned as the second result.
func ReadSources(etc string) ([]Source, []error) {
	files := []string{filepath.Join(etc, "sources.list")}
	d, _ := filepath.Glob(filepath.Join(etc, "sources.list.d", "*"))
	sort.Strings(d)
	for _, f := range d {
		if strings.HasSuffix(f, ".list") || strings.HasSuffix(f, ".sources") {
			files = append(files, f)
		}
	}
	var all []Source
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			if !os.IsNotExist(err) {
				errs = append(errs, fmt.Errorf("reading apt sources: %w", err))
			}
			continue
		}
		var ss []Source
		if strings.HasSuffix(f, ".sources") {
			ss, err = ParseSources(f, data)
		} else {
			ss, err = ParseList(f, data)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		all = append(all, ss...)
	}
	return all, errs
}

// ParseList parses a one-line-style apt sources file (sources.list(5)):
//
//	deb [ arch=amd64 signed-by=/usr/share/keyrings/x.gpg ] http://deb.debian.org/debian bookworm main contrib
func ParseList(name string, data []byte) ([]Source, error) {
	var out []Source
	for i, line := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(strings.ReplaceAll(line, "\t", " "))
		if line == "" {
			continue
		}
		errorf := func(format string, args ...any) error {
			return &SourcesError{File: name, Line: lineNo, Err: fmt.Errorf(format, args...)}
		}
		typ, rest, _ := strings.Cut(line, " ")
		if typ != "deb" && typ != "deb-src" {
			return nil, errorf("unknown type %q (want deb or deb-src)", typ)
		}
		s := Source{Types: []string{typ}, Enabled: true, File: name, Line: lineNo}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, errorf("option list \"[\" is not closed with \"]\"")
			}
			for _, opt := range strings.Fields(rest[1:end]) {
				k, v, ok := strings.Cut(opt, "=")
				if !ok {
					return nil, errorf("option %q is not key=value", opt)
				}
				switch k {
				case "arch":
					s.Architectures = strings.Split(v, ",")
				case "signed-by":
					s.SignedBy = v
				case "enabled":
					s.Enabled = v != "no"
				}
			}
			rest = rest[end+1:]
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			return nil, errorf("want \"%s [options] URI suite [component...]\"", typ)
		}
		s.URIs = []string{f[0]}
		s.Suites = []string{f[1]}
		s.Components = f[2:]
		if len(s.Components) == 0 && !strings.HasSuffix(f[1], "/") {
			return nil, errorf("suite %q needs at least one component (or must end in / for a flat repository)", f[1])
		}
		out = append(out, s)
	}
	return out, nil
}

// ParseSources parses a deb822-style apt sources file (*.sources, see
// sources.list(5)): paragraphs with Types, URIs, Suites, Components and
// optional Architectures, Signed-By and Enabled fields.
func ParseSources(name string, data []byte) ([]Source, error) {
	var out []Source
	type field struct {
		key, val string
	}
	var para []field
	start := 0
	flush := func(endLine int) error {
		if len(para) == 0 {
			return nil
		}
		s := Source{Enabled: true, File: name, Line: start}
		for _, f := range para {
			switch strings.ToLower(f.key) {
			case "types":
				s.Types = strings.Fields(f.val)
			case "uris":
				s.URIs = strings.Fields(f.val)
			case "suites":
				s.Suites = strings.Fields(f.val)
			case "components":
				s.Components = strings.Fields(f.val)
			case "architectures":
				s.Architectures = strings.Fields(f.val)
			case "signed-by":
				s.SignedBy = strings.TrimSpace(f.val)
			case "enabled":
				s.Enabled = strings.ToLower(strings.TrimSpace(f.val)) != "no"
			}
		}
		para = nil
		for _, req := range []struct {
			name string
			v    []string
		}{{"Types", s.Types}, {"URIs", s.URIs}, {"Suites", s.Suites}} {
			if len(req.v) == 0 {
				return &SourcesError{File: name, Line: start, Err: fmt.Errorf("entry has no %s field", req.name)}
			}
		}
		out = append(out, s)
		return nil
	}
	lines := bytes.Split(data, []byte("\n"))
	for i, raw := range lines {
		lineNo := i + 1
		line := strings.TrimRight(string(raw), " \t\r")
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.TrimSpace(line) == "" {
			if err := flush(lineNo); err != nil {
				return nil, err
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(para) == 0 {
				return nil, &SourcesError{File: name, Line: lineNo, Err: fmt.Errorf("continuation line before any field")}
			}
			v := strings.TrimSpace(line)
			if v == "." {
				v = ""
			}
			para[len(para)-1].val += "\n" + v
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(k, " \t") {
			return nil, &SourcesError{File: name, Line: lineNo, Err: fmt.Errorf("expected \"Field: value\", got %q", line)}
		}
		if len(para) == 0 {
			start = lineNo
		}
		para = append(para, field{k, strings.TrimSpace(v)})
	}
	if err := flush(len(lines)); err != nil {
		return nil, err
	}
	return out, nil
}

// provides reports whether s is an enabled binary source for suite.
func (s *Source) provides(suite string) bool {
	if !s.Enabled || len(s.URIs) == 0 {
		return false
	}
	deb := false
	for _, t := range s.Types {
		deb = deb || t == "deb"
	}
	if !deb {
		return false
	}
	for _, x := range s.Suites {
		if x == suite {
			return true
		}
	}
	return false
}
