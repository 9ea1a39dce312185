package constraint_test

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/txtar"

	"pdvm.dev/pdvm/constraint"
	"pdvm.dev/pdvm/description"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/*.txtar")

// TestGolden runs every testdata/*/*.txtar case: the archive's files are
// the description's file system, input.pdvm.hcl is loaded, and the result
// is compared with the case's want.constraints (every vm lowered) or
// want.diags (the rendered diagnostics). The header may set
// "vars: NAME=VALUE ..." to override variables.
func TestGolden(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*/*.txtar")
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	for _, path := range cases {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "testdata/"), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, section := run(t, ar)
			wantIdx := -1
			for i, f := range ar.Files {
				if f.Name == "want.constraints" || f.Name == "want.diags" {
					wantIdx = i
				}
			}
			if *update {
				f := txtar.File{Name: section, Data: []byte(got)}
				if wantIdx >= 0 {
					ar.Files[wantIdx] = f
				} else {
					ar.Files = append(ar.Files, f)
				}
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantIdx < 0 {
				t.Fatalf("no want.constraints or want.diags section; run go test -update")
			}
			want := ar.Files[wantIdx]
			if want.Name != section {
				t.Fatalf("got %s, want %s:\n%s", section, want.Name, got)
			}
			if got != string(want.Data) {
				t.Errorf("%s mismatch (-want +got):\n%s", section, lineDiff(string(want.Data), got))
			}
			// Errors are golden-tested only under errors/, successes only
			// under lower/: a case in the wrong group has gone wrong.
			group := filepath.Base(filepath.Dir(path))
			if group == "errors" && section != "want.diags" || group == "lower" && section != "want.constraints" {
				t.Errorf("case in %s/ produced %s", group, section)
			}
		})
	}
}

func run(t *testing.T, ar *txtar.Archive) (string, string) {
	files := map[string][]byte{}
	for _, f := range ar.Files {
		files[f.Name] = f.Data
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		if v, ok := strings.CutPrefix(line, "vars:"); ok {
			for _, kv := range strings.Fields(v) {
				k, val, _ := strings.Cut(kv, "=")
				vars[k] = val
			}
		}
	}
	read := func(name string) ([]byte, error) {
		b, ok := files[filepath.ToSlash(filepath.Clean(name))]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return b, nil
	}
	f, diags := description.Load("input.pdvm.hcl", &description.Options{ReadFile: read, Vars: vars})
	if diags.HasErrors() {
		return renderDiags(f, diags), "want.diags"
	}
	var b strings.Builder
	if len(diags) > 0 {
		b.WriteString(renderDiags(f, diags))
	}
	for i, vm := range f.VMs {
		if i > 0 {
			b.WriteString("\n")
		}
		s := constraint.Lower(vm)
		b.WriteString(s.Text())
		if len(vm.Chain) > 0 {
			fmt.Fprintf(&b, "  extends %s\n", strings.Join(vm.Chain, " <- "))
		}
		b.WriteString(describeRest(vm))
	}
	return b.String(), "want.constraints"
}

// describeRest prints what the constraint set does not carry (users,
// services, files, probes, network details) so that golden cases cover
// every construct's decoding.
func describeRest(vm *description.VM) string {
	var b strings.Builder
	pos := func(r hcl.Range) string { return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column) }
	if n := vm.Network; n != nil {
		fmt.Fprintf(&b, "  network %s mode=%q address=%q gateway=%q dns=%q", pos(n.DefRange), n.Mode.Value, n.Address.Value, n.Gateway.Value, n.DNS.Values)
		for _, f := range n.Forward {
			fmt.Fprintf(&b, " forward=%d:%d/%s", f.Host, f.Guest, f.Proto)
		}
		b.WriteString("\n")
	}
	for _, u := range vm.Users {
		fmt.Fprintf(&b, "  user %q %s keys=%d password_hash=%q groups=%q sudo=%v shell=%q\n", u.Name, pos(u.DefRange), len(u.SSHAuthorizedKeys.Values), u.PasswordHash.Value, u.Groups.Values, u.Sudo.Value, u.Shell.Value)
	}
	for _, s := range vm.Services {
		fmt.Fprintf(&b, "  service %q %s command=%q user=%q after=%q restart=%q\n", s.Name, pos(s.DefRange), s.Command.Value, s.User.Value, s.After.Values, s.Restart.Value)
	}
	for _, f := range vm.Files {
		fmt.Fprintf(&b, "  file %q %s mode=%04o owner=%q source=%q content=%q\n", f.Path, pos(f.DefRange), f.Mode, f.Owner.Value, f.SourcePath, f.Content.Value)
	}
	for _, p := range vm.Probes {
		fmt.Fprintf(&b, "  probe %q %s timeout=%v", p.Name, pos(p.DefRange), p.Timeout.Value)
		if h := p.HTTP; h != nil {
			fmt.Fprintf(&b, " http port=%d path=%q status=%d contains=%q", h.Port.Value, h.Path.Value, h.Status.Value, h.Contains.Value)
		}
		if c := p.TCP; c != nil {
			fmt.Fprintf(&b, " tcp port=%d banner=%q", c.Port.Value, c.Banner.Value)
		}
		if c := p.Command; c != nil {
			fmt.Fprintf(&b, " command run=%q expect=%q", c.Run.Value, c.Expect.Value)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func renderDiags(f *description.File, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	files := map[string]*hcl.File{}
	if f != nil {
		files = f.Sources
	}
	w := hcl.NewDiagnosticTextWriter(&buf, files, 100, false)
	for _, d := range diags {
		// The text writer shows the line; the range says exactly where.
		if d.Subject != nil {
			fmt.Fprintf(&buf, "@ %s\n", d.Subject)
		}
		if err := w.WriteDiagnostic(d); err != nil {
			return err.Error()
		}
	}
	return buf.String()
}

// lineDiff is a small line diff for failure messages.
func lineDiff(want, got string) string {
	w := strings.Split(want, "\n")
	g := strings.Split(got, "\n")
	inW := map[string]int{}
	for _, l := range w {
		inW[l]++
	}
	inG := map[string]int{}
	for _, l := range g {
		inG[l]++
	}
	var out []string
	for _, l := range w {
		if inG[l] == 0 {
			out = append(out, "-"+l)
		}
	}
	for _, l := range g {
		if inW[l] == 0 {
			out = append(out, "+"+l)
		}
	}
	sort.Stable(sort.StringSlice(nil))
	return strings.Join(out, "\n")
}
