package edsp

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"pdvm.dev/pdvm/resolve"
)

func readScenario(t *testing.T, path string) *Scenario {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc, err := Read(context.Background(), f, path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestSolveScenario: strict pinning drops the non-candidate web 1;
// httpd-lib wins over big-lib although it costs a dependency, because
// big-lib conflicts with an installed package; libc6 is kept, old-tool
// is removed as asked, unrelated is kept.
func TestSolveScenario(t *testing.T) {
	sc := readScenario(t, "testdata/upgrade.edsp")
	if sc.Stanzas != 7 || sc.Dropped != 1 || len(sc.Installed) != 3 {
		t.Fatalf("read %d stanzas, dropped %d, %d installed; want 7, 1, 3", sc.Stanzas, sc.Dropped, len(sc.Installed))
	}
	req, err := sc.Request()
	if err != nil {
		t.Fatal(err)
	}
	sol, err := resolve.Resolve(context.Background(), sc.Universe, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := resolve.Check(sc.Universe, req, sol.Packages); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteSolution(&out, sc, sol); err != nil {
		t.Fatal(err)
	}
	want := `Install: 20
Package: httpd-lib
Version: 1
Architecture: amd64

Install: 10
Package: web
Version: 2
Architecture: amd64

Remove: 40
Package: old-tool
Version: 1
Architecture: amd64

`
	if out.String() != want {
		t.Errorf("solution:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestErrorStanza(t *testing.T) {
	sc := readScenario(t, "testdata/upgrade.edsp")
	sc.Install = append(sc.Install, "old-tool:amd64")
	req, _ := sc.Request()
	_, err := resolve.Resolve(context.Background(), sc.Universe, req)
	var ce *resolve.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("Resolve = %v, want a conflict (old-tool is both installed and removed)", err)
	}
	var out bytes.Buffer
	if err := WriteError(&out, "pdvm-unsatisfiable", err); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	first := strings.SplitN(s, "\n", 3)[1]
	if !strings.HasPrefix(s, "Error: pdvm-unsatisfiable\nMessage: ") || !strings.Contains(first, "need old-tool (EDSP Install 2) and avoid old-tool (EDSP Remove 1) conflict: old-tool 1: avoided (EDSP Remove 1)") || !strings.HasSuffix(s, "\n\n") {
		t.Errorf("error stanza:\n%s", s)
	}
}

func TestBadScenario(t *testing.T) {
	for _, in := range []string{"", "Package: x\nVersion: 1\n", "Request: EDSP 0.5\n\nPackage: x\nVersion: 1\nArchitecture: all\n"} {
		if _, err := Read(context.Background(), strings.NewReader(in), "stdin"); err == nil {
			t.Errorf("Read(%q) succeeded, want error", in)
		}
	}
}

// TestUpgradeAll: an upgrade is an Install of the new version without a
// Remove of the old one (the protocol forbids it); the new version's
// dependency comes along; without Upgrade-All nothing changes.
func TestUpgradeAll(t *testing.T) {
	sc := readScenario(t, "testdata/upgrade-all.edsp")
	solve := func() string {
		req, err := sc.Request()
		if err != nil {
			t.Fatal(err)
		}
		sol, err := resolve.Resolve(context.Background(), sc.Universe, req)
		if err != nil {
			t.Fatal(err)
		}
		if err := resolve.Check(sc.Universe, req, sol.Packages); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := WriteSolution(&out, sc, sol); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	want := "Install: 2\nPackage: lib\nVersion: 2\nArchitecture: amd64\n\nInstall: 3\nPackage: lib-common\nVersion: 2\nArchitecture: all\n\n"
	if got := solve(); got != want {
		t.Errorf("Upgrade-All solution:\n%s\nwant:\n%s", got, want)
	}
	sc.UpgradeAll = false
	if got := solve(); got != "" {
		t.Errorf("solution without Upgrade-All:\n%s\nwant nothing", got)
	}
}
