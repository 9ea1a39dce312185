package plan

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/manifest"
)

// fixture builds the hand-made universe of testdata/Packages.
func fixture(t testing.TB, date string) *archive.Universe {
	t.Helper()
	data, err := os.ReadFile("testdata/Packages")
	if err != nil {
		t.Fatal(err)
	}
	u, err := archive.Build(context.Background(), "amd64", []archive.Input{{
		Origin: archive.Origin{Suite: "bookworm", Codename: "bookworm", Component: "main", Arch: "amd64", Date: date,
			InReleaseSHA256: strings.Repeat("a", 64), IndexSHA256: strings.Repeat("b", 64), MirrorURL: "http://deb.debian.org/debian"},
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

const date1 = "Sat, 09 Nov 2024 10:00:00 UTC"

// write puts a description in a temporary directory and loads it.
func write(t *testing.T, dir, name, src string) (*description.File, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, diags := description.Load(path, nil)
	if diags.HasErrors() {
		t.Fatalf("Load(%s): %v", path, diags)
	}
	return f, path
}

func planOne(t *testing.T, u *archive.Universe, src string) *Result {
	t.Helper()
	f, path := write(t, t.TempDir(), "vm.pdvm.hcl", src)
	r, err := Plan(context.Background(), u, f, f.VMs[0], LockPath(path, f, f.VMs[0].Name), Options{})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return r
}

func names(l *manifest.Lock) map[string]manifest.Package {
	m := map[string]manifest.Package{}
	for _, p := range l.Packages {
		m[p.Name] = p
	}
	return m
}

func TestPlanLock(t *testing.T) {
	u := fixture(t, date1)
	r := planOne(t, u, `vm "web" {
  need  = ["nginx"]
  avoid = ["systemd"]
}
`)
	l := r.Lock
	if err := manifest.Validate(l); err != nil {
		t.Fatal(err)
	}
	got := names(l)
	for _, n := range []string{"nginx", "nginx-common", "libc6", "libgcc-s1", "libssl3", "zlib1g"} {
		if _, ok := got[n]; !ok {
			t.Errorf("lock lacks %s", n)
		}
	}
	// The standalone kernel: the versioned image, without its maintainer
	// script dependencies, not counted in the closure.
	k, ok := got["linux-image-6.1.0-28-cloud-amd64"]
	if !ok || !k.Kernel || !k.Standalone {
		t.Fatalf("kernel entry = %+v, want the cloud image marked kernel and standalone", k)
	}
	for _, n := range []string{"kmod", "initramfs-tools", "linux-image-cloud-amd64", "systemd"} {
		if _, ok := got[n]; ok {
			t.Errorf("lock holds %s", n)
		}
	}
	if l.Count != 6 || len(l.Packages) != 7 {
		t.Errorf("count = %d with %d entries, want 6 packages plus the kernel", l.Count, len(l.Packages))
	}
	if want := `vm.pdvm.hcl:1:1: kernel linux-image-cloud-amd64 (default, because kernel flavour "cloud")`; k.Reason[0] != want {
		t.Errorf("kernel reason[0] = %q, want %q", k.Reason[0], want)
	}
	// Reasons start at the description line, named relative to the lock.
	ssl := got["libssl3"]
	if len(ssl.Reason) != 3 || ssl.Reason[0] != "vm.pdvm.hcl:2:12: need nginx" || !strings.HasPrefix(ssl.Reason[2], "libssl3 3.0.15-1~deb12u1 (Depends: libssl3") {
		t.Errorf("libssl3 reason = %q", ssl.Reason)
	}
	if l.Date != "2024-11-09T10:00:00Z" || l.Archive[0].InReleaseSHA256 == "" || l.Packages[0].Suite != "bookworm" {
		t.Errorf("archive state not recorded: date %q archive %+v", l.Date, l.Archive)
	}
	if !l.Hardware.DiskAuto || l.Hardware.DiskMiB < (l.InstalledSize+k.InstalledSize)/1024 {
		t.Errorf("disk %d MiB (auto %v) is smaller than the closure and kernel", l.Hardware.DiskMiB, l.Hardware.DiskAuto)
	}
	if len(l.Inputs) != 1 || l.Inputs[0].Name != "vm.pdvm.hcl" {
		t.Errorf("inputs = %+v", l.Inputs)
	}
}

func TestPlanBaseDebianKernel(t *testing.T) {
	u := fixture(t, date1)
	l := planOne(t, u, `vm "full" {
  base = "debian"
  kernel {
    flavour = "generic"
  }
}
`).Lock
	got := names(l)
	k := got["linux-image-6.1.0-28-amd64"]
	if !k.Kernel || k.Standalone {
		t.Errorf("kernel = %+v, want kernel in the closure, not standalone", k)
	}
	for _, n := range []string{"kmod", "initramfs-tools", "bash", "base-files"} {
		if _, ok := got[n]; !ok {
			t.Errorf("base debian lock lacks %s", n)
		}
	}
	if l.Count != len(l.Packages) {
		t.Errorf("count %d != %d packages", l.Count, len(l.Packages))
	}
}

// Disjunction picks the cheaper alternative; avoiding it (negation) picks
// the other one.
func TestPlanDisjunctionAndNegation(t *testing.T) {
	u := fixture(t, date1)
	l := planOne(t, u, `vm "s" {
  need = ["openssh-server | dropbear-bin"]
  kernel {
    flavour = "none"
  }
}
`).Lock
	if _, ok := names(l)["dropbear-bin"]; !ok || names(l)["openssh-server"].Name != "" {
		t.Errorf("a | b did not pick the cheaper dropbear-bin: %v", names(l))
	}
	l2 := planOne(t, u, `vm "s" {
  need  = ["openssh-server | dropbear-bin"]
  avoid = ["dropbear-bin"]
  kernel {
    flavour = "none"
  }
}
`).Lock
	if _, ok := names(l2)["openssh-server"]; !ok || names(l2)["dropbear-bin"].Name != "" {
		t.Errorf("avoiding dropbear-bin did not give openssh-server: %v", names(l2))
	}
	if l2.Count <= l.Count {
		t.Errorf("the avoided answer (%d) should cost more than the free one (%d)", l2.Count, l.Count)
	}
}

func TestPlanConflict(t *testing.T) {
	u := fixture(t, date1)
	f, path := write(t, t.TempDir(), "mail.pdvm.hcl", `vm "mail" {
  need = ["postfix", "curl", "exim4-daemon-light"]
}
`)
	_, err := Plan(context.Background(), u, f, f.VMs[0], LockPath(path, f, "mail"), Options{})
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Plan = %v, want a *ConflictError", err)
	}
	if len(ce.Diags) != 2 {
		t.Fatalf("conflict diagnostics = %v, want the two clashing lines", ce.Diags)
	}
	cols := map[int]bool{}
	for _, d := range ce.Diags {
		if d.Subject == nil || d.Subject.Start.Line != 2 {
			t.Fatalf("diagnostic %v does not point at line 2", d)
		}
		cols[d.Subject.Start.Column] = true
	}
	if !cols[11] || !cols[30] || cols[22] {
		t.Errorf("diagnostics at columns %v, want postfix (11) and exim4 (30), not curl (22)", cols)
	}
}

func TestPlanUnknownNames(t *testing.T) {
	u := fixture(t, date1)
	f, path := write(t, t.TempDir(), "typo.pdvm.hcl", `vm "typo" {
  need  = ["ngnix", "curl | wgett"]
  avoid = ["systemdd"]
}
`)
	_, err := Plan(context.Background(), u, f, f.VMs[0], LockPath(path, f, "typo"), Options{})
	var de *DiagnosticsError
	if !errors.As(err, &de) {
		t.Fatalf("Plan = %v, want a *DiagnosticsError", err)
	}
	var errs, warns int
	for _, d := range de.Diags {
		switch {
		case d.Severity == 1 && strings.Contains(d.Detail, `"ngnix"`):
			errs++
			if !strings.Contains(d.Detail, `Did you mean "nginx"?`) || d.Subject.Start.Column != 13 || d.Subject.End.Column != 18 {
				t.Errorf("ngnix diagnostic = %s at %v", d.Detail, d.Subject)
			}
		case d.Severity == 1 && strings.Contains(d.Detail, `"wgett"`):
			errs++
			if d.Subject.Start.Column != 29 {
				t.Errorf("wgett diagnostic at %v, want column 29", d.Subject)
			}
		case strings.Contains(d.Detail, `"systemdd"`):
			warns++
		}
	}
	if errs != 2 || warns != 1 {
		t.Errorf("got %d errors and %d warnings, want 2 and 1: %v", errs, warns, de.Diags)
	}
}

func TestPlanDeterministicAcrossPaths(t *testing.T) {
	u := fixture(t, date1)
	dir := t.TempDir()
	f, path := write(t, dir, "web.pdvm.hcl", "vm \"web\" {\n  need = [\"nginx\", \"curl\"]\n}\n")
	r1, err := Plan(context.Background(), u, f, f.VMs[0], LockPath(path, f, "web"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The same file named through another path gives the same bytes.
	wd, _ := os.Getwd()
	t.Chdir(dir)
	f2, diags := description.Load("web.pdvm.hcl", nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r2, err := Plan(context.Background(), u, f2, f2.VMs[0], LockPath("web.pdvm.hcl", f2, "web"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = wd
	a, _ := manifest.Encode(r1.Lock)
	b, _ := manifest.Encode(r2.Lock)
	if !bytes.Equal(a, b) {
		t.Errorf("locks differ by how the path was written:\n%s\n---\n%s", a, b)
	}
}

func TestCheckStale(t *testing.T) {
	u := fixture(t, date1)
	dir := t.TempDir()
	src := "vm \"web\" {\n  need = [\"nginx\"]\n}\n"
	f, path := write(t, dir, "web.pdvm.hcl", src)
	lockPath := LockPath(path, f, "web")
	st, err := Check(u, f, f.VMs[0], lockPath)
	if err != nil || st.Current() {
		t.Fatalf("Check without a lock = %+v, %v; want stale", st, err)
	}
	r, err := Plan(context.Background(), u, f, f.VMs[0], lockPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := manifest.Write(lockPath, r.Lock); err != nil {
		t.Fatal(err)
	}
	if st, err := Check(u, f, f.VMs[0], lockPath); err != nil || !st.Current() {
		t.Fatalf("Check after plan = %+v, %v; want current", st, err)
	}
	// A comment changes the description but not the constraints.
	f2, _ := write(t, dir, "web.pdvm.hcl", "# web server\n"+src)
	st, _ = Check(u, f2, f2.VMs[0], lockPath)
	if len(st.Reasons) != 1 || !strings.Contains(st.Reasons[0], "description changed: [web.pdvm.hcl]") {
		t.Errorf("comment edit: reasons %q", st.Reasons)
	}
	// A new need changes both.
	f3, _ := write(t, dir, "web.pdvm.hcl", "vm \"web\" {\n  need = [\"nginx\", \"curl\"]\n}\n")
	st, _ = Check(u, f3, f3.VMs[0], lockPath)
	if len(st.Reasons) != 2 || !strings.Contains(st.Reasons[1], "constraints changed") {
		t.Errorf("new need: reasons %q", st.Reasons)
	}
	// A newer archive.
	f4, _ := write(t, dir, "web.pdvm.hcl", src)
	u2 := fixture(t, "Sun, 10 Nov 2024 10:00:00 UTC")
	st, _ = Check(u2, f4, f4.VMs[0], lockPath)
	if len(st.Reasons) != 1 || !strings.Contains(st.Reasons[0], "archive changed") {
		t.Errorf("new archive: reasons %q", st.Reasons)
	}
}

func TestLockPath(t *testing.T) {
	one := &description.File{VMs: []*description.VM{{Name: "a"}}}
	two := &description.File{VMs: []*description.VM{{Name: "a"}, {Name: "b"}}}
	if got := LockPath("x/web.pdvm.hcl", one, "a"); got != "x/web.pdvm.hcl.lock" {
		t.Errorf("LockPath(one vm) = %s", got)
	}
	if got := LockPath("x/web.pdvm.hcl", two, "b"); got != "x/web.b.pdvm.hcl.lock" {
		t.Errorf("LockPath(two vms) = %s", got)
	}
}

// Kernel flavour "pdvm" puts no kernel package in the lock; KernelBuild
// records the pinned source and the description's Kconfig requests.
func TestPlanKernelFlavourPdvm(t *testing.T) {
	u := fixture(t, date1)
	l := planOne(t, u, `vm "s" {
  need = ["curl"]
  kernel {
    flavour = "pdvm"
    need    = ["VIRTIO_NET", "IPV6"]
    avoid   = ["MODULES"]
  }
}
`).Lock
	for _, p := range l.Packages {
		if p.Kernel || strings.HasPrefix(p.Name, "linux-image-") {
			t.Errorf("flavour pdvm locked a kernel package %s", p.Name)
		}
	}
	kb := l.KernelBuild
	if kb == nil {
		t.Fatal("no kernel_build in the lock")
	}
	if kb.Source != "linux-source-6.1" || kb.SourceVersion == "" || len(kb.SourceSHA256) != 64 {
		t.Errorf("kernel_build source = %+v", kb)
	}
	if strings.Join(kb.Need, ",") != "VIRTIO_NET,IPV6" || strings.Join(kb.Avoid, ",") != "MODULES" {
		t.Errorf("kernel_build need %v avoid %v, want the description's", kb.Need, kb.Avoid)
	}
	if l.Hardware.KernelFlavour != "pdvm" {
		t.Errorf("kernel_flavour %q", l.Hardware.KernelFlavour)
	}
	// the default flavour keeps the old lock shape
	l2 := planOne(t, u, `vm "s" {
  need = ["curl"]
}
`).Lock
	if l2.KernelBuild != nil {
		t.Errorf("flavour cloud has a kernel_build: %+v", l2.KernelBuild)
	}
}
