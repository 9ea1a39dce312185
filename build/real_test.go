package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pdvm.dev/pdvm/internal/realdeb"
	"pdvm.dev/pdvm/internal/testenv"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/target"
	"pdvm.dev/pdvm/vmtest"
)

// nginxClosure is the dependency closure of nginx in bookworm as apt
// computes it (apt-get install -s --no-install-recommends nginx with an
// empty dpkg status). The build tests use it so that they test the
// builder alone; the end-to-end test of `pdvm build` goes through the
// planner.
var nginxClosure = []string{
	"debconf", "gcc-12-base", "libgcc-s1", "libc6", "zlib1g", "libelf1", "libbpf1", "libmd0", "libbsd0",
	"libcap2", "libdb5.3", "libmnl0", "libpcre2-8-0", "libselinux1", "libcom-err2", "libkrb5support0",
	"libk5crypto3", "libkeyutils1", "libssl3", "libkrb5-3", "libgssapi-krb5-2", "libtirpc-common",
	"libtirpc3", "libxtables12", "libcap2-bin", "iproute2", "libcrypt1", "nginx-common", "nginx",
}

func nginxLock(t testing.TB) *manifest.Lock {
	t.Helper()
	names := append([]string{realdeb.CloudKernel(t)}, nginxClosure...)
	l := realdeb.Lock(t, names...)
	l.VM = "web"
	realdeb.Fetch(t, l)
	return l
}

const page = "PDVM_PAGE_OK from nginx\n"

func webSpec() Spec {
	return Spec{
		Name:     "web",
		Hostname: "web",
		Files:    []File{{Path: "/var/www/html/index.html", Content: page}},
		Services: []Service{{Name: "nginx", Command: []string{"nginx"}}},
		Ports:    []Port{{Guest: 80}},
		Probes: []Probe{
			{Name: "page", Kind: "http", Port: 80, Path: "/", Contains: "PDVM_PAGE_OK"},
			{Name: "nginx-version", Kind: "command", Command: []string{"/usr/sbin/nginx", "-v"}, Contains: "nginx/1."},
		},
		Formats:     target.Names(),
		Hypervisors: []string{"qemu", "libvirt", "firecracker", "ovf"},
	}
}

// TestRealBuildWebBoots builds the nginx VM in every format, checks each
// image with qemu-img, validates the libvirt XML with virt-xml-validate,
// checks that the init in the image is static, boots the qcow2 (through
// its boot loader) and runs the probes; then rebuilds for a cache hit.
func TestRealBuildWebBoots(t *testing.T) {
	testenv.Real(t, "mkfs.ext4", "debugfs", "qemu-img", "syslinux", "mcopy", "mkfs.fat", "qemu-system-x86_64", "virt-xml-validate", "xmllint")
	l := nginxLock(t)
	cacheDir, out := t.TempDir(), t.TempDir()
	ctx := context.Background()
	res, err := Build(ctx, l, webSpec(), Options{CacheDir: cacheDir, OutDir: out, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cached {
		t.Error("first build reported a cache hit")
	}
	for _, f := range target.Names() {
		a := res.Artifact("format:" + f)
		if a == nil || a.Path == "" {
			t.Fatalf("no published %s image", f)
		}
		if err := target.Check(ctx, a.Path, target.Formats[f]); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		t.Logf("%-5s %9d bytes", f, a.Size)
	}
	xmlPath := filepath.Join(out, "web.libvirt.xml")
	if b, err := exec.Command("virt-xml-validate", xmlPath, "domain").CombinedOutput(); err != nil {
		t.Errorf("virt-xml-validate: %v\n%s", err, b)
	}
	// the init in the image is statically linked
	initCopy := filepath.Join(t.TempDir(), "pdvm-init")
	if b, err := exec.Command("debugfs", "-R", "dump /usr/sbin/pdvm-init "+initCopy, filepath.Join(out, "web.root.ext4")).CombinedOutput(); err != nil {
		t.Fatalf("debugfs: %v\n%s", err, b)
	}
	if err := CheckStatic(initCopy); err != nil {
		t.Error(err)
	}
	if want := 9; len(res.Modules) > want {
		t.Errorf("kept %d modules: %v", len(res.Modules), res.Modules)
	}

	spec := webSpec()
	spec.Normalize()
	vm := res.VM(&spec, out)
	qcow := res.Artifact("format:qcow2").Path
	br, err := vmtest.Run(ctx, vmtest.Options{VM: vm, Disk: qcow, Format: "qcow2", Probes: spec.Probes})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range br.Probes {
		t.Logf("probe %-14s ok=%v %.2fs %s", p.Name, p.OK, p.Seconds, p.Detail)
	}
	if !br.OK {
		t.Fatalf("probes failed (%s); serial console:\n%s", br.Accel, vmtest.Tail(br.Serial, 40))
	}
	t.Logf("accel %s, init ready after %.2fs (guest uptime %s)", br.Accel, br.ReadyAt, br.GuestReady)

	// the probes must also fail when they should: nothing listens on 81
	// (QEMU's user network accepts the host side anyway), and a command
	// probe expecting output the command does not print
	neg, err := vmtest.Run(ctx, vmtest.Options{VM: vm, Disk: qcow, Format: "qcow2", Probes: []Probe{
		{Name: "closed", Kind: "tcp", Port: 81, Timeout: 12},
		{Name: "page", Kind: "http", Port: 80, Path: "/", Status: 200, Contains: "not on the page", Timeout: 12},
		{Name: "nginx-version", Kind: "command", Contains: "apache", Timeout: 12},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range neg.Probes {
		if p.OK {
			t.Errorf("probe %s passed but should fail: %s", p.Name, p.Detail)
		}
	}

	// same lock, another description file: the image is reused
	l2 := *l
	l2.Description, l2.DescriptionSHA256 = "other.pdvm.hcl", strings.Repeat("0", 64)
	res2, err := Build(ctx, &l2, webSpec(), Options{CacheDir: cacheDir, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if !res2.Cached || res2.Key != res.Key {
		t.Errorf("rebuild of an unchanged lock: cached=%v key %s vs %s", res2.Cached, res2.Key, res.Key)
	}
}

// TestRealReproducible builds the same lock twice, in two empty caches,
// and compares the SHA-256 of every artifact.
func TestRealReproducible(t *testing.T) {
	testenv.Real(t, "mkfs.ext4", "debugfs", "qemu-img", "syslinux", "mcopy", "mkfs.fat")
	l := nginxLock(t)
	var sums [2]map[string]string
	for i := range sums {
		out := t.TempDir()
		res, err := Build(context.Background(), l, webSpec(), Options{CacheDir: t.TempDir(), OutDir: out})
		if err != nil {
			t.Fatal(err)
		}
		sums[i] = map[string]string{}
		for _, a := range res.Artifacts {
			if a.Kind == "config:libvirt" || a.Kind == "config:firecracker" {
				continue // they name the output directory, which differs here
			}
			sum, err := fileSHA256(filepath.Join(res.Dir, a.Name))
			if a.Path != "" {
				sum, err = fileSHA256(a.Path)
			}
			if err != nil {
				t.Fatal(err)
			}
			sums[i][a.Name] = sum
		}
	}
	if len(sums[0]) < 9 {
		t.Fatalf("only %d artifacts: %v", len(sums[0]), sums[0])
	}
	for name, s := range sums[0] {
		if sums[1][name] != s {
			t.Errorf("%s differs between two builds: %s vs %s", name, s, sums[1][name])
		} else {
			t.Logf("%s %s", s[:16], name)
		}
	}
}

func TestRealDiskTooSmall(t *testing.T) {
	testenv.Real(t, "mkfs.ext4")
	l := nginxLock(t)
	s := webSpec()
	s.Formats = []string{"raw"}
	s.Hardware.DiskMiB = 40
	_, err := Build(context.Background(), l, s, Options{CacheDir: t.TempDir(), OutDir: t.TempDir()})
	var ts *TooSmallError
	if !errorsAs(err, &ts) {
		t.Fatalf("err = %v, want a TooSmallError", err)
	}
	if ts.NeedMiB <= 40 || !strings.Contains(err.Error(), "needs at least") {
		t.Errorf("error %q does not say how much is needed", err)
	}
	t.Log(err, "|", ts.Hint())
	// and the size it names is enough
	s.Hardware.DiskMiB = int(ts.NeedMiB)
	if _, err := Build(context.Background(), l, s, Options{CacheDir: t.TempDir()}); err != nil {
		t.Errorf("building with the size the error named (%d MiB): %v", ts.NeedMiB, err)
	}
}

var _ = os.Getenv

// TestRealBuildVirtioInitrd: with a virtio-blk root disk (a module in the
// cloud kernel) the build adds a small initramfs; the VM boots through it
// (syslinux loads kernel and initramfs, pdvm-init loads virtio_blk, finds
// the root partition by PARTUUID and switches to it) and serves the page.
// The Firecracker config names the initramfs, which also holds virtio_mmio.
func TestRealBuildVirtioInitrd(t *testing.T) {
	testenv.Real(t, "mkfs.ext4", "debugfs", "qemu-img", "syslinux", "mcopy", "mkfs.fat", "qemu-system-x86_64", "cpio", "virt-xml-validate", "xmllint")
	l := nginxLock(t)
	s := webSpec()
	s.Hardware.DiskBus = "virtio"
	s.Formats = []string{"qcow2"}
	s.Hypervisors = []string{"qemu", "firecracker", "libvirt"}
	out := t.TempDir()
	res, err := Build(context.Background(), l, s, Options{CacheDir: t.TempDir(), OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Artifact("initrd")
	if !res.Initrd || a == nil {
		t.Fatal("no initramfs for a virtio root disk")
	}
	list, err := exec.Command("sh", "-c", "zcat "+a.Path+" | cpio -it").CombinedOutput()
	if err != nil {
		t.Fatalf("cpio cannot read the initramfs: %v\n%s", err, list)
	}
	for _, want := range []string{"init\n", "lib/modules/virtio_blk.ko\n", "lib/modules/virtio_mmio.ko\n", "etc/pdvm/initrd.json\n", "dev/console\n"} {
		if !strings.Contains(string(list), want) {
			t.Errorf("initramfs lacks %s", want)
		}
	}
	t.Logf("initramfs %d bytes, modules %v", a.Size, res.InitrdModules)
	if b, err := exec.Command("virt-xml-validate", filepath.Join(out, "web.libvirt.xml"), "domain").CombinedOutput(); err != nil {
		t.Errorf("virt-xml-validate (virtio disk): %v\n%s", err, b)
	}
	fc, _ := os.ReadFile(filepath.Join(out, "web.firecracker.json"))
	if !strings.Contains(string(fc), `"initrd_path": "`+a.Path+`"`) {
		t.Errorf("firecracker config does not name the initramfs:\n%s", fc)
	}
	s.Normalize()
	vm := res.VM(&s, out)
	br, err := vmtest.Run(context.Background(), vmtest.Options{VM: vm, Disk: res.Artifact("format:qcow2").Path, Format: "qcow2", Probes: s.Probes[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if !br.OK {
		t.Fatalf("virtio VM failed its probe (%s):\n%s", br.Accel, vmtest.Tail(br.Serial, 40))
	}
	t.Logf("page after %.2fs (%s)", br.Probes[0].Seconds, br.Accel)
}
