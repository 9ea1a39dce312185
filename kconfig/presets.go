package kconfig

import (
	"fmt"
	"sort"
)

// initPresets are the kernel features an init system and its userland need
// on top of what the VM's description asks for.
//
// pdvm's own init (a static binary run as /init from an uncompressed
// initramfs, talking on the serial console) needs little: ELF and #!
// executables, devtmpfs, /proc, /sys, a tty and the 8250 console.
//
// systemd lists its hard requirements in its README: DEVTMPFS, CGROUPS,
// INOTIFY_USER, SIGNALFD, TIMERFD, EPOLL, UNIX (udev and the journal),
// SYSFS, PROC_FS and FHANDLE; glibc and systemd's services add FUTEX,
// EVENTFD, SHMEM and TMPFS (with POSIX ACLs and xattrs for /run and /tmp),
// MULTIUSER (uids other than 0), POSIX_TIMERS, NET (for AF_UNIX) and
// AUTOFS_FS for automount units.
var initPresets = map[string][]string{
	"none": nil,
	"pdvm": {
		"64BIT", "BINFMT_ELF", "BINFMT_SCRIPT", "BLK_DEV_INITRD", "DEVTMPFS", "PROC_FS", "SYSFS",
		"TTY", "PRINTK", "SERIAL_8250", "SERIAL_8250_CONSOLE",
	},
	"systemd": {
		"64BIT", "BINFMT_ELF", "BINFMT_SCRIPT", "BLK_DEV_INITRD", "DEVTMPFS", "PROC_FS", "SYSFS",
		"TTY", "PRINTK", "SERIAL_8250", "SERIAL_8250_CONSOLE",
		"CGROUPS", "INOTIFY_USER", "SIGNALFD", "TIMERFD", "EPOLL", "EVENTFD", "FHANDLE", "FUTEX",
		"SHMEM", "TMPFS", "TMPFS_POSIX_ACL", "TMPFS_XATTR", "MULTIUSER", "POSIX_TIMERS",
		"NET", "UNIX", "AUTOFS_FS",
	},
}

// InitPreset returns the symbols the named init ("pdvm", "systemd" or
// "none") needs.
func InitPreset(name string) ([]string, error) {
	p, ok := initPresets[name]
	if !ok {
		return nil, fmt.Errorf("unknown init %q (want one of %v)", name, InitNames())
	}
	return append([]string(nil), p...), nil
}

// hardwarePresets are what the VM's virtual hardware needs. pdvm's
// targets (QEMU, libvirt, cloud hypervisors) attach disks and NICs as
// virtio PCI devices, so "qemu" needs the virtio PCI transport; without it
// a virtio driver would be satisfied by some other transport that selects
// VIRTIO (remoteproc, MMIO) and find no devices.
var hardwarePresets = map[string][]string{
	"none": nil,
	"qemu": {"64BIT", "PCI", "VIRTIO_PCI"},
}

// HardwarePreset returns the symbols the named virtual hardware ("qemu" or
// "none") needs.
func HardwarePreset(name string) ([]string, error) {
	p, ok := hardwarePresets[name]
	if !ok {
		return nil, fmt.Errorf("unknown hardware %q (want qemu or none)", name)
	}
	return append([]string(nil), p...), nil
}

// InitNames lists the init presets.
func InitNames() []string {
	var out []string
	for k := range initPresets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
