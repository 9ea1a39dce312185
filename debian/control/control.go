// Package control reads deb822 data: the RFC 822-like "control file" format
// of Debian's Packages, Sources and Release files and of .deb control members.
//
// A file is a sequence of stanzas (paragraphs) separated by blank lines. A
// stanza is a sequence of fields "Name: value"; a line starting with a space
// or tab continues the previous field's value. Field names compare
// case-insensitively. Lines starting with '#' are comments.
//
// [Reader] streams stanzas from an io.Reader without allocating per line:
// the fields it returns point into a buffer that the next call reuses, so
// callers copy (or intern) what they keep.
package control

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Field is one field of a stanza. Value excludes the leading blank after
// the colon and the final newline; continuation lines keep their newline
// and leading blank.
type Field struct {
	Name  []byte
	Value []byte
	Line  int // 1-based line of the field name
}

// Stanza is one paragraph. Its slices are valid until the next call to Next.
type Stanza struct {
	Line   int // line of the first field
	Fields []Field
}

// Get returns the value of the named field (case-insensitive) and whether
// it is present.
func (s *Stanza) Get(name string) (string, bool) {
	for _, f := range s.Fields {
		if string(f.Name) == name || strings.EqualFold(string(f.Name), name) {
			return string(f.Value), true
		}
	}
	return "", false
}

// SyntaxError is malformed deb822 input.
type SyntaxError struct {
	File   string
	Line   int
	Reason string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// Reader reads stanzas from a stream.
type Reader struct {
	br   *bufio.Reader
	name string
	line int
	buf  []byte
	offs []fieldOff
	st   Stanza
	err  error
}

type fieldOff struct {
	name0, name1, val0, val1 int
	line                     int
}

// NewReader returns a Reader of r; name (a file name or URL) appears in
// errors.
func NewReader(r io.Reader, name string) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 1<<16 {
		br = bufio.NewReaderSize(r, 1<<20)
	}
	return &Reader{br: br, name: name, buf: make([]byte, 0, 1<<14)}
}

// Next returns the next stanza, or io.EOF after the last one.
func (r *Reader) Next() (*Stanza, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.buf = r.buf[:0]
	r.offs = r.offs[:0]
	r.st.Line = 0
	for {
		line, err := r.readLine()
		if err != nil && err != io.EOF {
			r.err = fmt.Errorf("reading %s: %w", r.name, err)
			return nil, r.err
		}
		if err == io.EOF && line == nil {
			if len(r.offs) == 0 {
				r.err = io.EOF
				return nil, io.EOF
			}
			r.err = io.EOF
			return r.finish(), nil
		}
		r.line++
		trimmed := bytes.TrimRight(line, "\r\n")
		switch {
		case len(bytes.TrimSpace(trimmed)) == 0:
			if len(r.offs) > 0 {
				if err == io.EOF {
					r.err = io.EOF
				}
				return r.finish(), nil
			}
		case trimmed[0] == '#':
			// comment
		case trimmed[0] == ' ' || trimmed[0] == '\t':
			if len(r.offs) == 0 {
				r.err = &SyntaxError{r.name, r.line, "continuation line outside a field (a line may start with a blank only inside a multi-line value)"}
				return nil, r.err
			}
			r.buf = append(r.buf, '\n')
			r.buf = append(r.buf, trimmed...)
			r.offs[len(r.offs)-1].val1 = len(r.buf)
		default:
			colon := bytes.IndexByte(trimmed, ':')
			if colon <= 0 {
				r.err = &SyntaxError{r.name, r.line, fmt.Sprintf("%q is not a field: want \"Name: value\"", truncate(trimmed))}
				return nil, r.err
			}
			if len(r.offs) == 0 {
				r.st.Line = r.line
			}
			n0 := len(r.buf)
			r.buf = append(r.buf, trimmed[:colon]...)
			n1 := len(r.buf)
			v := trimmed[colon+1:]
			for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
				v = v[1:]
			}
			r.buf = append(r.buf, v...)
			r.offs = append(r.offs, fieldOff{n0, n1, n1, len(r.buf), r.line})
		}
		if err == io.EOF {
			r.err = io.EOF
			if len(r.offs) == 0 {
				return nil, io.EOF
			}
			return r.finish(), nil
		}
	}
}

func truncate(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

func (r *Reader) finish() *Stanza {
	r.st.Fields = r.st.Fields[:0]
	for _, o := range r.offs {
		r.st.Fields = append(r.st.Fields, Field{Name: r.buf[o.name0:o.name1], Value: r.buf[o.val0:o.val1], Line: o.line})
	}
	return &r.st
}

// readLine returns the next line including its newline; lines longer than
// the buffer are assembled. It returns (nil, io.EOF) at the end.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == nil {
		return line, nil
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.br.ReadSlice('\n')
			long = append(long, line...)
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		return long, err
	}
	if err == io.EOF {
		if len(line) == 0 {
			return nil, io.EOF
		}
		return line, io.EOF
	}
	return nil, err
}

// Line reports the number of lines consumed so far.
func (r *Reader) Line() int { return r.line }
