// Package fetch downloads the .deb files of a lock into pdvm's
// content-addressed cache.
//
// Every file is named by the SHA-256 recorded in the lock, which comes from
// the archive's signed index, so a cache entry is trusted exactly as much
// as the signature: a download whose size or hash differs is discarded and
// reported. Downloads run in parallel (default 4 at a time). An interrupted
// download leaves a ".part" file that the next run resumes with an HTTP
// Range request; the part file is locked with flock(2) so two pdvm
// processes never append to the same one. The library reports progress
// through the [Progress] interface and never prints.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/manifest"
)

// Item is one file to fetch.
type Item struct {
	Name string // display name, e.g. nginx_1.22.1-9_amd64.deb
	URL  string // http(s):// or file://
	// Alternates are other mirrors of the lock to try when URL answers
	// 404 (the content is verified by SHA-256 either way).
	Alternates []string
	SHA256     string
	Size       int64
}

// Progress receives download events; implementations must be safe for
// concurrent use.
type Progress interface {
	// Begin is called when a download starts; have is the number of bytes
	// already present from an earlier, interrupted run.
	Begin(it Item, have int64)
	Advance(it Item, n int)
	// Done is called once per item; cached reports a cache hit.
	Done(it Item, cached bool, err error)
}

// Fetcher downloads items into Store.
type Fetcher struct {
	Store    cache.Store
	Client   *http.Client
	Jobs     int
	Progress Progress
}

// New returns a Fetcher storing into dir/debs.
func New(dir string) *Fetcher {
	return &Fetcher{Store: cache.Store{Dir: filepath.Join(dir, "debs")}, Client: http.DefaultClient, Jobs: 4}
}

// Items lists the .debs of a lock with their URLs.
func Items(l *manifest.Lock) ([]Item, error) {
	mirrors := map[string]string{}
	for _, s := range l.Archive {
		if s.MirrorURL != "" {
			mirrors[s.Suite] = s.MirrorURL
			if s.Codename != "" && mirrors[s.Codename] == "" {
				mirrors[s.Codename] = s.MirrorURL
			}
		}
	}
	var out []Item
	for _, p := range l.Packages {
		m := mirrors[p.Suite]
		if m == "" {
			return nil, fmt.Errorf("package %s: the lock has no mirror URL for suite %q", p.Name, p.Suite)
		}
		if p.SHA256 == "" || p.Filename == "" {
			return nil, fmt.Errorf("package %s: the lock has no filename or sha256", p.Name)
		}
		it := Item{Name: filepath.Base(p.Filename), URL: strings.TrimSuffix(m, "/") + "/" + p.Filename, SHA256: p.SHA256, Size: p.Size}
		seen := map[string]bool{m: true}
		for _, s := range l.Archive {
			if s.MirrorURL != "" && !seen[s.MirrorURL] {
				seen[s.MirrorURL] = true
				it.Alternates = append(it.Alternates, strings.TrimSuffix(s.MirrorURL, "/")+"/"+p.Filename)
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// All fetches every item and returns their cache paths in item order. It
// stops at the first error after letting running downloads finish.
func (f *Fetcher) All(ctx context.Context, items []Item) ([]string, error) {
	jobs := f.Jobs
	if jobs <= 0 {
		jobs = 4
	}
	paths := make([]string, len(items))
	errs := make([]error, len(items))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			paths[i], errs[i] = f.One(ctx, it)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("fetching %s: %w", items[i].Name, err)
		}
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("fetching %s: %w", items[i].Name, err)
		}
	}
	return paths, nil
}

// One fetches a single item (or finds it in the cache) and returns its path.
func (f *Fetcher) One(ctx context.Context, it Item) (string, error) {
	if f.Store.Has(it.SHA256, it.Size) {
		f.done(it, true, nil)
		return f.Store.Path(it.SHA256), nil
	}
	p, err := f.download(ctx, it)
	if errors.Is(err, cache.ErrMismatch) {
		// a corrupt partial file or mirror hiccup: one clean retry
		p, err = f.download(ctx, it)
	}
	f.done(it, false, err)
	return p, err
}

func (f *Fetcher) done(it Item, cached bool, err error) {
	if f.Progress != nil {
		f.Progress.Done(it, cached, err)
	}
}

func (f *Fetcher) download(ctx context.Context, it Item) (string, error) {
	partDir := filepath.Join(f.Store.Dir, "partial")
	if err := os.MkdirAll(partDir, 0o755); err != nil {
		return "", err
	}
	part := filepath.Join(partDir, it.SHA256+".part")
	pf, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return "", err
	}
	defer pf.Close()
	if err := flock(ctx, pf); err != nil {
		return "", err
	}
	// Another process may have finished it while we waited.
	if f.Store.Has(it.SHA256, it.Size) {
		return f.Store.Path(it.SHA256), nil
	}
	have, err := pf.Seek(0, io.SeekEnd)
	if err != nil {
		return "", err
	}
	if it.Size > 0 && have > it.Size {
		have = 0
		pf.Truncate(0)
		pf.Seek(0, io.SeekStart)
	}
	if f.Progress != nil {
		f.Progress.Begin(it, have)
	}
	if it.Size <= 0 || have < it.Size {
		body, resumed, err := f.open(ctx, it.URL, have)
		for _, alt := range it.Alternates {
			if !errors.Is(err, errNotFound) {
				break
			}
			body, resumed, err = f.open(ctx, alt, have)
		}
		if err != nil {
			return "", err
		}
		if !resumed && have > 0 {
			pf.Truncate(0)
			pf.Seek(0, io.SeekStart)
		}
		var r io.Reader = body
		if it.Size > 0 {
			r = io.LimitReader(body, it.Size-offsetOf(pf))
		}
		_, err = io.Copy(pf, &counter{r: r, f: f, it: it})
		body.Close()
		if err != nil {
			return "", fmt.Errorf("downloading %s: %w", it.URL, err)
		}
	}
	// Verify the whole file and move it into the store.
	if _, err := pf.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	h := sha256.New()
	n, err := io.Copy(h, pf)
	if err != nil {
		return "", err
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != it.SHA256 || (it.Size > 0 && n != it.Size) {
		os.Remove(part)
		return "", &cache.MismatchError{WantSHA256: it.SHA256, GotSHA256: got, WantSize: it.Size, GotSize: n}
	}
	if err := pf.Sync(); err != nil {
		return "", err
	}
	dst := f.Store.Path(it.SHA256)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(part, dst); err != nil {
		return "", fmt.Errorf("storing %s: %w", it.Name, err)
	}
	return dst, nil
}

// open returns the body from offset (resumed=true) or from the start.
func (f *Fetcher) open(ctx context.Context, raw string, offset int64) (io.ReadCloser, bool, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, false, err
	}
	if u.Scheme == "file" {
		fh, err := os.Open(u.Path)
		if err != nil {
			return nil, false, err
		}
		if _, err := fh.Seek(offset, io.SeekStart); err != nil {
			fh.Close()
			return nil, false, err
		}
		return fh, true, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, false, err
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	c := f.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, false, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, false, nil
	case http.StatusPartialContent:
		return resp.Body, true, nil
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, false, fmt.Errorf("GET %s: %s: %w", raw, resp.Status, errNotFound)
	}
	return nil, false, fmt.Errorf("GET %s: %s", raw, resp.Status)
}

var errNotFound = errors.New("not found")

type counter struct {
	r  io.Reader
	f  *Fetcher
	it Item
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 && c.f.Progress != nil {
		c.f.Progress.Advance(c.it, n)
	}
	return n, err
}

func flock(ctx context.Context, f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sleep():
		}
	}
}
