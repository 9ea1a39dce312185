package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"pdvm.dev/pdvm/debian/control"
	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/debian/version"
)

// Input is one verified Packages index to read.
type Input struct {
	Origin Origin
	// Open returns the decompressed, already verified index content.
	Open func() (io.ReadCloser, error)
}

// ParseError is invalid data in a Packages index, with its location.
type ParseError struct {
	File  string // file name or URL
	Line  int
	Field string
	Err   error
}

func (e *ParseError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s:%d: field %s: %v", e.File, e.Line, e.Field, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Hint tells the user what to do about a bad index.
func (e *ParseError) Hint() string {
	return "the index is corrupt or not a Debian Packages file; run 'pdvm repo update' to fetch it again, or check the mirror"
}

// Build parses the inputs (concurrently) and merges them into a Universe
// whose native architecture is native. Identical (name, version, arch)
// stanzas listed by several inputs become one package with several origins.
func Build(ctx context.Context, native string, inputs []Input) (*Universe, error) {
	if len(inputs) > 64 {
		return nil, fmt.Errorf("too many indexes (%d, at most 64)", len(inputs))
	}
	type result struct {
		pkgs    []Package
		stanzas int
		err     error
	}
	res := make([]result, len(inputs))
	var wg sync.WaitGroup
	for i := range inputs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in := inputs[i]
			rc, err := in.Open()
			if err != nil {
				res[i].err = err
				return
			}
			defer rc.Close()
			name := in.Origin.Source
			if name == "" {
				name = fmt.Sprintf("%s/%s/binary-%s/Packages", in.Origin.Suite, in.Origin.Component, in.Origin.Arch)
			}
			ra := readahead(rc)
			defer ra.Close()
			res[i].pkgs, res[i].stanzas, res[i].err = ParsePackages(ctx, ra, name, uint64(1)<<uint(i))
		}(i)
	}
	wg.Wait()
	u := &Universe{Native: native}
	total := 0
	for i, r := range res {
		if r.err != nil {
			return nil, r.err
		}
		u.Origins = append(u.Origins, inputs[i].Origin)
		u.Stanzas += r.stanzas
		total += len(r.pkgs)
	}
	all := make([]Package, 0, total)
	for i := range res {
		all = append(all, res[i].pkgs...)
		res[i].pkgs = nil // let the per-index copy go before sorting
	}
	sortPackages(all)
	// Merge duplicates: sorted order puts them side by side.
	out := all[:0]
	for i := range all {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.Name == all[i].Name && last.Version == all[i].Version && last.Arch == all[i].Arch {
				last.Origins |= all[i].Origins
				continue
			}
		}
		out = append(out, all[i])
	}
	u.Packages = out[:len(out):len(out)]
	u.index()
	return u, nil
}

// ParsePackages reads a Packages index. Every package gets origin bits
// origins. It returns the packages and the number of stanzas read.
func ParsePackages(ctx context.Context, r io.Reader, name string, origins uint64) ([]Package, int, error) {
	cr := control.NewReader(r, name)
	in := newInterner()
	rp := relation.Parser{Intern: in.str}
	var pkgs []Package
	n := 0
	for {
		if n&1023 == 0 && ctx.Err() != nil {
			return nil, n, ctx.Err()
		}
		st, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, n, err
		}
		n++
		var p Package
		p.Origins = origins
		srcVer := ""
		for _, f := range st.Fields {
			perr := func(e error) error {
				return &ParseError{File: name, Line: f.Line, Field: string(f.Name), Err: e}
			}
			kind := Kind(255)
			switch string(f.Name) {
			case "Package":
				p.Name = in.bytes(f.Value)
			case "Version":
				p.Version = in.bytes(f.Value)
				if _, err := version.Parse(p.Version); err != nil {
					return nil, n, perr(err)
				}
			case "Architecture":
				p.Arch = in.bytes(f.Value)
			case "Source":
				s := string(f.Value)
				if i := strings.IndexByte(s, '('); i >= 0 {
					j := strings.IndexByte(s, ')')
					if j < i {
						return nil, n, perr(errors.New(`want "NAME (VERSION)"`))
					}
					srcVer = strings.TrimSpace(s[i+1 : j])
					if _, err := version.Parse(srcVer); err != nil {
						return nil, n, perr(err)
					}
					s = strings.TrimSpace(s[:i])
				}
				p.Source = in.str(s)
			case "Section":
				p.Section = in.bytes(f.Value)
			case "Priority":
				p.Priority = in.bytes(f.Value)
			case "Essential":
				p.Essential = string(f.Value) == "yes"
			case "Protected":
				p.Protected = string(f.Value) == "yes"
			case "Multi-Arch":
				switch string(f.Value) {
				case "same":
					p.MultiArch = MASame
				case "foreign":
					p.MultiArch = MAForeign
				case "allowed":
					p.MultiArch = MAAllowed
				case "no":
				default:
					return nil, n, perr(fmt.Errorf("unknown Multi-Arch value %q (want same, foreign, allowed or no)", f.Value))
				}
			case "Installed-Size":
				v, err := strconv.ParseInt(string(f.Value), 10, 64)
				if err != nil || v < 0 {
					return nil, n, perr(fmt.Errorf("%q is not a size in KiB", f.Value))
				}
				p.InstalledSize = v
			case "Size":
				v, err := strconv.ParseInt(string(f.Value), 10, 64)
				if err != nil || v < 0 {
					return nil, n, perr(fmt.Errorf("%q is not a size in bytes", f.Value))
				}
				p.Size = v
			case "Filename":
				p.Filename = string(f.Value)
			case "SHA256":
				p.SHA256 = string(f.Value)
			case "Maintainer":
				p.Maintainer = in.bytes(f.Value)
			case "Homepage":
				p.Homepage = in.bytes(f.Value)
			case "Description":
				d := f.Value
				for i, c := range d {
					if c == '\n' {
						d = d[:i]
						break
					}
				}
				p.Description = string(d)
			case "Depends":
				kind = Depends
			case "Pre-Depends":
				kind = PreDepends
			case "Recommends":
				kind = Recommends
			case "Suggests":
				kind = Suggests
			case "Enhances":
				kind = Enhances
			case "Conflicts":
				kind = Conflicts
			case "Breaks":
				kind = Breaks
			case "Replaces":
				kind = Replaces
			case "Provides":
				kind = Provides
			}
			if kind != 255 {
				rel, err := rp.Parse(string(f.Value))
				if err != nil {
					return nil, n, perr(err)
				}
				if kind == Provides {
					for _, c := range rel {
						if len(c) != 1 {
							return nil, n, perr(errors.New("alternatives ('|') are not allowed in Provides"))
						}
						if c[0].Op != relation.Any && c[0].Op != relation.EQ {
							return nil, n, perr(errors.New("a versioned Provides must use '='"))
						}
					}
				}
				p.Rel[kind] = rel
			}
		}
		switch {
		case p.Name == "":
			return nil, n, &ParseError{File: name, Line: st.Line, Err: errors.New("stanza has no Package field")}
		case p.Version == "":
			return nil, n, &ParseError{File: name, Line: st.Line, Err: fmt.Errorf("package %s has no Version field", p.Name)}
		case p.Arch == "":
			return nil, n, &ParseError{File: name, Line: st.Line, Err: fmt.Errorf("package %s has no Architecture field", p.Name)}
		}
		if p.Source == "" {
			p.Source = p.Name
		}
		if srcVer != "" {
			p.SourceVersion = in.str(srcVer)
		} else {
			p.SourceVersion = p.Version
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, n, nil
}

// interner deduplicates strings.
type interner struct{ m map[string]string }

func newInterner() *interner { return &interner{m: make(map[string]string, 1<<16)} }

func (in *interner) bytes(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	in.m[s] = s
	return s
}

func (in *interner) str(s string) string {
	if t, ok := in.m[s]; ok {
		return t
	}
	s = strings.Clone(s)
	in.m[s] = s
	return s
}

// readahead decouples decompression from parsing: a goroutine reads r in
// large chunks so the two run on different cores.
func readahead(r io.Reader) io.ReadCloser {
	pr, pw := io.Pipe()
	ch := make(chan []byte, 4)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 1<<20)
			n, err := io.ReadFull(r, buf)
			if n > 0 {
				ch <- buf[:n]
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return
			}
			if err != nil {
				ch <- nil
				pw.CloseWithError(err)
				return
			}
		}
	}()
	go func() {
		for b := range ch {
			if b == nil {
				return
			}
			if _, err := pw.Write(b); err != nil {
				for range ch {
				}
				return
			}
		}
		pw.Close()
	}()
	return pr
}
