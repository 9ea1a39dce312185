package kmod

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"pdvm.dev/pdvm/debx"
	"pdvm.dev/pdvm/internal/realdeb"
	"pdvm.dev/pdvm/internal/testenv"
)

func TestClosureOrderAndBuiltin(t *testing.T) {
	ix := &Index{
		Modules: map[string]*Module{
			"a":   {Name: "a", Path: "kernel/a.ko", Depends: []string{"b", "c"}},
			"b":   {Name: "b", Path: "kernel/b.ko", Depends: []string{"c"}},
			"c":   {Name: "c", Path: "kernel/c.ko"},
			"d":   {Name: "d", Path: "kernel/d.ko", Pre: []string{"e"}},
			"e":   {Name: "e", Path: "kernel/e.ko"},
			"x_y": {Name: "x_y", Path: "kernel/x-y.ko"},
		},
		Builtin: map[string]bool{"ext4": true},
	}
	load, bi, err := ix.Closure("a", "ext4", "d", "x-y")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range load {
		names = append(names, m.Name)
	}
	if want := []string{"c", "b", "a", "e", "d", "x_y"}; !reflect.DeepEqual(names, want) {
		t.Errorf("load order %v, want %v", names, want)
	}
	if !reflect.DeepEqual(bi, []string{"ext4"}) {
		t.Errorf("builtin %v", bi)
	}
	if got := string(ix.ModulesDep(load[:3])); got != "kernel/c.ko:\nkernel/b.ko: kernel/c.ko\nkernel/a.ko: kernel/b.ko kernel/c.ko\n" {
		t.Errorf("modules.dep:\n%s", got)
	}
	if _, _, err := ix.Closure("nosuch"); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown module: %v", err)
	}
}

func TestParseSoftdep(t *testing.T) {
	pre, post := parseSoftdep("pre: crc32c-generic crc32c post: foo", nil, nil)
	if !reflect.DeepEqual(pre, []string{"crc32c_generic", "crc32c"}) || !reflect.DeepEqual(post, []string{"foo"}) {
		t.Errorf("pre %v post %v", pre, post)
	}
}

func TestLoadNeedsBuiltin(t *testing.T) {
	if _, err := Load(fstest.MapFS{}); err == nil {
		t.Error("a tree without modules.builtin loaded")
	}
}

// TestRealCloudKernelClosure checks the closure for virtio + ext4 on
// Debian's cloud kernel against the figure measured with depmod/modprobe
// (bench/kconfig/results/kmod-metrics.txt), and the whole graph against
// depmod's own modules.dep.
func TestRealCloudKernelClosure(t *testing.T) {
	testenv.Real(t, "depmod")
	kpkg := realdeb.CloudKernel(t)
	debs := realdeb.Fetch(t, realdeb.Lock(t, kpkg))
	dir := t.TempDir()
	root, err := debx.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := debx.Extract(context.Background(), debs[kpkg], root, debx.Options{}); err != nil {
		t.Fatal(err)
	}
	kv := strings.TrimPrefix(kpkg, "linux-image-")
	mdir := filepath.Join(dir, "lib/modules", kv)
	ix, err := Load(os.DirFS(mdir))
	if err != nil {
		t.Fatal(err)
	}
	load, bi, err := ix.Closure("virtio_pci", "virtio_blk", "virtio_net", "ext4")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range load {
		got = append(got, m.Name)
	}
	sorted := append([]string(nil), got...)
	sort.Strings(sorted)
	want := []string{"failover", "net_failover", "virtio", "virtio_blk", "virtio_net", "virtio_pci", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_ring"}
	if !reflect.DeepEqual(sorted, want) {
		t.Errorf("closure %v, want the 9 modules %v", sorted, want)
	}
	if !reflect.DeepEqual(bi, []string{"ext4"}) {
		t.Errorf("built in: %v, want [ext4]", bi)
	}
	pos := map[string]int{}
	for i, n := range got {
		pos[n] = i
	}
	for _, m := range load {
		for _, d := range m.Depends {
			if pos[d] > pos[m.Name] {
				t.Errorf("%s loads before its dependency %s", m.Name, d)
			}
		}
	}
	t.Logf("%d modules, %d built in; closure %v", len(ix.Modules), len(ix.Builtin), got)

	// Oracle: depmod's modules.dep lists every module's transitive
	// dependencies; ours must match for all ~1,100 modules.
	out, err := exec.Command("depmod", "-b", dir, kv).CombinedOutput()
	if err != nil {
		t.Fatalf("depmod: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(mdir, "modules.dep"))
	if err != nil {
		t.Fatal(err)
	}
	dep, err := ParseModulesDep(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(dep) != len(ix.Modules) {
		t.Errorf("depmod knows %d modules, we know %d", len(dep), len(ix.Modules))
	}
	bad := 0
	for name, deps := range dep {
		ours := ix.Deps(name)
		sort.Strings(ours)
		sort.Strings(deps)
		if len(ours) == 0 && len(deps) == 0 {
			continue
		}
		if !reflect.DeepEqual(ours, deps) {
			if bad++; bad < 5 {
				t.Errorf("%s: depmod says %v, we say %v", name, deps, ours)
			}
		}
	}
}
