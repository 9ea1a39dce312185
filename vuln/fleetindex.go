package vuln

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"pdvm.dev/pdvm/internal/cache"
)

// A fleet index remembers, for every lock under a set of directories, its
// size, modification time and packages, grouped by source package. A
// fleet query stats the lock files, re-reads only those that changed, and
// then reads only the index sections of the advisory's source packages:
// a thousand locks of a hundred megabytes are answered from a few
// megabytes of index.
//
// On disk (one file per set of roots, written atomically):
//
//	pdvm-fleet 2 HEADER_BYTES
//	locks N
//	PATH \t SIZE \t MTIME_NS \t VM \t RELEASE      (N lines; line i is lock i)
//	sources M
//	SOURCE START END                                (M lines, byte spans of the body)
//	LOCK \t NAME \t VERSION \t ARCH \t SOURCE_VERSION   (body, grouped by source)
type fleetIndex struct {
	locks    []fleetLock
	byPath   map[string]int
	srcTable []byte // "\nSOURCE START END\n…" as read from the file
	path     string // the index file; the body starts at bodyOff
	bodyOff  int64
	// pkgs holds decoded entries per lock while the index is rebuilt.
	pkgs map[int][]fleetPkg
}

type fleetLock struct {
	path        string
	size, mtime int64
	vm, release string
	err         string // unreadable lock: reported, not indexed
}

type fleetPkg struct {
	name, version, arch, source, sourceVersion string
}

const fleetMagic = "pdvm-fleet 2"

func fleetIndexPath(dir string, roots []string) string {
	abs := make([]string, len(roots))
	for i, r := range roots {
		a, err := filepath.Abs(r)
		if err != nil {
			a = r
		}
		abs[i] = a
	}
	sort.Strings(abs)
	h := sha256.Sum256([]byte(strings.Join(abs, "\x00")))
	return filepath.Join(dir, "fleet-"+hex.EncodeToString(h[:8])+".idx")
}

// readFleetIndex reads the header of an index (the lock table and the
// source table); the body is read per source, on demand.
func readFleetIndex(path string) *fleetIndex {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	first, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, fleetMagic+" ") {
		return nil
	}
	hlen, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(first, fleetMagic+" ")))
	if err != nil || hlen < 0 {
		return nil
	}
	b := make([]byte, hlen)
	if _, err := io.ReadFull(br, b); err != nil {
		return nil
	}
	line := func() ([]byte, bool) {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, false
		}
		l := b[:i]
		b = b[i+1:]
		return l, true
	}
	l, _ := line()
	n, err := strconv.Atoi(strings.TrimPrefix(string(l), "locks "))
	if err != nil {
		return nil
	}
	ix := &fleetIndex{path: path, bodyOff: int64(len(first) + hlen)}
	ix.locks = make([]fleetLock, 0, n)
	for i := 0; i < n; i++ {
		l, ok := line()
		if !ok {
			return nil
		}
		var fs [6][]byte
		k := 0
		for k < 5 {
			j := bytes.IndexByte(l, '\t')
			if j < 0 {
				break
			}
			fs[k], l = l[:j], l[j+1:]
			k++
		}
		if k != 5 {
			return nil
		}
		fs[5] = l
		size, _ := strconv.ParseInt(string(fs[1]), 10, 64)
		mt, _ := strconv.ParseInt(string(fs[2]), 10, 64)
		p := string(fs[0])
		ix.locks = append(ix.locks, fleetLock{path: p, size: size, mtime: mt, vm: string(fs[3]), release: string(fs[4]), err: string(fs[5])})
	}
	l, _ = line()
	if _, err := strconv.Atoi(strings.TrimPrefix(string(l), "sources ")); err != nil {
		return nil
	}
	// The source table stays raw: a query looks up a handful of names.
	ix.srcTable = append([]byte{'\n'}, b...)
	return ix
}

// entries returns the packages of source src: (lock index, package).
func (ix *fleetIndex) entries(src string) []struct {
	lock int
	p    fleetPkg
} {
	var out []struct {
		lock int
		p    fleetPkg
	}
	sp, ok := ix.span(src)
	if !ok {
		return nil
	}
	buf := make([]byte, sp.end-sp.start)
	f, err := os.Open(ix.path)
	if err != nil {
		return nil
	}
	_, err = f.ReadAt(buf, ix.bodyOff+int64(sp.start))
	f.Close()
	if err != nil {
		return nil
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 5 {
			continue
		}
		id, _ := strconv.Atoi(f[0])
		out = append(out, struct {
			lock int
			p    fleetPkg
		}{id, fleetPkg{name: f[1], version: f[2], arch: f[3], source: src, sourceVersion: f[4]}})
	}
	return out
}

// span finds a source's byte span in the body.
func (ix *fleetIndex) span(src string) (span, bool) {
	i := bytes.Index(ix.srcTable, []byte("\n"+src+" "))
	if i < 0 {
		return span{}, false
	}
	l := ix.srcTable[i+1:]
	if j := bytes.IndexByte(l, '\n'); j >= 0 {
		l = l[:j]
	}
	f := strings.Fields(string(l))
	if len(f) != 3 {
		return span{}, false
	}
	st, err1 := strconv.Atoi(f[1])
	en, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || st > en {
		return span{}, false
	}
	return span{st, en}, true
}

// allSources lists the sources of the index.
func (ix *fleetIndex) allSources() []string {
	var out []string
	for _, l := range bytes.Split(ix.srcTable, []byte{'\n'}) {
		if i := bytes.IndexByte(l, ' '); i > 0 {
			out = append(out, string(l[:i]))
		}
	}
	return out
}

// allPkgs decodes every entry of the index, per lock (for rebuilding).
func (ix *fleetIndex) allPkgs() map[int][]fleetPkg {
	out := map[int][]fleetPkg{}
	for _, src := range ix.allSources() {
		for _, e := range ix.entries(src) {
			out[e.lock] = append(out[e.lock], e.p)
		}
	}
	return out
}

// lockSummary is what indexing needs from a lock.
type lockSummary struct {
	VM       string `json:"vm"`
	Release  string `json:"release"`
	Packages []struct {
		Name          string `json:"name"`
		Version       string `json:"version"`
		Arch          string `json:"arch"`
		Source        string `json:"source"`
		SourceVersion string `json:"source_version"`
	} `json:"packages"`
}

// updateFleetIndex brings the index for roots up to date: it re-reads the
// locks whose size or modification time changed and writes the index back
// when anything changed.
func updateFleetIndex(ctx context.Context, dir string, roots []string) (*fleetIndex, error) {
	locks, err := FindLocks(roots)
	if err != nil {
		return nil, err
	}
	path := fleetIndexPath(dir, roots)
	old := readFleetIndex(path)
	cur := make([]fleetLock, len(locks))
	changed := old == nil || len(old.locks) != len(locks)
	for i, p := range locks {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("searching for locks: %w", err)
		}
		cur[i] = fleetLock{path: p, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
		if !changed {
			o := &old.locks[i]
			changed = o.path != p || o.size != cur[i].size || o.mtime != cur[i].mtime
		}
	}
	if !changed {
		return old, nil
	}
	if old != nil {
		old.byPath = make(map[string]int, len(old.locks))
		for i := range old.locks {
			old.byPath[old.locks[i].path] = i
		}
	}
	var oldPkgs map[int][]fleetPkg
	if old != nil {
		oldPkgs = old.allPkgs()
	}
	ix := &fleetIndex{locks: cur, byPath: map[string]int{}, pkgs: map[int][]fleetPkg{}}
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				l := &ix.locks[i]
				if old != nil {
					if j, ok := old.byPath[l.path]; ok && old.locks[j].size == l.size && old.locks[j].mtime == l.mtime {
						l.vm, l.release, l.err = old.locks[j].vm, old.locks[j].release, old.locks[j].err
						mu.Lock()
						ix.pkgs[i] = oldPkgs[j]
						mu.Unlock()
						continue
					}
				}
				pk, err := readLockSummary(l)
				mu.Lock()
				if err != nil {
					l.err = err.Error()
				}
				ix.pkgs[i] = pk
				mu.Unlock()
			}
		}()
	}
	for i := range ix.locks {
		ix.byPath[ix.locks[i].path] = i
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := ix.encode()
	// The index is a cache: failing to write it only costs time next run.
	if os.MkdirAll(dir, 0o755) == nil {
		cache.WriteFile(path, b, 0o644)
	}
	if re := readFleetIndex(path); re != nil {
		return re, nil
	}
	// Could not write: decode from memory.
	tmp := filepath.Join(os.TempDir(), "pdvm-fleet-"+strconv.Itoa(os.Getpid()))
	defer os.Remove(tmp)
	if os.WriteFile(tmp, b, 0o600) == nil {
		if re := readFleetIndex(tmp); re != nil {
			return re, nil
		}
	}
	return nil, fmt.Errorf("building the fleet index %s failed", path)
}

func readLockSummary(l *fleetLock) ([]fleetPkg, error) {
	data, err := os.ReadFile(l.path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", l.path, err)
	}
	var s lockSummary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: decoding lock: %w", l.path, err)
	}
	l.vm, l.release = s.VM, s.Release
	out := make([]fleetPkg, 0, len(s.Packages))
	for _, p := range s.Packages {
		src, sv := Installed{Name: p.Name, Version: p.Version, Source: p.Source, SourceVersion: p.SourceVersion}.src()
		out = append(out, fleetPkg{name: p.Name, version: p.Version, arch: p.Arch, source: src, sourceVersion: sv})
	}
	return out, nil
}

func clean(s string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(s) }

func (ix *fleetIndex) encode() []byte {
	type ent struct {
		lock int
		p    fleetPkg
	}
	bySrc := map[string][]ent{}
	for i := range ix.locks {
		if ix.locks[i].err != "" {
			continue
		}
		for _, p := range ix.pkgs[i] {
			bySrc[p.source] = append(bySrc[p.source], ent{i, p})
		}
	}
	srcs := make([]string, 0, len(bySrc))
	for s := range bySrc {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	var body bytes.Buffer
	var head bytes.Buffer
	fmt.Fprintf(&head, "locks %d\n", len(ix.locks))
	for _, l := range ix.locks {
		fmt.Fprintf(&head, "%s\t%d\t%d\t%s\t%s\t%s\n", l.path, l.size, l.mtime, clean(l.vm), clean(l.release), clean(l.err))
	}
	fmt.Fprintf(&head, "sources %d\n", len(srcs))
	for _, s := range srcs {
		start := body.Len()
		for _, e := range bySrc[s] {
			fmt.Fprintf(&body, "%d\t%s\t%s\t%s\t%s\n", e.lock, clean(e.p.name), clean(e.p.version), clean(e.p.arch), clean(e.p.sourceVersion))
		}
		fmt.Fprintf(&head, "%s %d %d\n", s, start, body.Len())
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s %d\n", fleetMagic, head.Len())
	out.Write(head.Bytes())
	out.Write(body.Bytes())
	return out.Bytes()
}
