package kconfig

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rogpeppe/go-internal/txtar"
)

// testCase is a txtar archive: a header of "key: value" lines, the Kconfig
// tree as files, optional "toolchain" and "user.config" files and a "want"
// file.
type testCase struct {
	name   string
	header map[string]string
	fsys   fstest.MapFS
	tc     *Table
	user   string
	want   string
}

func loadCases(t *testing.T, dir string) []testCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases in testdata/%s", dir)
	}
	var out []testCase
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := testCase{name: strings.TrimSuffix(filepath.Base(f), ".txtar"), header: map[string]string{}, fsys: fstest.MapFS{}}
		for _, l := range strings.Split(string(a.Comment), "\n") {
			if k, v, ok := strings.Cut(l, ": "); ok && !strings.Contains(k, " ") {
				c.header[k] = strings.TrimSpace(v)
			}
		}
		c.tc = &Table{Name: "test", Vars: map[string]string{}, Cmds: map[string]string{}}
		for _, af := range a.Files {
			switch af.Name {
			case "toolchain":
				tc, err := ReadTable(bytes.NewReader(af.Data), "test")
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				c.tc = tc
			case "user.config":
				c.user = string(af.Data)
			case "want":
				c.want = string(af.Data)
			default:
				c.fsys[af.Name] = &fstest.MapFile{Data: af.Data}
			}
		}
		out = append(out, c)
	}
	return out
}

// checkWant compares "CONFIG_X=v", "# CONFIG_X is not set" and "-CONFIG_X"
// (not written) lines with cfg.
func checkWant(t *testing.T, cfg *Config, want string) {
	t.Helper()
	vals := cfg.Values()
	for _, l := range strings.Split(want, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "enabled:") || strings.HasPrefix(l, "unsat:") || strings.HasPrefix(l, "error:"):
		case strings.HasPrefix(l, "-CONFIG_"):
			name := strings.TrimPrefix(l, "-CONFIG_")
			if v, ok := vals[name]; ok {
				t.Errorf("%s is written (=%s), want it absent", name, v)
			}
		default:
			as, err := ReadAssignments(strings.NewReader(l), "want")
			if err != nil || len(as) != 1 {
				t.Fatalf("bad want line %q", l)
			}
			a := as[0]
			got, ok := vals[a.Name]
			if !ok {
				t.Errorf("%s is not written, want %s", a.Name, a.Value)
			} else if got != a.Value {
				t.Errorf("%s = %q, want %q", a.Name, got, a.Value)
			}
		}
	}
}

func TestEval(t *testing.T) {
	for _, c := range loadCases(t, "eval") {
		t.Run(c.name, func(t *testing.T) {
			kc, err := Parse(c.fsys, c.tc)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			cfg := kc.NewConfig()
			if c.user != "" {
				as, err := ReadAssignments(strings.NewReader(c.user), "user.config")
				if err != nil {
					t.Fatal(err)
				}
				if unknown := cfg.Apply(as); len(unknown) > 0 {
					t.Fatalf("user.config names unknown symbols %v", unknown)
				}
			}
			if c.header["mode"] == "allno" {
				cfg.AllNo()
			}
			checkWant(t, cfg, c.want)
			// The written .config is a fixpoint: reading it back as user
			// values (olddefconfig) gives the same values.
			var b bytes.Buffer
			if err := cfg.WriteDotConfig(&b); err != nil {
				t.Fatal(err)
			}
			as, err := ReadAssignments(&b, ".config")
			if err != nil {
				t.Fatal(err)
			}
			again := kc.NewConfig()
			again.Apply(as)
			if a, b := cfg.Values(), again.Values(); !equalMaps(a, b) {
				t.Errorf("olddefconfig of the written .config changes it:\nbefore %v\nafter  %v", a, b)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestParseErrors(t *testing.T) {
	for _, c := range loadCases(t, "errors") {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.fsys, c.tc)
			if err == nil {
				t.Fatal("no error")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not an ErrorList: %v", err, err)
			}
			msg := err.Error()
			for _, w := range strings.Split(strings.TrimSpace(c.want), "\n") {
				if !strings.Contains(msg, w) {
					t.Errorf("error does not mention %q:\n%s", w, msg)
				}
			}
			for _, e := range list {
				if e.Pos.File == "" || e.Pos.Line == 0 {
					t.Errorf("error without file:line: %v", e)
				}
			}
		})
	}
}

func TestSolve(t *testing.T) {
	for _, c := range loadCases(t, "solve") {
		t.Run(c.name, func(t *testing.T) {
			kc, err := Parse(c.fsys, c.tc)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			reqs := Needs(strings.Fields(c.header["need"]), strings.Fields(c.header["avoid"]))
			sol, err := Solve(kc, reqs)
			unsat := false
			for _, l := range strings.Split(c.want, "\n") {
				if w, ok := strings.CutPrefix(l, "unsat: "); ok {
					unsat = true
					var u *UnsatError
					if !errors.As(err, &u) {
						t.Fatalf("want unsat, got %v", err)
					}
					if !strings.Contains(err.Error(), w) {
						t.Errorf("explanation %q does not contain %q", err, w)
					}
				}
				if w, ok := strings.CutPrefix(l, "error: "); ok {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Fatalf("want error %q, got %v", w, err)
					}
					return
				}
			}
			if unsat {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkWant(t, sol.Config, c.want)
			for _, l := range strings.Split(c.want, "\n") {
				if w, ok := strings.CutPrefix(l, "enabled: "); ok {
					n, _ := strconv.Atoi(w)
					if sol.Enabled != n {
						t.Errorf("enabled = %d, want %d", sol.Enabled, n)
					}
				}
			}
			if bad := Check(sol.Config, reqs); len(bad) > 0 {
				t.Errorf("requests broken: %v", bad)
			}
			// The fragment under allnoconfig gives the same configuration.
			frag := kc.NewConfig()
			frag.Apply(sol.Fragment)
			frag.AllNo()
			if !equalMaps(frag.Values(), sol.Config.Values()) {
				t.Errorf("allnoconfig of the fragment differs from the solution")
			}
		})
	}
}

func TestWriteDotConfig(t *testing.T) {
	fsys := fstest.MapFS{"Kconfig": {Data: []byte(`mainmenu "Test"
config A
	bool "a"
	default y
menu "Menu one"
config B
	bool "b"
config S
	string "s"
	default "q\"x"
comment "note"
endmenu
menu "Hidden menu"
	depends on B
config C
	bool "c"
endmenu
config I
	int
	default 3
`)}}
	kc, err := Parse(fsys, &Table{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := kc.NewConfig()
	var b bytes.Buffer
	if err := cfg.WriteDotConfig(&b); err != nil {
		t.Fatal(err)
	}
	want := `#
# Automatically generated file; DO NOT EDIT.
# Test
#
CONFIG_A=y

#
# Menu one
#
# CONFIG_B is not set
CONFIG_S="q\"x"

#
# note
#
# end of Menu one

CONFIG_I=3
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestTableRoundTrip(t *testing.T) {
	tb := &Table{Name: "x", Header: []string{"made by a test"},
		Vars: map[string]string{"CC": "gcc", "EMPTY": ""},
		Cmds: map[string]string{`echo "a b" | sed 's/\t//'`: "a b", "true": ""}}
	var b bytes.Buffer
	if _, err := tb.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTable(&b, "x")
	if err != nil {
		t.Fatal(err)
	}
	if !equalMaps(got.Vars, tb.Vars) || !equalMaps(got.Cmds, tb.Cmds) {
		t.Errorf("round trip changed the table: %+v", got)
	}
	if _, err := got.Shell("not recorded"); err == nil {
		t.Error("a command missing from the table must be an error")
	}
	if _, err := ReadTable(strings.NewReader("shell oops\n"), "bad.txt"); err == nil || !strings.Contains(err.Error(), "bad.txt:1") {
		t.Errorf("bad table line: %v", err)
	}
}

func TestBuiltinTable(t *testing.T) {
	tb, err := Builtin(DefaultToolchain)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Vars["ARCH"] != "x86_64" || tb.Vars["SRCARCH"] != "x86" {
		t.Errorf("builtin table env: %v", tb.Vars)
	}
	if v, err := tb.Shell("./scripts/cc-version.sh gcc"); err != nil || !strings.HasPrefix(v, "GCC 12") {
		t.Errorf("cc-version probe: %q %v", v, err)
	}
	if len(tb.Header) == 0 || !strings.Contains(strings.Join(tb.Header, "\n"), "pdvm kernel probe") {
		t.Errorf("table header must say how to regenerate it: %v", tb.Header)
	}
}

func TestInitPresets(t *testing.T) {
	pd, err := InitPreset("pdvm")
	if err != nil {
		t.Fatal(err)
	}
	sd, _ := InitPreset("systemd")
	in := map[string]bool{}
	for _, s := range sd {
		in[s] = true
	}
	for _, s := range pd {
		if !in[s] {
			t.Errorf("systemd preset lacks %s from the pdvm preset", s)
		}
	}
	for _, s := range []string{"CGROUPS", "FUTEX", "EPOLL", "INOTIFY_USER", "SIGNALFD", "TIMERFD", "FHANDLE"} {
		if !in[s] {
			t.Errorf("systemd preset lacks %s", s)
		}
	}
	if _, err := InitPreset("upstart"); err == nil {
		t.Error("unknown preset accepted")
	}
}

var _ fs.FS = fstest.MapFS{}
