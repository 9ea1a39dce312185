package description

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"512M", 512 << 20}, {"2G", 2 << 30}, {"1.5G", 3 << 29}, {"64MiB", 64 << 20}, {"100", 100 << 20}, {"4096K", 4 << 20}, {"1T", 1 << 40}} {
		if got, err := ParseSize(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "lots", "-1G", "0", "1Q", "9999999T"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30s": 30 * time.Second, "5m": 5 * time.Minute, "7d": 7 * 24 * time.Hour, "1.5d": 36 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "-5m", "0s", "d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", bad)
		}
	}
}

// Every built-in template decodes on its own, and a starter file for
// each decodes and extends it.
func TestTemplatesAndStarters(t *testing.T) {
	names := Templates()
	if len(names) < 3 {
		t.Fatalf("Templates() = %v", names)
	}
	for _, n := range names {
		src, _ := Template(n)
		f, diags := Parse(builtinPrefix+n, src, nil)
		if diags.HasErrors() || len(f.VMs) != 1 {
			t.Errorf("template %s: %v", n, diags)
		}
		st, err := Starter(n, "app")
		if err != nil {
			t.Fatal(err)
		}
		f, diags = Parse("app.pdvm.hcl", st, nil)
		if diags.HasErrors() || f.VMs[0].Name != "app" || f.VMs[0].Extends.Value != n {
			t.Errorf("starter for %s: %v", n, diags)
		}
	}
	if _, err := Starter("nope", "x"); err == nil {
		t.Error("Starter(nope) succeeded")
	}
	if _, err := Starter("minimal", "bad name"); err == nil {
		t.Error("Starter with a bad vm name succeeded")
	}
}

// Inputs lists every file a description read, so a lock can tell when
// any of them changed.
func TestInputs(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"main.pdvm.hcl": "vm \"m\" {\n  extends = \"base.pdvm.hcl\"\n  file \"/a\" {\n    source = \"a.txt\"\n  }\n  hostname = trimspace(file(\"host.txt\"))\n}\n",
		"base.pdvm.hcl": "vm \"b\" {\n  need = [\"curl\"]\n}\n",
		"a.txt":         "A",
		"host.txt":      "myhost\n",
		"unrelated.txt": "x",
	}
	for n, s := range files {
		os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644)
	}
	f, diags := Load(filepath.Join(dir, "main.pdvm.hcl"), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, in := range f.Inputs {
		rel, _ := filepath.Rel(dir, in.Name)
		got = append(got, rel)
		if len(in.SHA256) != 64 {
			t.Errorf("input %s has hash %q", in.Name, in.SHA256)
		}
	}
	want := []string{"a.txt", "base.pdvm.hcl", "host.txt", "main.pdvm.hcl"}
	if len(got) != len(want) {
		t.Fatalf("Inputs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Inputs = %v, want %v", got, want)
		}
	}
	vm := f.VMs[0]
	if vm.Hostname.Value != "myhost" || vm.Files[0].Content.Value != "A" || vm.Need[0].Text != "curl" {
		t.Errorf("decoded vm = %+v", vm)
	}
	if _, diags := Load(filepath.Join(dir, "missing.pdvm.hcl"), nil); !diags.HasErrors() {
		t.Error("Load(missing) succeeded")
	}
}
