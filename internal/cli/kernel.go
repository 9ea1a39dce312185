package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/kconfig"
	"pdvm.dev/pdvm/kconfig/kernelsrc"
)

func init() { register(newKernelCmd) }

// kernelFlags choose the kernel tree and the toolchain table.
type kernelFlags struct {
	src       string
	toolchain string
	mirror    string
}

func (f *kernelFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.src, "src", "", "kernel source tree (default: Debian's linux-source "+kernelsrc.Version+", fetched into the cache)")
	fl.StringVar(&f.toolchain, "toolchain", kconfig.DefaultToolchain, "pinned compiler-probe table (kconfig/toolchain/NAME.txt) or a path to one")
	fl.StringVar(&f.mirror, "kernel-mirror", kernelsrc.DefaultMirror, "Debian mirror to fetch linux-source from")
}

func (f *kernelFlags) tree(ctx context.Context, e *Env) (string, error) {
	if f.src != "" {
		return f.src, nil
	}
	dir, err := kernelCacheDir(e)
	if err != nil {
		return "", err
	}
	t, err := kernelsrc.Tree(ctx, dir, f.mirror)
	if err != nil {
		return "", Hint(err, "check the network, or pass --src DIR with an unpacked kernel 6.1 tree")
	}
	return t, nil
}

func kernelCacheDir(e *Env) (string, error) {
	if e.Repo.CacheDir != "" {
		return filepath.Join(e.Repo.CacheDir, "kernel"), nil
	}
	return kernelsrc.CacheDir()
}

func (f *kernelFlags) load(ctx context.Context, e *Env) (*kconfig.Kconfig, time.Duration, error) {
	dir, err := f.tree(ctx, e)
	if err != nil {
		return nil, 0, err
	}
	var tc *kconfig.Table
	if strings.ContainsRune(f.toolchain, os.PathSeparator) {
		fh, err := os.Open(f.toolchain)
		if err != nil {
			return nil, 0, fmt.Errorf("opening toolchain table: %w", err)
		}
		defer fh.Close()
		tc, err = kconfig.ReadTable(fh, f.toolchain)
		if err != nil {
			return nil, 0, err
		}
	} else if tc, err = kconfig.Builtin(f.toolchain); err != nil {
		return nil, 0, Hint(err, "use --toolchain %s or a path to a table made by `pdvm kernel probe`", kconfig.DefaultToolchain)
	}
	t0 := time.Now()
	kc, err := kconfig.Parse(os.DirFS(dir), tc)
	if err != nil {
		return nil, 0, fmt.Errorf("parsing the Kconfig tree in %s: %w", dir, err)
	}
	return kc, time.Since(t0), nil
}

func newKernelCmd(e *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kernel",
		Short: "The Linux kernel's Kconfig model: figures and minimal configurations",
		Long: `The kernel is the VM's second dependency graph: Linux 6.1's Kconfig (x86_64)
declares about 16,500 options with depends/select/imply edges between them.
pdvm parses it (Debian's linux-source-` + kernelsrc.Version + `, fetched once into the cache),
evaluates it like the kernel's own scripts/kconfig, and finds the smallest
configuration that gives a VM what it needs.`,
	}
	cmd.AddCommand(newKernelStatsCmd(e), newKernelConfigCmd(e), newKernelBuildCmd(e), newKernelProbeCmd(e))
	return cmd
}

// Reference figures for Linux 6.1 x86_64, measured with kconfiglib on
// linux-source 6.1.192 (../shared/bench/kconfig/REPORT.md, section 2).
var kernelReference = map[string]int{
	"symbols": 16476, "tristate": 10226, "bool": 5932, "int": 243, "string": 54, "hex": 21,
	"visible": 13904, "invisible": 2572, "choices": 75, "choice_members": 292,
	"depends_edges": 50314, "select_edges": 13351, "imply_edges": 381, "graph_edges": 64046,
	"menus": 289, "comments": 191, "files": 1490,
}

type kernelStatsJSON struct {
	Source    string         `json:"source"`
	Toolchain string         `json:"toolchain"`
	ParseMS   float64        `json:"parse_ms"`
	Stats     kconfig.Stats  `json:"stats"`
	Reference map[string]int `json:"reference_6_1_192"`
}

func newKernelStatsCmd(e *Env) *cobra.Command {
	var kf kernelFlags
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Size of the Kconfig model: symbols by type, choices, edges by kind",
		Example: `  pdvm kernel stats
  pdvm kernel stats --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			kc, dt, err := kf.load(cmd.Context(), e)
			if err != nil {
				return err
			}
			st := kc.Stats()
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), kernelStatsJSON{Source: sourceName(kf), Toolchain: kf.toolchain,
					ParseMS: float64(dt.Microseconds()) / 1000, Stats: st, Reference: kernelReference})
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(cmd.OutOrStdout(), "Kconfig model of %s (x86_64), parsed in %s\n\n", sourceName(kf), dt.Round(time.Millisecond))
			fmt.Fprintln(w, "\tpdvm\treference (6.1.192)\t")
			row := func(label string, v int, ref string) {
				r := "-"
				if x, ok := kernelReference[ref]; ok {
					r = fmt.Sprint(x)
				}
				fmt.Fprintf(w, "%s\t%d\t%s\t\n", label, v, r)
			}
			row("Kconfig files", st.Files, "files")
			row("symbols", st.Symbols, "symbols")
			for _, t := range []string{"tristate", "bool", "int", "string", "hex"} {
				row("  "+t, st.ByType[t], t)
			}
			row("visible (prompt)", st.Visible, "visible")
			row("invisible", st.Invisible, "invisible")
			row("choices", st.Choices, "choices")
			row("  member symbols", st.ChoiceMembers, "choice_members")
			row("  tristate choices", st.TristateChoices, "")
			row("menus", st.Menus, "menus")
			row("comments", st.Comments, "comments")
			row("depends edges", st.DependsEdges, "depends_edges")
			row("select edges", st.SelectEdges, "select_edges")
			row("  select statements", st.SelectStatements, "")
			row("imply edges", st.ImplyEdges, "imply_edges")
			row("default references", st.DefaultEdges, "")
			row("depends+select+imply edges", st.GraphEdges, "graph_edges")
			row("select targets", st.SelectTargets, "")
			row("referenced, undefined", st.Undefined, "")
			return w.Flush()
		},
	}
	kf.register(cmd)
	return cmd
}

func sourceName(kf kernelFlags) string {
	if kf.src != "" {
		return kf.src
	}
	return "linux-source " + kernelsrc.Version
}

type kernelConfigJSON struct {
	Need         []string `json:"need"`
	Avoid        []string `json:"avoid"`
	Init         string   `json:"init"`
	Enabled      int      `json:"enabled"`
	Added        []string `json:"added"`
	Fragment     []string `json:"fragment"`
	DotConfig    string   `json:"dotconfig,omitempty"`
	ParseMS      float64  `json:"parse_ms"`
	SolveMS      float64  `json:"solve_ms"`
	SATCalls     int      `json:"sat_calls"`
	Unsat        []string `json:"unsat,omitempty"`
	OutConfig    string   `json:"out,omitempty"`
	OutFragment  string   `json:"fragment_out,omitempty"`
	OutDefconfig string   `json:"defconfig_out,omitempty"`
}

// kernelRequest is what the config and build verbs solve: needs and
// avoids from flags, a description and the presets.
type kernelRequest struct {
	kf       kernelFlags
	need     []string
	avoid    []string
	initName string
	hardware string
	vmName   string
}

func (r *kernelRequest) register(cmd *cobra.Command) {
	r.kf.register(cmd)
	fl := cmd.Flags()
	fl.StringSliceVar(&r.need, "need", nil, "Kconfig symbols that must be on (NAME, NAME=m or NAME=value; repeatable, comma-separated)")
	fl.StringSliceVar(&r.avoid, "avoid", nil, "Kconfig symbols that must be off")
	fl.StringVar(&r.initName, "init", "pdvm", "init preset whose kernel needs are added: pdvm, systemd or none")
	fl.StringVar(&r.hardware, "hardware", "qemu", "virtual hardware whose kernel needs are added: qemu (virtio over PCI) or none")
	fl.StringVar(&r.vmName, "vm", "", "the vm of the description to use (default: the first)")
}

type kernelSolved struct {
	kc                   *kconfig.Kconfig
	sol                  *kconfig.Solution
	res                  kernelConfigJSON
	parseTime, solveTime time.Duration
}

// solve gathers the requests and solves them. An *kconfig.UnsatError comes
// back together with the filled-in JSON result.
func (r *kernelRequest) solve(cmd *cobra.Command, e *Env, args []string) (*kernelSolved, error) {
	needs, avoids := append([]string(nil), r.need...), append([]string{}, r.avoid...)
	initName := r.initName
	if len(args) == 1 {
		f, diags := description.Load(args[0], nil)
		if diags.HasErrors() {
			return nil, Hint(fmt.Errorf("reading %s: %w", args[0], diags), "fix the description first (pdvm validate %s)", args[0])
		}
		if len(f.VMs) == 0 {
			return nil, fmt.Errorf("%s describes no vm", args[0])
		}
		vm := f.VMs[0]
		if r.vmName != "" {
			if vm = f.VM(r.vmName); vm == nil {
				return nil, fmt.Errorf("%s has no vm %q", args[0], r.vmName)
			}
		}
		if vm.Kernel != nil {
			needs = append(needs, vm.Kernel.Need.Values...)
			avoids = append(avoids, vm.Kernel.Avoid.Values...)
		}
		if !cmd.Flags().Changed("init") && vm.Init.Set {
			initName = vm.Init.Value
		}
	}
	preset, err := kconfig.InitPreset(initName)
	if err != nil {
		return nil, Hint(err, "use --init pdvm, --init systemd or --init none")
	}
	hw, err := kconfig.HardwarePreset(r.hardware)
	if err != nil {
		return nil, Hint(err, "use --hardware qemu or --hardware none")
	}
	needs = dedupe(append(append(hw, preset...), needs...))
	kc, parseTime, err := r.kf.load(cmd.Context(), e)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	sol, err := kconfig.Solve(kc, kconfig.Needs(needs, avoids))
	out := &kernelSolved{kc: kc, sol: sol, parseTime: parseTime, solveTime: time.Since(t0)}
	out.res = kernelConfigJSON{Need: needs, Avoid: avoids, Init: initName, Added: []string{},
		ParseMS: ms(parseTime), SolveMS: ms(out.solveTime)}
	var unsat *kconfig.UnsatError
	if errors.As(err, &unsat) {
		out.res.Unsat = unsat.Reasons
	}
	if err != nil {
		return out, err
	}
	out.res.Enabled, out.res.SATCalls = sol.Enabled, sol.SATCalls
	out.res.Added = append(out.res.Added, sol.Added...)
	for _, a := range sol.Fragment {
		out.res.Fragment = append(out.res.Fragment, kc.Line(a))
	}
	return out, nil
}

// kernelUnsatJSON prints an impossible request as JSON and exits 1.
func kernelUnsatJSON(cmd *cobra.Command, e *Env, s *kernelSolved, err error) error {
	var unsat *kconfig.UnsatError
	if s != nil && errors.As(err, &unsat) && e.JSON {
		if werr := writeJSON(cmd.OutOrStdout(), s.res); werr != nil {
			return werr
		}
		return &ExitError{Code: 1}
	}
	return err
}

func newKernelConfigCmd(e *Env) *cobra.Command {
	var req kernelRequest
	var out, fragOut, defOut string
	cmd := &cobra.Command{
		Use:   "config [DESCRIPTION.pdvm.hcl]",
		Short: "The smallest kernel configuration with the needed options (allnoconfig semantics)",
		Long: `Finds a kernel configuration in which every needed option is on, every avoided
one is off, and everything else is as off as the dependencies allow (the
semantics of make allnoconfig). Needs come from --need/--avoid, from the kernel
block of a description, from the init preset (--init pdvm|systemd|none) and
from the virtual hardware (--hardware qemu: virtio over PCI).

The result is a full .config (written in the kernel's own format, so that make
olddefconfig leaves it unchanged), a short fragment: what to give make
allnoconfig as KCONFIG_ALLCONFIG to get the same configuration, and, with
--defconfig, what make savedefconfig would write (for make defconfig).`,
		Example: `  pdvm kernel config --need VIRTIO_BLK,EXT4_FS,VIRTIO_NET -o vm.config
  pdvm kernel config --init systemd --need NETFILTER --avoid MODULES
  pdvm kernel config examples/web.pdvm.hcl --fragment vm.fragment`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := req.solve(cmd, e, args)
			if err != nil {
				return kernelUnsatJSON(cmd, e, s, err)
			}
			var dot bytes.Buffer
			if err := s.sol.Config.WriteDotConfig(&dot); err != nil {
				return err
			}
			var frag bytes.Buffer
			if err := s.kc.WriteFragment(&frag, s.sol.Fragment); err != nil {
				return err
			}
			if out != "" {
				if err := writeFileAtomic(out, dot.Bytes()); err != nil {
					return err
				}
			}
			if fragOut != "" {
				if err := writeFileAtomic(fragOut, frag.Bytes()); err != nil {
					return err
				}
			}
			if defOut != "" {
				var def bytes.Buffer
				if err := s.sol.Config.WriteDefconfig(&def); err != nil {
					return err
				}
				if err := writeFileAtomic(defOut, def.Bytes()); err != nil {
					return err
				}
			}
			res := s.res
			res.OutConfig, res.OutFragment, res.OutDefconfig = out, fragOut, defOut
			if e.JSON {
				if out == "" {
					res.DotConfig = dot.String()
				}
				return writeJSON(cmd.OutOrStdout(), res)
			}
			w := cmd.OutOrStdout()
			if out == "" && fragOut == "" && defOut == "" {
				_, err := w.Write(dot.Bytes())
				return err
			}
			fmt.Fprintf(w, "%d options enabled (%d requested, %d added for dependencies); parse %s, solve %s\n",
				s.sol.Enabled, len(res.Need), len(s.sol.Added), s.parseTime.Round(time.Millisecond), s.solveTime.Round(time.Millisecond))
			if len(s.sol.Added) > 0 {
				fmt.Fprintf(w, "added: %s\n", strings.Join(s.sol.Added, " "))
			}
			if out != "" {
				fmt.Fprintf(w, "wrote %s\n", out)
			}
			if fragOut != "" {
				fmt.Fprintf(w, "wrote %s (use as KCONFIG_ALLCONFIG for make allnoconfig)\n", fragOut)
			}
			if defOut != "" {
				fmt.Fprintf(w, "wrote %s (savedefconfig form, for make defconfig)\n", defOut)
			}
			return nil
		},
	}
	req.register(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "write the .config here (default: print it)")
	fl.StringVar(&fragOut, "fragment", "", "write the allnoconfig fragment (KCONFIG_ALLCONFIG) here")
	fl.StringVar(&defOut, "defconfig", "", "write the configuration as make savedefconfig would (for make defconfig) here")
	return cmd
}

type kernelBuildJSON struct {
	kernelConfigJSON
	BzImage string  `json:"bzimage"`
	Size    int64   `json:"size"`
	Key     string  `json:"key"`
	Cached  bool    `json:"cached"`
	BuildS  float64 `json:"build_s"`
}

func newKernelBuildCmd(e *Env) *cobra.Command {
	var req kernelRequest
	var out string
	var jobs int
	var verbose bool
	cmd := &cobra.Command{
		Use:   "build [DESCRIPTION.pdvm.hcl]",
		Short: "Build a bzImage from the minimal configuration (cached by config, source and compiler)",
		Long: `Solves the configuration like 'pdvm kernel config' and compiles
arch/x86/boot/bzImage with the kernel's own make, out of tree. The image is
cached under the pdvm cache, keyed by the .config, the source version and the
compiler, so a second build of the same configuration is instant. A fresh build
of a minimal configuration takes a few minutes on two cores (about 220 CPU
seconds for examples/web.pdvm.hcl) and needs gcc, make, flex, bison, bc,
libelf-dev and libssl-dev.`,
		Example: `  pdvm kernel build examples/web.pdvm.hcl -o bzImage`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := req.solve(cmd, e, args)
			if err != nil {
				return kernelUnsatJSON(cmd, e, s, err)
			}
			var dot bytes.Buffer
			if err := s.sol.Config.WriteDotConfig(&dot); err != nil {
				return err
			}
			src, err := req.kf.tree(cmd.Context(), e)
			if err != nil {
				return err
			}
			cache, err := kernelCacheDir(e)
			if err != nil {
				return err
			}
			opt := kernelsrc.BuildOptions{Src: src, CacheDir: cache, Jobs: jobs}
			if verbose {
				opt.Log = cmd.ErrOrStderr()
			}
			t0 := time.Now()
			b, err := kernelsrc.Build(cmd.Context(), dot.Bytes(), opt)
			if err != nil {
				return Hint(err, "rerun with --verbose to see make's output; scripts/setup.sh installs the build tools")
			}
			if out != "" {
				data, err := os.ReadFile(b.BzImage)
				if err != nil {
					return err
				}
				if err := writeFileAtomic(out, data); err != nil {
					return err
				}
			}
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), kernelBuildJSON{kernelConfigJSON: s.res, BzImage: b.BzImage, Size: b.Size,
					Key: b.Key, Cached: b.Cached, BuildS: time.Since(t0).Seconds()})
			}
			how := "built in " + time.Since(t0).Round(time.Second).String()
			if b.Cached {
				how = "from the cache"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "bzImage %s (%d bytes, %.2f MiB), %s; %d options enabled\n",
				b.BzImage, b.Size, float64(b.Size)/(1<<20), how, s.sol.Enabled)
			if out != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			}
			return nil
		},
	}
	req.register(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "copy the bzImage here")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "parallel make jobs (default: number of CPUs)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show make's output")
	return cmd
}

func newKernelProbeCmd(e *Env) *cobra.Command {
	var src, out string
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Regenerate the pinned compiler-probe table by running the Kconfig $(shell,...) probes once",
		Long: `Kconfig runs the compiler (cc-option, as-instr, ld-option, version scripts)
while it parses. pdvm records those results once per toolchain in a table
committed under kconfig/toolchain/, so that parsing never starts a process.
This verb parses the tree with a real shell, records every command and its
output, and writes the table. It needs gcc and binutils on PATH.`,
		Example: `  pdvm kernel probe --out kconfig/toolchain/gcc-12.2.0-x86_64.txt`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			kf := kernelFlags{src: src, mirror: kernelsrc.DefaultMirror}
			dir, err := kf.tree(cmd.Context(), e)
			if err != nil {
				return err
			}
			env, err := kconfig.MakeEnv(cmd.Context(), kernelsrc.KernelVersion)
			if err != nil {
				return Hint(err, "install gcc (scripts/setup.sh)")
			}
			name := strings.TrimSuffix(filepath.Base(out), ".txt")
			if out == "" {
				name = kconfig.DefaultToolchain
			}
			p := kconfig.NewProber(cmd.Context(), dir, env, name)
			t0 := time.Now()
			if _, err := kconfig.Parse(os.DirFS(dir), p); err != nil {
				return fmt.Errorf("parsing %s with live probes: %w", dir, err)
			}
			t := p.Table("pdvm kernel probe (linux-source " + kernelsrc.Version + ", x86_64)")
			var b bytes.Buffer
			if _, err := t.WriteTo(&b); err != nil {
				return err
			}
			if out == "" {
				_, err := cmd.OutOrStdout().Write(b.Bytes())
				return err
			}
			if err := writeFileAtomic(out, b.Bytes()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d probes, %d environment variables in %s (%s)\n", len(t.Cmds), len(t.Vars), out, time.Since(t0).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&src, "src", "", "kernel source tree (default: the cached linux-source)")
	cmd.Flags().StringVar(&out, "out", "", "write the table here (default: print it)")
	return cmd
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		k := strings.TrimPrefix(strings.TrimSpace(s), "CONFIG_")
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, k)
	}
	return out
}

// writeFileAtomic writes data to path through a temporary file and rename.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
