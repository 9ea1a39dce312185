package build

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"

	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/internal/tool"
	"pdvm.dev/pdvm/target"
)

// checkTools fails early, naming the Debian package, when a program the
// build needs is missing.
func checkTools(s *Spec) error {
	need := []string{"mkfs.ext4", "debugfs", "e2fsck", "mkfs.fat", "mcopy", "syslinux"}
	for _, f := range s.Formats {
		if f != "raw" {
			need = append(need, "qemu-img")
			break
		}
	}
	for _, t := range need {
		if _, err := tool.Look(t); err != nil {
			return err
		}
	}
	if _, err := os.Stat("/usr/lib/syslinux/mbr/mbr.bin"); err != nil {
		return &tool.MissingError{Tool: "/usr/lib/syslinux/mbr/mbr.bin", Package: "syslinux-common"}
	}
	return nil
}

func (b *builder) formats() error {
	raw := filepath.Join(b.out, b.name("raw"))
	for _, name := range b.spec.Formats {
		if name == "raw" {
			continue
		}
		f := target.Formats[name]
		dst := filepath.Join(b.out, b.name(name))
		if err := target.Convert(b.ctx, raw, dst, f); err != nil {
			return err
		}
		if err := target.Normalize(dst, f, b.key, b.date); err != nil {
			return err
		}
		if err := target.Check(b.ctx, dst, f); err != nil {
			return err
		}
		if err := b.addArtifact("format:"+name, b.name(name), false); err != nil {
			return err
		}
	}
	return nil
}

// configs are written when publishing (they name the published files).
func (b *builder) configs() error { return nil }

// VM describes the built VM for hypervisor configurations, with the
// published files in dir.
func (r *Result) VM(s *Spec, dir string) target.VM {
	v := target.VM{Name: s.Name, CPUs: s.Hardware.CPUs, MemoryMiB: s.Hardware.MemoryMiB, DiskBus: s.Hardware.DiskBus,
		Cmdline: r.Cmdline, RootCmd: r.RootCmdline, DiskBytes: r.DiskMiB * mib}
	h := sha256.Sum256([]byte("mac\x00" + r.Key))
	v.MAC = fmt.Sprintf("52:54:00:%02x:%02x:%02x", h[0], h[1], h[2])
	for _, p := range s.Ports {
		v.Ports = append(v.Ports, target.Port{Host: p.Host, Guest: p.Guest, Proto: p.Proto})
	}
	for _, f := range s.Formats {
		if a := r.Artifact("format:" + f); a != nil {
			v.Disk, v.DiskFormat = a.Name, target.Formats[f].QEMU
			break
		}
	}
	if a := r.Artifact("kernel"); a != nil {
		v.Kernel = filepath.Join(dir, a.Name)
	}
	if a := r.Artifact("initrd"); a != nil {
		v.Initrd = filepath.Join(dir, a.Name)
	}
	if a := r.Artifact("rootfs"); a != nil {
		v.RootFS = filepath.Join(dir, a.Name)
	}
	return v
}

// writeConfigs writes the hypervisor configurations into outDir.
func writeConfigs(ctx context.Context, r *Result, s *Spec, outDir string) error {
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return err
	}
	v := r.VM(s, abs)
	for _, h := range s.Hypervisors {
		var name string
		var data []byte
		mode := os.FileMode(0o644)
		switch h {
		case "qemu":
			name, data, mode = s.Name+".qemu.sh", []byte(v.QEMUScript()), 0o755
		case "libvirt":
			name = s.Name + ".libvirt.xml"
			data, err = v.LibvirtXML(filepath.Join(abs, v.Disk))
		case "firecracker":
			name = s.Name + ".firecracker.json"
			data, err = v.FirecrackerJSON()
		case "ovf":
			a := r.Artifact("format:vmdk")
			if a == nil {
				return fmt.Errorf("the ovf configuration needs the vmdk format: add vmdk to the formats")
			}
			name, data = s.Name+".ovf", v.OVF(a.Name, a.Size)
		default:
			return fmt.Errorf("hypervisor %q: must be qemu, libvirt, firecracker or ovf", h)
		}
		if err != nil {
			return err
		}
		dst := filepath.Join(outDir, name)
		if err := cache.WriteFile(dst, data, mode); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		r.Artifacts = append(r.Artifacts, Artifact{Kind: "config:" + h, Name: name, Size: int64(len(data)), SHA256: fmt.Sprintf("%x", sum), Path: dst})
	}
	return nil
}
