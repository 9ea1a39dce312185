//go:build linux

package vminit

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// InitrdConfigPath marks an initramfs made by pdvm: when it exists, the
// init runs in initramfs mode.
const InitrdConfigPath = "/etc/pdvm/initrd.json"

// InitrdConfig is the initramfs stage's configuration.
type InitrdConfig struct {
	Modules []string `json:"modules"` // absolute .ko paths inside the initramfs, load order
}

// initrd is the initramfs stage, used when the root disk's driver is a
// module (virtio-blk, virtio-mmio on Firecracker): load the modules, wait
// for the root device named by root= on the kernel command line (/dev/NAME
// or PARTUUID=SSSSSSSS-PP of an MBR disk), mount it, make it the root and
// exec the real init (init= on the command line, default /sbin/init).
func (in *Init) initrd(cfg *InitrdConfig) {
	for _, p := range cfg.Modules {
		f, err := os.Open(p)
		if err != nil {
			in.logf("initrd: module %s: %v", filepath.Base(p), err)
			continue
		}
		if err := unix.FinitModule(int(f.Fd()), "", 0); err != nil && err != unix.EEXIST {
			in.logf("initrd: module %s: %v", filepath.Base(p), err)
		}
		f.Close()
	}
	cmdline, _ := os.ReadFile("/proc/cmdline")
	args := map[string]string{}
	for _, w := range strings.Fields(string(cmdline)) {
		k, v, _ := strings.Cut(w, "=")
		args[k] = v
	}
	root, initPath := args["root"], args["init"]
	if initPath == "" {
		initPath = "/sbin/init"
	}
	var dev string
	deadline := time.Now().Add(30 * time.Second)
	for {
		dev = findRoot(root)
		if dev != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if dev == "" {
		in.logf("initrd: root device %q did not appear within 30s", root)
		in.halt()
	}
	flags := uintptr(0)
	if _, ro := args["ro"]; ro {
		flags |= unix.MS_RDONLY
	}
	os.MkdirAll("/newroot", 0o755)
	if err := unix.Mount(dev, "/newroot", "ext4", flags, ""); err != nil {
		in.logf("initrd: mounting %s: %v", dev, err)
		in.halt()
	}
	in.logf("initrd: root %s mounted; starting %s", dev, initPath)
	os.MkdirAll("/newroot/dev", 0o755)
	unix.Mount("/dev", "/newroot/dev", "", unix.MS_MOVE, "")
	unix.Unmount("/proc", unix.MNT_DETACH)
	unix.Unmount("/sys", unix.MNT_DETACH)
	if err := os.Chdir("/newroot"); err != nil {
		in.halt()
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		in.logf("initrd: moving the root: %v", err)
		in.halt()
	}
	if err := unix.Chroot("."); err != nil {
		in.logf("initrd: chroot: %v", err)
		in.halt()
	}
	os.Chdir("/")
	err := unix.Exec(initPath, []string{initPath}, os.Environ())
	in.logf("initrd: exec %s: %v", initPath, err)
	in.halt()
}

func (in *Init) halt() {
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

// findRoot resolves root= to a device node, or "" while it is absent.
func findRoot(root string) string {
	if strings.HasPrefix(root, "/dev/") {
		if _, err := os.Stat(root); err == nil {
			return root
		}
		return ""
	}
	id, part, ok := strings.Cut(strings.TrimPrefix(root, "PARTUUID="), "-")
	if !strings.HasPrefix(root, "PARTUUID=") || !ok {
		return ""
	}
	sig, err := strconv.ParseUint(id, 16, 32)
	pn, err2 := strconv.Atoi(part)
	if err != nil || err2 != nil {
		return ""
	}
	disks, _ := os.ReadDir("/sys/block")
	for _, d := range disks {
		f, err := os.Open("/dev/" + d.Name())
		if err != nil {
			continue
		}
		mbr := make([]byte, 512)
		_, err = f.ReadAt(mbr, 0)
		f.Close()
		if err != nil || mbr[510] != 0x55 || mbr[511] != 0xaa || uint64(binary.LittleEndian.Uint32(mbr[440:])) != sig {
			continue
		}
		name := d.Name()
		if last := name[len(name)-1]; last >= '0' && last <= '9' {
			name += "p"
		}
		p := fmt.Sprintf("/dev/%s%d", name, pn)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func readInitrdConfig() (*InitrdConfig, bool) {
	b, err := os.ReadFile(InitrdConfigPath)
	if err != nil {
		return nil, false
	}
	var c InitrdConfig
	if json.Unmarshal(b, &c) != nil {
		return nil, false
	}
	return &c, true
}
