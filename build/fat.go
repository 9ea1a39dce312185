package build

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"
)

// fixFATTimes sets the creation, access and write times of every entry in
// a FAT12/16 root directory to t: mtools and syslinux stamp files with the
// current time, which would make the boot partition differ between
// otherwise identical builds. All of pdvm's boot files live in the root
// directory.
func fixFATTimes(img string, t time.Time) error {
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	bs := make([]byte, 512)
	if _, err := f.ReadAt(bs, 0); err != nil {
		return err
	}
	bps := int64(binary.LittleEndian.Uint16(bs[11:]))
	reserved := int64(binary.LittleEndian.Uint16(bs[14:]))
	nfats := int64(bs[16])
	rootEntries := int64(binary.LittleEndian.Uint16(bs[17:]))
	fatSize := int64(binary.LittleEndian.Uint16(bs[22:]))
	if bps == 0 || fatSize == 0 || rootEntries == 0 {
		return fmt.Errorf("%s is not a FAT12/16 file system", img)
	}
	off := (reserved + nfats*fatSize) * bps
	dir := make([]byte, rootEntries*32)
	if _, err := f.ReadAt(dir, off); err != nil {
		return err
	}
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	t = t.UTC()
	ftime := uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
	fdate := uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day())
	for i := 0; i < len(dir); i += 32 {
		e := dir[i : i+32]
		if e[0] == 0 {
			break
		}
		if e[0] == 0xe5 || e[11] == 0x0f { // deleted, long-name slot
			continue
		}
		e[13] = 0
		binary.LittleEndian.PutUint16(e[14:], ftime)
		binary.LittleEndian.PutUint16(e[16:], fdate)
		binary.LittleEndian.PutUint16(e[18:], fdate)
		binary.LittleEndian.PutUint16(e[22:], ftime)
		binary.LittleEndian.PutUint16(e[24:], fdate)
	}
	_, err = f.WriteAt(dir, off)
	return err
}
