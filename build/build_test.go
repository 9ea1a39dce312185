package build

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"pdvm.dev/pdvm/internal/tool"
	"pdvm.dev/pdvm/manifest"
)

func TestMissingToolNamesPackage(t *testing.T) {
	for tl, pkg := range map[string]string{"mkfs.ext4": "e2fsprogs", "syslinux": "syslinux", "qemu-img": "qemu-utils", "mcopy": "mtools"} {
		tool.PathOverride = map[string]string{tl: ""}
		_, err := Build(context.Background(), &manifest.Lock{}, Spec{Name: "x"}, Options{CacheDir: t.TempDir()})
		tool.PathOverride = nil
		var me *tool.MissingError
		if !errors.As(err, &me) || me.Package != pkg || !strings.Contains(err.Error(), pkg) || !strings.Contains(me.Hint(), "apt-get install "+pkg) {
			t.Errorf("%s missing: err = %v, want one naming package %s", tl, err, pkg)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	for in, want := range map[string][]string{
		`/usr/sbin/nginx -g 'daemon off;'`: {"/usr/sbin/nginx", "-g", "daemon off;"},
		`redis-server  --port 6379`:        {"redis-server", "--port", "6379"},
		`echo "a \"b\" c" d\ e`:            {"echo", `a "b" c`, "d e"},
		`x ''`:                             {"x", ""},
	} {
		got, err := SplitCommand(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`a 'b`, `a "b`, `a | b`, `a; b`, `$HOME/x`, ``} {
		if _, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q) accepted", bad)
		}
	}
}

func TestAccounts(t *testing.T) {
	a := newAccounts()
	if _, err := a.addUser(User{Name: "alice", Groups: []string{"adm", "ops"}, Sudo: true, SSHKeys: []string{"ssh-ed25519 AAAA"}}, "/bin/sh"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.addUser(User{Name: "bob", UID: 1000}, "/bin/sh"); err == nil {
		t.Error("uid 1000 given twice")
	}
	pw, gr, sh, _ := a.files(20000)
	for _, want := range []string{"root:x:0:0:root:/root:/bin/sh\n", "www-data:x:33:33:", "alice:x:1000:1000::/home/alice:/bin/sh\n"} {
		if !strings.Contains(string(pw), want) {
			t.Errorf("passwd lacks %q:\n%s", want, pw)
		}
	}
	for _, want := range []string{"adm:x:4:alice\n", "sudo:x:27:alice\n", "ops:x:1001:alice\n", "alice:x:1000:\n"} {
		if !strings.Contains(string(gr), want) {
			t.Errorf("group lacks %q:\n%s", want, gr)
		}
	}
	if !strings.Contains(string(sh), "alice:!:20000:") {
		t.Errorf("alice's password is not locked:\n%s", sh)
	}
	uid, gid, err := a.ids("www-data:adm")
	if err != nil || uid != 33 || gid != 4 {
		t.Errorf("ids(www-data:adm) = %d %d %v", uid, gid, err)
	}
	if _, _, err := a.ids("nosuch"); err == nil {
		t.Error("unknown owner accepted")
	}
}

func TestSkipDoc(t *testing.T) {
	for p, skip := range map[string]bool{
		"usr/share/doc/nginx/copyright":        false,
		"usr/share/doc/nginx/changelog.gz":     true,
		"usr/share/doc/nginx/":                 false,
		"usr/share/man/man8/nginx.8.gz":        true,
		"usr/share/locale/de/LC_MESSAGES/x.mo": true,
		"usr/sbin/nginx":                       false,
		"usr/share/doc/libc6/examples/x/y.c":   true,
	} {
		if got := skipDoc(p); got != skip {
			t.Errorf("skipDoc(%q) = %v, want %v", p, got, skip)
		}
	}
}

func TestKeyIgnoresWhyAndWhere(t *testing.T) {
	l := &manifest.Lock{Release: "debian/bookworm", Date: "2026-01-01T00:00:00Z",
		Packages: []manifest.Package{{Name: "a", Version: "1", SHA256: "x", Reason: []string{"web.pdvm.hcl:3 need a"}}}}
	s := &Spec{Name: "web"}
	k1 := Key(l, s, "init")
	l2 := *l
	l2.Description, l2.DescriptionSHA256, l2.VM = "other.pdvm.hcl", "ff", "other"
	l2.Packages = []manifest.Package{{Name: "a", Version: "1", SHA256: "x", Reason: []string{"other.pdvm.hcl:9 need a"}}}
	if Key(&l2, s, "init") != k1 {
		t.Error("the key depends on the description's name or the packages' reasons")
	}
	l2.Packages[0].Version = "2"
	if Key(&l2, s, "init") == k1 {
		t.Error("the key ignores a package version")
	}
	if Key(l, &Spec{Name: "web", Hostname: "h"}, "init") == k1 || Key(l, s, "init2") == k1 {
		t.Error("the key ignores the spec or the init binary")
	}
}

func TestNormalize(t *testing.T) {
	s := Spec{Name: "web", Ports: []Port{{Guest: 80}, {Guest: 5432}}}
	if err := s.Normalize(); err != nil {
		t.Fatal(err)
	}
	if s.Hostname != "web" || s.Base != "none" || s.Init != "pdvm" || s.Hardware.DiskBus != "nvme" ||
		s.Network.Address != "10.0.2.15/24" || s.Ports[0].Host != 8080 || s.Ports[1].Host != 5432 || s.Formats[0] != "qcow2" {
		t.Errorf("defaults: %+v", s)
	}
	for _, bad := range []Spec{
		{Name: "a/b"}, {Base: "alpine"}, {Init: "openrc"}, {Formats: []string{"iso"}},
		{Files: []File{{Path: "etc/x"}}}, {Services: []Service{{Name: "x"}}},
		{Probes: []Probe{{Name: "p", Kind: "ping"}}}, {Users: []User{{Name: "Root!"}}},
	} {
		if err := bad.Normalize(); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
