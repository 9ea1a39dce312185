package target

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"strings"
	"time"
)

// Reproducible images
//
// qemu-img stamps some formats with random identifiers and the current
// time: the VMDK descriptor's CID, the VHD footer's timestamp and UUID,
// VDI's creation and modification UUIDs, and VHDX's file/data write GUIDs
// and virtual disk id. [Normalize] replaces each with a value derived
// from a seed (pdvm uses the build key) and the build date, and fixes the
// checksums that cover them, so that two builds of the same lock are
// byte-identical in every format.

// Normalize rewrites the random and time-based fields of an image.
func Normalize(path string, f Format, seed string, date time.Time) error {
	var err error
	switch f.QEMU {
	case "vmdk":
		err = normVMDK(path, seed)
	case "vpc":
		err = normVHD(path, seed, date)
	case "vdi":
		err = normVDI(path, seed)
	case "vhdx":
		err = normVHDX(path, seed)
	}
	if err != nil {
		return fmt.Errorf("normalising %s: %w", path, err)
	}
	return nil
}

func derive(seed, what string, n int) []byte {
	h := sha256.Sum256([]byte(what + "\x00" + seed))
	return h[:n]
}

func guid(seed, what string) []byte {
	g := derive(seed, what, 16)
	g[7] = g[7]&0x0f | 0x40 // version 4 in the mixed-endian GUID layout
	g[8] = g[8]&0x3f | 0x80
	return g
}

func patch(path string, off int64, b []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteAt(b, off)
	return err
}

func readAt(path string, off int64, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	_, err = f.ReadAt(b, off)
	return b, err
}

// normVMDK sets the descriptor's CID. qemu prints it without leading
// zeros, so the line's length varies: the descriptor (a NUL-padded text
// area whose place and size the sparse header records, in sectors) is
// rewritten as a whole.
func normVMDK(path, seed string) error {
	h, err := readAt(path, 0, 512)
	if err != nil {
		return err
	}
	if string(h[:4]) != "KDMV" {
		return fmt.Errorf("no VMDK sparse header")
	}
	off := int64(binary.LittleEndian.Uint64(h[28:])) * 512
	size := int(binary.LittleEndian.Uint64(h[36:])) * 512
	if off == 0 || size == 0 || size > 1<<20 {
		return fmt.Errorf("no embedded VMDK descriptor")
	}
	d, err := readAt(path, off, size)
	if err != nil {
		return err
	}
	text := d
	if n := bytes.IndexByte(d, 0); n >= 0 {
		text = d[:n]
	}
	lines := strings.Split(string(text), "\n")
	found := false
	for i, l := range lines {
		if strings.HasPrefix(l, "CID=") {
			lines[i] = fmt.Sprintf("CID=%x", derive(seed, "vmdk-cid", 4))
			found = true
		}
	}
	if !found {
		return fmt.Errorf("no CID in the VMDK descriptor")
	}
	nd := []byte(strings.Join(lines, "\n"))
	if len(nd) > size {
		return fmt.Errorf("VMDK descriptor grew beyond its %d bytes", size)
	}
	return patch(path, off, append(nd, make([]byte, size-len(nd))...))
}

// normVHD fixes the footer (at the end, copied at offset 0 for dynamic
// disks): timestamp (seconds since 2000-01-01), UUID, checksum.
func normVHD(path, seed string, date time.Time) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	ts := uint32(0)
	if d := date.Unix() - 946684800; d > 0 {
		ts = uint32(d)
	}
	id := derive(seed, "vhd-uuid", 16)
	for _, off := range []int64{0, fi.Size() - 512} {
		ft, err := readAt(path, off, 512)
		if err != nil {
			return err
		}
		if string(ft[:8]) != "conectix" {
			if off == 0 {
				continue // fixed disks have only the trailing footer
			}
			return fmt.Errorf("no VHD footer")
		}
		binary.BigEndian.PutUint32(ft[24:], ts)
		copy(ft[68:84], id)
		binary.BigEndian.PutUint32(ft[64:], 0)
		var sum uint32
		for _, c := range ft[:512] {
			sum += uint32(c)
		}
		binary.BigEndian.PutUint32(ft[64:], ^sum)
		if err := patch(path, off, ft); err != nil {
			return err
		}
	}
	return nil
}

// normVDI sets uuidCreate and uuidModify of the VDI 1.1 header.
func normVDI(path, seed string) error {
	h, err := readAt(path, 0, 512)
	if err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(h[64:]) != 0xbeda107f {
		return fmt.Errorf("no VDI signature")
	}
	id := guid(seed, "vdi")
	if err := patch(path, 392, id); err != nil {
		return err
	}
	return patch(path, 408, guid(seed, "vdi-modify"))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// normVHDX sets both headers' FileWriteGuid and DataWriteGuid (fixing
// their CRC-32C) and the Page 83 virtual disk id in the metadata region.
func normVHDX(path, seed string) error {
	fw, dw := guid(seed, "vhdx-file"), guid(seed, "vhdx-data")
	var hs [2][]byte
	for i, off := range []int64{64 << 10, 128 << 10} {
		h, err := readAt(path, off, 4096)
		if err != nil {
			return err
		}
		if string(h[:4]) != "head" {
			return fmt.Errorf("no VHDX header at %d", off)
		}
		hs[i] = h
	}
	// qemu starts the sequence numbers at a random value; keep which
	// header is current (the higher number) but make the numbers fixed.
	first := uint64(1)
	if binary.LittleEndian.Uint64(hs[0][8:]) > binary.LittleEndian.Uint64(hs[1][8:]) {
		first = 2
	}
	for i, off := range []int64{64 << 10, 128 << 10} {
		h := hs[i]
		binary.LittleEndian.PutUint64(h[8:], first+uint64(i)*(3-2*first))
		// An empty log (zero LogGuid): its stale entries carry a random
		// GUID; zero the log region, which is ignored anyway.
		if bytes.Equal(h[48:64], make([]byte, 16)) {
			logLen := int64(binary.LittleEndian.Uint32(h[68:]))
			logOff := int64(binary.LittleEndian.Uint64(h[72:]))
			if logLen > 0 && logLen <= 64<<20 {
				if err := patch(path, logOff, make([]byte, logLen)); err != nil {
					return err
				}
			}
		}
		copy(h[16:32], fw)
		copy(h[32:48], dw)
		binary.LittleEndian.PutUint32(h[4:], 0)
		binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(h, castagnoli))
		if err := patch(path, off, h); err != nil {
			return err
		}
	}
	// Region table: find the metadata region.
	rt, err := readAt(path, 192<<10, 64<<10)
	if err != nil {
		return err
	}
	if string(rt[:4]) != "regi" {
		return fmt.Errorf("no VHDX region table")
	}
	metaGUID := []byte{0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b, 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e}
	page83 := []byte{0xab, 0x12, 0xca, 0xbe, 0xe6, 0xb2, 0x23, 0x45, 0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46}
	n := int(binary.LittleEndian.Uint32(rt[8:]))
	for i := 0; i < n && 16+32*(i+1) <= len(rt); i++ {
		e := rt[16+32*i : 16+32*(i+1)]
		if !bytes.Equal(e[:16], metaGUID) {
			continue
		}
		moff := int64(binary.LittleEndian.Uint64(e[16:]))
		mt, err := readAt(path, moff, 64<<10)
		if err != nil {
			return err
		}
		if string(mt[:8]) != "metadata" {
			return fmt.Errorf("no VHDX metadata table")
		}
		cnt := int(binary.LittleEndian.Uint16(mt[10:]))
		for j := 0; j < cnt && 32+32*(j+1) <= len(mt); j++ {
			it := mt[32+32*j : 32+32*(j+1)]
			if bytes.Equal(it[:16], page83) {
				ioff := int64(binary.LittleEndian.Uint32(it[16:]))
				return patch(path, moff+ioff, guid(seed, "vhdx-disk"))
			}
		}
		return fmt.Errorf("no Page 83 item in the VHDX metadata")
	}
	return fmt.Errorf("no VHDX metadata region")
}
