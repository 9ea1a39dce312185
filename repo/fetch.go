package repo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
)

var httpClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		MaxIdleConnsPerHost:   4,
		// Indexes are compressed already; let Go not negotiate gzip
		// transfer encoding so byte counts are the file's.
		DisableCompression: true,
	},
}

// normalizeMirror checks a mirror URL and returns it without a trailing
// slash. A bare absolute path is taken as file://.
func normalizeMirror(m string) (string, error) {
	if strings.HasPrefix(m, "/") {
		m = "file://" + m
	}
	u, err := url.Parse(m)
	if err != nil {
		return "", fmt.Errorf("mirror URL %q: %w", m, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return "", fmt.Errorf("mirror URL %q has no host", m)
		}
	case "file":
		if u.Path == "" || !strings.HasPrefix(u.Path, "/") {
			return "", fmt.Errorf("mirror URL %q: want file:///absolute/path", m)
		}
	default:
		return "", fmt.Errorf("mirror URL %q: scheme %q not supported (use http, https or file)", m, u.Scheme)
	}
	return strings.TrimRight(m, "/"), nil
}

// open returns the body of a file:// or http(s):// URL and its length (-1
// if unknown).
func open(ctx context.Context, rawURL string) (io.ReadCloser, int64, error) {
	if strings.HasPrefix(rawURL, "file://") {
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, 0, fmt.Errorf("fetching %s: %w", rawURL, err)
		}
		f, err := os.Open(u.Path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, &NotFoundError{URL: rawURL}
		}
		if err != nil {
			return nil, 0, fmt.Errorf("fetching %s: %w", rawURL, err)
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, 0, fmt.Errorf("fetching %s: not a regular file", rawURL)
		}
		return f, fi.Size(), nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("fetching %s: %w", rawURL, err)
	}
	req.Header.Set("User-Agent", "pdvm (+https://pdvm.dev)")
	resp, err := httpClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("fetching %s: %w", rawURL, ctx.Err())
		}
		return nil, 0, &UnreachableError{URL: rawURL, Err: unwrapURLError(err)}
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return resp.Body, resp.ContentLength, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		return nil, 0, &NotFoundError{URL: rawURL}
	default:
		resp.Body.Close()
		return nil, 0, &HTTPError{URL: rawURL, Status: resp.Status}
	}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// fetch reads a whole URL into memory, refusing more than limit bytes.
func fetch(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	body, _, err := open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("fetching %s: %w", rawURL, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("fetching %s: larger than %d bytes", rawURL, limit)
	}
	return data, nil
}

// compression is a Packages variant, in order of preference: the ones that
// decode fastest first.
type compression struct {
	ext  string
	open func(io.Reader) (io.ReadCloser, error)
}

var compressions = []compression{
	{".gz", func(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) }},
	{".lz4", func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(lz4.NewReader(r)), nil }},
	{".zst", func(r io.Reader) (io.ReadCloser, error) {
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}},
	{".xz", func(r io.Reader) (io.ReadCloser, error) {
		// ulikunitz/xz reads byte by byte: always buffer its input.
		if _, ok := r.(io.ByteReader); !ok {
			r = bufio.NewReaderSize(r, 1<<20)
		}
		x, err := xz.NewReader(r)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(x), nil
	}},
	{"", func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(r), nil }},
}

// decompress copies the decompressed content of data (compressed as ext
// says) to w.
func decompress(w io.Writer, r io.Reader, ext string) error {
	for _, c := range compressions {
		if c.ext != ext {
			continue
		}
		rc, err := c.open(r)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return fmt.Errorf("unknown compression %q", ext)
}
