package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pdvm.dev/pdvm/internal/testenv"
)

// checkReal reads every index through Open and checks its SHA-256 and
// size independently against the signed Release.
func checkReal(t *testing.T, got []Index) {
	t.Helper()
	suites := map[string]bool{}
	for _, ix := range got {
		suites[ix.Suite] = true
		rc, err := ix.Open()
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s %s: %v", ix.Suite, ix.Name, err)
		}
		sum := hex.EncodeToString(h.Sum(nil))
		e, ok := ix.Release.File(ix.Name)
		if !ok || e.SHA256 != sum || e.Size != n || ix.SHA256 != sum {
			t.Errorf("%s %s: read %d bytes sha256 %s; Release says %+v; Index.SHA256 %s", ix.Suite, ix.Name, n, sum, e, ix.SHA256)
		}
		if !ix.Release.Signatures[0].Verified && !ix.Release.Signatures[len(ix.Release.Signatures)-1].Verified {
			t.Errorf("%s: no verified signature", ix.Suite)
		}
	}
	for _, s := range DefaultSuites {
		if !suites[s] {
			t.Errorf("no index for suite %s", s)
		}
	}
}

// TestRealUpdate fetches bookworm, bookworm-updates and bookworm-security
// from the mirrors in this machine's apt sources into an empty cache.
func TestRealUpdate(t *testing.T) {
	testenv.Real(t)
	cfg := DefaultConfig()
	cfg.CacheDir = t.TempDir()
	cfg.Progress = func(s string) { t.Log(s) }
	start := time.Now()
	got, err := Update(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	elapsed := time.Since(start)
	var fetched, size int64
	for _, ix := range got {
		fetched += ix.Fetched
		size += ix.Size
		t.Logf("%-18s %-30s %9d bytes fetched from %s", ix.Suite, ix.Name, ix.Fetched, ix.URL)
		if ix.Fetched == 0 {
			t.Errorf("%s %s: nothing fetched into an empty cache", ix.Suite, ix.Name)
		}
	}
	t.Logf("cold Update: %v, %d indexes, %.1f MB downloaded, %.1f MB decompressed", elapsed.Round(time.Millisecond), len(got), float64(fetched)/1e6, float64(size)/1e6)
	checkReal(t, got)

	start = time.Now()
	again, err := Update(context.Background(), cfg)
	if err != nil {
		t.Fatalf("second Update: %v", err)
	}
	t.Logf("warm Update (InRelease only): %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	loaded, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Logf("Load: %v", time.Since(start).Round(time.Millisecond))
	if len(again) != len(got) || len(loaded) != len(got) {
		t.Errorf("Update, Update, Load gave %d, %d, %d indexes", len(got), len(again), len(loaded))
	}
}

// TestRealLoadOfflineAptLists imports the machine's /var/lib/apt/lists
// (lz4) and checks each index against lz4(1)'s own decompression.
func TestRealLoadOfflineAptLists(t *testing.T) {
	testenv.Real(t, "lz4")
	cfg := DefaultConfig()
	cfg.CacheDir = t.TempDir()
	cfg.Offline = true
	cfg.Progress = func(s string) { t.Log(s) }
	start := time.Now()
	got, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Load offline: %v", err)
	}
	t.Logf("offline import from %s: %v", AptListsDir, time.Since(start).Round(time.Millisecond))
	checkReal(t, got)
	for _, ix := range got {
		if !strings.HasPrefix(ix.URL, AptListsDir) {
			t.Errorf("%s %s came from %s, not %s", ix.Suite, ix.Name, ix.URL, AptListsDir)
			continue
		}
		if filepath.Ext(ix.URL) != ".lz4" {
			continue
		}
		out, err := exec.Command("sh", "-c", "lz4 -dc < '"+ix.URL+"' | sha256sum").Output()
		if err != nil {
			t.Fatalf("lz4: %v", err)
		}
		if f := strings.Fields(string(out)); len(f) == 0 || f[0] != ix.SHA256 {
			t.Errorf("%s: lz4 -dc | sha256sum = %q, pdvm says %s", ix.URL, out, ix.SHA256)
		}
	}
	// The second Load uses the cache, not the lists.
	start = time.Now()
	again, err := Load(context.Background(), cfg)
	if err != nil || len(again) != len(got) {
		t.Fatalf("second Load: %d indexes, %v", len(again), err)
	}
	t.Logf("Load from cache: %v", time.Since(start).Round(time.Millisecond))
}
