package build

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFixFATTimes builds a minimal FAT16 layout by hand (boot sector,
// two FATs, a root directory with a file, a long-name slot and a deleted
// entry) and checks that only live short entries get the build date.
func TestFixFATTimes(t *testing.T) {
	img := make([]byte, 64*512)
	bs := img[:512]
	binary.LittleEndian.PutUint16(bs[11:], 512) // bytes per sector
	bs[13] = 4                                  // sectors per cluster
	binary.LittleEndian.PutUint16(bs[14:], 1)   // reserved sectors
	bs[16] = 2                                  // FATs
	binary.LittleEndian.PutUint16(bs[17:], 16)  // root entries (one sector)
	binary.LittleEndian.PutUint16(bs[22:], 2)   // sectors per FAT
	root := img[(1+2*2)*512:]
	copy(root[0:], "VMLINUZ    ")
	root[11] = 0x20
	lfn := root[32:64]
	lfn[0], lfn[11] = 0x41, 0x0f
	lfn[14] = 0x77 // must survive: inside the long-name slot
	del := root[64:96]
	del[0] = 0xe5
	del[22] = 0x55
	for _, e := range [][]byte{root[0:32]} {
		binary.LittleEndian.PutUint16(e[22:], 0x1234)
	}
	p := filepath.Join(t.TempDir(), "fat.img")
	os.WriteFile(p, img, 0o644)
	d := time.Date(2026, 5, 20, 16, 28, 12, 0, time.UTC)
	if err := fixFATTimes(p, d); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	r := got[(1+2*2)*512:]
	wantTime := uint16(16<<11 | 28<<5 | 12/2)
	wantDate := uint16((2026-1980)<<9 | 5<<5 | 20)
	if binary.LittleEndian.Uint16(r[22:]) != wantTime || binary.LittleEndian.Uint16(r[24:]) != wantDate ||
		binary.LittleEndian.Uint16(r[14:]) != wantTime || binary.LittleEndian.Uint16(r[16:]) != wantDate || binary.LittleEndian.Uint16(r[18:]) != wantDate {
		t.Errorf("entry times not set: % x", r[:32])
	}
	if r[32+14] != 0x77 || r[64+22] != 0x55 {
		t.Error("a long-name slot or a deleted entry was changed")
	}
	os.WriteFile(p, make([]byte, 1024), 0o644)
	if err := fixFATTimes(p, d); err == nil || !strings.Contains(err.Error(), "not a FAT") {
		t.Errorf("zeroed image: %v", err)
	}
}

func TestLoadAccounts(t *testing.T) {
	a := loadAccounts([]byte("root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"),
		[]byte("root:x:0:\nsudo:x:27:\nwww-data:x:33:\n"))
	if _, err := a.addUser(User{Name: "ops", Sudo: true}, "/bin/bash"); err != nil {
		t.Fatal(err)
	}
	pw, gr, _, _ := a.files(1)
	if !strings.Contains(string(pw), "root:x:0:0:root:/root:/bin/bash\n") || !strings.Contains(string(pw), "ops:x:1000:1000::/home/ops:/bin/bash\n") {
		t.Errorf("passwd:\n%s", pw)
	}
	if !strings.Contains(string(gr), "sudo:x:27:ops\n") {
		t.Errorf("group:\n%s", gr)
	}
}

func TestCpioNewc(t *testing.T) {
	w := &cpioWriter{mtime: 1700000000}
	w.dir("etc")
	w.file("init", 0o755, []byte("abc"))
	w.trailer()
	b := w.buf.String()
	if !strings.HasPrefix(b, "070701") || len(b)%4 != 0 || !strings.Contains(b, "TRAILER!!!\x00") {
		t.Fatalf("not newc: %q", b)
	}
	// second header: ino 2, mode 0100755, mtime, size 3, name "init\0"
	h := b[strings.Index(b, "070701000000020"):]
	if h[14:22] != "000081ed" || h[46:54] != "6553f100" || h[54:62] != "00000003" || h[110:115] != "init\x00" {
		t.Errorf("header %q", h[:120])
	}
}
