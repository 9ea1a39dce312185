package kconfig

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rogpeppe/go-internal/txtar"
)

// FuzzParse feeds arbitrary text to the parser as the top-level Kconfig
// (with one fixed file it may source). Parsing must not panic or hang, every
// error must carry file:line, and a tree that parses must evaluate, write a
// .config and read it back.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.txtar")
	for _, name := range files {
		a, err := txtar.ParseFile(name)
		if err != nil {
			continue
		}
		for _, af := range a.Files {
			if af.Name == "Kconfig" {
				f.Add(af.Data)
			}
		}
	}
	f.Add([]byte("config A\n\tbool \"a\"\n\tselect B if C\nconfig B\n\ttristate\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"Kconfig":     {Data: data},
			"sub/Kconfig": {Data: []byte("config SUB\n\tdef_bool y\n")},
		}
		tc := &Table{Name: "fuzz", Vars: map[string]string{"ARCH": "x86_64", "CC": "gcc"}, Cmds: map[string]string{"echo y": "y"}}
		kc, err := Parse(fsys, tc)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is not an ErrorList: %v", err)
			}
			for _, e := range list {
				if e.Pos.File == "" || e.Pos.Line <= 0 {
					t.Fatalf("error without position: %v", e)
				}
			}
			return
		}
		c := kc.NewConfig()
		c.AllNo()
		var b bytes.Buffer
		if err := c.WriteDotConfig(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadAssignments(strings.NewReader(b.String()), ".config"); err != nil {
			t.Fatalf("reading back our own .config: %v\n%s", err, b.String())
		}
		kc.Stats()
	})
}
