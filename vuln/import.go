package vuln

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Feed kinds.
const (
	KindTracker = "tracker"
	KindOSV     = "osv"
)

// maxDownload bounds a fetched feed (the full tracker JSON is tens of MB).
const maxDownload = 1 << 30

// Import reads one feed: kind is KindTracker or KindOSV; location is a
// file, a directory (OSV: every *.json below it), a .zip of OSV records, or
// an http(s) URL. gzip-compressed input is accepted. Either every record is
// returned or an error (a *[RecordError] for malformed data): nothing is
// half-imported.
func Import(ctx context.Context, client *http.Client, kind, location string) ([]Record, FeedInfo, error) {
	info := FeedInfo{Kind: kind, Location: location, Fetched: time.Now().UTC()}
	if kind != KindTracker && kind != KindOSV {
		return nil, info, fmt.Errorf("unknown feed kind %q", kind)
	}
	var files []namedData
	switch {
	case strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://"):
		b, date, err := fetchURL(ctx, client, location)
		if err != nil {
			return nil, info, err
		}
		info.Date = date
		files = []namedData{{location, b}}
	default:
		fi, err := os.Stat(location)
		if err != nil {
			return nil, info, fmt.Errorf("reading %s feed: %w", kind, err)
		}
		info.Date = fi.ModTime().UTC()
		if fi.IsDir() {
			if kind == KindTracker {
				return nil, info, fmt.Errorf("reading tracker feed: %s is a directory; give the tracker JSON file", location)
			}
			files, err = readDir(location)
			if err != nil {
				return nil, info, err
			}
		} else {
			b, err := os.ReadFile(location)
			if err != nil {
				return nil, info, fmt.Errorf("reading %s feed: %w", kind, err)
			}
			files = []namedData{{location, b}}
		}
	}
	// Unpack gzip and zip containers.
	var flat []namedData
	for _, f := range files {
		fs, err := unpack(f)
		if err != nil {
			return nil, info, err
		}
		flat = append(flat, fs...)
	}
	h := sha256.New()
	var recs []Record
	var newest time.Time
	for _, f := range flat {
		h.Write([]byte(f.name))
		h.Write(f.data)
		switch kind {
		case KindTracker:
			rs, err := ParseTracker(f.name, f.data)
			if err != nil {
				return nil, info, err
			}
			recs = append(recs, rs...)
		case KindOSV:
			rs, mod, err := ParseOSV(f.name, f.data)
			if err != nil {
				return nil, info, err
			}
			if mod.After(newest) {
				newest = mod
			}
			recs = append(recs, rs...)
		}
	}
	if !newest.IsZero() {
		info.Date = newest.UTC()
	}
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	info.Records = len(recs)
	info.Files = len(flat)
	if len(recs) == 0 {
		return nil, info, fmt.Errorf("reading %s feed %s: no Debian records found", kind, location)
	}
	return recs, info, nil
}

type namedData struct {
	name string
	data []byte
}

func fetchURL(ctx context.Context, client *http.Client, url string) ([]byte, time.Time, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("fetching %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, time.Time{}, fmt.Errorf("fetching %s: server answered %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("fetching %s: %w", url, err)
	}
	if len(b) > maxDownload {
		return nil, time.Time{}, fmt.Errorf("fetching %s: larger than %d bytes", url, maxDownload)
	}
	date := time.Now().UTC()
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		date = lm.UTC()
	}
	return b, date, nil
}

func readDir(dir string) ([]namedData, error) {
	var out []namedData
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		n := d.Name()
		if !strings.HasSuffix(n, ".json") && !strings.HasSuffix(n, ".json.gz") && !strings.HasSuffix(n, ".zip") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, namedData{p, b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading OSV directory %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	if len(out) == 0 {
		return nil, fmt.Errorf("reading OSV directory %s: no *.json files", dir)
	}
	return out, nil
}

func unpack(f namedData) ([]namedData, error) {
	switch {
	case bytes.HasPrefix(f.data, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bytes.NewReader(f.data))
		if err != nil {
			return nil, fmt.Errorf("decompressing %s: %w", f.name, err)
		}
		b, err := io.ReadAll(io.LimitReader(zr, maxDownload))
		if err != nil {
			return nil, fmt.Errorf("decompressing %s: %w", f.name, err)
		}
		return []namedData{{f.name, b}}, nil
	case bytes.HasPrefix(f.data, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(f.data), int64(len(f.data)))
		if err != nil {
			return nil, fmt.Errorf("opening zip %s: %w", f.name, err)
		}
		var out []namedData
		for _, zf := range zr.File {
			if !strings.HasSuffix(zf.Name, ".json") {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				return nil, fmt.Errorf("reading %s:%s: %w", f.name, zf.Name, err)
			}
			b, err := io.ReadAll(io.LimitReader(rc, maxDownload))
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("reading %s:%s: %w", f.name, zf.Name, err)
			}
			out = append(out, namedData{f.name + ":" + zf.Name, b})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
		return out, nil
	}
	return []namedData{f}, nil
}

// Input names one feed to import.
type Input struct {
	Kind     string // KindTracker or KindOSV
	Location string // file, directory, .zip or URL
}

// Update imports every input and, only if all succeed, replaces those
// feeds in the store in one atomic write.
func Update(ctx context.Context, client *http.Client, s Store, inputs []Input) (*DB, error) {
	var feeds []FeedInfo
	var recs []Record
	for _, in := range inputs {
		rs, info, err := Import(ctx, client, in.Kind, in.Location)
		if err != nil {
			return nil, err
		}
		feeds = append(feeds, info)
		recs = append(recs, rs...)
	}
	if len(feeds) == 0 {
		return nil, fmt.Errorf("updating advisories: no feed given")
	}
	return s.Update(ctx, feeds, recs)
}
