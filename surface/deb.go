package surface

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"pdvm.dev/pdvm/debx"
)

// Facts is what one .deb (or a root file system) contributes to the
// attack surface, read from its data.tar headers and contents and its
// maintainer scripts.
type Facts struct {
	Files int   `json:"files"` // regular files
	ELF   int   `json:"elf"`   // regular files starting with the ELF magic
	Bytes int64 `json:"bytes"`
	// SetUID and SetGID list executables with the set-id bits, from the
	// tar headers and from dpkg-statoverride calls in postinst.
	SetUID []string `json:"setuid,omitempty"`
	SetGID []string `json:"setgid,omitempty"`
	// Caps lists files given capabilities by setcap in postinst (dpkg
	// cannot ship extended attributes) or, for a rootfs, by their
	// security.capability attribute.
	Caps          []string `json:"caps,omitempty"`
	WorldWritable []string `json:"world_writable,omitempty"` // o+w, not sticky, not symlinks
	StickyDirs    []string `json:"sticky_dirs,omitempty"`    // o+w directories with the sticky bit (/tmp)
	Units         []Unit   `json:"units,omitempty"`
	// Enables lists the units the package enables at installation: the
	// deb-systemd-helper/systemctl enable calls of its postinst and the
	// *.wants/ links it ships.
	Enables  []string  `json:"enables,omitempty"`
	Modules  int       `json:"kernel_modules,omitempty"`
	KernelY  int       `json:"kernel_options_y,omitempty"`
	KernelM  int       `json:"kernel_options_m,omitempty"`
	Accounts []Account `json:"accounts,omitempty"`
	// Programs are the executables under bin/ and sbin/ directories, to
	// map a service command to its package.
	Programs []string `json:"programs,omitempty"`

	regular map[string]bool // regular files of the package, while scanning
}

// Unit is a systemd service or socket unit shipped by a package.
type Unit struct {
	Name string `json:"name"`
	// Installable is true when the unit has an [Install] section with
	// WantedBy=/RequiredBy= (it can be enabled); whether it is enabled is
	// decided by Facts.Enables (or, in a rootfs, by the .wants links).
	Installable bool     `json:"installable"`
	Enabled     bool     `json:"enabled"`
	User        string   `json:"user,omitempty"`
	Exec        string   `json:"exec,omitempty"`
	Listen      []string `json:"listen,omitempty"` // ListenStream=/ListenDatagram= of sockets
}

// Account is a passwd entry a package defines.
type Account struct {
	Name  string `json:"name"`
	Shell string `json:"shell"`
	From  string `json:"from"` // passwd.master | postinst | description | rootfs | cloud-init
}

// LoginShell reports whether a shell lets the account log in.
func LoginShell(sh string) bool {
	b := path.Base(sh)
	switch b {
	case "", "nologin", "false", "sync", "halt", "shutdown", "true":
		return false
	}
	return strings.HasSuffix(b, "sh") || b == "tmux" || b == "screen"
}

// ScanDeb reads a .deb's control and data members.
func ScanDeb(ctx context.Context, debPath string) (*Facts, error) {
	f, err := os.Open(debPath)
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", debPath, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", debPath, err)
	}
	facts := &Facts{}
	var postinst []byte
	err = debx.Members(f, st.Size(), func(m debx.Member) (bool, error) {
		control := strings.HasPrefix(m.Name, "control.tar")
		if !control && !strings.HasPrefix(m.Name, "data.tar") {
			return false, nil
		}
		r, err := debx.Decompress(ctx, m.Name, m.R)
		if err != nil {
			return true, fmt.Errorf("%s: %w", m.Name, err)
		}
		defer r.Close()
		tr := tar.NewReader(r)
		if control {
			for {
				h, err := tr.Next()
				if err != nil {
					break
				}
				if path.Base(h.Name) == "postinst" {
					postinst, _ = io.ReadAll(io.LimitReader(tr, 1<<20))
				}
			}
		} else if err := scanTar(tr, facts); err != nil {
			return true, fmt.Errorf("%s: %w", m.Name, err)
		}
		io.Copy(io.Discard, r) // let the decompressor finish cleanly
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", debPath, err)
	}
	scanPostinst(postinst, facts)
	facts.markEnabled(facts.Enables)
	facts.sort()
	return facts, nil
}

// markEnabled marks the units named in enables as enabled.
func (f *Facts) markEnabled(enables []string) {
	on := map[string]bool{}
	for _, e := range enables {
		on[e] = true
	}
	for i := range f.Units {
		if on[f.Units[i].Name] {
			f.Units[i].Enabled = true
		}
	}
}

func (f *Facts) sort() {
	sort.Strings(f.Enables)
	f.Enables = dedup(f.Enables)
	for _, s := range [][]string{f.SetUID, f.SetGID, f.Caps, f.WorldWritable, f.StickyDirs, f.Programs} {
		sort.Strings(s)
	}
	f.SetUID, f.SetGID, f.Caps = dedup(f.SetUID), dedup(f.SetGID), dedup(f.Caps)
	sort.Slice(f.Units, func(i, j int) bool { return f.Units[i].Name < f.Units[j].Name })
}

func dedup(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

var unitDirs = []string{"lib/systemd/system/", "usr/lib/systemd/system/", "etc/systemd/system/"}

// scanTar walks a data.tar (or a rootfs exported as tar).
func scanTar(tr *tar.Reader, f *Facts) error {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		var head []byte
		if h.Typeflag == tar.TypeReg {
			head = make([]byte, 4)
			n, _ := io.ReadFull(tr, head)
			head = head[:n]
			var content []byte
			if wantContent(name) {
				rest, _ := io.ReadAll(io.LimitReader(tr, 4<<20))
				content = append(head, rest...)
			}
			addFile(f, name, h.FileInfo().Mode(), h.Size, head, content)
			continue
		}
		addFile(f, name, h.FileInfo().Mode(), 0, nil, nil)
	}
}

func wantContent(name string) bool {
	if strings.HasSuffix(name, "/passwd.master") || strings.HasPrefix(name, "boot/config-") {
		return true
	}
	for _, d := range unitDirs {
		if strings.HasPrefix(name, d) && (strings.HasSuffix(name, ".service") || strings.HasSuffix(name, ".socket")) {
			return true
		}
	}
	return false
}

// addFile records one file system entry (shared by the .deb and rootfs
// scanners). head is the first bytes of a regular file; content its whole
// content when wantContent(name).
func addFile(f *Facts, name string, mode os.FileMode, size int64, head, content []byte) {
	isDir := mode.IsDir()
	if mode.IsRegular() {
		if f.regular == nil {
			f.regular = map[string]bool{}
		}
		f.regular["/"+name] = true
	}
	switch {
	case mode&os.ModeSymlink != 0:
		if wantsRE.MatchString(name) {
			f.Enables = append(f.Enables, path.Base(name))
		}
		return
	case mode.IsRegular():
		f.Files++
		f.Bytes += size
		if bytes.HasPrefix(head, []byte("\x7fELF")) {
			f.ELF++
		}
		if mode&os.ModeSetuid != 0 {
			f.SetUID = append(f.SetUID, "/"+name)
		}
		if mode&os.ModeSetgid != 0 {
			f.SetGID = append(f.SetGID, "/"+name)
		}
		if mode&0o111 != 0 && (strings.Contains(name, "bin/")) {
			f.Programs = append(f.Programs, "/"+name)
		}
		if strings.HasSuffix(name, ".ko") || strings.HasSuffix(name, ".ko.xz") || strings.HasSuffix(name, ".ko.zst") || strings.HasSuffix(name, ".ko.gz") {
			if strings.HasPrefix(name, "lib/modules/") || strings.HasPrefix(name, "usr/lib/modules/") {
				f.Modules++
			}
		}
	}
	if mode&0o002 != 0 && (isDir || mode.IsRegular()) {
		if isDir && mode&os.ModeSticky != 0 {
			f.StickyDirs = append(f.StickyDirs, "/"+name)
		} else {
			f.WorldWritable = append(f.WorldWritable, "/"+name)
		}
	}
	if content == nil {
		return
	}
	switch {
	case strings.HasSuffix(name, "/passwd.master"):
		f.Accounts = append(f.Accounts, parsePasswd(content, "passwd.master")...)
	case strings.HasPrefix(name, "boot/config-"):
		for _, l := range strings.Split(string(content), "\n") {
			if strings.HasPrefix(l, "CONFIG_") {
				switch {
				case strings.HasSuffix(l, "=y"):
					f.KernelY++
				case strings.HasSuffix(l, "=m"):
					f.KernelM++
				}
			}
		}
	default:
		for _, d := range unitDirs {
			if strings.HasPrefix(name, d) && !strings.Contains(name[len(d):], "/") {
				f.Units = append(f.Units, parseUnit(path.Base(name), content))
			}
		}
	}
}

func parsePasswd(b []byte, from string) []Account {
	var out []Account
	for _, l := range strings.Split(string(b), "\n") {
		fs := strings.Split(l, ":")
		if len(fs) == 7 && fs[0] != "" && !strings.HasPrefix(fs[0], "#") {
			out = append(out, Account{Name: fs[0], Shell: fs[6], From: from})
		}
	}
	return out
}

func parseUnit(name string, b []byte) Unit {
	u := Unit{Name: name}
	section := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			section = l
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case section == "[Install]" && (k == "WantedBy" || k == "RequiredBy" || k == "Alias") && v != "":
			u.Installable = true
		case section == "[Service]" && k == "User":
			u.User = v
		case section == "[Service]" && k == "ExecStart" && u.Exec == "":
			u.Exec = strings.TrimLeft(v, "-@:+!")
		case section == "[Socket]" && (k == "ListenStream" || k == "ListenDatagram" || k == "ListenSequentialPacket"):
			proto := "tcp"
			if k == "ListenDatagram" {
				proto = "udp"
			}
			if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "@") {
				proto = "unix"
			}
			u.Listen = append(u.Listen, proto+":"+v)
		}
	}
	return u
}

var (
	setcapRE   = regexp.MustCompile(`setcap\s+(?:-\S+\s+)*['"]?(cap_[a-z_,+=]+|[a-z_,]+[+=][eip]+)['"]?\s+(\S+)`)
	overrideRE = regexp.MustCompile(`dpkg-statoverride\s+(?:--\S+\s+)*--add\s+(?:--\S+\s+)*\S+\s+\S+\s+([0-7]{4})\s+(\S+)`)
	adduserRE  = regexp.MustCompile(`(?:adduser|useradd)\b[^\n]*`)
	shellRE    = regexp.MustCompile(`(?:--shell|-s)\s+(\S+)`)
	wantsRE    = regexp.MustCompile(`^(?:usr/)?(?:lib|etc)/systemd/system/[^/]+\.(?:wants|requires)/[^/]+$`)
	enableRE   = regexp.MustCompile(`(?:deb-systemd-helper|systemctl)\s+(?:--\S+\s+)*enable\s+([^>|&;\n]+)`)
	assignRE   = regexp.MustCompile(`(?m)^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)
	pathRE     = regexp.MustCompile(`/[A-Za-z0-9_./+-]+`)
)

// scanPostinst finds file capabilities (setcap), set-id overrides
// (dpkg-statoverride --add) and accounts created with a login shell.
func scanPostinst(b []byte, f *Facts) {
	if len(b) == 0 {
		return
	}
	s := string(b)
	// Shell variables holding paths, e.g.
	// PROGRAM=$(dpkg-divert --truename /bin/ping).
	vars := map[string]string{}
	for _, m := range assignRE.FindAllStringSubmatch(s, -1) {
		if ps := pathRE.FindAllString(m[2], -1); len(ps) > 0 {
			vars[m[1]] = ps[len(ps)-1]
		}
	}
	for _, m := range setcapRE.FindAllStringSubmatch(s, -1) {
		target := strings.Trim(m[2], `'";`)
		if strings.HasPrefix(target, "$") {
			if v, ok := vars[strings.Trim(target, "${}")]; ok {
				target = v
			}
		}
		f.Caps = append(f.Caps, target)
	}
	for _, m := range enableRE.FindAllStringSubmatch(s, -1) {
		for _, u := range strings.Fields(m[1]) {
			if u = strings.Trim(u, `'"`); strings.Contains(u, ".") && !strings.HasPrefix(u, "$") {
				f.Enables = append(f.Enables, u)
			}
		}
	}
	for _, m := range overrideRE.FindAllStringSubmatch(s, -1) {
		mode, _ := strconv.ParseUint(m[1], 8, 32)
		p := strings.Trim(m[2], `'";`)
		if strings.HasPrefix(p, "$") {
			if v, ok := vars[strings.Trim(p, "${}")]; ok {
				p = v
			}
		}
		if !f.regular[p] {
			continue // not a file of this package: e.g. a set-group-id directory (/usr/local/share/ca-certificates)
		}
		if mode&0o4000 != 0 {
			f.SetUID = append(f.SetUID, p)
		}
		if mode&0o2000 != 0 {
			f.SetGID = append(f.SetGID, p)
		}
	}
	for _, line := range adduserRE.FindAllString(s, -1) {
		if sh := shellRE.FindStringSubmatch(line); sh != nil && LoginShell(sh[1]) {
			fields := strings.Fields(line)
			f.Accounts = append(f.Accounts, Account{Name: strings.Trim(fields[len(fields)-1], `'";`), Shell: sh[1], From: "postinst"})
		}
	}
}
