package kernelsrc

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"pdvm.dev/pdvm/internal/testenv"
)

type entry struct {
	name, body, link string
}

func tarXZ(t *testing.T, entries []entry) []byte {
	t.Helper()
	var b bytes.Buffer
	xw, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(xw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		switch {
		case e.link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		case strings.HasSuffix(e.name, "/"):
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	xw.Close()
	return b.Bytes()
}

// fakeDeb builds an ar archive shaped like linux-source-6.1's .deb.
func fakeDeb(t *testing.T, inner []entry) []byte {
	t.Helper()
	data := tarXZ(t, []entry{{name: "./usr/"}, {name: "./usr/src/"}, {name: "./" + tarball, body: string(tarXZ(t, inner))}})
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	member := func(name string, body []byte) {
		fmt.Fprintf(&b, "%-16s%-12s%-6s%-6s%-8s%-10d`\n", name, "0", "0", "0", "100644", len(body))
		b.Write(body)
		if len(body)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	member("debian-binary", []byte("2.0\n"))
	member("control.tar.xz", []byte("x")) // odd length: tests padding
	member("data.tar.xz", data)
	return b.Bytes()
}

func TestUnpack(t *testing.T) {
	dir := t.TempDir()
	deb := filepath.Join(dir, "x.deb")
	os.WriteFile(deb, fakeDeb(t, []entry{
		{name: "linux-source-6.1/"},
		{name: "linux-source-6.1/Kconfig", body: "source \"arch/Kconfig\"\n"},
		{name: "linux-source-6.1/scripts/run.sh", body: "#!/bin/sh\n"},
		{name: "linux-source-6.1/link", link: "Kconfig"},
	}), 0o644)
	out := filepath.Join(dir, "out")
	if err := Unpack(context.Background(), deb, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "linux-source-6.1/Kconfig"))
	if err != nil || string(got) != "source \"arch/Kconfig\"\n" {
		t.Errorf("Kconfig: %q %v", got, err)
	}
	if l, err := os.Readlink(filepath.Join(out, "linux-source-6.1/link")); err != nil || l != "Kconfig" {
		t.Errorf("symlink: %q %v", l, err)
	}
}

func TestUnpackRejectsEscapingPaths(t *testing.T) {
	dir := t.TempDir()
	deb := filepath.Join(dir, "x.deb")
	os.WriteFile(deb, fakeDeb(t, []entry{{name: "../evil", body: "x"}}), 0o644)
	err := Unpack(context.Background(), deb, filepath.Join(dir, "out"))
	if err == nil || !strings.Contains(err.Error(), "unsafe path") {
		t.Fatalf("want unsafe path error, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "evil")); err == nil {
		t.Error("a file escaped the target directory")
	}
}

func TestUnpackNotADeb(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.deb")
	os.WriteFile(p, []byte("hello"), 0o644)
	if err := Unpack(context.Background(), p, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not an ar archive") {
		t.Errorf("got %v", err)
	}
}

// TestFetchVerifies serves a file that is not the pinned one: Fetch must
// refuse it and leave nothing in the cache that looks downloaded.
func TestFetchVerifies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debian/"+Filename {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("not the kernel"))
	}))
	defer srv.Close()
	cache := t.TempDir()
	_, err := Fetch(context.Background(), cache, srv.URL+"/debian/")
	if err == nil || !strings.Contains(err.Error(), "SHA256") {
		t.Fatalf("want a hash mismatch, got %v", err)
	}
	left, _ := os.ReadDir(cache)
	if len(left) != 0 {
		t.Errorf("cache not clean after a failed download: %v", left)
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/x")
	if d, _ := CacheDir(); d != "/x/pdvm/kernel" {
		t.Errorf("CacheDir = %s", d)
	}
}

// TestRealTree downloads (or reuses) the pinned linux-source .deb from the
// Debian mirror, checks its hash and unpacks it.
func TestRealTree(t *testing.T) {
	testenv.Real(t)
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := Tree(context.Background(), cache, "")
	if err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile(filepath.Join(dir, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"VERSION = 6", "PATCHLEVEL = 1", "SUBLEVEL = " + strings.TrimPrefix(KernelVersion, "6.1.")} {
		if !strings.Contains(string(mk), want+"\n") {
			t.Errorf("Makefile lacks %q", want)
		}
	}
	// A second call finds the tree without touching the network.
	again, err := Tree(context.Background(), cache, "http://127.0.0.1:1/")
	if err != nil || again != dir {
		t.Errorf("second Tree: %s %v", again, err)
	}
}
