package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pdvm.dev/pdvm/internal/realarchive"
)

// Purposes are the 13 package sets of the solver benchmark
// (/work/shared/bench/solver/04_min_install_anchors.sh, bench/solver/run.sh);
// "!name" avoids name.
var Purposes = []string{
	"nginx", "openssh-server", "postgresql", "redis-server", "python3", "bwa samtools",
	"haproxy", "bind9", "apache2", "nginx openssh-server", "docker.io", "build-essential",
	"nginx openssh-server !systemd",
}

func purposeRequest(t testing.TB, purpose string) Request {
	var req Request
	for i, w := range strings.Fields(purpose) {
		origin := fmt.Sprintf("argument %d", i+1)
		if name, ok := strings.CutPrefix(w, "!"); ok {
			n, err := ParseNeed(name, origin)
			if err != nil {
				t.Fatal(err)
			}
			req.Avoid = append(req.Avoid, n)
			continue
		}
		n, err := ParseNeed(w, origin)
		if err != nil {
			t.Fatal(err)
		}
		req.Install = append(req.Install, n)
	}
	return req
}

// TestRealPurposes resolves the benchmark's purposes on the real archive:
// each answer is proven optimal and passes the independent checker.
func TestRealPurposes(t *testing.T) {
	u := realarchive.Universe(t)
	for _, purpose := range Purposes {
		t.Run(strings.ReplaceAll(purpose, " ", "+"), func(t *testing.T) {
			req := purposeRequest(t, purpose)
			start := time.Now()
			sol, err := Resolve(context.Background(), u, req)
			if err != nil {
				t.Fatal(err)
			}
			if err := Check(u, req, sol.Packages); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if sol.Status != "optimal" || int64(sol.Count) != sol.LowerBound {
				t.Errorf("status %s, count %d, bound %d: want proven optimal", sol.Status, sol.Count, sol.LowerBound)
			}
			t.Logf("%s: %d packages, %.1f MiB, cone %d, %v", purpose, sol.Count, float64(sol.InstalledSize)/1024, sol.Cone, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestRealSizeObjective: the size objective never gives more KiB than the
// count objective, and postgresql's count-minimal locales-all (one huge
// package) is replaced by smaller ones.
func TestRealSizeObjective(t *testing.T) {
	u := realarchive.Universe(t)
	req := purposeRequest(t, "postgresql")
	byCount, err := Resolve(context.Background(), u, req)
	if err != nil {
		t.Fatal(err)
	}
	req.Objective = ObjectiveSize
	bySize, err := Resolve(context.Background(), u, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(u, req, bySize.Packages); err != nil {
		t.Fatal(err)
	}
	if bySize.Status != "optimal" || bySize.InstalledSize >= byCount.InstalledSize {
		t.Errorf("size objective: %d KiB (%s), count objective: %d KiB; want strictly smaller and optimal", bySize.InstalledSize, bySize.Status, byCount.InstalledSize)
	}
	t.Logf("postgresql: count %d pkgs / %d KiB; size %d pkgs / %d KiB", byCount.Count, byCount.InstalledSize, bySize.Count, bySize.InstalledSize)
}

// TestRealBaseDebian: the base policy adds the Essential and required set.
func TestRealBaseDebian(t *testing.T) {
	u := realarchive.Universe(t)
	req := purposeRequest(t, "nginx")
	req.Base = BaseDebian
	sol, err := Resolve(context.Background(), u, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(u, req, sol.Packages); err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, id := range sol.Packages {
		has[u.Pkg(id).Name] = true
	}
	for _, n := range []string{"dpkg", "bash", "coreutils", "nginx"} {
		if !has[n] {
			t.Errorf("base debian + nginx lacks %s", n)
		}
	}
	t.Logf("base debian + nginx: %d packages", sol.Count)
}

// TestRealExplanations: unsatisfiable requests name both user needs.
func TestRealExplanations(t *testing.T) {
	u := realarchive.Universe(t)
	for _, tc := range []struct {
		purpose string
		want    []string
	}{
		{"nginx !libssl3", []string{"need nginx (argument 1) and avoid libssl3 (argument 2) conflict:", "Depends libssl3", "avoided (argument 2)"}},
		{"postfix exim4", []string{"need postfix (argument 1) and need exim4 (argument 2) conflict:", "mail-transport-agent"}},
	} {
		_, err := Resolve(context.Background(), u, purposeRequest(t, tc.purpose))
		var ce *ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: error %v, want *ConflictError", tc.purpose, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q:\n%v", tc.purpose, w, err)
			}
		}
		t.Logf("%s:\n%v", tc.purpose, err)
	}
}

// TestRealUnknown: a misspelt name gets suggestions from the real archive.
func TestRealUnknown(t *testing.T) {
	u := realarchive.Universe(t)
	_, err := Resolve(context.Background(), u, purposeRequest(t, "ngnix"))
	var ue *UnknownPackageError
	if !errors.As(err, &ue) || len(ue.Suggestions) == 0 || ue.Suggestions[0] != "nginx" {
		t.Fatalf("error %v, want unknown package with suggestion nginx", err)
	}
}

// TestRealLarge: desktop-sized requests (hundreds of packages, thousands in
// the cone) are still proven optimal, under both objectives, and checked.
func TestRealLarge(t *testing.T) {
	u := realarchive.Universe(t)
	for _, purpose := range []string{"task-gnome-desktop", "task-kde-desktop", "texlive-full", "libreoffice"} {
		for _, obj := range []string{ObjectiveCount, ObjectiveSize} {
			req := purposeRequest(t, purpose)
			req.Objective = obj
			req.Base = BaseDebian
			sol, err := Resolve(context.Background(), u, req)
			if err != nil {
				t.Fatalf("%s (%s): %v", purpose, obj, err)
			}
			if err := Check(u, req, sol.Packages); err != nil {
				t.Fatalf("%s (%s): Check: %v", purpose, obj, err)
			}
			if sol.Status != "optimal" {
				t.Errorf("%s (%s): status %s", purpose, obj, sol.Status)
			}
			t.Logf("%s (%s, base debian): %d packages, %.1f MiB, cone %d, %v", purpose, obj, sol.Count, float64(sol.InstalledSize)/1024, sol.Cone, sol.Elapsed.Round(time.Millisecond))
		}
	}
}
