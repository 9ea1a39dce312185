package edsp_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"pdvm.dev/pdvm/internal/cli"
	"pdvm.dev/pdvm/internal/realarchive"
	"pdvm.dev/pdvm/internal/testenv"
	"pdvm.dev/pdvm/resolve"
	"pdvm.dev/pdvm/resolve/edsp"
)

// asPDVM makes the test binary act as the pdvm command when apt runs it
// as an external solver (through the wrapper 'pdvm edsp install' writes).
const asPDVM = "PDVM_TEST_BINARY_IS_PDVM"

func TestMain(m *testing.M) {
	if os.Getenv(asPDVM) == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// aptEnv writes an isolated apt configuration: the machine's bookworm,
// bookworm-updates and bookworm-security lists, an empty dpkg status, no
// Recommends, and a private solvers directory holding pdvm's wrapper.
func aptEnv(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"state", "etc/apt.conf.d", "etc/preferences.d", "etc/sources.list.d", "solvers"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"state/status", "state/extended_states"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mirror := func(label string) string {
		out, err := exec.Command("apt-get", "indextargets", "--format", "$(REPO_URI)", "Label: "+label).Output()
		if err != nil || len(out) == 0 {
			t.Fatalf("apt-get indextargets (Label: %s): %v; run apt-get update", label, err)
		}
		return strings.TrimSuffix(strings.Fields(string(out))[0], "/")
	}
	k := "/usr/share/keyrings/debian-archive-keyring.gpg"
	deb, sec := mirror("Debian"), mirror("Debian-Security")
	sources := "deb [signed-by=" + k + "] " + deb + " bookworm main\n" +
		"deb [signed-by=" + k + "] " + deb + " bookworm-updates main\n" +
		"deb [signed-by=" + k + "] " + sec + " bookworm-security main\n"
	if err := os.WriteFile(filepath.Join(dir, "etc/sources.list"), []byte(sources), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := `Dir::Etc::parts "` + dir + `/etc/apt.conf.d";
Dir::Etc::main "/dev/null";
Dir::Etc::sourcelist "` + dir + `/etc/sources.list";
Dir::Etc::sourceparts "` + dir + `/etc/sources.list.d";
Dir::Etc::preferences "/dev/null";
Dir::Etc::preferencesparts "` + dir + `/etc/preferences.d";
Dir::State::lists "` + realarchive.Lists + `/";
Dir::State::status "` + dir + `/state/status";
Dir::State::extended_states "` + dir + `/state/extended_states";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Dir::Bin::Solvers:: "` + dir + `/solvers";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Debug::NoLocking "true";
Acquire::Languages "none";
`
	if err := os.WriteFile(filepath.Join(dir, "apt.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	if rc := cli.Main(context.Background(), []string{"edsp", "install", "--dir", filepath.Join(dir, "solvers")}, &strings.Builder{}, &stderr); rc != 0 {
		t.Fatalf("pdvm edsp install: exit %d: %s", rc, stderr.String())
	}
	return append(os.Environ(), "APT_CONFIG="+filepath.Join(dir, "apt.conf"), asPDVM+"=1")
}

func aptGet(t *testing.T, env []string, args ...string) (string, error) {
	cmd := exec.Command("apt-get", args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func countInst(out string) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Inst ") {
			n++
		}
	}
	return n
}

// TestRealAptSolver runs real apt with --solver pdvm on an empty dpkg
// status: apt accepts pdvm's answer, which is smaller than apt's own.
func TestRealAptSolver(t *testing.T) {
	testenv.Real(t, "apt-get")
	env := aptEnv(t)
	own, err := aptGet(t, env, "-s", "install", "openssh-server")
	if err != nil {
		t.Fatalf("apt-get -s install openssh-server: %v\n%s", err, own)
	}
	out, err := aptGet(t, env, "-s", "--solver", "pdvm", "install", "openssh-server")
	if err != nil {
		t.Fatalf("apt-get -s --solver pdvm install openssh-server: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Inst openssh-server ") {
		t.Fatalf("apt's plan lacks openssh-server:\n%s", out)
	}
	n, nOwn := countInst(out), countInst(own)
	t.Logf("openssh-server: apt's own solver %d packages, with pdvm %d", nOwn, n)
	if n >= nOwn {
		t.Errorf("pdvm's plan has %d packages, apt's own %d: want fewer", n, nOwn)
	}

	out, err = aptGet(t, env, "-s", "--solver", "pdvm", "install", "postfix", "exim4")
	if err == nil {
		t.Fatalf("apt accepted postfix + exim4:\n%s", out)
	}
	for _, want := range []string{"External solver failed with: need", "need postfix", "need exim4", "mail-transport-agent"} {
		if !strings.Contains(out, want) {
			t.Errorf("apt's error lacks %q:\n%s", want, out)
		}
	}
}

// TestRealAspcudOptimum: on the very EDSP scenario apt writes (Essential
// flags removed, as the benchmark does), pdvm's count equals aspcud's
// optimum (apt-cudf, criteria -removed,-new), and apt's own is larger.
func TestRealAspcudOptimum(t *testing.T) {
	testenv.Real(t, "apt-get", "apt-cudf", "aspcud")
	env := aptEnv(t)
	for _, purpose := range []string{"openssh-server", "nginx openssh-server"} {
		dump := filepath.Join(t.TempDir(), "scenario.edsp")
		args := append([]string{"-s", "--solver", "dump", "install"}, strings.Fields(purpose)...)
		if out, err := aptGet(t, append(env, "APT_EDSP_DUMP_FILENAME="+dump), args...); err != nil && !strings.Contains(out, "dump") {
			t.Fatalf("apt-get %v: %v\n%s", args, err, out)
		}
		data, err := os.ReadFile(dump)
		if err != nil {
			t.Fatalf("apt wrote no EDSP dump: %v", err)
		}
		noess := strings.ReplaceAll(string(data), "\nEssential: yes\n", "\n")
		if err := os.WriteFile(dump, []byte(noess), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("apt-cudf", "--solver=aspcud", "-c", "-removed,-new", dump).Output()
		if err != nil {
			t.Fatalf("apt-cudf: %v\n%s", err, out)
		}
		aspcud := strings.Count(string(out), "\nInstall: ")
		if strings.HasPrefix(string(out), "Install: ") {
			aspcud++
		}

		sc, err := edsp.Read(context.Background(), strings.NewReader(noess), dump)
		if err != nil {
			t.Fatal(err)
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
		t.Logf("%s: pdvm %d (%s), aspcud %d", purpose, sol.Count, sol.Status, aspcud)
		if sol.Count != aspcud || sol.Status != "optimal" {
			t.Errorf("%s: pdvm %d packages (%s), aspcud's optimum %d", purpose, sol.Count, sol.Status, aspcud)
		}
	}
}
