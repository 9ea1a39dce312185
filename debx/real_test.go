package debx

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"pdvm.dev/pdvm/internal/realdeb"
	"pdvm.dev/pdvm/internal/testenv"
)

// tree describes every entry below dir: type, permissions, owner,
// symlink target or content hash.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, _ := os.Lstat(p)
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v %d:%d", fi.Mode(), st.Uid, st.Gid)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			desc += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		m[rel] = desc
		return nil
	})
	return m
}

// TestRealExtractMatchesDpkgDeb: debx unpacks real packages exactly as
// dpkg-deb -x does (every path, type, mode, symlink target and content).
func TestRealExtractMatchesDpkgDeb(t *testing.T) {
	testenv.Real(t, "dpkg-deb")
	names := []string{"nginx-common", "libc6", "iproute2", "bash", "dropbear-bin"}
	debs := realdeb.Fetch(t, realdeb.Lock(t, names...))
	for _, n := range names {
		a, b := t.TempDir(), t.TempDir()
		r, err := OpenRoot(a)
		if err != nil {
			t.Fatal(err)
		}
		ents, err := Extract(context.Background(), debs[n], r, Options{Owners: true})
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if out, err := exec.Command("dpkg-deb", "-x", debs[n], b).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb -x %s: %v\n%s", n, err, out)
		}
		ta, tb := tree(t, a), tree(t, b)
		for p, d := range tb {
			if ta[p] != d {
				t.Errorf("%s: %s: dpkg-deb gives %q, debx %q", n, p, d, ta[p])
			}
		}
		for p := range ta {
			if _, ok := tb[p]; !ok {
				t.Errorf("%s: debx wrote %s, dpkg-deb did not", n, p)
			}
		}
		t.Logf("%s: %d entries identical", n, len(ents))
	}
}
