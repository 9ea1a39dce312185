package build

import (
	"bytes"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copySparseAt copies src into dst at offset, skipping src's holes (found
// with SEEK_DATA/SEEK_HOLE) so that a sparse image stays sparse.
func copySparseAt(dst *os.File, at int64, src *os.File) error {
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	fd := int(src.Fd())
	buf := make([]byte, 64<<10)
	for pos := int64(0); pos < size; {
		data, err := unix.Seek(fd, pos, unix.SEEK_DATA)
		if err != nil {
			if errors.Is(err, unix.ENXIO) {
				break // only a hole remains
			}
			return err
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		for p := data; p < hole; {
			n := int64(len(buf))
			if hole-p < n {
				n = hole - p
			}
			m, err := src.ReadAt(buf[:n], p)
			if m > 0 && !allZero(buf[:m]) { // dst is new: zeros are holes already
				if _, werr := dst.WriteAt(buf[:m], at+p); werr != nil {
					return werr
				}
			}
			if err != nil && err != io.EOF {
				return err
			}
			if m == 0 {
				break
			}
			p += int64(m)
		}
		pos = hole
	}
	return nil
}

// copySparse copies src to the writer (a *cache.Pending or file), keeping
// holes when the destination is a file.
func copySparse(dst io.Writer, src *os.File) error {
	type named interface{ Name() string }
	if n, ok := dst.(named); ok {
		f, err := os.OpenFile(n.Name(), os.O_RDWR, 0)
		if err == nil {
			defer f.Close()
			fi, _ := src.Stat()
			if err := copySparseAt(f, 0, src); err != nil {
				return err
			}
			return f.Truncate(fi.Size())
		}
	}
	_, err := io.Copy(dst, src)
	return err
}

var zeros = make([]byte, 64<<10)

func allZero(b []byte) bool { return bytes.Equal(b, zeros[:len(b)]) }
