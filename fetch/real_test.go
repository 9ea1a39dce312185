package fetch_test

import (
	"context"
	"sync"
	"testing"

	"pdvm.dev/pdvm/fetch"
	"pdvm.dev/pdvm/internal/realdeb"
	"pdvm.dev/pdvm/internal/testenv"
)

// TestRealFetchFromMirror downloads real .debs named by a lock from the
// Debian mirror into an empty cache, checks them against the signed
// index's SHA-256, and a second fetch is served from the cache.
func TestRealFetchFromMirror(t *testing.T) {
	testenv.Real(t)
	l := realdeb.Lock(t, "libcap2", "zlib1g", "nginx-common")
	items, err := fetch.Items(l)
	if err != nil {
		t.Fatal(err)
	}
	f := fetch.New(t.TempDir())
	r := &counter{}
	f.Progress = r
	if _, err := f.All(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if !f.Store.Has(it.SHA256, it.Size) {
			t.Errorf("%s not in the store", it.Name)
		}
	}
	if _, err := f.All(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	if r.fresh != 3 || r.cached != 3 {
		t.Errorf("fresh=%d cached=%d, want 3 and 3", r.fresh, r.cached)
	}
}

type counter struct {
	mu            sync.Mutex
	fresh, cached int
}

func (c *counter) Begin(fetch.Item, int64) {}
func (c *counter) Advance(fetch.Item, int) {}
func (c *counter) Done(_ fetch.Item, cached bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached {
		c.cached++
	} else if err == nil {
		c.fresh++
	}
}
