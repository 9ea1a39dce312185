package control

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t testing.TB, r io.Reader) ([]map[string]string, error) {
	cr := NewReader(r, "test")
	var out []map[string]string
	for {
		st, err := cr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		m := map[string]string{}
		for _, f := range st.Fields {
			m[string(f.Name)] = string(f.Value)
		}
		out = append(out, m)
	}
}

func TestReader(t *testing.T) {
	in := "# comment\nPackage: a\nDescription: short\n long line\n .\n more\nDepends: b,\n c\n\n\n\nPackage: b\r\nVersion: 1\r\n"
	got, err := readAll(t, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d stanzas, want 2", len(got))
	}
	if got[0]["Description"] != "short\n long line\n .\n more" {
		t.Errorf("Description = %q", got[0]["Description"])
	}
	if got[0]["Depends"] != "b,\n c" {
		t.Errorf("Depends = %q", got[0]["Depends"])
	}
	if got[1]["Version"] != "1" {
		t.Errorf("Version = %q", got[1]["Version"])
	}
	// One byte at a time gives the same result.
	got2, err := readAll(t, iotest.OneByteReader(strings.NewReader(in)))
	if err != nil || len(got2) != 2 || got2[0]["Description"] != got[0]["Description"] {
		t.Errorf("one-byte reader: %v %v", got2, err)
	}
}

func TestReaderLongLine(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	got, err := readAll(t, strings.NewReader("Package: a\nDescription: "+long+"\n"))
	if err != nil || got[0]["Description"] != long {
		t.Fatalf("long line lost: %v", err)
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
	}{
		{" leading continuation\n", 1},
		{"Package: a\nno colon here\n", 2},
		{"Package: a\n\n: empty name\n", 3},
	}
	for _, tt := range tests {
		_, err := readAll(t, strings.NewReader(tt.in))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != tt.line || se.File != "test" {
			t.Errorf("%q: err = %v, want SyntaxError at test:%d", tt.in, err, tt.line)
		}
	}
}

func TestSample(t *testing.T) {
	data, err := os.ReadFile("../testdata/Packages.sample")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Count(data, []byte("\nPackage: ")) + 1; len(got) != want {
		t.Fatalf("%d stanzas, want %d", len(got), want)
	}
	for _, m := range got {
		if m["Package"] == "" || m["Version"] == "" || m["SHA256"] == "" {
			t.Errorf("stanza missing fields: %v", m["Package"])
		}
	}
}

func FuzzReader(f *testing.F) {
	if data, err := os.ReadFile("../testdata/Packages.sample"); err == nil {
		for _, st := range bytes.Split(data, []byte("\n\n")) {
			f.Add(st)
		}
	}
	f.Add([]byte("Package: a\n b\n\nX: y"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cr := NewReader(bytes.NewReader(data), "fuzz")
		for i := 0; i < 10000; i++ {
			st, err := cr.Next()
			if err != nil {
				return
			}
			if len(st.Fields) == 0 {
				t.Fatal("empty stanza returned")
			}
			for _, f := range st.Fields {
				if len(f.Name) == 0 || f.Line < 1 {
					t.Fatalf("bad field %+v", f)
				}
			}
		}
	})
}
