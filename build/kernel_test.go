package build

import (
	"slices"
	"testing"

	"pdvm.dev/pdvm/manifest"
)

// The compiled kernel's requests follow the spec: the root disk driver of
// the disk bus, the NIC only with a network, the init's preset, and the
// lock's own needs and avoids (deduplicated, CONFIG_ prefix dropped).
func TestKernelNeeds(t *testing.T) {
	lock := &manifest.Lock{KernelBuild: &manifest.KernelBuild{Need: []string{"IPV6", "CONFIG_EXT4_FS"}, Avoid: []string{"MODULES"}}}
	for _, tc := range []struct {
		spec      Spec
		want, not []string
	}{
		{Spec{Init: "pdvm", Hardware: Hardware{DiskBus: "nvme"}, Network: Network{DHCP: true}},
			[]string{"BLK_DEV_NVME", "VIRTIO_NET", "VIRTIO_PCI", "EXT4_FS", "IPV6", "DEVTMPFS", "SERIAL_8250_CONSOLE", "EPOLL", "UNIX", "INET"},
			[]string{"VIRTIO_BLK", "CGROUPS"}},
		{Spec{Init: "systemd", Hardware: Hardware{DiskBus: "virtio"}, Network: Network{None: true}},
			[]string{"VIRTIO_BLK", "CGROUPS", "AUTOFS_FS", "IPV6"},
			[]string{"BLK_DEV_NVME", "VIRTIO_NET"}},
	} {
		b := &builder{spec: &tc.spec, lock: lock}
		need, avoid, err := b.kernelNeeds()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !slices.Contains(need, w) {
				t.Errorf("init %s, disk %s: %s missing from %v", tc.spec.Init, tc.spec.Hardware.DiskBus, w, need)
			}
		}
		for _, n := range tc.not {
			if slices.Contains(need, n) {
				t.Errorf("init %s, disk %s: %s should not be requested", tc.spec.Init, tc.spec.Hardware.DiskBus, n)
			}
		}
		seen := map[string]bool{}
		for _, n := range need {
			if seen[n] {
				t.Errorf("%s requested twice", n)
			}
			seen[n] = true
		}
		if !slices.Equal(avoid, []string{"MODULES"}) {
			t.Errorf("avoid = %v", avoid)
		}
	}
}
