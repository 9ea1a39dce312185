package build

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"pdvm.dev/pdvm/kmod"
	"pdvm.dev/pdvm/vminit"
)

// The initramfs
//
// Debian's cloud kernel has NVMe and ext4 built in, so pdvm's default
// (an NVMe root disk) boots without an initramfs. A virtio-blk root disk
// (hardware disk_bus "virtio", libvirt's usual disk) and Firecracker's
// virtio-mmio disks need modules first; for them the build writes a small
// initramfs: a gzip'd newc cpio holding pdvm-init as /init, the modules'
// dependency closure and /etc/pdvm/initrd.json. pdvm-init sees that file,
// loads the modules, waits for root= (a device or an MBR PARTUUID), mounts
// it and executes the real init (see package vminit).

// needsInitrd reports whether the root disk's driver is a module.
func (b *builder) needsInitrd() bool {
	if b.lock.KernelBuild != nil {
		return false // the compiled kernel has the disk drivers built in
	}
	if b.spec.Hardware.DiskBus == "virtio" {
		return true
	}
	for _, h := range b.spec.Hypervisors {
		if h == "firecracker" {
			return true
		}
	}
	return false
}

// makeInitrd writes NAME.initrd with the closure of the disk drivers.
func (b *builder) makeInitrd(ix *kmod.Index, files map[string][]byte) error {
	roots := []string{"virtio_pci", "virtio_blk"}
	for _, h := range b.spec.Hypervisors {
		if h == "firecracker" {
			roots = append(roots, "virtio_mmio")
		}
	}
	load, _, err := ix.Closure(roots...)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	w := &cpioWriter{mtime: b.date.Unix()}
	for _, d := range []string{"dev", "proc", "sys", "etc", "etc/pdvm", "lib", "lib/modules", "newroot", "run", "tmp"} {
		w.dir(d)
	}
	w.node("dev/console", 0o020600, 5, 1)
	init, err := os.ReadFile(b.initBin)
	if err != nil {
		return err
	}
	w.file("init", 0o755, init)
	cfg := vminit.InitrdConfig{}
	for _, m := range load {
		data, ok := files[m.Path]
		if !ok {
			return fmt.Errorf("initramfs: module %s missing from the kernel package", m.Path)
		}
		name := "lib/modules/" + path.Base(m.Path)
		w.file(name, 0o644, data)
		cfg.Modules = append(cfg.Modules, "/"+name)
		b.res.InitrdModules = append(b.res.InitrdModules, m.Name)
	}
	js := fmt.Sprintf("{\"modules\": [\"%s\"]}\n", strings.Join(cfg.Modules, "\", \""))
	w.file(strings.TrimPrefix(vminit.InitrdConfigPath, "/"), 0o644, []byte(js))
	w.trailer()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(w.buf.Bytes())
	zw.Close()
	if err := os.WriteFile(filepath.Join(b.out, b.name("initrd")), gz.Bytes(), 0o644); err != nil {
		return err
	}
	b.res.Initrd = true
	return nil
}

// cpioWriter writes the "newc" cpio format the kernel unpacks.
type cpioWriter struct {
	buf   bytes.Buffer
	ino   int
	mtime int64
}

func (w *cpioWriter) entry(name string, mode uint32, data []byte, major, minor int) {
	w.ino++
	nlink := 1
	if mode&0o170000 == 0o040000 {
		nlink = 2
	}
	fmt.Fprintf(&w.buf, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		w.ino, mode, 0, 0, nlink, w.mtime, len(data), 0, 0, major, minor, len(name)+1, 0)
	w.buf.WriteString(name)
	w.buf.WriteByte(0)
	w.pad()
	w.buf.Write(data)
	w.pad()
}

func (w *cpioWriter) pad() {
	for w.buf.Len()%4 != 0 {
		w.buf.WriteByte(0)
	}
}

func (w *cpioWriter) dir(name string)                         { w.entry(name, 0o040755, nil, 0, 0) }
func (w *cpioWriter) file(name string, perm uint32, b []byte) { w.entry(name, 0o100000|perm, b, 0, 0) }
func (w *cpioWriter) node(name string, mode uint32, maj, min int) {
	w.entry(name, mode, nil, maj, min)
}
func (w *cpioWriter) trailer() { w.ino = -1; w.entry("TRAILER!!!", 0, nil, 0, 0) }
