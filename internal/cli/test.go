package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	vmtarget "pdvm.dev/pdvm/target"
	"pdvm.dev/pdvm/vmtest"
)

func init() { register(newTestCmd) }

func newTestCmd(e *Env) *cobra.Command {
	var bf buildFlags
	var direct bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "test [flags] FILE.pdvm.hcl|FILE.lock",
		Short: "Build the VM, boot it in QEMU and run the description's probes",
		Long: `test builds the VM (a cache hit when nothing changed), boots it in QEMU —
with KVM when it works, else software emulation (TCG) — forwarding the guest
ports the probes need to free local ports, and runs every probe until it
passes or times out:

  http     GET a path, expect a status and a string in the body
  tcp      connect and expect a banner
  command  a command pdvm's init runs in the guest after the services
           start; its output comes back over the serial console

It prints each probe's result and the time from QEMU's start, and exits with
status 1 when a probe fails. The image is never modified (snapshot mode).`,
		Example: `  pdvm test examples/web.pdvm.hcl
  pdvm test --direct examples/web.pdvm.hcl     # boot the kernel directly, skip the boot loader`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			jobs, err := bf.prepare(cmd, e, args[0])
			if err != nil {
				return err
			}
			type testJSON struct {
				VM     string         `json:"vm"`
				Image  string         `json:"image"`
				Result *vmtest.Result `json:"result"`
			}
			var all []testJSON
			failed := 0
			for i := range jobs {
				j := &jobs[i]
				if len(j.spec.Probes) == 0 {
					return Hint(fmt.Errorf("vm %q has no probes", j.vm.Name), "add a probe block (http, tcp or command) that proves the VM's purpose")
				}
				res, err := bf.build(cmd, e, j)
				if err != nil {
					return err
				}
				spec := j.spec
				spec.Normalize()
				vm := res.VM(&spec, j.out)
				disk := filepath.Join(j.out, vm.Disk)
				serial := filepath.Join(j.out, j.vm.Name+".serial.log")
				if !e.JSON {
					fmt.Fprintf(cmd.OutOrStdout(), "booting %s (%s, accel %s)…\n", disk, vm.DiskFormat, vmtest.Accel())
				}
				tr, err := vmtest.Run(cmd.Context(), vmtest.Options{VM: vm, Disk: disk, Format: vm.DiskFormat, Direct: direct,
					Probes: spec.Probes, Serial: serial, Timeout: timeout})
				if err != nil {
					return err
				}
				all = append(all, testJSON{j.vm.Name, disk, tr})
				if !tr.OK {
					failed++
				}
				if !e.JSON {
					printTest(cmd, tr)
				}
			}
			if e.JSON {
				if err := writeJSON(cmd.OutOrStdout(), all); err != nil {
					return err
				}
			}
			if failed > 0 {
				return &ExitError{Code: 1, Err: Hint(fmt.Errorf("%d vm(s) failed their probes", failed), "read the serial console log named above")}
			}
			return nil
		},
	}
	bf.register(cmd, true)
	cmd.Flags().BoolVar(&direct, "direct", false, "boot the kernel directly (-kernel) instead of through the disk's boot loader")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "stop after this long (default: the longest probe timeout + 10s)")
	return cmd
}

func printTest(cmd *cobra.Command, r *vmtest.Result) {
	w := cmd.OutOrStdout()
	for _, p := range r.Probes {
		status := "PASS"
		if !p.OK {
			status = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %-8s %-20s %6.2fs  %s\n", status, p.Kind, p.Name, p.Seconds, p.Detail)
	}
	if r.ReadyAt >= 0 {
		fmt.Fprintf(w, "  init ready after %.2fs (guest uptime %ss); serial log %s\n", r.ReadyAt, r.GuestReady, r.Serial)
	} else {
		fmt.Fprintf(w, "  serial log %s (no pdvm-init ready line: another init, or it did not get that far)\n", r.Serial)
	}
}

var _ = vmtarget.Names
