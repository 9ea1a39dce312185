package kconfig

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Regenerate the pinned table (runs the compiler probes once; fetches the
// kernel source into the cache if needed):
//
//go:generate go run ../cmd/pdvm kernel probe --out toolchain/gcc-12.2.0-x86_64.txt

//go:embed toolchain/*.txt
var toolchainFS embed.FS

// DefaultToolchain is the name of the table [Builtin] returns: GCC 12.2.0
// (Debian bookworm) building for x86_64.
const DefaultToolchain = "gcc-12.2.0-x86_64"

// Table is a pinned [Toolchain]: environment variables and the output of
// every `$(shell,...)` command a Kconfig tree ran when the table was made.
// Asking for a command it does not know is an error: a normal parse never
// starts a process.
type Table struct {
	Name   string
	Header []string // comment lines: how and when it was generated
	Vars   map[string]string
	Cmds   map[string]string
}

// Builtin returns one of the tables committed in kconfig/toolchain/.
func Builtin(name string) (*Table, error) {
	data, err := toolchainFS.ReadFile("toolchain/" + name + ".txt")
	if err != nil {
		return nil, fmt.Errorf("loading toolchain table %q: %w", name, err)
	}
	return ReadTable(bytes.NewReader(data), name)
}

// ReadTable parses a toolchain table. Lines are `# comment`,
// `env NAME "value"` or `shell "command" "output"` (Go-quoted strings).
func ReadTable(r io.Reader, name string) (*Table, error) {
	t := &Table{Name: name, Vars: map[string]string{}, Cmds: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "#"):
			t.Header = append(t.Header, strings.TrimSpace(strings.TrimPrefix(line, "#")))
		case strings.HasPrefix(line, "env "):
			k, v, ok := strings.Cut(line[4:], " ")
			u, err := strconv.Unquote(v)
			if !ok || err != nil {
				return nil, fmt.Errorf("%s:%d: expected env NAME \"value\"", name, n)
			}
			t.Vars[k] = u
		case strings.HasPrefix(line, "shell "):
			rest := line[6:]
			cmd, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: expected shell \"command\" \"output\": %v", name, n, err)
			}
			out := strings.TrimSpace(rest[len(cmd):])
			c, _ := strconv.Unquote(cmd)
			o, err := strconv.Unquote(out)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: bad output string: %v", name, n, err)
			}
			t.Cmds[c] = o
		default:
			return nil, fmt.Errorf("%s:%d: unknown line %q (want env, shell or # comment)", name, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading toolchain table %s: %w", name, err)
	}
	return t, nil
}

// Getenv implements [Toolchain]. Names not in the table are empty, as in
// the kernel Makefile's environment.
func (t *Table) Getenv(name string) (string, bool) {
	v, ok := t.Vars[name]
	return v, ok
}

// Shell implements [Toolchain] from the table.
func (t *Table) Shell(cmd string) (string, error) {
	out, ok := t.Cmds[cmd]
	if !ok {
		return "", &MissingProbeError{Table: t.Name, Cmd: cmd}
	}
	return out, nil
}

// MissingProbeError is a $(shell,...) command the pinned table lacks.
type MissingProbeError struct {
	Table, Cmd string
}

func (e *MissingProbeError) Error() string {
	return fmt.Sprintf("toolchain table %s has no result for this command (made for another kernel version?): %s", e.Table, e.Cmd)
}

// Hint says how to fix it.
func (e *MissingProbeError) Hint() string {
	return "regenerate the table with `pdvm kernel probe` (it runs the compiler probes once)"
}

// WriteTo writes the table in the format [ReadTable] reads, sorted.
func (t *Table) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	for _, h := range t.Header {
		fmt.Fprintf(&b, "# %s\n", h)
	}
	keys := make([]string, 0, len(t.Vars))
	for k := range t.Vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "env %s %s\n", k, strconv.Quote(t.Vars[k]))
	}
	keys = keys[:0]
	for k := range t.Cmds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "shell %s %s\n", strconv.Quote(k), strconv.Quote(t.Cmds[k]))
	}
	n, err := w.Write(b.Bytes())
	return int64(n), err
}

// Prober is a [Toolchain] that really runs `$(shell,...)` commands (with
// sh, in the kernel source directory) and records them in a [Table].
type Prober struct {
	Dir string            // kernel source directory (srctree)
	Env map[string]string // what the kernel Makefile exports
	Ctx context.Context

	mu    sync.Mutex
	table *Table
}

// MakeEnv returns the environment the kernel's top-level Makefile gives
// scripts/kconfig/conf for ARCH=x86_64 with GCC and GNU binutils, with
// srctree "." so that the recorded commands do not depend on where the
// source lives. It runs `gcc --version` once.
func MakeEnv(ctx context.Context, kernelVersion string) (map[string]string, error) {
	out, err := exec.CommandContext(ctx, "gcc", "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running gcc --version: %w", err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return map[string]string{
		"srctree":         ".",
		"ARCH":            "x86_64",
		"SRCARCH":         "x86",
		"SUBARCH":         "x86",
		"CC":              "gcc",
		"LD":              "ld",
		"NM":              "nm",
		"OBJCOPY":         "objcopy",
		"HOSTCC":          "gcc",
		"HOSTCXX":         "g++",
		"RUSTC":           "rustc",
		"BINDGEN":         "bindgen",
		"PAHOLE":          "pahole",
		"CC_VERSION_TEXT": strings.ReplaceAll(first, "#", ""),
		"KERNELVERSION":   kernelVersion,
	}, nil
}

// NewProber returns a prober for the source tree at dir.
func NewProber(ctx context.Context, dir string, env map[string]string, name string) *Prober {
	return &Prober{Dir: dir, Env: env, Ctx: ctx, table: &Table{Name: name, Vars: map[string]string{}, Cmds: map[string]string{}}}
}

// Getenv implements [Toolchain] and records the variable.
func (p *Prober) Getenv(name string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.Env[name]
	p.table.Vars[name] = v
	return v, ok
}

// Shell implements [Toolchain]: it runs cmd with sh -c like popen and
// records the output.
func (p *Prober) Shell(cmd string) (string, error) {
	p.mu.Lock()
	if out, ok := p.table.Cmds[cmd]; ok {
		p.mu.Unlock()
		return out, nil
	}
	p.mu.Unlock()
	c := exec.CommandContext(p.Ctx, "sh", "-c", cmd)
	c.Dir = p.Dir
	env := []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C", "HOME=" + os.Getenv("HOME")}
	for k, v := range p.Env {
		env = append(env, k+"="+v)
	}
	c.Env = env
	raw, _ := c.Output() // conf ignores the exit status
	if len(raw) > 4095 {
		raw = raw[:4095]
	}
	out := strings.ReplaceAll(strings.TrimRight(string(raw), "\n"), "\n", " ")
	p.mu.Lock()
	p.table.Cmds[cmd] = out
	p.mu.Unlock()
	return out, nil
}

// Table returns what the prober recorded, with a header saying how.
func (p *Prober) Table(generator string) *Table {
	t := p.table
	t.Header = []string{
		"Kconfig toolchain table for pdvm.dev/pdvm/kconfig: the environment the kernel",
		"Makefile exports to scripts/kconfig/conf and the output of every $(shell,...)",
		"command the x86_64 Kconfig tree runs (cc-option, as-instr, ld-option, versions).",
		"Generated by: " + generator,
		"Compiler: " + p.Env["CC_VERSION_TEXT"] + "; kernel " + p.Env["KERNELVERSION"],
		"Date: " + time.Now().UTC().Format("2006-01-02"),
		"Regenerate: go run ./cmd/pdvm kernel probe --out kconfig/toolchain/" + t.Name + ".txt",
	}
	return t
}
