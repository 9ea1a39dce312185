package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"pdvm.dev/pdvm/debian/release"
	"pdvm.dev/pdvm/internal/cache"
)

type suiteResult struct {
	state   suiteState
	indexes []Index
}

// maxInRelease bounds an InRelease download (Debian's is about 150 kB).
const maxInRelease = 32 << 20

// Now is the clock used for Release date checks (a variable for tests).
var Now = time.Now

func (p *plan) fetchSuite(ctx context.Context, sp suitePlan) (suiteResult, error) {
	base := sp.Mirror + "/dists/" + sp.Suite + "/"
	inURL := base + "InRelease"
	p.progress(fmt.Sprintf("%s: fetching %s", sp.Suite, inURL))
	data, err := fetch(ctx, inURL, maxInRelease)
	if err != nil {
		return suiteResult{}, err
	}
	r, err := p.verify(sp, data, inURL)
	if err != nil {
		return suiteResult{}, err
	}
	if err := r.Check(Now()); err != nil {
		return suiteResult{}, fmt.Errorf("checking %s: %w", inURL, err)
	}
	sum := sha256.Sum256(data)
	res := suiteResult{state: suiteState{suitePlan: sp, InRelease: hex.EncodeToString(sum[:]), Origin: inURL}}
	sel, err := p.selection(sp, r, inURL)
	if err != nil {
		return suiteResult{}, err
	}
	for _, ca := range sel {
		is, fetched, err := p.fetchIndex(ctx, sp, r, base, ca[0], ca[1])
		if err != nil {
			return suiteResult{}, err
		}
		res.state.Indexes = append(res.state.Indexes, is)
		res.indexes = append(res.indexes, p.index(res.state, r, is, fetched))
	}
	// Store InRelease last: a cached InRelease implies its indexes are
	// there too.
	if _, _, err := p.store.Put(bytes.NewReader(data), res.state.InRelease, int64(len(data))); err != nil {
		return suiteResult{}, fmt.Errorf("caching %s: %w", inURL, err)
	}
	for i := range res.indexes {
		res.indexes[i].InReleaseSHA256 = res.state.InRelease
	}
	return res, nil
}

// fetchIndex makes sure the decompressed Packages index for (comp, arch) is
// in the store, downloading it if needed.
func (p *plan) fetchIndex(ctx context.Context, sp suitePlan, r *release.Release, base, comp, arch string) (indexState, int64, error) {
	name := comp + "/binary-" + arch + "/Packages"
	plain, hasPlain := r.File(name)
	is := indexState{Component: comp, Arch: arch, Name: name}
	if hasPlain && p.store.Has(plain.SHA256, plain.Size) {
		is.SHA256, is.Size, is.URL = plain.SHA256, plain.Size, base+name
		p.progress(fmt.Sprintf("%s: %s unchanged (cached)", sp.Suite, name))
		return is, 0, nil
	}
	// Prefer the compression that decodes fastest.
	var entry release.File
	var ext string
	for _, c := range []string{".gz", ".xz", ""} {
		if e, ok := r.File(name + c); ok {
			entry, ext = e, c
			break
		}
	}
	if entry.Path == "" {
		return is, 0, &MissingIndexError{Suite: sp.Suite, Component: comp, Arch: arch, Source: base + "InRelease",
			Architectures: r.Architectures, Components: r.Components}
	}
	u := base + entry.Path
	if r.AcquireByHash {
		u = base + path.Dir(entry.Path) + "/by-hash/SHA256/" + entry.SHA256
	}
	p.progress(fmt.Sprintf("%s: fetching %s (%s)", sp.Suite, entry.Path, humanBytes(entry.Size)))
	data, err := p.download(ctx, sp.Suite, u, entry)
	var nf *NotFoundError
	if errors.As(err, &nf) && u != base+entry.Path {
		// apt falls back to the plain name if a by-hash file is missing.
		u = base + entry.Path
		data, err = p.download(ctx, sp.Suite, u, entry)
	}
	if err != nil {
		return is, 0, err
	}
	// Only now, with the compressed bytes verified, decompress.
	pend, err := p.store.Pending()
	if err != nil {
		return is, 0, err
	}
	defer pend.Abort()
	if err := decompress(pend, bytes.NewReader(data), ext); err != nil {
		return is, 0, &CorruptIndexError{File: entry.Path, Source: u, Err: err}
	}
	want, wantSize := "", int64(-1)
	if hasPlain {
		want, wantSize = plain.SHA256, plain.Size
	}
	got, gotSize := pend.SHA256(), pend.Size()
	if _, err := p.store.Commit(pend, want, wantSize); err != nil {
		var me *cache.MismatchError
		if errors.As(err, &me) {
			return is, 0, &HashMismatchError{File: name, Source: u + " (decompressed)", WantSHA256: want, GotSHA256: got, WantSize: wantSize, GotSize: gotSize}
		}
		return is, 0, err
	}
	is.SHA256, is.Size, is.URL = got, gotSize, u
	return is, int64(len(data)), nil
}

// download fetches u into memory and checks it against the signed entry.
func (p *plan) download(ctx context.Context, suite, u string, entry release.File) ([]byte, error) {
	body, _, err := open(ctx, u)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	var buf bytes.Buffer
	if entry.Size < 256<<20 {
		buf.Grow(int(entry.Size))
	}
	h := sha256.New()
	var w io.Writer = io.MultiWriter(&buf, h)
	if entry.Size >= progressMin {
		w = &progressWriter{w: w, total: entry.Size, report: func(done int64) {
			p.progress(fmt.Sprintf("%s: %s: %s of %s", suite, entry.Path, humanBytes(done), humanBytes(entry.Size)))
		}}
	}
	_, err = io.Copy(w, io.LimitReader(body, entry.Size+1))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("fetching %s: %w", u, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if int64(buf.Len()) != entry.Size || got != entry.SHA256 {
		return nil, &HashMismatchError{File: entry.Path, Source: u, WantSHA256: entry.SHA256, GotSHA256: got, WantSize: entry.Size, GotSize: int64(buf.Len())}
	}
	return buf.Bytes(), nil
}

// importAptLists takes a suite from apt's lists, verifying it like a
// download.
func (p *plan) importAptLists(sp suitePlan) (suiteResult, error) {
	inName := AptListName(sp.Mirror, "dists/"+sp.Suite+"/InRelease")
	inPath := filepath.Join(AptListsDir, inName)
	data, err := os.ReadFile(inPath)
	if err != nil {
		return suiteResult{}, &AptListsError{Dir: AptListsDir, File: inPath, Err: fmt.Errorf("no InRelease for %s from %s: %w", sp.Suite, sp.Mirror, err)}
	}
	r, err := p.verify(sp, data, inPath)
	if err != nil {
		return suiteResult{}, err
	}
	p.warnDates(sp.Suite, r)
	sum := sha256.Sum256(data)
	res := suiteResult{state: suiteState{suitePlan: sp, InRelease: hex.EncodeToString(sum[:]), Origin: inPath}}
	sel, err := p.selection(sp, r, inPath)
	if err != nil {
		return suiteResult{}, err
	}
	for _, ca := range sel {
		name := ca[0] + "/binary-" + ca[1] + "/Packages"
		plain, ok := r.File(name)
		if !ok {
			return suiteResult{}, &AptListsError{Dir: AptListsDir, File: inPath,
				Err: fmt.Errorf("the Release does not list the uncompressed %s, so apt's copy cannot be checked", name)}
		}
		is := indexState{Component: ca[0], Arch: ca[1], Name: name, SHA256: plain.SHA256, Size: plain.Size}
		stem := filepath.Join(AptListsDir, AptListName(sp.Mirror, "dists/"+sp.Suite+"/"+name))
		found := ""
		for _, c := range []string{".lz4", "", ".gz", ".xz", ".zst"} {
			if _, err := os.Stat(stem + c); err == nil {
				found = stem + c
				is.URL = found
				if !p.store.Has(plain.SHA256, plain.Size) {
					if err := p.importFile(found, c, name, plain); err != nil {
						return suiteResult{}, err
					}
				}
				break
			}
		}
		if found == "" {
			if ca[1] == "all" {
				continue // apt does not download binary-all for every suite
			}
			return suiteResult{}, &AptListsError{Dir: AptListsDir, File: stem + ".lz4", Err: fmt.Errorf("no %s for %s: %w", name, sp.Suite, fs.ErrNotExist)}
		}
		p.progress(fmt.Sprintf("%s: %s from %s", sp.Suite, name, found))
		res.state.Indexes = append(res.state.Indexes, is)
		res.indexes = append(res.indexes, p.index(res.state, r, is, 0))
	}
	if _, _, err := p.store.Put(bytes.NewReader(data), res.state.InRelease, int64(len(data))); err != nil {
		return suiteResult{}, fmt.Errorf("caching %s: %w", inPath, err)
	}
	return res, nil
}

func (p *plan) importFile(file, ext, name string, plain release.File) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("reading apt list: %w", err)
	}
	defer f.Close()
	pend, err := p.store.Pending()
	if err != nil {
		return err
	}
	defer pend.Abort()
	if err := decompress(pend, f, ext); err != nil {
		return &CorruptIndexError{File: name, Source: file, Err: err}
	}
	got, gotSize := pend.SHA256(), pend.Size()
	if _, err := p.store.Commit(pend, plain.SHA256, plain.Size); err != nil {
		var me *cache.MismatchError
		if errors.As(err, &me) {
			return &HashMismatchError{File: name, Source: file, WantSHA256: plain.SHA256, GotSHA256: got, WantSize: plain.Size, GotSize: gotSize}
		}
		return err
	}
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// AptListName is the name apt gives a mirror file in /var/lib/apt/lists
// (apt's URItoFileName): the URI without scheme and credentials, with
// special characters %-escaped, and '/' replaced by '_'. For example
// http://deb.debian.org/debian and dists/bookworm/InRelease give
// deb.debian.org_debian_dists_bookworm_InRelease.
func AptListName(mirror, rel string) string {
	u := mirror
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if at := strings.IndexByte(u, '@'); at >= 0 && at < strings.IndexByte(u+"/", '/') {
		u = u[at+1:]
	}
	u = strings.TrimRight(u, "/") + "/" + rel
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c == '/':
			b.WriteByte('_')
		case c <= 0x20 || c >= 0x7f || strings.IndexByte("\\|{}[]<>\"^~_=!@#$%&*", c) >= 0:
			fmt.Fprintf(&b, "%%%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// progressMin is the size from which downloads report their progress.
const progressMin = 4 << 20

// progressWriter reports every quarter of the expected total.
type progressWriter struct {
	w      io.Writer
	n      int64
	total  int64
	next   int64
	report func(done int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if p.next == 0 {
		p.next = p.total / 4
	}
	for p.n >= p.next && p.next < p.total {
		p.report(p.n)
		p.next += p.total / 4
	}
	return n, err
}
