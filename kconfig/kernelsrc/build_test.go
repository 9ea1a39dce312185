package kernelsrc

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Concurrent builds of one configuration compile it once: the others wait
// for the build lock and take the cached image. make is a stand-in script
// here (it records each bzImage build and writes a fake image); the real
// compile is covered by the TestReal tests that boot the result.
func TestBuildConcurrentOnce(t *testing.T) {
	for _, tool := range []string{"gcc", "ld", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	bin := t.TempDir()
	count := filepath.Join(t.TempDir(), "count")
	script := `#!/bin/sh
for a in "$@"; do case $a in O=*) o=${a#O=};; esac; done
case "$*" in *bzImage*)
  echo x >> "` + count + `"
  sleep 0.3
  mkdir -p "$o/arch/x86/boot" && echo image > "$o/arch/x86/boot/bzImage";;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "make"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cache := t.TempDir()
	opt := BuildOptions{Src: t.TempDir(), CacheDir: cache}
	var wg sync.WaitGroup
	res := make([]*BuildResult, 4)
	errs := make([]error, 4)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = Build(context.Background(), []byte("CONFIG_64BIT=y\n"), opt)
		}()
	}
	wg.Wait()
	cached := 0
	for i := range res {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if res[i].BzImage != res[0].BzImage {
			t.Errorf("build %d gave %s, build 0 %s", i, res[i].BzImage, res[0].BzImage)
		}
		if res[i].Cached {
			cached++
		}
	}
	data, err := os.ReadFile(count)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "x"); n != 1 || cached != 3 {
		t.Errorf("make bzImage ran %d times and %d of 4 builds were cached; want once and 3", n, cached)
	}
	if img, _ := os.ReadFile(res[0].BzImage); string(img) != "image\n" {
		t.Errorf("cached image %q", img)
	}
}
