package vuln

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"pdvm.dev/pdvm/manifest"
)

// Hit is one package of one lock affected by an advisory.
type Hit struct {
	Lock          string   `json:"lock"`
	VM            string   `json:"vm,omitempty"`
	Release       string   `json:"release"`
	Package       string   `json:"package"`
	Version       string   `json:"version"`
	Arch          string   `json:"arch,omitempty"`
	Source        string   `json:"source"`
	SourceVersion string   `json:"source_version"`
	Advisory      string   `json:"advisory"`
	Related       []string `json:"related,omitempty"`
	Status        Status   `json:"status"`
	Fixed         string   `json:"fixed_version,omitempty"`
}

// FleetResult is the answer to "which VMs contain a version affected by
// this advisory?".
type FleetResult struct {
	Advisory string   `json:"advisory"`
	Sources  []string `json:"sources"` // source packages the advisory names
	Locks    int      `json:"locks_scanned"`
	Hits     []Hit    `json:"hits"`
	// Errors lists lock files that could not be read; they are not
	// silently skipped.
	Errors []string `json:"errors,omitempty"`
}

// IsLockFile reports whether a file name looks like a pdvm lock
// (FILE.pdvm.hcl.lock, FILE.VM.pdvm.hcl.lock, or an image's *.lock).
func IsLockFile(name string) bool {
	return strings.HasSuffix(name, ".lock") && !strings.HasPrefix(name, ".")
}

// FindLocks walks roots and returns every lock file, sorted. Hidden
// directories are skipped; a root that is itself a lock file is kept.
func FindLocks(roots []string) ([]string, error) {
	var out []string
	for _, root := range roots {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("searching for locks: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable subdirectory: keep going
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if IsLockFile(d.Name()) && d.Type().IsRegular() {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("searching %s for locks: %w", root, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Affected lists every package of every lock under roots whose source
// version is affected by advisory id (a CVE, DSA, DLA or TEMP id).
//
// With indexDir set, a fleet index kept there (see fleetindex.go) answers
// the query: only locks that changed since the last query are read. With
// indexDir "", every lock is read, and only the JSON objects around
// mentions of the advisory's source packages are decoded.
func (db *DB) Affected(ctx context.Context, id string, roots []string, indexDir string) (*FleetResult, error) {
	id = CanonicalID(id)
	recs := db.ByID("", id)
	res := &FleetResult{Advisory: id}
	bySrc := map[string][]Record{} // source → its records (all releases)
	for _, r := range recs {
		if len(bySrc[r.Source]) == 0 {
			res.Sources = append(res.Sources, r.Source)
		}
		bySrc[r.Source] = append(bySrc[r.Source], r)
	}
	sort.Strings(res.Sources)
	if len(recs) == 0 {
		return res, nil
	}
	if indexDir != "" {
		return db.affectedIndexed(ctx, res, id, roots, indexDir, bySrc)
	}
	locks, err := FindLocks(roots)
	if err != nil {
		return nil, err
	}
	res.Locks = len(locks)
	needles := make([][]byte, len(res.Sources))
	for i, s := range res.Sources {
		needles[i] = []byte(`"` + s + `"`)
	}

	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range work {
				hits, err := db.scanLock(path, id, needles, bySrc)
				mu.Lock()
				if err != nil {
					res.Errors = append(res.Errors, err.Error())
				}
				res.Hits = append(res.Hits, hits...)
				mu.Unlock()
			}
		}()
	}
	for _, p := range locks {
		if ctx.Err() != nil {
			break
		}
		work <- p
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sortHits(res)
	return res, nil
}

// scanLock finds the affected packages of one lock.
func (db *DB) scanLock(path, id string, needles [][]byte, bySrc map[string][]Record) ([]Hit, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var cands []manifest.Package
	fast := true
	for _, n := range needles {
		for off := 0; ; {
			i := bytes.Index(data[off:], n)
			if i < 0 {
				break
			}
			i += off
			off = i + len(n)
			p, ok := enclosingPackage(data, i)
			if !ok {
				fast = false
				break
			}
			if p != nil {
				cands = append(cands, *p)
			}
		}
		if !fast {
			break
		}
	}
	var vm, release string
	if !fast {
		l, err := manifest.Decode(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cands, vm, release = l.Packages, l.VM, l.Release
	} else {
		if len(cands) == 0 {
			return nil, nil
		}
		vm, release = topString(data, "vm"), topString(data, "release")
	}
	rel := ReleaseOf(&manifest.Lock{Release: release})
	var hits []Hit
	seen := map[string]bool{}
	for _, p := range cands {
		src, sv := Installed{Name: p.Name, Version: p.Version, Source: p.Source, SourceVersion: p.SourceVersion}.src()
		k := p.Name + "\x00" + p.Arch + "\x00" + p.Version
		if seen[k] {
			continue
		}
		seen[k] = true
		var recs []Record
		for _, r := range bySrc[src] {
			if r.Release == rel {
				recs = append(recs, r)
			}
		}
		if len(recs) == 0 {
			continue
		}
		// Match against every record of this source so that DSA/CVE
		// merging works as in an audit, then keep the advisory asked for.
		for _, m := range matchSource(db.Records(rel, src), sv) {
			if !m.rec.names(id) && !contains(m.related, id) {
				continue
			}
			hits = append(hits, Hit{Lock: path, VM: vm, Release: rel, Package: p.Name, Version: p.Version, Arch: p.Arch,
				Source: src, SourceVersion: sv, Advisory: m.rec.ID, Related: m.related, Status: m.rec.status(), Fixed: m.rec.fixVersion()})
		}
	}
	return hits, nil
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// enclosingPackage decodes the JSON object around offset i when it is a
// package of the lock. ok is false when the surroundings are not the
// simple shape pdvm writes (the caller then decodes the whole lock); p is
// nil when the match is not a package's name or source.
func enclosingPackage(data []byte, i int) (p *manifest.Package, ok bool) {
	s := bytes.LastIndexByte(data[:i], '{')
	if s < 0 {
		return nil, false
	}
	if c := bytes.LastIndexByte(data[:i], '}'); c > s {
		return nil, false // an object closed between: not inside a flat object
	}
	e := bytes.IndexByte(data[i:], '}')
	if e < 0 {
		return nil, false
	}
	obj := data[s : i+e+1]
	if !bytes.Contains(obj, []byte(`"sha256"`)) || !bytes.Contains(obj, []byte(`"source_version"`)) {
		return nil, true // e.g. a reason string or another object
	}
	var pkg manifest.Package
	if json.Unmarshal(obj, &pkg) != nil {
		return nil, false
	}
	return &pkg, true
}

// topString returns the value of the first "key": "value" pair in data.
func topString(data []byte, key string) string {
	k := []byte(`"` + key + `"`)
	i := bytes.Index(data, k)
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(data[i+len(k):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	dec := json.NewDecoder(bytes.NewReader(rest))
	var s string
	if dec.Decode(&s) != nil {
		return ""
	}
	return s
}

func (db *DB) affectedIndexed(ctx context.Context, res *FleetResult, id string, roots []string, dir string, bySrc map[string][]Record) (*FleetResult, error) {
	ix, err := updateFleetIndex(ctx, dir, roots)
	if err != nil {
		return nil, err
	}
	res.Locks = len(ix.locks)
	for _, l := range ix.locks {
		if l.err != "" {
			res.Errors = append(res.Errors, l.err)
		}
	}
	for _, src := range res.Sources {
		for _, e := range ix.entries(src) {
			l := ix.locks[e.lock]
			rel := ReleaseOf(&manifest.Lock{Release: l.release})
			for _, m := range matchSource(db.Records(rel, src), e.p.sourceVersion) {
				if !m.rec.names(id) && !contains(m.related, id) {
					continue
				}
				res.Hits = append(res.Hits, Hit{Lock: l.path, VM: l.vm, Release: rel, Package: e.p.name, Version: e.p.version, Arch: e.p.arch,
					Source: src, SourceVersion: e.p.sourceVersion, Advisory: m.rec.ID, Related: m.related, Status: m.rec.status(), Fixed: m.rec.fixVersion()})
			}
		}
	}
	sortHits(res)
	return res, nil
}

func sortHits(res *FleetResult) {
	sort.Slice(res.Hits, func(i, j int) bool {
		a, b := &res.Hits[i], &res.Hits[j]
		if a.Lock != b.Lock {
			return a.Lock < b.Lock
		}
		return a.Package+"\x00"+a.Arch < b.Package+"\x00"+b.Arch
	})
	sort.Strings(res.Errors)
}
