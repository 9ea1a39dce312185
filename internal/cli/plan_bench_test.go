package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"pdvm.dev/pdvm/internal/testenv"
)

// BenchmarkRealPlanWeb measures `pdvm --offline plan examples/web.pdvm.hcl`
// end to end in process (universe load from the warm binary cache,
// decoding, lowering, resolving, writing the lock). The target is 0.5 s
// wall per plan; bench/plan/run.sh measures the binary the same way.
func BenchmarkRealPlanWeb(b *testing.B) {
	testenv.Real(b)
	dir := b.TempDir()
	for _, f := range []string{"web.pdvm.hcl", "web/index.html"} {
		data, err := os.ReadFile(filepath.Join("../../examples", f))
		if err != nil {
			b.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	args := []string{"--offline", "plan", filepath.Join(dir, "web.pdvm.hcl")}
	if code := Main(context.Background(), args, io.Discard, os.Stderr); code != 0 {
		b.Fatalf("pdvm plan exited %d", code)
	}
	b.ResetTimer()
	for b.Loop() {
		if code := Main(context.Background(), args, io.Discard, os.Stderr); code != 0 {
			b.Fatalf("pdvm plan exited %d", code)
		}
	}
}
