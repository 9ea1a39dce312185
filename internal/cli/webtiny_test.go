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

	"pdvm.dev/pdvm/build"
	"pdvm.dev/pdvm/internal/testenv"
	"pdvm.dev/pdvm/manifest"
)

// TestRealTestExampleWebTiny is the end-to-end test of kernel flavour
// "pdvm": `pdvm test examples/web-tiny.pdvm.hcl` plans a lock with no
// Debian kernel package, compiles the minimal kernel from the pinned
// linux-source (a few minutes the first time; cached by configuration
// afterwards), builds the image and boots it under QEMU until nginx serves
// the page. The image must have no kernel modules and no initramfs, and
// the full disk must be smaller than the cloud-kernel web image's.
func TestRealTestExampleWebTiny(t *testing.T) {
	testenv.Real(t, "mkfs.ext4", "debugfs", "qemu-img", "syslinux", "mcopy", "mkfs.fat", "qemu-system-x86_64",
		"make", "gcc", "flex", "bison", "bc", "xz")
	dir := t.TempDir()
	src := filepath.Join("..", "..", "examples")
	if b, err := exec.Command("cp", "-r", filepath.Join(src, "web-tiny.pdvm.hcl"), filepath.Join(src, "web.pdvm.hcl"), filepath.Join(src, "web"), dir).CombinedOutput(); err != nil {
		t.Fatalf("copying the example: %v\n%s", err, b)
	}
	desc := filepath.Join(dir, "web-tiny.pdvm.hcl")
	out := filepath.Join(dir, "out")
	res := runProbes(t, desc, out)

	// The lock records the kernel source instead of a kernel package.
	data, err := os.ReadFile(desc + ".lock")
	if err != nil {
		t.Fatalf("no lock written next to the description: %v", err)
	}
	l, err := manifest.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if l.KernelBuild == nil || l.KernelBuild.Source != "linux-source-6.1" || !strings.Contains(strings.Join(l.KernelBuild.Need, " "), "IPV6") {
		t.Errorf("the lock's kernel_build is %+v, want linux-source-6.1 with the description's needs", l.KernelBuild)
	}
	for _, p := range l.Packages {
		if p.Kernel || strings.HasPrefix(p.Name, "linux-image-") {
			t.Errorf("the lock has a kernel package %s", p.Name)
		}
	}

	// The same build again is a cache hit that reports what it built.
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"--offline", "--json", "build", "-o", out, desc}, &stdout, &stderr); code != 0 {
		t.Fatalf("pdvm build exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	var builds []build.Result
	if err := json.Unmarshal(stdout.Bytes(), &builds); err != nil || len(builds) != 1 {
		t.Fatalf("pdvm build --json: %v\n%s", err, stdout.String())
	}
	br := builds[0]
	t.Logf("kernel %s; %d packages", br.Kernel, br.Packages)
	if !strings.Contains(br.Kernel, "flavour pdvm") || len(br.Modules) != 0 || br.Initrd {
		t.Errorf("want the compiled kernel, no modules and no initramfs; got kernel %q, modules %v, initrd %v", br.Kernel, br.Modules, br.Initrd)
	}
	root := br.Artifact("rootfs")
	if root == nil {
		t.Fatalf("no rootfs artifact in %+v", br.Artifacts)
	}
	rootPath := root.Path
	if rootPath == "" {
		rootPath = filepath.Join(br.Dir, root.Name)
	}
	ls := func(d string) string {
		b, err := exec.Command("debugfs", "-R", "ls "+d, rootPath).CombinedOutput()
		if err != nil {
			t.Fatalf("debugfs ls %s: %v\n%s", d, err, b)
		}
		return string(b)
	}
	if lib := ls("/usr/lib"); strings.Contains(lib, "modules") || !strings.Contains(lib, "x86_64-linux-gnu") {
		t.Errorf("/usr/lib of the image should hold libraries and no modules directory:\n%s", lib)
	}
	if sbin := ls("/usr/sbin"); !strings.Contains(sbin, "nginx") {
		t.Errorf("/usr/sbin of the image has no nginx:\n%s", sbin)
	}
	if st, err := os.Stat(res.Image); err != nil {
		t.Error(err)
	} else {
		t.Logf("full disk %s: %d bytes (%.1f MiB)", filepath.Base(res.Image), st.Size(), float64(st.Size())/(1<<20))
		if st.Size() > 16<<20 {
			t.Errorf("the full disk is %.1f MiB, want at most 16 MiB", float64(st.Size())/(1<<20))
		}
	}
}
