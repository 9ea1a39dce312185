package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pdvm.dev/pdvm/internal/testenv"
)

// copyExample copies examples/NAME.pdvm.hcl and examples/NAME/ into a
// temporary directory (so the lock is not written into the repository).
func copyExample(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "examples")
	args := []string{"-r", filepath.Join(src, name+".pdvm.hcl")}
	if _, err := os.Stat(filepath.Join(src, name)); err == nil {
		args = append(args, filepath.Join(src, name))
	}
	if b, err := exec.Command("cp", append(args, dir)...).CombinedOutput(); err != nil {
		t.Fatalf("copying the example: %v\n%s", err, b)
	}
	return filepath.Join(dir, name+".pdvm.hcl")
}

// testResult is one vm of `pdvm test --json`.
type testResult struct {
	VM     string
	Image  string
	Result struct {
		OK     bool
		Accel  string
		Probes []struct {
			Name    string
			OK      bool
			Seconds float64
			Detail  string
		}
	}
}

// runProbes runs `pdvm test` on desc (a fresh build into out) and fails
// unless its single vm boots and every probe passes.
func runProbes(t *testing.T, desc, out string) testResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	t0 := time.Now()
	code := Main(context.Background(), []string{"--offline", "--json", "test", "--no-cache", "-o", out, desc}, &stdout, &stderr)
	t.Logf("pdvm test took %s; stderr:\n%s", time.Since(t0).Round(time.Second), stderr.String())
	if code != 0 {
		t.Fatalf("pdvm test exited %d:\n%s", code, stdout.String())
	}
	var res []testResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if len(res) != 1 || !res[0].Result.OK || len(res[0].Result.Probes) == 0 {
		t.Fatalf("probes did not pass: %+v", res)
	}
	for _, p := range res[0].Result.Probes {
		t.Logf("probe %s ok=%v after %.2fs (%s): %s", p.Name, p.OK, p.Seconds, res[0].Result.Accel, p.Detail)
	}
	return res[0]
}

// TestRealTestExampleWeb is the end-to-end test: `pdvm test
// examples/web.pdvm.hcl` plans the description (no lock yet), builds the
// image from scratch (base none, pdvm's init, nginx), boots it in QEMU
// (TCG on CI) and the HTTP probe must get the page from nginx in the VM.
func TestRealTestExampleWeb(t *testing.T) {
	testenv.Real(t, "mkfs.ext4", "debugfs", "qemu-img", "syslinux", "mcopy", "mkfs.fat", "qemu-system-x86_64")
	desc := copyExample(t, "web")
	out := filepath.Join(filepath.Dir(desc), "out")
	runProbes(t, desc, out)
	if _, err := os.Stat(desc + ".lock"); err != nil {
		t.Errorf("no lock written next to the description: %v", err)
	}
	// The build leaves both SBOMs next to the image, naming nginx by purl.
	for _, name := range []string{"web.spdx.json", "web.cdx.json"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Errorf("the build wrote no %s: %v", name, err)
		} else if !strings.Contains(string(b), "pkg:deb/debian/nginx@") {
			t.Errorf("%s does not list nginx by purl", name)
		}
	}
	page, _ := os.ReadFile(filepath.Join(filepath.Dir(desc), "web", "index.html"))
	if !strings.Contains(string(page), "Hello from pdvm") {
		t.Errorf("the example page changed; the probe expects %q", "Hello from pdvm")
	}
}

// TestRealTestDebianSystemd builds the base "debian" + systemd variant of
// the web VM (bench/image/web-debian.pdvm.hcl: dpkg runs the maintainer
// scripts in a chroot, systemd units come from the description) and boots
// it until nginx, started by systemd, serves the page.
func TestRealTestDebianSystemd(t *testing.T) {
	testenv.Real(t, "mkfs.ext4", "debugfs", "qemu-img", "syslinux", "mcopy", "mkfs.fat", "qemu-system-x86_64", "chroot", "depmod")
	dir := t.TempDir()
	desc := filepath.Join(dir, "web-debian.pdvm.hcl")
	b, err := os.ReadFile("../../bench/image/web-debian.pdvm.hcl")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(desc, b, 0o644)
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"--offline", "test", "-o", filepath.Join(dir, "out"), desc}, &stdout, &stderr)
	t.Logf("%s\n%s", stdout.String(), stderr.String())
	if code != 0 {
		serial, _ := os.ReadFile(filepath.Join(dir, "out", "web-debian.serial.log"))
		t.Fatalf("pdvm test exited %d; serial console:\n%s", code, serial)
	}
	if !strings.Contains(stdout.String(), "PASS  http") {
		t.Errorf("no passing http probe in:\n%s", stdout.String())
	}
}

// TestRealTestExampleBastion: the "server" template's SSH daemon (no
// service block: pdvm starts the package's daemon itself) answers with
// its banner through the forwarded port.
func TestRealTestExampleBastion(t *testing.T) {
	testenv.Real(t, "mkfs.ext4", "debugfs", "qemu-img", "syslinux", "mcopy", "mkfs.fat", "qemu-system-x86_64")
	desc := copyExample(t, "bastion")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"--offline", "test", "-o", filepath.Join(filepath.Dir(desc), "out"), desc}, &stdout, &stderr)
	t.Logf("%s\n%s", stdout.String(), stderr.String())
	if code != 0 || !strings.Contains(stdout.String(), "PASS  tcp") {
		t.Fatalf("pdvm test exited %d", code)
	}
}
