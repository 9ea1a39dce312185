package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"pdvm.dev/pdvm/internal/cache"
)

type rec struct {
	mu            sync.Mutex
	cached, fresh int
	began         map[string]int64
}

func (r *rec) Begin(it Item, have int64) { r.mu.Lock(); r.began[it.Name] = have; r.mu.Unlock() }
func (r *rec) Advance(Item, int)         {}
func (r *rec) Done(it Item, cached bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cached {
		r.cached++
	} else if err == nil {
		r.fresh++
	}
}

func server(t *testing.T, files map[string][]byte) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var ranges []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		mu.Unlock()
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	}))
	t.Cleanup(s.Close)
	return s, &ranges
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestFetchParallelAndCached(t *testing.T) {
	files := map[string][]byte{}
	var items []Item
	for i := 0; i < 6; i++ {
		b := bytes.Repeat([]byte(fmt.Sprintf("deb%d", i)), 1000+i)
		p := fmt.Sprintf("/pool/p%d.deb", i)
		files[p] = b
		items = append(items, Item{Name: p, SHA256: sum(b), Size: int64(len(b))})
	}
	s, _ := server(t, files)
	for i := range items {
		items[i].URL = s.URL + items[i].Name
	}
	f := New(t.TempDir())
	r := &rec{began: map[string]int64{}}
	f.Progress = r
	paths, err := f.All(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		b, _ := os.ReadFile(p)
		if !bytes.Equal(b, files[items[i].Name]) {
			t.Errorf("%s: wrong content", items[i].Name)
		}
	}
	if _, err := f.All(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	if r.fresh != 6 || r.cached != 6 {
		t.Errorf("fresh=%d cached=%d, want 6 and 6", r.fresh, r.cached)
	}
}

func TestFetchRejectsWrongHash(t *testing.T) {
	s, _ := server(t, map[string][]byte{"/x.deb": []byte("evil content")})
	f := New(t.TempDir())
	_, err := f.One(context.Background(), Item{Name: "x.deb", URL: s.URL + "/x.deb", SHA256: sum([]byte("good content")), Size: 12})
	if !errors.Is(err, cache.ErrMismatch) {
		t.Fatalf("err = %v, want a mismatch", err)
	}
	if f.Store.Has(sum([]byte("good content")), -1) || f.Store.Has(sum([]byte("evil content")), -1) {
		t.Error("a mismatching download entered the store")
	}
}

func TestFetchResumes(t *testing.T) {
	b := bytes.Repeat([]byte("0123456789"), 10000)
	s, ranges := server(t, map[string][]byte{"/big.deb": b})
	dir := t.TempDir()
	f := New(dir)
	it := Item{Name: "big.deb", URL: s.URL + "/big.deb", SHA256: sum(b), Size: int64(len(b))}
	os.MkdirAll(filepath.Join(f.Store.Dir, "partial"), 0o755)
	os.WriteFile(filepath.Join(f.Store.Dir, "partial", it.SHA256+".part"), b[:40000], 0o644)
	r := &rec{began: map[string]int64{}}
	f.Progress = r
	p, err := f.One(context.Background(), it)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if !bytes.Equal(got, b) {
		t.Fatal("resumed file differs")
	}
	if len(*ranges) != 1 || (*ranges)[0] != "bytes=40000-" || r.began["big.deb"] != 40000 {
		t.Errorf("ranges %q, began at %d: want one request for bytes=40000-", *ranges, r.began["big.deb"])
	}
}
