package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/internal/tool"
	vmtarget "pdvm.dev/pdvm/target"
	"pdvm.dev/pdvm/vmtest"
)

func init() { register(newRunCmd) }

func newRunCmd(e *Env) *cobra.Command {
	var bf buildFlags
	var ports []string
	var snapshot bool
	var mem, cpus int
	cmd := &cobra.Command{
		Use:   "run [flags] FILE.pdvm.hcl|FILE.lock|IMAGE",
		Short: "Boot the VM in QEMU with its console on this terminal",
		Long: `run boots a VM in QEMU with the serial console on this terminal (Ctrl-A X
quits). Given a description or lock it builds first (a cache hit when nothing
changed) and forwards the network block's ports; given a disk image (any
format qemu-img knows) it boots that, with --port for forwards. KVM is used
when it works, else software emulation. The image is opened in snapshot mode
unless --write.`,
		Example: `  pdvm run examples/web.pdvm.hcl        # then: curl localhost:8080
  pdvm run -p 2222:22 web.out/web.qcow2`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			qemu, err := tool.Look("qemu-system-x86_64")
			if err != nil {
				return err
			}
			var vm vmtarget.VM
			var disk, format string
			path := args[0]
			if strings.HasSuffix(path, ".pdvm.hcl") || strings.HasSuffix(path, ".lock") {
				jobs, err := bf.prepare(cmd, e, path)
				if err != nil {
					return err
				}
				if len(jobs) != 1 {
					return Hint(fmt.Errorf("%s declares %d vms", path, len(jobs)), "pick one with --vm NAME")
				}
				j := &jobs[0]
				res, err := bf.build(cmd, e, j)
				if err != nil {
					return err
				}
				spec := j.spec
				spec.Normalize()
				vm = res.VM(&spec, j.out)
				disk, format = filepath.Join(j.out, vm.Disk), vm.DiskFormat
			} else {
				format, err = vmtarget.Detect(cmd.Context(), path)
				if err != nil {
					return err
				}
				disk = path
				vm = vmtarget.VM{Name: filepath.Base(path), CPUs: 1, MemoryMiB: 512, DiskBus: "nvme", MAC: "52:54:00:12:34:56"}
			}
			if mem > 0 {
				vm.MemoryMiB = mem
			}
			if cpus > 0 {
				vm.CPUs = cpus
			}
			for _, p := range ports {
				h, g, ok := strings.Cut(p, ":")
				hp, err1 := strconv.Atoi(h)
				gp, err2 := strconv.Atoi(g)
				if !ok || err1 != nil || err2 != nil {
					return Hint(fmt.Errorf("--port %q: want HOST:GUEST", p), "e.g. --port 8080:80")
				}
				vm.Ports = append(vm.Ports, vmtarget.Port{Host: hp, Guest: gp, Proto: "tcp"})
			}
			qargs := vm.QEMUArgs(vmtest.Accel(), disk, format, false)
			if snapshot {
				for i, a := range qargs {
					if strings.HasPrefix(a, "file=") {
						qargs[i] = a + ",snapshot=on"
					}
				}
			}
			qargs = append(qargs, "-serial", "mon:stdio")
			for _, p := range vm.Ports {
				fmt.Fprintf(e.Stderr, "forwarding 127.0.0.1:%d -> guest %d\n", p.Host, p.Guest)
			}
			fmt.Fprintf(e.Stderr, "booting %s; Ctrl-A X quits\n", disk)
			c := exec.CommandContext(cmd.Context(), qemu, qargs...)
			c.Stdin, c.Stdout, c.Stderr = os.Stdin, cmd.OutOrStdout(), e.Stderr
			return c.Run()
		},
	}
	bf.register(cmd, true)
	cmd.Flags().StringArrayVarP(&ports, "port", "p", nil, "forward HOST:GUEST (repeatable; images only get these)")
	cmd.Flags().BoolVar(&snapshot, "snapshot", true, "discard writes to the disk (--snapshot=false writes to the image)")
	cmd.Flags().IntVar(&mem, "memory", 0, "memory in MiB (default: the description's)")
	cmd.Flags().IntVar(&cpus, "cpus", 0, "CPUs (default: the description's)")
	return cmd
}
