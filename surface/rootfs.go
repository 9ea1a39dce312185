package surface

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ScanRootfs measures a built root file system: every entry's mode, ELF
// magic, file capabilities (the security.capability attribute), systemd
// units with the ones enabled in /etc/systemd/system/*.wants, and the
// accounts of /etc/passwd.
func ScanRootfs(root string) (*Facts, error) {
	f := &Facts{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() && (rel == "proc" || rel == "sys" || rel == "dev") {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var head, content []byte
		if info.Mode().IsRegular() {
			fh, err := os.Open(p)
			if err != nil {
				return err
			}
			head = make([]byte, 4)
			n, _ := io.ReadFull(fh, head)
			head = head[:n]
			if wantContent(rel) {
				rest, _ := io.ReadAll(io.LimitReader(fh, 4<<20))
				content = append(head, rest...)
			}
			fh.Close()
			if sz, err := unix.Lgetxattr(p, "security.capability", nil); err == nil && sz > 0 {
				f.Caps = append(f.Caps, "/"+rel)
			}
		}
		addFile(f, rel, info.Mode(), info.Size(), head, content)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", root, err)
	}
	// Enabled units: links in the *.wants/ directories (addFile collected
	// them into Enables).
	f.markEnabled(f.Enables)
	f.Accounts = nil
	if b, err := os.ReadFile(filepath.Join(root, "etc/passwd")); err == nil {
		f.Accounts = parsePasswd(b, "rootfs")
	}
	f.sort()
	return f, nil
}
