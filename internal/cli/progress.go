package cli

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"pdvm.dev/pdvm/fetch"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// fetchProgress shows downloads: progress bars on a terminal, else one
// plain line per downloaded file. Cache hits are silent.
type fetchProgress struct {
	w    io.Writer
	mu   sync.Mutex
	p    *mpb.Progress
	bars map[string]*mpb.Bar
	n    int
	sum  int64
}

func newFetchProgress(w io.Writer) *fetchProgress {
	fp := &fetchProgress{w: w, bars: map[string]*mpb.Bar{}}
	if isTerminal(w) {
		fp.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40))
	}
	return fp
}

func (f *fetchProgress) Begin(it fetch.Item, have int64) {
	if f.p == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.p.AddBar(it.Size,
		mpb.PrependDecorators(decor.Name(it.Name, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f")),
		mpb.BarRemoveOnComplete())
	b.SetCurrent(have)
	f.bars[it.SHA256] = b
}

func (f *fetchProgress) Advance(it fetch.Item, n int) {
	f.mu.Lock()
	b := f.bars[it.SHA256]
	f.mu.Unlock()
	if b != nil {
		b.IncrBy(n)
	}
}

func (f *fetchProgress) Done(it fetch.Item, cached bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b := f.bars[it.SHA256]; b != nil {
		if err != nil {
			b.Abort(true)
		} else {
			b.SetTotal(-1, true)
		}
	}
	if cached || err != nil {
		return
	}
	f.n++
	f.sum += it.Size
	if f.p == nil {
		fmt.Fprintf(f.w, "fetched %s (%.1f KiB)\n", it.Name, float64(it.Size)/1024)
	}
}

// Wait ends the bars.
func (f *fetchProgress) Wait() {
	if f.p != nil {
		f.p.Wait()
	}
}
