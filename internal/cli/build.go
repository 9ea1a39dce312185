package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/build"
	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/fetch"
	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/plan"
	"pdvm.dev/pdvm/sbom"
	vmtarget "pdvm.dev/pdvm/target"
)

func init() { register(newBuildCmd) }

// buildFlags are shared by build, run and test.
type buildFlags struct {
	df      descFlags
	formats []string
	out     string
	noCache bool
}

func (f *buildFlags) register(cmd *cobra.Command, out bool) {
	f.df.register(cmd)
	cmd.Flags().StringSliceVar(&f.formats, "format", nil, "disk formats to write: "+strings.Join(vmtarget.Names(), ", ")+" (default: the description's output block, else qcow2)")
	if out {
		cmd.Flags().StringVarP(&f.out, "out", "o", "", "directory for the image and configs (default: FILE's directory/VM.out)")
	}
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "rebuild the image even if the cache has it")
}

// job is one vm to build.
type job struct {
	vm       *description.VM
	lock     *manifest.Lock
	lockPath string
	spec     build.Spec
	out      string
}

// prepare loads FILE (a description, or a lock), plans each vm whose lock
// is missing or stale, and returns what to build.
func (f *buildFlags) prepare(cmd *cobra.Command, e *Env, path string) ([]job, error) {
	ctx := cmd.Context()
	var locked *manifest.Lock
	descPath := path
	if strings.HasSuffix(path, ".lock") {
		l, err := manifest.Read(path)
		if err != nil {
			return nil, err
		}
		locked, descPath = l, lockDescription(path, l)
		if f.df.vm == "" {
			f.df.vm = l.VM
		}
	}
	df, vms, err := f.df.load(e, descPath)
	if err != nil {
		return nil, err
	}
	var jobs []job
	for _, vm := range vms {
		lockPath := plan.LockPath(descPath, df, vm.Name)
		l := locked
		if l == nil {
			l, err = manifest.Read(lockPath)
			fresh := err == nil
			if fresh {
				u, uerr := e.Universe(ctx)
				if uerr != nil {
					return nil, uerr
				}
				st, cerr := plan.Check(u, df, vm, lockPath)
				if cerr != nil {
					return nil, cerr
				}
				if !st.Current() {
					fmt.Fprintf(e.Stderr, "%s: stale (%s); planning again\n", lockPath, strings.Join(st.Reasons, "; "))
					fresh = false
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, err
			} else {
				fmt.Fprintf(e.Stderr, "%s: no lock yet; planning\n", lockPath)
			}
			if !fresh {
				u, err := e.Universe(ctx)
				if err != nil {
					return nil, err
				}
				r, err := plan.Plan(ctx, u, df, vm, lockPath, plan.Options{})
				if err != nil {
					return nil, planError(e, df, err)
				}
				if err := manifest.Write(lockPath, r.Lock); err != nil {
					return nil, err
				}
				l = r.Lock
				fmt.Fprintf(e.Stderr, "%s: planned %d packages (%s)\n", lockPath, l.Count, l.Proof)
			}
		}
		spec, err := buildSpec(vm, l)
		if err != nil {
			return nil, err
		}
		if len(f.formats) > 0 {
			spec.Formats = f.formats
		}
		out := f.out
		if out == "" {
			out = filepath.Join(filepath.Dir(descPath), vm.Name+".out")
		}
		jobs = append(jobs, job{vm: vm, lock: l, lockPath: lockPath, spec: spec, out: out})
	}
	return jobs, nil
}

func (f *buildFlags) build(cmd *cobra.Command, e *Env, j *job) (*build.Result, error) {
	cacheDir := e.Repo.CacheDir
	if cacheDir == "" {
		d, err := cache.Dir()
		if err != nil {
			return nil, err
		}
		cacheDir = d
	}
	fp := newFetchProgress(e.Stderr)
	fe := fetch.New(cacheDir)
	fe.Progress = fp
	res, err := build.Build(cmd.Context(), j.lock, j.spec, build.Options{
		CacheDir: cacheDir, OutDir: j.out, Fetcher: fe, NoCache: f.noCache,
		Log: func(format string, args ...any) { fmt.Fprintf(e.Stderr, "  "+format+"\n", args...) },
	})
	fp.Wait()
	if err != nil {
		return nil, fmt.Errorf("building vm %q: %w", j.vm.Name, err)
	}
	// The SBOMs describe the lock the image was built from; they sit next
	// to the image so audit, surface and affected can read the directory.
	paths, err := sbom.WriteFiles(j.out, j.lock)
	if err != nil {
		return nil, fmt.Errorf("writing the SBOMs of vm %q: %w", j.vm.Name, err)
	}
	for _, p := range paths {
		kind := "sbom:spdx"
		if strings.HasSuffix(p, ".cdx.json") {
			kind = "sbom:cyclonedx"
		}
		a := build.Artifact{Kind: kind, Name: filepath.Base(p), Path: p}
		if st, err := os.Stat(p); err == nil {
			a.Size = st.Size()
		}
		res.Artifacts = append(res.Artifacts, a)
	}
	return res, nil
}

func newBuildCmd(e *Env) *cobra.Command {
	var bf buildFlags
	cmd := &cobra.Command{
		Use:   "build [flags] FILE.pdvm.hcl|FILE.lock",
		Short: "Build the VM image: disk formats, kernel, hypervisor configs",
		Long: `build turns a description's lock into a bootable VM: it plans first when the
lock is missing or stale, fetches the locked .debs (verified by SHA-256),
assembles the root file system without mounting anything, keeps only the
kernel modules the hardware needs, and writes:

  VM.qcow2 (and the other --format images)   full disk: MBR, syslinux, kernel, ext4 root
  VM.vmlinuz, VM.root.ext4                   direct kernel boot / AMI / Firecracker layout
  VM.qemu.sh, VM.libvirt.xml, ...            hypervisor configurations (output block)

Images are cached by the lock's content: rebuilding an unchanged lock is a
cache hit, and two builds of the same lock are byte-identical.`,
		Example: `  pdvm build examples/web.pdvm.hcl
  pdvm build --format qcow2,vmdk,vhdx -o /tmp/web examples/web.pdvm.hcl
  pdvm build examples/web.pdvm.hcl.lock`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			jobs, err := bf.prepare(cmd, e, args[0])
			if err != nil {
				return err
			}
			var all []*build.Result
			for i := range jobs {
				j := &jobs[i]
				res, err := bf.build(cmd, e, j)
				if err != nil {
					return err
				}
				all = append(all, res)
				if !e.JSON {
					printBuild(cmd, j, res)
				}
			}
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), all)
			}
			return nil
		},
	}
	bf.register(cmd, true)
	return cmd
}

func printBuild(cmd *cobra.Command, j *job, r *build.Result) {
	w := cmd.OutOrStdout()
	how := "built"
	if r.Cached {
		how = "cached"
	}
	var total float64
	for _, s := range r.Stages {
		total += s.Seconds
	}
	fmt.Fprintf(w, "vm %s: %s image %s (%d packages, kernel %s, %d modules, rootfs %.1f MiB)",
		j.vm.Name, how, r.Key[:12], r.Packages, r.Kernel, len(r.Modules), float64(r.RootBytes)/(1<<20))
	if !r.Cached {
		fmt.Fprintf(w, " in %.1fs", total)
	}
	fmt.Fprintln(w)
	for _, a := range r.Artifacts {
		if a.Path == "" {
			continue
		}
		fmt.Fprintf(w, "  %-16s %9.1f MiB  %s\n", a.Kind, float64(a.Size)/(1<<20), a.Path)
	}
}
