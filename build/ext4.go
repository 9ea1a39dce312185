package build

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"pdvm.dev/pdvm/debx"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"pdvm.dev/pdvm/internal/tool"
)

// clampTree sets every path's modification and access time to at most
// the build date and returns the paths (root-relative, sorted) and the
// content size in bytes, rounded up to 4 KiB blocks.
func clampTree(dir string, date int64) ([]string, int64, int, error) {
	var paths []string
	var blocks int64
	inodes := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		inodes++
		blocks += (st.Size + 4095) / 4096
		m := st.Mtim.Sec
		if m > date {
			m = date
		}
		ts := []unix.Timespec{{Sec: date}, {Sec: m}}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		if rel != "." {
			paths = append(paths, "/"+filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(paths)
	return paths, blocks * 4096, inodes, err
}

const mib = 1 << 20

// needMiB estimates the smallest ext4 (4 KiB blocks, 256-byte inodes)
// that holds content bytes in n inodes, with a little room to run.
func needMiB(content int64, inodes int) int64 {
	meta := int64(inodes)*256 + 8*mib // inode tables for our inodes + journal floor
	need := content + content/8 + meta + 16*mib
	return (need + mib - 1) / mib
}

func (b *builder) mkext4() error {
	dir := b.root.Dir()
	owners := b.root.Owners()
	b.root.Close()
	b.root = nil
	epoch := b.date.Unix()
	paths, content, inodes, err := clampTree(dir, epoch)
	if err != nil {
		return fmt.Errorf("preparing the root tree: %w", err)
	}
	b.res.RootBytes = content
	base := b.res.Cmdline
	b.res.RootCmdline = strings.TrimSpace("root=/dev/" + rootDev(b.spec.Hardware.DiskBus, "") + " rw " + base + " " + b.spec.Kernel.Cmdline)
	// the boot partition does not depend on the root file system
	type fatResult struct {
		cmdline string
		err     error
	}
	fatDone := make(chan fatResult, 1)
	go func() {
		c, err := b.makeFAT(base)
		fatDone <- fatResult{c, err}
	}()
	if err := b.mkext4Image(dir, paths, owners, content, inodes); err != nil {
		<-fatDone
		return err
	}
	fr := <-fatDone
	if fr.err != nil {
		return fr.err
	}
	b.res.Cmdline = fr.cmdline
	return b.addArtifact("rootfs", b.name("root.ext4"), false)
}

func (b *builder) mkext4Image(dir string, paths []string, owners map[string]debx.Owner, content int64, inodes int) error {
	epoch := b.date.Unix()
	need := needMiB(content, inodes)
	size := int64(b.spec.Hardware.DiskMiB) - bootMiB - 2
	if b.spec.Hardware.DiskMiB == 0 {
		size = need + need/4 + 64 // room for logs and state
	} else if size < need {
		return &TooSmallError{HaveMiB: int64(b.spec.Hardware.DiskMiB), NeedMiB: need + bootMiB + 2}
	}
	img := filepath.Join(b.out, b.name("root.ext4"))
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(img, size*mib); err != nil {
		return err
	}
	env := []string{"E2FSPROGS_FAKE_TIME=" + strconv.FormatInt(epoch, 10), "SOURCE_DATE_EPOCH=" + strconv.FormatInt(epoch, 10), "MKE2FS_CONFIG=/dev/null"}
	args := []string{"-q", "-F", "-t", "ext4", "-b", "4096", "-I", "256", "-i", "16384", "-m", "1", "-L", "root",
		// the features of Debian 12's mke2fs.conf for ext4, spelled out:
		// the host's configuration is ignored (MKE2FS_CONFIG=/dev/null)
		"-O", "has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize",
		"-U", uuidFrom(b.key, "fs"),
		"-E", "hash_seed=" + uuidFrom(b.key, "hash") + ",root_owner=0:0,lazy_itable_init=0,nodiscard",
		"-d", dir, img}
	if out, err := tool.Run(b.ctx, env, "mkfs.ext4", args...); err != nil {
		if bytes.Contains(out, []byte("Could not allocate")) || bytes.Contains(out, []byte("No space left")) {
			return &TooSmallError{HaveMiB: size + bootMiB + 2, NeedMiB: need + need/4 + bootMiB + 2}
		}
		return fmt.Errorf("making the ext4 root file system: %w", err)
	}
	// mkfs copies each inode's change and access time from the staging
	// tree, where they are "now"; set them to the build date.
	var cmds strings.Builder
	stamp := b.date.UTC().Format("20060102150405")
	for _, p := range append([]string{"/"}, paths...) {
		if strings.ContainsAny(p, "\"\n") {
			return fmt.Errorf("path %q cannot be passed to debugfs", p)
		}
		for _, f := range []string{"ctime", "atime", "crtime"} {
			fmt.Fprintf(&cmds, "set_inode_field \"%s\" %s %s\n", p, f, stamp)
		}
		if owners != nil { // built without root: every file belongs to root unless recorded
			o := owners[strings.TrimPrefix(p, "/")]
			fmt.Fprintf(&cmds, "set_inode_field \"%s\" uid %d\nset_inode_field \"%s\" gid %d\n", p, o.UID, p, o.GID)
		}
	}
	if owners != nil {
		o := owners[""]
		fmt.Fprintf(&cmds, "set_inode_field / uid %d\nset_inode_field / gid %d\n", o.UID, o.GID)
		cmds.WriteString("cd /dev\nmknod console c 5 1\nmknod null c 1 3\nset_inode_field /dev/console mode 020600\nset_inode_field /dev/null mode 020666\n")
	}
	cf := filepath.Join(b.work, "debugfs.cmds")
	if err := os.WriteFile(cf, []byte(cmds.String()), 0o644); err != nil {
		return err
	}
	if out, err := tool.Run(b.ctx, env, "debugfs", "-w", "-f", cf, img); err != nil {
		return fmt.Errorf("setting file times: %w", err)
	} else if bytes.Contains(out, []byte("File not found")) {
		return fmt.Errorf("setting file times: debugfs: %s", firstLine(out, "File not found"))
	}
	if _, err := tool.Run(b.ctx, env, "e2fsck", "-fn", img); err != nil {
		return fmt.Errorf("checking the ext4 root file system: %w", err)
	}
	b.res.DiskMiB = size + bootMiB + 2
	return nil
}

func firstLine(out []byte, sub string) string {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func rootDev(bus, part string) string {
	if bus == "virtio" {
		return "vda" + part
	}
	if part != "" {
		return "nvme0n1p" + part
	}
	return "nvme0n1"
}

func (b *builder) name(ext string) string { return b.spec.Name + "." + ext }

func (b *builder) wants(format string) bool {
	for _, f := range b.spec.Formats {
		if f == format {
			return true
		}
	}
	return false
}

func (b *builder) addArtifact(kind, name string, internal bool) error {
	p := filepath.Join(b.out, name)
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	sum, err := fileSHA256(p)
	if err != nil {
		return err
	}
	b.res.Artifacts = append(b.res.Artifacts, Artifact{Kind: kind, Name: name, Size: fi.Size(), SHA256: sum, Internal: internal})
	return nil
}

// bootMiB is the FAT boot partition of the full disk: room for the
// kernel (13.5 MiB) and an initramfs; FAT16 needs at least about 16 MiB.
const bootMiB = 32

// fullDisk writes disk.raw: an MBR with syslinux's boot code, partition 1
// FAT16 (syslinux, the kernel), partition 2 the ext4 root. Nothing is
// mounted: the FAT is filled with mtools and syslinux --install works on
// the image file.
// makeFAT writes the boot partition (run while mkfs.ext4 works): FAT16
// with the kernel, the initramfs if any, syslinux.cfg and syslinux. It
// returns the full disk's kernel command line.
func (b *builder) makeFAT(base string) (string, error) {
	epoch := b.date.Unix()
	env := []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(epoch, 10)}
	fat := filepath.Join(b.work, "boot.fat")
	volid := uuidFrom(b.key, "fat")[:8]
	if _, err := tool.Run(b.ctx, env, "mkfs.fat", "-F", "16", "-n", "BOOT", "-i", volid, "--invariant", "-C", fat, strconv.Itoa(bootMiB*1024)); err != nil {
		return "", err
	}
	label := uuidFrom(b.key, "mbr")[:8]
	cmdline := strings.TrimSpace(fmt.Sprintf("root=PARTUUID=%s-02 rw %s %s", label, base, b.spec.Kernel.Cmdline))
	cfg := fmt.Sprintf("SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL /vmlinuz\n  APPEND %s\n", cmdline)
	copies := [][2]string{{filepath.Join(b.out, b.name("vmlinuz")), "::/vmlinuz"}, {filepath.Join(b.work, "syslinux.cfg"), "::/syslinux.cfg"}}
	if b.res.Initrd {
		cfg += "  INITRD /initrd.img\n"
		copies = append(copies, [2]string{filepath.Join(b.out, b.name("initrd")), "::/initrd.img"})
	}
	cfgPath := filepath.Join(b.work, "syslinux.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return "", err
	}
	for _, f := range copies {
		os.Chtimes(f[0], b.date, b.date)
		if _, err := tool.Run(b.ctx, env, "mcopy", "-m", "-i", fat, f[0], f[1]); err != nil {
			return "", err
		}
	}
	if _, err := tool.Run(b.ctx, env, "syslinux", "--install", fat); err != nil {
		return "", err
	}
	if err := fixFATTimes(fat, b.date); err != nil {
		return "", fmt.Errorf("normalising FAT timestamps: %w", err)
	}
	return cmdline, nil
}

// fullDisk writes NAME.raw: an MBR with syslinux's boot code, partition 1
// the FAT boot partition, partition 2 the ext4 root.
func (b *builder) fullDisk() error {
	if err := b.addArtifact("kernel", b.name("vmlinuz"), false); err != nil {
		return err
	}
	if b.res.Initrd {
		if err := b.addArtifact("initrd", b.name("initrd"), false); err != nil {
			return err
		}
	}
	fat := filepath.Join(b.work, "boot.fat")
	label := uuidFrom(b.key, "mbr")[:8]
	mbr, err := os.ReadFile("/usr/lib/syslinux/mbr/mbr.bin")
	if err != nil {
		return &tool.MissingError{Tool: "/usr/lib/syslinux/mbr/mbr.bin", Package: "syslinux-common"}
	}
	root := filepath.Join(b.out, b.name("root.ext4"))
	rfi, err := os.Stat(root)
	if err != nil {
		return err
	}
	rootSectors := rfi.Size() / 512
	bootSectors := int64(bootMiB * mib / 512)
	total := 2048 + bootSectors + rootSectors + 2048
	disk := filepath.Join(b.out, b.name("raw"))
	d, err := os.Create(disk)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Truncate(total * 512); err != nil {
		return err
	}
	mbrSector := make([]byte, 512)
	copy(mbrSector, mbr[:min(len(mbr), 440)])
	id, _ := strconv.ParseUint(label, 16, 32)
	binary.LittleEndian.PutUint32(mbrSector[440:], uint32(id))
	putPart(mbrSector[446:], true, 0x06, 2048, bootSectors)
	putPart(mbrSector[462:], false, 0x83, 2048+bootSectors, rootSectors)
	mbrSector[510], mbrSector[511] = 0x55, 0xaa
	if _, err := d.WriteAt(mbrSector, 0); err != nil {
		return err
	}
	for _, part := range []struct {
		src string
		at  int64
	}{{fat, 2048 * 512}, {root, (2048 + bootSectors) * 512}} {
		f, err := os.Open(part.src)
		if err != nil {
			return err
		}
		err = copySparseAt(d, part.at, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("writing the disk image: %w", err)
		}
	}
	if err := d.Close(); err != nil {
		return err
	}
	return b.addArtifact("format:raw", b.name("raw"), !b.wants("raw"))
}

// putPart writes one MBR partition entry (LBA addressing; CHS fields set
// to the "beyond 8 GiB" marker).
func putPart(e []byte, boot bool, typ byte, start, size int64) {
	if boot {
		e[0] = 0x80
	}
	copy(e[1:4], []byte{0xfe, 0xff, 0xff})
	e[4] = typ
	copy(e[5:8], []byte{0xfe, 0xff, 0xff})
	binary.LittleEndian.PutUint32(e[8:], uint32(start))
	binary.LittleEndian.PutUint32(e[12:], uint32(size))
}
