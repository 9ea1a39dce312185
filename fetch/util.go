package fetch

import (
	"io"
	"os"
	"time"
)

func sleep() <-chan time.Time { return time.After(100 * time.Millisecond) }

func offsetOf(f *os.File) int64 {
	n, _ := f.Seek(0, io.SeekCurrent)
	return n
}
