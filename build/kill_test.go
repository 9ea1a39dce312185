package build

import (
	"context"
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pdvm.dev/pdvm/internal/realdeb"
	"pdvm.dev/pdvm/internal/testenv"
	"pdvm.dev/pdvm/manifest"
)

// TestHelperBuildProcess is not a test: TestRealKillBuild runs the test
// binary with PDVM_HELPER_LOCK set to build in a child process it kills.
func TestHelperBuildProcess(t *testing.T) {
	lockFile := os.Getenv("PDVM_HELPER_LOCK")
	if lockFile == "" {
		t.Skip("helper process")
	}
	b, err := os.ReadFile(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	var l manifest.Lock
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	opt := Options{CacheDir: os.Getenv("PDVM_HELPER_CACHE"), OutDir: os.Getenv("PDVM_HELPER_OUT")}
	if at := os.Getenv("PDVM_HELPER_CRASH_AT"); at != "" {
		opt.testHook = func(p string) {
			if p == at {
				os.Exit(137) // as if killed right here
			}
		}
	}
	if _, err := Build(context.Background(), &l, killSpec(), opt); err != nil {
		t.Fatal(err)
	}
}

func killSpec() Spec {
	s := webSpec()
	s.Formats = []string{"qcow2", "vmdk"}
	s.Hypervisors = []string{"qemu"}
	return s
}

// TestRealKillBuild kills builds at random moments (and at the critical
// points: just before the image is renamed into the cache, in the middle
// of publishing), then checks that no file under a final name is partial
// and the cache holds no corrupt image, and that the next build succeeds.
// Because builds are reproducible, a final-named file left by a killed
// build must be byte-identical to the final build's.
func TestRealKillBuild(t *testing.T) {
	testenv.Real(t, "mkfs.ext4", "debugfs", "qemu-img", "syslinux", "mcopy", "mkfs.fat")
	l := nginxLock(t)
	dir := t.TempDir()
	lockFile := filepath.Join(dir, "lock.json")
	b, _ := json.Marshal(l)
	os.WriteFile(lockFile, b, 0o644)
	cacheDir, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	// compile pdvm-init once so the children do not race to do it
	if _, err := InitBinary(context.Background(), cacheDir); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	runs := []string{"before-commit", "publish:web.qcow2", "", "", "", ""}
	for _, crashAt := range runs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBuildProcess$")
		cmd.Env = append(os.Environ(), "PDVM_HELPER_LOCK="+lockFile, "PDVM_HELPER_CACHE="+cacheDir, "PDVM_HELPER_OUT="+out, "PDVM_HELPER_CRASH_AT="+crashAt)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if crashAt == "" {
			d := time.Duration(rng.Int63n(int64(7 * time.Second)))
			time.Sleep(d)
			cmd.Process.Kill()
			t.Logf("killed a build after %v", d.Round(time.Millisecond))
		} else {
			t.Logf("crashed a build at %s", crashAt)
		}
		cmd.Wait()
		checkNoPartial(t, cacheDir, out, nil)
	}
	before := listFinal(out)
	res, err := Build(context.Background(), l, killSpec(), Options{CacheDir: cacheDir, OutDir: out})
	if err != nil {
		t.Fatalf("the build after the kills failed: %v", err)
	}
	want := map[string]string{}
	for _, a := range res.Artifacts {
		want[a.Name] = a.SHA256
	}
	checkNoPartial(t, cacheDir, out, want)
	for name, sum := range before {
		if want[name] != "" && want[name] != sum {
			t.Errorf("a killed build left %s with different content than a complete build", name)
		}
	}
}

func listFinal(dir string) map[string]string {
	m := map[string]string{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".tmp-") {
			m[e.Name()], _ = fileSHA256(filepath.Join(dir, e.Name()))
		}
	}
	return m
}

// checkNoPartial: every image in the cache is complete (its result.json
// lists artifacts whose hashes match), and, when want is given, every
// final-named output matches it.
func checkNoPartial(t *testing.T, cacheDir, out string, want map[string]string) {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(cacheDir, "images"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") || e.Name() == "locks" {
			continue
		}
		d := filepath.Join(cacheDir, "images", e.Name())
		r, err := loadResult(d)
		if err != nil {
			t.Errorf("corrupt cache entry %s: %v", e.Name(), err)
			continue
		}
		for _, a := range r.Artifacts {
			if sum, _ := fileSHA256(filepath.Join(d, a.Name)); sum != a.SHA256 {
				t.Errorf("cache entry %s: %s does not match its recorded hash", e.Name(), a.Name)
			}
		}
	}
	if want == nil {
		return
	}
	for name, sum := range listFinal(out) {
		if w, ok := want[name]; ok && w != sum {
			t.Errorf("%s under its final name differs from the build's artifact", name)
		}
	}
}

// TestRealBuildWithoutRoot builds as an unprivileged user (nobody): file
// owners and device nodes cannot be set in the staging tree, so they are
// recorded and written into the ext4 image by debugfs. The image must
// carry the same owners as a root build.
func TestRealBuildWithoutRoot(t *testing.T) {
	testenv.Real(t, "mkfs.ext4", "debugfs", "qemu-img", "syslinux", "mcopy", "mkfs.fat", "setpriv")
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to the nobody user")
	}
	l := nginxLock(t)
	debs := realdebPaths(t, l)
	dir, err := os.MkdirTemp("", "pdvm-nonroot-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	cacheDir, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	for i, p := range l.Packages { // seed the unprivileged cache with the .debs
		dst := filepath.Join(cacheDir, "debs", p.SHA256[:2], p.SHA256)
		os.MkdirAll(filepath.Dir(dst), 0o755)
		b, err := os.ReadFile(debs[i])
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(dst, b, 0o644)
	}
	initBin, err := InitBinary(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	copyTo := func(src, dst string, mode os.FileMode) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(dst, b, mode)
	}
	copyTo(initBin, filepath.Join(dir, "pdvm-init"), 0o755)
	copyTo(os.Args[0], filepath.Join(dir, "build.test"), 0o755)
	lb, _ := json.Marshal(l)
	os.WriteFile(filepath.Join(dir, "lock.json"), lb, 0o644)
	exec.Command("chown", "-R", "65534:65534", dir).Run()
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", filepath.Join(dir, "build.test"), "-test.run=^TestHelperBuildProcess$")
	cmd.Env = append(os.Environ(), "HOME="+dir, "PDVM_INIT="+filepath.Join(dir, "pdvm-init"), "PDVM_HELPER_LOCK="+filepath.Join(dir, "lock.json"),
		"PDVM_HELPER_CACHE="+cacheDir, "PDVM_HELPER_OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build as nobody: %v\n%s", err, b)
	}
	img := filepath.Join(out, "web.root.ext4")
	for path, want := range map[string]string{
		"/etc/shadow":              "User:     0   Group:    42",
		"/var/log/nginx/error.log": "User:    33   Group:     4",
		"/usr/sbin/nginx":          "User:     0   Group:     0",
		"/dev/console":             "Type: character special",
		"/":                        "User:     0   Group:     0",
	} {
		b, err := exec.Command("debugfs", "-R", "stat "+path, img).CombinedOutput()
		if err != nil || !strings.Contains(strings.Join(strings.Fields(string(b)), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("%s in an image built without root: want %q in\n%s", path, want, b)
		}
	}
}

// realdebPaths returns the cached .deb of each package of the lock.
func realdebPaths(t *testing.T, l *manifest.Lock) []string {
	t.Helper()
	m := realdeb.Fetch(t, l)
	var out []string
	for _, p := range l.Packages {
		out = append(out, m[p.Name])
	}
	return out
}
