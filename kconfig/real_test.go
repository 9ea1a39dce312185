package kconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"pdvm.dev/pdvm/internal/testenv"
	"pdvm.dev/pdvm/kconfig/kernelsrc"
)

var (
	realOnce sync.Once
	realDir  string
	realKC   *Kconfig
	realErr  error
	realTime time.Duration
	realNote string
)

// realTree fetches (once, into the pdvm cache) and parses the pinned
// linux-source tree with the builtin toolchain table.
func realTree(t *testing.T) (string, *Kconfig) {
	t.Helper()
	realOnce.Do(func() {
		cache, err := kernelsrc.CacheDir()
		if err != nil {
			realErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if realDir, realErr = kernelsrc.Tree(ctx, cache, ""); realErr != nil {
			return
		}
		tc, err := Builtin(DefaultToolchain)
		if err != nil {
			realErr = err
			return
		}
		// The kernel's make runs the machine's compiler: when it is not the
		// one the builtin table was made with, probe it afresh so that both
		// sides see the same toolchain.
		var live Toolchain = tc
		if out, err := exec.Command("gcc", "--version").Output(); err == nil {
			first, _, _ := strings.Cut(string(out), "\n")
			if first != tc.Vars["CC_VERSION_TEXT"] {
				env, err := MakeEnv(ctx, kernelsrc.KernelVersion)
				if err != nil {
					realErr = err
					return
				}
				realNote = fmt.Sprintf("gcc is %q, the builtin table %q: probing the live toolchain", first, tc.Vars["CC_VERSION_TEXT"])
				live = NewProber(ctx, realDir, env, "live")
			}
		}
		t0 := time.Now()
		realKC, realErr = Parse(os.DirFS(realDir), live)
		realTime = time.Since(t0)
	})
	if realNote != "" {
		t.Log(realNote)
	}
	if realErr != nil {
		t.Fatalf("loading the real kernel tree: %v", realErr)
	}
	return realDir, realKC
}

// TestRealParse parses Linux 6.1 (x86_64) and checks the model against
// figures counted independently: grep over the files the parse read, and
// the Python kconfiglib implementation.
func TestRealParse(t *testing.T) {
	testenv.Real(t, "python3")
	dir, kc := realTree(t)
	st := kc.Stats()
	t.Logf("parsed %d files, %d symbols in %s", st.Files, st.Symbols, realTime)

	// Exact figures: the source version is pinned (6.1.170-3). The
	// reference measured on 6.1.192 (16,476 symbols, 75 choices, 64,046
	// edges) differs by a few symbols.
	want := map[string]int{"symbols": 16480, "tristate": 10226, "bool": 5937, "int": 242, "string": 54, "hex": 21, "choices": 75}
	got := map[string]int{"symbols": st.Symbols, "tristate": st.ByType["tristate"], "bool": st.ByType["bool"],
		"int": st.ByType["int"], "string": st.ByType["string"], "hex": st.ByType["hex"], "choices": st.Choices}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %d, want %d", k, got[k], w)
		}
	}
	if st.GraphEdges < 63000 || st.GraphEdges > 65000 {
		t.Errorf("depends+select+imply edges = %d, want about 64,000", st.GraphEdges)
	}

	// grep over the same files: definitions, choices, selects, implies.
	re := map[string]*regexp.Regexp{
		"config": regexp.MustCompile(`^\s*(config|menuconfig)\s+[A-Za-z0-9_]+\b`),
		"choice": regexp.MustCompile(`^\s*choice\b`),
		"select": regexp.MustCompile(`^\s*select\s`),
		"imply":  regexp.MustCompile(`^\s*imply\s`),
	}
	counts := map[string]int{}
	for _, f := range kc.Files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		helpIndent := -1 // -1: not in help; 0: help, indentation not known yet
		for _, l := range strings.Split(string(data), "\n") {
			if helpIndent >= 0 {
				w, nonblank := indentWidth(l)
				if !nonblank {
					continue
				}
				if helpIndent == 0 {
					helpIndent = w
					continue
				}
				if w >= helpIndent {
					continue
				}
				helpIndent = -1
			}
			if strings.TrimSpace(l) == "help" {
				helpIndent = 0
				continue
			}
			for k, r := range re {
				if r.MatchString(l) {
					counts[k] += kc.FileReads[f]
				}
			}
		}
	}
	defs := 0
	for _, s := range kc.Symbols {
		defs += len(s.Nodes)
	}
	choiceDefs := 0
	for _, c := range kc.Choices {
		choiceDefs += len(c.Nodes)
	}
	for k, v := range map[string]int{"config": defs, "choice": choiceDefs, "select": st.SelectStatements, "imply": st.ImplyStatements} {
		if counts[k] != v {
			t.Errorf("grep counts %d %s statements in the parsed files, the parser %d", counts[k], k, v)
		}
	}

	// kconfiglib, with the toolchain probes run for real.
	kl := kconfiglibStats(t, dir)
	for k, v := range map[string]int{
		"symbols": st.Symbols, "bool": st.ByType["bool"], "tristate": st.ByType["tristate"], "int": st.ByType["int"],
		"hex": st.ByType["hex"], "string": st.ByType["string"], "visible": st.Visible, "choices": st.Choices,
		"choice_members": st.ChoiceMembers, "menus": st.Menus, "comments": st.Comments, "files": st.Files,
		"select_stmts": st.SelectStatements, "select_edges": st.SelectEdges, "imply_edges": st.ImplyEdges,
		"select_targets": st.SelectTargets,
	} {
		if kl[k] != v {
			t.Errorf("%s: kconfiglib %d, pdvm %d", k, kl[k], v)
		}
	}
	// Dependency edges differ slightly in what counts as a symbol.
	if d := kl["dep_edges"] - st.DependsEdges; d < -50 || d > 50 {
		t.Errorf("depends edges: kconfiglib %d, pdvm %d", kl["dep_edges"], st.DependsEdges)
	}
}

const kconfiglibScript = `
import json, kconfiglib as K
_tok = K.Kconfig._tokenize
def _tokenize(self, s):
    t = _tok(self, s)
    if len(t) >= 1 and t[0] is K._T_MODULES:
        t = [K._T_OPTION] + t
    return t
K.Kconfig._tokenize = _tokenize
kc = K.Kconfig("Kconfig", warn=False)
syms = kc.unique_defined_syms
out = {"symbols": len(syms), "files": len(set(kc.kconfig_filenames))}
for s in syms:
    k = K.TYPE_TO_STR[s.orig_type] or "unknown"
    out[k] = out.get(k, 0) + 1
out["visible"] = sum(1 for s in syms if any(n.prompt for n in s.nodes))
out["choices"] = len(kc.unique_choices)
out["choice_members"] = sum(len(c.syms) for c in kc.unique_choices)
out["menus"] = sum(1 for n in kc.node_iter() if n.item == K.MENU)
out["comments"] = sum(1 for n in kc.node_iter() if n.item == K.COMMENT)
def refs(e):
    return {x for x in K.expr_items(e) if isinstance(x, K.Symbol) and not x.is_constant}
dep, sel, imp = set(), set(), set()
n = 0
for s in syms:
    for r in refs(s.direct_dep): dep.add((s.name, r.name))
    for t, c in s.selects:
        n += 1; sel.add((s.name, t.name))
    for t, c in s.implies: imp.add((s.name, t.name))
for c in kc.unique_choices:
    for r in refs(c.direct_dep): dep.add(("<choice>" + str(id(c)), r.name))
out["dep_edges"] = len(dep)
out["select_stmts"] = n
out["select_edges"] = len(sel)
out["imply_edges"] = len(imp)
out["select_targets"] = len({t for _, t in sel})
print(json.dumps(out))
`

func kconfiglibStats(t *testing.T, dir string) map[string]int {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = "python3"
	}
	tc, _ := Builtin(DefaultToolchain)
	cmd := exec.Command(py, "-c", kconfiglibScript)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "srctree=.")
	for k, v := range tc.Vars {
		if k != "srctree" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running kconfiglib (python3-kconfiglib, installed by scripts/setup.sh): %v\n%s", err, stderr.String())
	}
	m := map[string]int{}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("kconfiglib output: %v: %s", err, out)
	}
	return m
}

// oracle runs the kernel's own kconfig through make in one out-of-tree
// directory.
type oracle struct {
	t   *testing.T
	src string
	obj string
}

func newOracle(t *testing.T, src string) *oracle {
	obj := filepath.Join(t.TempDir(), "o")
	return &oracle{t: t, src: src, obj: obj}
}

// make runs `make ARCH=x86_64 O=... target` with extra environment.
func (o *oracle) make(target string, env ...string) {
	o.t.Helper()
	cmd := exec.Command("make", "-s", "-C", o.src, "ARCH=x86_64", "O="+o.obj, target)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		o.t.Fatalf("make %s: %v\n%s", target, err, out)
	}
}

// diff is scripts/diffconfig: empty when a and b set the same values.
func (o *oracle) diff(a, b string) string {
	o.t.Helper()
	out, err := exec.Command(filepath.Join(o.src, "scripts/diffconfig"), a, b).CombinedOutput()
	if err != nil {
		o.t.Fatalf("diffconfig: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// checkSavedefconfig compares `make savedefconfig` of the kernel's .config
// with pdvm's WriteDefconfig of the same configuration.
func (o *oracle) checkSavedefconfig(t *testing.T, dotconfig string, c *Config) {
	t.Helper()
	o.make("savedefconfig", "KCONFIG_CONFIG="+dotconfig)
	theirs, err := os.ReadFile(filepath.Join(o.obj, "defconfig"))
	if err != nil {
		t.Fatal(err)
	}
	var ours bytes.Buffer
	c.WriteDefconfig(&ours)
	if !bytes.Equal(ours.Bytes(), theirs) {
		t.Errorf("savedefconfig of %s differs:\n--- make savedefconfig\n%s\n--- pdvm\n%s", filepath.Base(dotconfig), theirs, ours.Bytes())
	}
}

func writeConfig(t *testing.T, path string, c *Config) {
	t.Helper()
	var b bytes.Buffer
	if err := c.WriteDotConfig(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readValues(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	as, err := ReadAssignments(f, path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, a := range as {
		m[a.Name] = a.Value
	}
	return m
}

func enabledIn(vals map[string]string) int {
	n := 0
	for _, v := range vals {
		if v == "y" || v == "m" {
			n++
		}
	}
	return n
}

// TestRealBaselines compares pdvm's evaluator with the kernel's for the
// configurations without a solver: allnoconfig (byte for byte) and
// x86_64_defconfig (diffconfig).
func TestRealBaselines(t *testing.T) {
	testenv.Real(t, "make", "gcc", "flex", "bison", "python3")
	src, kc := realTree(t)
	o := newOracle(t, src)
	tmp := t.TempDir()

	allno := kc.NewConfig()
	allno.AllNo()
	ours := filepath.Join(tmp, "allno.pdvm")
	writeConfig(t, ours, allno)
	theirs := filepath.Join(tmp, "allno.kernel")
	o.make("allnoconfig", "KCONFIG_CONFIG="+theirs)
	a, _ := os.ReadFile(ours)
	b, _ := os.ReadFile(theirs)
	if !bytes.Equal(a, b) {
		t.Errorf("allnoconfig differs from the kernel's:\n%s", o.diff(theirs, ours))
	}

	f, err := os.Open(filepath.Join(src, "arch/x86/configs/x86_64_defconfig"))
	if err != nil {
		t.Fatal(err)
	}
	as, err := ReadAssignments(f, "x86_64_defconfig")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	def := kc.NewConfig()
	def.Apply(as)
	ours = filepath.Join(tmp, "defconfig.pdvm")
	writeConfig(t, ours, def)
	theirs = filepath.Join(tmp, "defconfig.kernel")
	o.make("defconfig", "KCONFIG_CONFIG="+theirs)
	if d := o.diff(theirs, ours); d != "" {
		t.Errorf("defconfig differs from the kernel's:\n%s", d)
	}
	y, m := def.Enabled()
	t.Logf("allnoconfig identical (%d bytes); defconfig: %d y, %d m, same values as make defconfig", len(a), y, m)
	o.checkSavedefconfig(t, theirs, def)

	// Random fragments (fixed seeds): 2,000 symbols set to y, m or n and 40
	// numbers, then
	// allnoconfig and olddefconfig (defaults) in both implementations.
	var cands, nums []*Symbol
	for _, s := range kc.Symbols {
		if s.isBoolish() && s.HasPrompt() {
			cands = append(cands, s)
		}
		if (s.Type == Int || s.Type == Hex) && s.HasPrompt() {
			nums = append(nums, s)
		}
	}
	for seed := int64(1); seed <= 3; seed++ {
		r := rand.New(rand.NewSource(seed))
		var frag []Assignment
		for _, i := range r.Perm(len(cands))[:2000] {
			v := []string{"y", "m", "n"}[r.Intn(3)]
			frag = append(frag, Assignment{Name: cands[i].Name, Value: v})
		}
		if seed != 2 { // with modules: m values stay m
			frag = append(frag, Assignment{Name: "MODULES", Value: "y"})
		}
		// Numbers, some out of range or malformed.
		for _, i := range r.Perm(len(nums))[:40] {
			s := nums[i]
			v := []string{"0", "1", "7", "64", "100000", "-1", "012", "x"}[r.Intn(8)]
			if s.Type == Hex {
				v = []string{"0x0", "0x10", "0x1000000", "0xffffffff", "10", "0xg"}[r.Intn(6)]
			}
			frag = append(frag, Assignment{Name: s.Name, Value: v})
		}
		fragPath := filepath.Join(tmp, fmt.Sprintf("random%d.fragment", seed))
		var fb bytes.Buffer
		kc.WriteFragment(&fb, frag)
		os.WriteFile(fragPath, fb.Bytes(), 0o644)
		for _, mode := range []string{"allnoconfig", "olddefconfig"} {
			c := kc.NewConfig()
			env := []string{"KCONFIG_ALLCONFIG=" + fragPath}
			if mode == "allnoconfig" {
				c.Apply(frag)
				c.AllNo()
			} else {
				c.ApplyDotConfig(frag)
			}
			ours := filepath.Join(tmp, fmt.Sprintf("random%d.%s.pdvm", seed, mode))
			writeConfig(t, ours, c)
			theirs := filepath.Join(tmp, fmt.Sprintf("random%d.%s.kernel", seed, mode))
			if mode == "olddefconfig" {
				os.WriteFile(theirs, fb.Bytes(), 0o644)
				env = nil
			}
			o.make(mode, append(env, "KCONFIG_CONFIG="+theirs)...)
			if mode == "olddefconfig" {
				o.checkSavedefconfig(t, theirs, c)
			}
			if d := o.diff(theirs, ours); d != "" {
				t.Errorf("random fragment %d, %s: pdvm differs from the kernel:\n%s", seed, mode, d)
			} else {
				y, m := c.Enabled()
				t.Logf("random fragment %d, %s: same values (%d y, %d m)", seed, mode, y, m)
			}
		}
	}
}

type requestSet struct {
	name  string
	init  string
	need  []string
	avoid []string
	unsat string // expected explanation, for impossible sets
}

var oracleSets = []requestSet{
	{name: "virtio-vm", init: "pdvm", need: []string{"VIRTIO_PCI", "VIRTIO_BLK", "VIRTIO_NET", "EXT4_FS", "NET", "INET", "UNIX"}},
	{name: "ext4-virtio-blk", init: "none", need: []string{"VIRTIO_BLK", "EXT4_FS"}},
	{name: "networking", init: "pdvm", need: []string{"NET", "INET", "IPV6", "PACKET", "UNIX", "VIRTIO_NET", "VIRTIO_PCI"}},
	{name: "systemd", init: "systemd", need: []string{"VIRTIO_PCI", "VIRTIO_BLK", "EXT4_FS"}},
	{name: "firewall", init: "pdvm", need: []string{"NETFILTER", "NF_TABLES", "NF_TABLES_INET", "NFT_CT", "NFT_NAT", "NF_CONNTRACK", "NF_NAT", "VIRTIO_NET"}},
	{name: "9p", init: "pdvm", need: []string{"NET_9P", "NET_9P_VIRTIO", "9P_FS", "9P_FS_POSIX_ACL", "VIRTIO_PCI"}},
	{name: "nvme", init: "pdvm", need: []string{"BLK_DEV_NVME", "EXT4_FS", "XFS_FS"}},
	{name: "serial-console", init: "pdvm"},
	{name: "cgroups", init: "pdvm", need: []string{"CGROUPS", "MEMCG", "CGROUP_PIDS", "CPUSETS", "CGROUP_SCHED", "NAMESPACES", "USER_NS"}},
	{name: "modules", init: "pdvm", need: []string{"MODULES", "VIRTIO_BLK=m", "VIRTIO_PCI"}},
	{name: "avoid-multiuser", init: "pdvm", avoid: []string{"MULTIUSER", "IO_URING"}},
	{name: "bench-closed-fragment", init: "none", need: []string{"BLOCK", "NETDEVICES", "NET_CORE", "VIRTIO_MENU", "PCI", "64BIT", "VIRTIO_PCI",
		"VIRTIO_BLK", "VIRTIO_NET", "EXT4_FS", "NET", "INET", "SERIAL_8250", "SERIAL_8250_CONSOLE", "PRINTK", "TTY", "BLK_DEV",
		"BLK_DEV_INITRD", "DEVTMPFS", "BINFMT_ELF", "BINFMT_SCRIPT", "PROC_FS", "SYSFS", "UNIX"}},
	{name: "impossible", init: "none", need: []string{"EXT4_FS"}, avoid: []string{"BLOCK"}, unsat: "need EXT4_FS, which depends on BLOCK, avoided"},
}

// TestRealOracle solves request sets on the real tree and checks each
// result with the kernel's own tools: make olddefconfig leaves it
// unchanged, make allnoconfig with pdvm's fragment gives exactly it, every
// request holds, and it has no more options enabled than make allnoconfig
// with the bare requests whenever that honours them.
func TestRealOracle(t *testing.T) {
	testenv.Real(t, "make", "gcc", "flex", "bison", "python3")
	src, kc := realTree(t)
	o := newOracle(t, src)
	tmp := t.TempDir()
	for _, rs := range oracleSets {
		t.Run(rs.name, func(t *testing.T) {
			o.t = t
			preset, err := InitPreset(rs.init)
			if err != nil {
				t.Fatal(err)
			}
			reqs := Needs(append(preset, rs.need...), rs.avoid)
			t0 := time.Now()
			sol, err := Solve(kc, reqs)
			dt := time.Since(t0)
			naive := filepath.Join(tmp, rs.name+".naive")
			var nb bytes.Buffer
			kc.WriteFragment(&nb, toAssignments(reqs))
			if err := os.WriteFile(naive, nb.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			naiveOut := filepath.Join(tmp, rs.name+".allno-naive")
			o.make("allnoconfig", "KCONFIG_CONFIG="+naiveOut, "KCONFIG_ALLCONFIG="+naive)
			naiveVals := readValues(t, naiveOut)
			dropped := unhonoured(naiveVals, reqs)
			if rs.unsat != "" {
				if err == nil || !strings.Contains(err.Error(), rs.unsat) {
					t.Fatalf("want the explanation %q, got %v", rs.unsat, err)
				}
				if len(dropped) == 0 {
					t.Errorf("the kernel honours all requests, pdvm says impossible")
				}
				t.Logf("impossible, as the kernel agrees (it drops %v): %v", dropped, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ours := filepath.Join(tmp, rs.name+".config")
			writeConfig(t, ours, sol.Config)
			frag := filepath.Join(tmp, rs.name+".fragment")
			var fb bytes.Buffer
			kc.WriteFragment(&fb, sol.Fragment)
			if err := os.WriteFile(frag, fb.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			// 1. olddefconfig changes nothing.
			old := filepath.Join(tmp, rs.name+".olddef")
			data, _ := os.ReadFile(ours)
			os.WriteFile(old, data, 0o644)
			o.make("olddefconfig", "KCONFIG_CONFIG="+old)
			if d := o.diff(ours, old); d != "" {
				t.Errorf("make olddefconfig changes pdvm's .config:\n%s", d)
			}
			// 2. every request holds in the kernel's view.
			if bad := unhonoured(readValues(t, old), reqs); len(bad) > 0 {
				t.Errorf("requests not honoured after olddefconfig: %v", bad)
			}
			// 3. allnoconfig with the fragment is the same configuration.
			fromFrag := filepath.Join(tmp, rs.name+".allno-fragment")
			o.make("allnoconfig", "KCONFIG_CONFIG="+fromFrag, "KCONFIG_ALLCONFIG="+frag)
			if d := o.diff(ours, fromFrag); d != "" {
				t.Errorf("make allnoconfig with pdvm's fragment differs:\n%s", d)
			}
			// 3b. make savedefconfig writes what pdvm's WriteDefconfig does.
			o.make("savedefconfig", "KCONFIG_CONFIG="+ours)
			theirsDef, err := os.ReadFile(filepath.Join(o.obj, "defconfig"))
			if err != nil {
				t.Fatal(err)
			}
			var ourDef bytes.Buffer
			sol.Config.WriteDefconfig(&ourDef)
			if !bytes.Equal(ourDef.Bytes(), theirsDef) {
				t.Errorf("savedefconfig differs:\n--- make savedefconfig\n%s\n--- pdvm\n%s", theirsDef, ourDef.Bytes())
			}
			// The boolean model the solver searched agrees with the
			// evaluator on every symbol.
			if len(sol.Disagreements) > 0 {
				t.Errorf("the SAT model and the evaluator disagree on %v", sol.Disagreements)
			}
			// 4. no more than allnoconfig with the bare requests.
			n := enabledIn(readValues(t, ours))
			nn := enabledIn(naiveVals)
			if len(dropped) == 0 && n > nn {
				t.Errorf("pdvm enables %d options, allnoconfig with the same requests %d", n, nn)
			}
			t.Logf("%d enabled (naive allnoconfig: %d, dropping %d requests: %v); fragment %d lines, savedefconfig %d lines, added %v; solve %s, %d SAT calls",
				n, nn, len(dropped), dropped, len(sol.Fragment), bytes.Count(ourDef.Bytes(), []byte("\n")), sol.Added, dt.Round(time.Millisecond), sol.SATCalls)
		})
	}
}

func toAssignments(reqs []Request) []Assignment {
	var out []Assignment
	for _, r := range reqs {
		out = append(out, Assignment{Name: r.Name, Value: r.Value})
	}
	return out
}

// unhonoured lists the requests vals does not honour.
func unhonoured(vals map[string]string, reqs []Request) []string {
	var out []string
	for _, r := range reqs {
		got, ok := vals[r.Name]
		if !ok {
			got = "n"
		}
		if r.Value == "n" {
			if got == "y" || got == "m" {
				out = append(out, fmt.Sprintf("%s=n (is %s)", r.Name, got))
			}
		} else if got != r.Value {
			out = append(out, fmt.Sprintf("%s=%s (is %s)", r.Name, r.Value, got))
		}
	}
	return out
}

// BenchmarkParseSolve is the wall time of parsing the real tree and solving
// the virtio VM request set (target: under a second).
func BenchmarkParseSolve(b *testing.B) {
	cache, err := kernelsrc.CacheDir()
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(cache, "linux-source-"+kernelsrc.Version)
	if _, err := os.Stat(filepath.Join(dir, "Kconfig")); err != nil {
		b.Skip("kernel tree not cached; run the TestReal tests or `pdvm kernel stats` first")
	}
	tc, err := Builtin(DefaultToolchain)
	if err != nil {
		b.Fatal(err)
	}
	preset, _ := InitPreset("pdvm")
	reqs := Needs(append(preset, oracleSets[0].need...), nil)
	for b.Loop() {
		kc, err := Parse(os.DirFS(dir), tc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Solve(kc, reqs); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRealKernelBuild compiles a bzImage from a solved configuration and
// checks that a second build comes from the cache. It takes several
// minutes, so it only runs with PDVM_KERNEL_BUILD=1 (not in the default CI
// run); bench/kconfig/boot.sh also boots the result.
func TestRealKernelBuild(t *testing.T) {
	testenv.Real(t, "make", "gcc", "flex", "bison", "bc")
	if os.Getenv("PDVM_KERNEL_BUILD") == "" {
		t.Skip("set PDVM_KERNEL_BUILD=1 to build a kernel (several minutes)")
	}
	src, kc := realTree(t)
	hw, _ := HardwarePreset("qemu")
	pd, _ := InitPreset("pdvm")
	sol, err := Solve(kc, Needs(append(append(hw, pd...), "VIRTIO_BLK", "VIRTIO_NET", "EXT4_FS"), nil))
	if err != nil {
		t.Fatal(err)
	}
	var dot bytes.Buffer
	sol.Config.WriteDotConfig(&dot)
	cache := t.TempDir()
	ctx := context.Background()
	t0 := time.Now()
	b, err := kernelsrc.Build(ctx, dot.Bytes(), kernelsrc.BuildOptions{Src: src, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if b.Cached || b.Size < 500_000 || b.Size > 8<<20 {
		t.Errorf("build: %+v", b)
	}
	t.Logf("bzImage %d bytes in %s", b.Size, time.Since(t0).Round(time.Second))
	again, err := kernelsrc.Build(ctx, dot.Bytes(), kernelsrc.BuildOptions{Src: src, CacheDir: cache})
	if err != nil || !again.Cached || again.BzImage != b.BzImage {
		t.Errorf("second build not from the cache: %+v %v", again, err)
	}
}

// TestRealConfTestdata runs the kernel's own scripts/kconfig/conf on every
// hand-written test tree (those without a fake toolchain table) and on the
// solver cases' fragments, and compares its values with pdvm's.
func TestRealConfTestdata(t *testing.T) {
	testenv.Real(t, "make", "gcc", "flex", "bison")
	src, _ := realTree(t)
	o := newOracle(t, src)
	o.make("allnoconfig", "KCONFIG_CONFIG="+filepath.Join(t.TempDir(), "unused")) // builds conf
	conf := filepath.Join(o.obj, "scripts/kconfig/conf")
	run := func(t *testing.T, dir, mode string, env ...string) map[string]string {
		t.Helper()
		cmd := exec.Command(conf, "--"+mode, "Kconfig")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), append(env, "srctree="+dir, "KCONFIG_CONFIG=out.config")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("conf --%s: %v\n%s", mode, err, out)
		}
		return readValues(t, filepath.Join(dir, "out.config"))
	}
	write := func(t *testing.T, c testCase) string {
		dir := t.TempDir()
		for name, f := range c.fsys {
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	compare := func(t *testing.T, kernel, ours map[string]string) {
		t.Helper()
		for k, v := range kernel {
			if ours[k] != v {
				t.Errorf("%s: conf %q, pdvm %q", k, v, ours[k])
			}
		}
		for k, v := range ours {
			if _, ok := kernel[k]; !ok {
				t.Errorf("%s: pdvm writes %q, conf does not write it", k, v)
			}
		}
	}
	for _, c := range loadCases(t, "eval") {
		if len(c.tc.Vars) > 0 || len(c.tc.Cmds) > 0 || strings.HasPrefix(c.header["conf"], "no") {
			continue // a fake toolchain table, or syntax conf 6.1 lacks
		}
		t.Run("eval/"+c.name, func(t *testing.T) {
			dir := write(t, c)
			kc, err := Parse(c.fsys, c.tc)
			if err != nil {
				t.Fatal(err)
			}
			cfg := kc.NewConfig()
			as, _ := ReadAssignments(strings.NewReader(c.user), "user.config")
			cfg.Apply(as)
			os.WriteFile(filepath.Join(dir, "user.config"), []byte(c.user), 0o644)
			var kernel map[string]string
			if c.header["mode"] == "allno" {
				cfg.AllNo()
				kernel = run(t, dir, "allnoconfig", "KCONFIG_ALLCONFIG=user.config")
				// The file itself, comments and order included.
				var ours bytes.Buffer
				cfg.WriteDotConfig(&ours)
				theirs, _ := os.ReadFile(filepath.Join(dir, "out.config"))
				if !bytes.Equal(ours.Bytes(), theirs) {
					t.Errorf("written .config differs from conf's:\n--- conf\n%s\n--- pdvm\n%s", theirs, ours.Bytes())
				}
			} else {
				os.WriteFile(filepath.Join(dir, "out.config"), []byte(c.user), 0o644)
				kernel = run(t, dir, "olddefconfig")
			}
			compare(t, kernel, cfg.Values())
		})
	}
	for _, c := range loadCases(t, "solve") {
		t.Run("solve/"+c.name, func(t *testing.T) {
			kc, err := Parse(c.fsys, c.tc)
			if err != nil {
				t.Fatal(err)
			}
			sol, err := Solve(kc, Needs(strings.Fields(c.header["need"]), strings.Fields(c.header["avoid"])))
			if err != nil {
				t.Skipf("no solution to check: %v", err)
			}
			dir := write(t, c)
			var fb bytes.Buffer
			kc.WriteFragment(&fb, sol.Fragment)
			os.WriteFile(filepath.Join(dir, "fragment"), fb.Bytes(), 0o644)
			compare(t, run(t, dir, "allnoconfig", "KCONFIG_ALLCONFIG=fragment"), sol.Config.Values())
		})
	}
}
