package plan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/internal/realarchive"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/resolve"
)

// planReal plans every vm of the description at path against the real
// archive and checks each answer with the resolver's independent checker.
func planReal(t *testing.T, u *archive.Universe, path string) []*Result {
	t.Helper()
	f, diags := description.Load(path, nil)
	if diags.HasErrors() {
		t.Fatalf("Load(%s): %v", path, diags)
	}
	var out []*Result
	for _, vm := range f.VMs {
		r, err := Plan(context.Background(), u, f, vm, LockPath(path, f, vm.Name), Options{})
		if err != nil {
			t.Fatalf("Plan(%s, %s): %v", path, vm.Name, err)
		}
		req, _ := Request(r.Set)
		if err := resolve.Check(u, req, r.Solution.Packages); err != nil {
			t.Fatalf("Plan(%s, %s) gave an invalid set: %v", path, vm.Name, err)
		}
		out = append(out, r)
	}
	return out
}

func planSrc(t *testing.T, u *archive.Universe, src string) *Result {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.pdvm.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return planReal(t, u, path)[0]
}

func has(r *Result, name string) bool {
	for _, p := range r.Lock.Packages {
		if p.Name == name && !p.Standalone {
			return true
		}
	}
	return false
}

// TestRealExamplesPlan plans every example against bookworm: each must
// resolve, be proven optimal, validate, and explain every package from a
// description line.
func TestRealExamplesPlan(t *testing.T) {
	u := realarchive.Universe(t)
	files, _ := filepath.Glob("../examples/*.pdvm.hcl")
	if len(files) < 6 {
		t.Fatalf("found %d examples, want at least 6", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			for _, r := range planReal(t, u, path) {
				l := r.Lock
				if err := manifest.Validate(l); err != nil {
					t.Fatal(err)
				}
				if l.Proof != "optimal" {
					t.Errorf("proof %q, want optimal", l.Proof)
				}
				kernels := 0
				for _, p := range l.Packages {
					head := p.Reason[0]
					// A line of this file or of one it extends.
					file, _, _ := strings.Cut(head, ":")
					if !strings.HasSuffix(file, ".pdvm.hcl") && !strings.HasPrefix(head, "builtin:") && !strings.HasPrefix(head, "base ") {
						t.Errorf("%s: reason %q does not start at a description line", p.Name, p.Reason)
					}
					if p.Kernel {
						kernels++
					}
				}
				if l.Base == "none" && l.Hardware.KernelFlavour == "cloud" && kernels != 1 {
					t.Errorf("%d kernel packages, want the standalone cloud kernel", kernels)
				}
				t.Logf("%s: %d packages, %d KiB, disk %d MiB, %v", l.VM, l.Count, l.InstalledSize, l.Hardware.DiskMiB, r.Elapsed)
			}
		})
	}
}

// TestRealWebExample checks the web example's purpose-specific content.
func TestRealWebExample(t *testing.T) {
	u := realarchive.Universe(t)
	r := planReal(t, u, "../examples/web.pdvm.hcl")[0]
	if !has(r, "nginx") || has(r, "systemd") {
		t.Errorf("web: nginx present %v, systemd present %v", has(r, "nginx"), has(r, "systemd"))
	}
	// Far below a Debian base system: the purpose's closure only.
	if r.Lock.Count > 40 {
		t.Errorf("web has %d packages, want at most 40", r.Lock.Count)
	}
}

// Disjunction: "a | b" takes the cheaper side under the objective, which
// is not the side apt takes (apt installs the first alternative).
func TestRealDisjunctionPicksCheaperSide(t *testing.T) {
	u := realarchive.Universe(t)
	for _, obj := range []string{"count", "size"} {
		t.Run(obj, func(t *testing.T) {
			both := planSrc(t, u, `vm "s" {
  objective = "`+obj+`"
  need = ["openssh-server | dropbear-bin"]
}`)
			ssh := planSrc(t, u, `vm "s" {
  objective = "`+obj+`"
  need = ["openssh-server"]
}`)
			db := planSrc(t, u, `vm "s" {
  objective = "`+obj+`"
  need = ["dropbear-bin"]
}`)
			cost := func(r *Result) int64 {
				if obj == "size" {
					return r.Lock.InstalledSize
				}
				return int64(r.Lock.Count)
			}
			cheaper, other := db, ssh
			name := "dropbear-bin"
			if cost(ssh) < cost(db) {
				cheaper, other, name = ssh, db, "openssh-server"
			}
			if cost(cheaper) == cost(other) {
				t.Skip("both sides cost the same today; nothing to choose")
			}
			if !has(both, name) {
				t.Errorf("a | b did not take the cheaper side %s", name)
			}
			if cost(both) != cost(cheaper) {
				t.Errorf("a | b costs %d, the cheaper side alone %d", cost(both), cost(cheaper))
			}
		})
	}
}

// Negation: avoiding the package the unconstrained answer uses yields
// another valid set, as small as the alternative allows.
func TestRealAvoidChangesTheAnswer(t *testing.T) {
	u := realarchive.Universe(t)
	free := planSrc(t, u, `vm "s" {
  need = ["openssh-server | dropbear-bin"]
}`)
	var picked, other string
	switch {
	case has(free, "dropbear-bin"):
		picked, other = "dropbear-bin", "openssh-server"
	case has(free, "openssh-server"):
		picked, other = "openssh-server", "dropbear-bin"
	default:
		t.Fatal("neither SSH server installed")
	}
	avoided := planSrc(t, u, `vm "s" {
  need  = ["openssh-server | dropbear-bin"]
  avoid = ["`+picked+`"]
}`)
	if has(avoided, picked) || !has(avoided, other) {
		t.Fatalf("avoid %s: got %v", picked, avoided.Lock.Packages)
	}
	alone := planSrc(t, u, `vm "s" {
  need = ["`+other+`"]
}`)
	if avoided.Lock.Count != alone.Lock.Count {
		t.Errorf("avoiding %s gave %d packages; %s alone needs %d (not minimal)", picked, avoided.Lock.Count, other, alone.Lock.Count)
	}
	if avoided.Lock.Count < free.Lock.Count {
		t.Errorf("the constrained answer (%d) is smaller than the free optimum (%d)", avoided.Lock.Count, free.Lock.Count)
	}

	// Deeper in the graph: procps needs libsystemd0, which libelogind0
	// also provides; avoiding whichever the plan used swaps it.
	p1 := planSrc(t, u, `vm "p" {
  need = ["procps"]
}`)
	lib, alt := "libsystemd0", "libelogind0"
	if has(p1, alt) {
		lib, alt = alt, lib
	}
	p2 := planSrc(t, u, `vm "p" {
  need  = ["procps"]
  avoid = ["`+lib+`"]
}`)
	if has(p2, lib) || !has(p2, alt) {
		t.Errorf("avoid %s: want %s instead", lib, alt)
	}
}

// TestRealDeterministic plans every example twice: the locks must be
// byte-identical.
func TestRealDeterministic(t *testing.T) {
	u := realarchive.Universe(t)
	files, _ := filepath.Glob("../examples/*.pdvm.hcl")
	for _, path := range files {
		a := planReal(t, u, path)
		b := planReal(t, u, path)
		for i := range a {
			x, _ := manifest.Encode(a[i].Lock)
			y, _ := manifest.Encode(b[i].Lock)
			if !bytes.Equal(x, y) {
				t.Errorf("%s: planning twice gave different locks:\n%s", path, lineDiff(x, y))
			}
		}
	}
}

// TestRealCheck: a fresh lock is current; editing the description makes
// it stale.
func TestRealCheck(t *testing.T) {
	u := realarchive.Universe(t)
	dir := t.TempDir()
	src, err := os.ReadFile("../examples/web.pdvm.hcl")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "web"), 0o755)
	page, _ := os.ReadFile("../examples/web/index.html")
	os.WriteFile(filepath.Join(dir, "web", "index.html"), page, 0o644)
	path := filepath.Join(dir, "web.pdvm.hcl")
	os.WriteFile(path, src, 0o644)
	r := planReal(t, u, path)[0]
	lockPath := path + ".lock"
	if err := manifest.Write(lockPath, r.Lock); err != nil {
		t.Fatal(err)
	}
	f, _ := description.Load(path, nil)
	if st, err := Check(u, f, f.VMs[0], lockPath); err != nil || !st.Current() {
		t.Fatalf("fresh lock: %+v, %v", st, err)
	}
	// The page is an input too (file source).
	os.WriteFile(filepath.Join(dir, "web", "index.html"), []byte("changed"), 0o644)
	f, _ = description.Load(path, nil)
	st, err := Check(u, f, f.VMs[0], lockPath)
	if err != nil || st.Current() || !strings.Contains(st.Reasons[0], "web/index.html") {
		t.Errorf("edited page: %+v, %v", st, err)
	}
}

func lineDiff(a, b []byte) string {
	x := strings.Split(string(a), "\n")
	y := strings.Split(string(b), "\n")
	var out []string
	for i := 0; i < len(x) || i < len(y); i++ {
		var l, r string
		if i < len(x) {
			l = x[i]
		}
		if i < len(y) {
			r = y[i]
		}
		if l != r {
			out = append(out, "-"+l, "+"+r)
		}
		if len(out) > 20 {
			break
		}
	}
	return strings.Join(out, "\n")
}
