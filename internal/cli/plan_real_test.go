package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pdvm.dev/pdvm/internal/testenv"
)

// copyExample copies an example (and the web page) into a temporary
// directory and returns the description's path there.
func copyDescExample(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{name + ".pdvm.hcl", "web/index.html"} {
		data, err := os.ReadFile(filepath.Join("../../examples", f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, name+".pdvm.hcl")
}

func descRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestRealPlanCheck plans the web example with the real archive (the
// machine's apt lists, --offline), then shows --check passing on the fresh
// lock and exiting 2 on an edited description without touching the lock.
func TestRealPlanCheck(t *testing.T) {
	testenv.Real(t)
	path := copyDescExample(t, "web")
	code, out, errs := descRun(t, "--offline", "plan", path)
	if code != 0 {
		t.Fatalf("plan exited %d: %s%s", code, out, errs)
	}
	if !strings.Contains(out, `vm "web":`) || !strings.Contains(out, "optimal (proven)") {
		t.Errorf("plan output:\n%s", out)
	}
	lock, err := os.ReadFile(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	if code, out, _ := descRun(t, "--offline", "plan", "--check", path); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("--check on a fresh lock: exit %d\n%s", code, out)
	}
	src, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(src, []byte(`need  = ["nginx"]`), []byte(`need  = ["nginx", "curl"]`), 1), 0o644)
	code, out, _ = descRun(t, "--offline", "plan", "--check", path)
	if code != 2 || !strings.Contains(out, "constraints changed") {
		t.Errorf("--check on an edited description: exit %d, want 2\n%s", code, out)
	}
	if now, _ := os.ReadFile(path + ".lock"); !bytes.Equal(now, lock) {
		t.Error("--check rewrote the lock")
	}
	// Planning again records the change and says what it is.
	code, out, _ = descRun(t, "--offline", "plan", path)
	if code != 0 || !strings.Contains(out, "+ curl ") {
		t.Errorf("re-plan: exit %d\n%s", code, out)
	}
}

// TestRealValidateExamples: every example validates, package names
// included.
func TestRealValidateExamples(t *testing.T) {
	testenv.Real(t)
	files, _ := filepath.Glob("../../examples/*.pdvm.hcl")
	for _, f := range files {
		code, out, errs := descRun(t, "--offline", "validate", f)
		if code != 0 || !strings.Contains(out, "package names checked") {
			t.Errorf("validate %s: exit %d\n%s%s", f, code, out, errs)
		}
		if code, _, errs := descRun(t, "fmt", "--check", f); code != 0 {
			t.Errorf("%s is not formatted: %s", f, errs)
		}
	}
}
