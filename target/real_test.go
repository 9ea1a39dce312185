package target

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"pdvm.dev/pdvm/internal/testenv"
)

// TestRealFormatsReproducible converts one raw disk to every format twice,
// a second apart, and checks that after Normalize the two are identical,
// that qemu-img check/info accept them and that their content equals the
// raw disk (qemu-img compare).
func TestRealFormatsReproducible(t *testing.T) {
	testenv.Real(t, "qemu-img")
	dir := t.TempDir()
	raw := filepath.Join(dir, "disk.raw")
	data := make([]byte, 8<<20)
	for i := range data {
		if i%4096 < 512 {
			data[i] = byte(i / 4096)
		}
	}
	os.WriteFile(raw, data, 0o644)
	ctx := context.Background()
	date := time.Date(2026, 5, 20, 16, 28, 12, 0, time.UTC)
	for _, name := range Names() {
		if name == "raw" {
			continue
		}
		f := Formats[name]
		var sums [2]string
		for i := range sums {
			sub := filepath.Join(dir, name+string(rune('a'+i)))
			os.Mkdir(sub, 0o755)
			p := filepath.Join(sub, "disk."+name) // same file name: VMDK records it
			if err := Convert(ctx, raw, p, f); err != nil {
				t.Fatal(err)
			}
			if err := Normalize(p, f, "seed", date); err != nil {
				t.Fatal(err)
			}
			if err := Check(ctx, p, f); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("qemu-img", "compare", "-f", "raw", "-F", f.QEMU, raw, p).CombinedOutput(); err != nil {
				t.Fatalf("%s: content differs from the raw disk: %v %s", name, err, out)
			}
			b, _ := os.ReadFile(p)
			sums[i] = string(b)
			if i == 0 {
				time.Sleep(1100 * time.Millisecond) // qemu-img stamps seconds
			}
		}
		if sums[0] != sums[1] {
			at := 0
			for at < len(sums[0]) && at < len(sums[1]) && sums[0][at] == sums[1][at] {
				at++
			}
			t.Errorf("%s: two conversions differ after normalising (sizes %d, %d; first difference at byte %d)", name, len(sums[0]), len(sums[1]), at)
		}
	}
}
