package surface

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/manifest"
)

// scannerVersion changes whenever ScanDeb's results change, so cached
// scans are redone.
const scannerVersion = 4

// ScanAll scans the .deb of every package of l (paths by package name,
// as fetch returns them). Results are cached in dir by the .deb's SHA-256
// (dir "" disables the cache): a .deb's content never changes.
func ScanAll(ctx context.Context, l *manifest.Lock, paths map[string]string, dir string) (map[string]*Facts, error) {
	out := map[string]*Facts{}
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, p := range l.Packages {
		deb, ok := paths[p.Name]
		if !ok {
			continue
		}
		p := p
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f, err := scanCached(ctx, deb, p.SHA256, dir)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			out[p.Name] = f
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func scanCached(ctx context.Context, deb, sum, dir string) (*Facts, error) {
	var cp string
	if dir != "" && len(sum) == 64 {
		cp = filepath.Join(dir, fmt.Sprintf("%s.v%d.json", sum, scannerVersion))
		if b, err := os.ReadFile(cp); err == nil {
			var f Facts
			if json.Unmarshal(b, &f) == nil {
				return &f, nil
			}
		}
	}
	f, err := ScanDeb(ctx, deb)
	if err != nil {
		return nil, err
	}
	if cp != "" {
		if b, err := json.Marshal(f); err == nil {
			cache.WriteFile(cp, b, 0o644) // a cache: failure only costs a rescan
		}
	}
	return f, nil
}
