package debx

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tentry is one hand-made tar entry.
type tentry struct {
	name, body, link string
	typ              byte
	size             int64 // overrides len(body) in the header when > 0
	mode             int64
}

// makeDeb writes a .deb (ar: debian-binary, control.tar.gz, data.tar.gz)
// holding entries; a header with a size override is written without a body
// and ends the archive there.
func makeDeb(t *testing.T, dir string, entries []tentry) string {
	t.Helper()
	var data bytes.Buffer
	gz := gzip.NewWriter(&data)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, ModTime: time.Unix(1700000000, 0), Format: tar.FormatGNU}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if e.size > 0 {
			h.Size = e.size
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			tw.Flush()
			gz.Close()
			goto done
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	gz.Close()
done:
	var ctl bytes.Buffer
	cgz := gzip.NewWriter(&ctl)
	ctw := tar.NewWriter(cgz)
	c := "Package: hostile\nVersion: 1\nArchitecture: all\n"
	ctw.WriteHeader(&tar.Header{Name: "./control", Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg})
	ctw.Write([]byte(c))
	ctw.Close()
	cgz.Close()
	var deb bytes.Buffer
	deb.WriteString("!<arch>\n")
	for _, m := range []struct {
		name string
		b    []byte
	}{{"debian-binary", []byte("2.0\n")}, {"control.tar.gz", ctl.Bytes()}, {"data.tar.gz", data.Bytes()}} {
		fmt.Fprintf(&deb, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", m.name, 0, 0, 0, "100644", len(m.b))
		deb.Write(m.b)
		if len(m.b)%2 == 1 {
			deb.WriteByte('\n')
		}
	}
	p := filepath.Join(dir, "pkg.deb")
	if err := os.WriteFile(p, deb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func dir(name string) tentry { return tentry{name: name, typ: tar.TypeDir, mode: 0o755} }
func file(name, body string) tentry {
	return tentry{name: name, body: body, typ: tar.TypeReg}
}

// setup gives a sandbox: root/ (extraction target) next to outside/ (must
// stay untouched).
func setup(t *testing.T) (sandbox string, root *Root) {
	sb := t.TempDir()
	os.MkdirAll(filepath.Join(sb, "root"), 0o755)
	os.MkdirAll(filepath.Join(sb, "outside"), 0o755)
	r, err := OpenRoot(filepath.Join(sb, "root"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return sb, r
}

// outsideUntouched fails if anything but root/ and outside/ exists in the
// sandbox or anything exists in outside/.
func outsideUntouched(t *testing.T, sb string) {
	t.Helper()
	ents, _ := os.ReadDir(sb)
	for _, e := range ents {
		if e.Name() != "root" && e.Name() != "outside" && e.Name() != "pkg.deb" {
			t.Errorf("file written outside the root: %s", e.Name())
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(sb, "outside")); len(ents) > 0 {
		t.Errorf("file written outside the root: outside/%s", ents[0].Name())
	}
}

func TestExtractGood(t *testing.T) {
	sb, root := setup(t)
	deb := makeDeb(t, sb, []tentry{
		dir("./"), dir("./usr/"), dir("./usr/bin/"),
		{name: "./usr/bin/tool", body: "#!/bin/sh\n", typ: tar.TypeReg, mode: 0o755},
		{name: "./usr/bin/alias", link: "tool", typ: tar.TypeSymlink},
		{name: "./usr/bin/awk", link: "/etc/alternatives/awk", typ: tar.TypeSymlink},
		{name: "./usr/bin/hard", link: "./usr/bin/tool", typ: tar.TypeLink},
		{name: "./usr/share/deep/x", link: "../../bin/tool", typ: tar.TypeSymlink},
	})
	ents, err := Extract(context.Background(), deb, root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 7 {
		t.Errorf("got %d entries, want 7: %v", len(ents), ents)
	}
	b, err := os.ReadFile(filepath.Join(sb, "root/usr/bin/hard"))
	if err != nil || string(b) != "#!/bin/sh\n" {
		t.Errorf("hard link content %q, %v", b, err)
	}
	if l, _ := os.Readlink(filepath.Join(sb, "root/usr/bin/awk")); l != "/etc/alternatives/awk" {
		t.Errorf("absolute symlink target changed: %q", l)
	}
	if fi, _ := os.Stat(filepath.Join(sb, "root/usr/bin/tool")); fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v", fi.Mode())
	}
	outsideUntouched(t, sb)
}

func TestExtractHostile(t *testing.T) {
	outside := func(sb string) string { return filepath.Join(sb, "outside") }
	cases := []struct {
		name    string
		entries func(sb string) []tentry
		want    error
		msg     string
	}{
		{"dotdot", func(string) []tentry { return []tentry{file("./../outside/evil", "x")} }, ErrUnsafe, `contains ".."`},
		{"dotdot-deep", func(string) []tentry { return []tentry{dir("./a/"), file("./a/../../outside/evil", "x")} }, ErrUnsafe, `".."`},
		{"absolute", func(sb string) []tentry { return []tentry{file(outside(sb)+"/evil", "x")} }, ErrUnsafe, "absolute path"},
		{"symlink-relative-out", func(string) []tentry {
			return []tentry{{name: "./etc/x", link: "../../outside", typ: tar.TypeSymlink}}
		}, ErrUnsafe, "points outside the root"},
		{"symlink-then-write-through", func(sb string) []tentry {
			// an absolute symlink is legal, but it means the path inside the
			// root: writing through it must never reach the host directory.
			return []tentry{{name: "./link", link: outside(sb), typ: tar.TypeSymlink}, file("./link/pwned", "x")}
		}, nil, ""},
		{"hardlink-out", func(string) []tentry {
			return []tentry{{name: "./h", link: "../outside/x", typ: tar.TypeLink}}
		}, ErrUnsafe, "hard link"},
		{"hardlink-absolute", func(string) []tentry {
			return []tentry{{name: "./h", link: "/etc/passwd", typ: tar.TypeLink}}
		}, ErrUnsafe, "absolute"},
		{"hardlink-not-from-package", func(string) []tentry {
			return []tentry{{name: "./h", link: "etc/shadow", typ: tar.TypeLink}}
		}, ErrUnsafe, "not a regular file earlier"},
		{"device", func(string) []tentry { return []tentry{{name: "./dev/sda", typ: tar.TypeBlock}} }, ErrUnsafe, "device node"},
		{"absurd-size", func(string) []tentry { return []tentry{{name: "./big", typ: tar.TypeReg, size: 1 << 40}} }, ErrTooLarge, "above the"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sb, root := setup(t)
			deb := makeDeb(t, sb, c.entries(sb))
			_, err := Extract(context.Background(), deb, root, Options{MaxFileSize: 1 << 30})
			if c.want == nil {
				// the write-through case: any outcome but an escape is fine;
				// it must be either an error or a file inside the root.
				if err == nil {
					if _, serr := os.Stat(filepath.Join(sb, "root", outside(sb), "pwned")); serr != nil {
						t.Errorf("no error and no file inside the root")
					}
				}
			} else {
				if !errors.Is(err, c.want) {
					t.Fatalf("err = %v, want %v", err, c.want)
				}
				if !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "pkg.deb") {
					t.Errorf("error %q should name the .deb and say %q", err, c.msg)
				}
			}
			outsideUntouched(t, sb)
		})
	}
}

func TestExtractArLies(t *testing.T) {
	sb, root := setup(t)
	p := filepath.Join(sb, "pkg.deb")
	os.WriteFile(p, []byte("!<arch>\n"+fmt.Sprintf("%-16s%-12d%-6d%-6d%-8s%-10d`\n", "data.tar.gz", 0, 0, 0, "100644", int64(9999999999))), 0o644)
	_, err := Extract(context.Background(), p, root, Options{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestRootReplacesSymlinkNotFollows(t *testing.T) {
	sb, root := setup(t)
	target := filepath.Join(sb, "outside", "passwd")
	if err := os.Symlink(target, filepath.Join(sb, "root", "passwd")); err != nil {
		t.Fatal(err)
	}
	if err := root.WriteFile("/passwd", []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Fatal("WriteFile followed a symlink out of the root")
	}
	fi, err := os.Lstat(filepath.Join(sb, "root", "passwd"))
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("passwd is not a regular file: %v %v", fi, err)
	}
}

func TestCheckSymlink(t *testing.T) {
	for _, c := range []struct {
		rel, target string
		ok          bool
	}{
		{"usr/bin/x", "../lib/y", true},
		{"usr/bin/x", "../../etc/y", true},
		{"usr/bin/x", "../../../etc/y", false},
		{"x", "..", false},
		{"a/b", "./c/../../d", true},
		{"a/b", "/anything", true},
	} {
		if err := checkSymlink(c.rel, c.target); (err == nil) != c.ok {
			t.Errorf("checkSymlink(%q, %q) = %v, want ok=%v", c.rel, c.target, err, c.ok)
		}
	}
}
