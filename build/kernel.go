package build

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"pdvm.dev/pdvm/kconfig"
	"pdvm.dev/pdvm/kconfig/kernelsrc"
)

// The compiled kernel (flavour "pdvm")
//
// With kernel flavour "pdvm" the lock holds no Debian kernel package; its
// KernelBuild names the pinned linux-source and the description's Kconfig
// requests. The builder adds what its own boot path needs, solves the
// smallest configuration with package kconfig and compiles a bzImage with
// package kernelsrc (cached by .config, source and compiler, so only the
// first build of a configuration pays the few minutes of make). Everything
// is built in: the image has no /usr/lib/modules and boots without an
// initramfs whatever the disk bus.

// bootNeeds are the options pdvm's boot path and its userland rely on,
// besides the init preset and the virtual hardware (virtio over PCI).
var bootNeeds = []string{
	// the root file system: an MBR partition found by PARTUUID, ext4
	"MSDOS_PARTITION", "EXT4_FS",
	// pdvm-init mounts devtmpfs, devpts and tmpfs, and logs on ttyS0
	"DEVTMPFS", "UNIX98_PTYS", "SHMEM", "TMPFS", "SERIAL_8250_CONSOLE",
	// networking: sockets, rtnetlink and the DHCP client's UDP socket;
	// PACKET for raw-socket tools
	"NET", "UNIX", "INET", "PACKET",
	// what glibc, nginx and ordinary daemons call
	"EPOLL", "EVENTFD", "FUTEX", "SIGNALFD", "TIMERFD", "INOTIFY_USER", "FILE_LOCKING",
	"MULTIUSER", "POSIX_TIMERS", "AIO", "ADVISE_SYSCALLS",
	// the smallest bzImage: xz takes a quarter off gzip's 2.4 MiB, and
	// the kernel is the one file of the disk image qcow2 cannot compress
	"KERNEL_XZ",
}

// kernelNeeds is the full need and avoid list of the compiled kernel.
func (b *builder) kernelNeeds() (need, avoid []string, err error) {
	hw, err := kconfig.HardwarePreset("qemu")
	if err != nil {
		return nil, nil, err
	}
	ini, err := kconfig.InitPreset(b.spec.Init)
	if err != nil {
		return nil, nil, err
	}
	need = append(append(hw, ini...), bootNeeds...)
	if b.spec.Hardware.DiskBus == "virtio" {
		need = append(need, "VIRTIO_BLK")
	} else {
		need = append(need, "BLK_DEV_NVME")
	}
	if !b.spec.Network.None {
		need = append(need, "VIRTIO_NET")
	}
	if slices.Contains(b.spec.Hypervisors, "firecracker") {
		need = append(need, "VIRTIO_MMIO", "VIRTIO_BLK")
	}
	kb := b.lock.KernelBuild
	need = append(need, kb.Need...)
	seen := map[string]bool{}
	var out []string
	for _, n := range need {
		k := strings.TrimPrefix(strings.TrimSpace(n), "CONFIG_")
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, append([]string{}, kb.Avoid...), nil
}

// compileKernel builds (or finds in the kernel cache) the bzImage for the
// lock's KernelBuild and writes it as the kernel artifact.
func (b *builder) compileKernel() (*kernelFiles, error) {
	kb := b.lock.KernelBuild
	if kb.Source != kernelsrc.Package || kb.SourceVersion != kernelsrc.Version {
		return nil, fmt.Errorf("the lock's kernel source is %s %s, but this pdvm builds %s %s; plan the description again",
			kb.Source, kb.SourceVersion, kernelsrc.Package, kernelsrc.Version)
	}
	for _, t := range []string{"make", "gcc", "ld", "flex", "bison", "bc", "xz"} {
		if _, err := exec.LookPath(t); err != nil {
			return nil, fmt.Errorf("compiling the kernel (flavour pdvm) needs %s on PATH (scripts/setup.sh installs the kernel build tools): %w", t, err)
		}
	}
	need, avoid, err := b.kernelNeeds()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(b.opt.CacheDir, "kernel")
	src, err := kernelsrc.Tree(b.ctx, dir, kernelsrc.DefaultMirror)
	if err != nil {
		return nil, fmt.Errorf("fetching the kernel source: %w", err)
	}
	tc, err := kconfig.Builtin(kconfig.DefaultToolchain)
	if err != nil {
		return nil, err
	}
	kc, err := kconfig.Parse(os.DirFS(src), tc)
	if err != nil {
		return nil, fmt.Errorf("parsing the Kconfig tree in %s: %w", src, err)
	}
	sol, err := kconfig.Solve(kc, kconfig.Needs(need, avoid))
	if err != nil {
		return nil, fmt.Errorf("configuring the kernel: %w", err)
	}
	var dot bytes.Buffer
	if err := sol.Config.WriteDotConfig(&dot); err != nil {
		return nil, fmt.Errorf("writing the kernel configuration: %w", err)
	}
	b.opt.Log("kernel: %d options enabled; compiling linux %s unless cached (a few minutes)", sol.Enabled, kernelsrc.KernelVersion)
	res, err := kernelsrc.Build(b.ctx, dot.Bytes(), kernelsrc.BuildOptions{Src: src, CacheDir: dir})
	if err != nil {
		return nil, fmt.Errorf("compiling the kernel: %w", err)
	}
	data, err := os.ReadFile(res.BzImage)
	if err != nil {
		return nil, fmt.Errorf("reading the compiled kernel: %w", err)
	}
	dst := filepath.Join(b.out, b.name("vmlinuz"))
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return nil, fmt.Errorf("writing the kernel: %w", err)
	}
	os.Chtimes(dst, b.date, b.date)
	how := "compiled"
	if res.Cached {
		how = "from the kernel cache"
	}
	b.opt.Log("kernel: bzImage %.1f MiB, %s (%s)", float64(res.Size)/(1<<20), how, res.Key[:12])
	return &kernelFiles{kv: kernelsrc.KernelVersion}, nil
}
