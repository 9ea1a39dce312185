// Package universe loads the package universe the way every pdvm verb
// wants it: the verified indexes from repo, then the parsed model from the
// binary cache when one exists for exactly those indexes, else a fresh
// parse that is written back to the cache (atomically) for next time.
package universe

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/repo"
)

// Timing says where loading spent its time (for --verbose and benchmarks).
type Timing struct {
	Indexes time.Duration // reading and verifying the index state
	Model   time.Duration // decoding the cache or parsing the indexes
	Cached  bool          // the model came from the binary cache
}

// Load returns the universe for cfg.
func Load(ctx context.Context, cfg repo.Config) (*archive.Universe, Timing, error) {
	var tm Timing
	t0 := time.Now()
	idx, err := repo.Load(ctx, cfg)
	if err != nil {
		return nil, tm, err
	}
	tm.Indexes = time.Since(t0)
	t1 := time.Now()
	defer func() { tm.Model = time.Since(t1) }()
	native := nativeArch(cfg)
	origins := make([]archive.Origin, len(idx))
	inputs := make([]archive.Input, len(idx))
	for i, ix := range idx {
		o := archive.Origin{
			Suite: ix.Suite, Codename: ix.Codename, Component: ix.Component, Arch: ix.Arch,
			InReleaseSHA256: ix.InReleaseSHA256, IndexSHA256: ix.SHA256,
			MirrorURL: ix.MirrorURL, Source: ix.Source,
		}
		if r := ix.Release; r != nil {
			if !r.Date.IsZero() {
				o.Date = r.Date.UTC().Format(time.RFC1123)
			}
			if !r.ValidUntil.IsZero() {
				o.ValidUntil = r.ValidUntil.UTC().Format(time.RFC1123)
			}
		}
		origins[i] = o
		inputs[i] = archive.Input{Origin: o, Open: ix.Open}
	}
	path, perr := cachePath(cfg, native, origins)
	if perr == nil {
		if data, err := os.ReadFile(path); err == nil {
			if u, err := archive.Decode(data); err == nil {
				tm.Cached = true
				tm.Model = time.Since(t1)
				return u, tm, nil
			}
			// A damaged cache is rebuilt, never trusted.
		}
	}
	u, err := archive.Build(ctx, native, inputs)
	if err != nil {
		return nil, tm, err
	}
	if perr == nil {
		var buf bytes.Buffer
		if err := u.Encode(&buf); err == nil {
			_ = os.MkdirAll(filepath.Dir(path), 0o755)
			_ = cache.WriteFile(path, buf.Bytes(), 0o644) // best effort: a failed write only costs a re-parse
		}
	}
	tm.Model = time.Since(t1)
	return u, tm, nil
}

func nativeArch(cfg repo.Config) string {
	for _, a := range cfg.Arches {
		if a != "all" {
			return a
		}
	}
	return "amd64"
}

// cachePath names the model cache by everything the model records about
// its indexes, so any change of index, signature date or mirror misses.
func cachePath(cfg repo.Config, native string, origins []archive.Origin) (string, error) {
	dir := cfg.CacheDir
	if dir == "" {
		d, err := cache.Dir()
		if err != nil {
			return "", err
		}
		dir = d
	}
	h := sha256.New()
	fmt.Fprintf(h, "universe v2\x00%s\x00", native)
	for _, o := range origins {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", o.Suite, o.Codename, o.Component, o.Arch, o.Date, o.ValidUntil, o.InReleaseSHA256, o.IndexSHA256, o.MirrorURL, o.Source)
	}
	return filepath.Join(dir, "universe", hex.EncodeToString(h.Sum(nil))[:32]+".bin"), nil
}
