package constraint_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/rogpeppe/go-internal/txtar"

	"pdvm.dev/pdvm/constraint"
	"pdvm.dev/pdvm/description"
)

// FuzzLower feeds arbitrary text through decoding and lowering: every
// input must give a value or diagnostics, never a panic; and a description
// that decodes must lower to the same constraints after hclwrite.Format.
func FuzzLower(f *testing.F) {
	cases, _ := filepath.Glob("testdata/*/*.txtar")
	for _, c := range cases {
		ar, err := txtar.ParseFile(c)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name == "input.pdvm.hcl" {
				f.Add(file.Data)
			}
		}
	}
	examples, _ := filepath.Glob("../examples/*.pdvm.hcl")
	for _, e := range examples {
		if b, err := readFile(e); err == nil {
			f.Add(b)
		}
	}
	noFiles := &description.Options{ReadFile: func(name string) ([]byte, error) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}}
	f.Fuzz(func(t *testing.T, src []byte) {
		df, diags := description.Parse("fuzz.pdvm.hcl", src, noFiles)
		if df == nil {
			t.Fatal("Parse returned a nil file")
		}
		if diags.HasErrors() {
			for _, d := range diags {
				if d.Summary == "" {
					t.Fatalf("diagnostic without summary: %#v", d)
				}
			}
			return
		}
		digests := map[string]string{}
		for _, vm := range df.VMs {
			s := constraint.Lower(vm)
			_ = s.Text()
			digests[vm.Name] = s.Digest()
		}
		formatted := hclwrite.Format(src)
		df2, diags2 := description.Parse("fuzz.pdvm.hcl", formatted, noFiles)
		if diags2.HasErrors() {
			// hclwrite only moves whitespace; a formatted valid file that
			// no longer decodes would be an hclwrite bug, not ours.
			t.Skipf("formatted input no longer decodes: %v", diags2)
		}
		for _, vm := range df2.VMs {
			if got := constraint.Lower(vm).Digest(); got != digests[vm.Name] {
				t.Fatalf("vm %q lowers differently after formatting:\n%s\n---\n%s", vm.Name, src, formatted)
			}
		}
	})
}

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
