package surface

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/manifest"
)

type entry struct {
	name string
	mode int64
	typ  byte
	body string
}

func tarGz(t *testing.T, es []entry) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Mode: e.mode, Typeflag: e.typ, Size: int64(len(e.body))}
		if e.typ == tar.TypeSymlink {
			h.Linkname, h.Size = "target", 0
		}
		if e.typ == tar.TypeDir {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

// writeDeb writes a .deb (ar archive) with the given members.
func writeDeb(t *testing.T, path string, control, data []entry) {
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	member := func(name string, body []byte) {
		fmt.Fprintf(&b, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", name, 0, 0, 0, "100644", len(body))
		b.Write(body)
		if len(body)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	member("debian-binary", []byte("2.0\n"))
	member("control.tar.gz", tarGz(t, control))
	member("data.tar.gz", tarGz(t, data))
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

const postinst = `#!/bin/sh
set -e
PROGRAM=$(dpkg-divert --truename /usr/bin/pinger)
if [ "$1" = configure ]; then
    setcap cap_net_raw+ep $PROGRAM
    dpkg-statoverride --update --add root crontab 2755 /usr/bin/crontabx
    useradd --system --home /srv/app --shell /bin/bash appadmin
    adduser --system --no-create-home --shell /usr/sbin/nologin appsvc
    LAUNCHER=/usr/lib/demo/launch-helper
    dpkg-statoverride --update --add root demo 4754 "$LAUNCHER"
    if deb-systemd-helper --quiet was-enabled 'demo.service'; then
        deb-systemd-helper enable 'demo.service' >/dev/null || true
    fi
fi
`

func testDeb(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "demo_1.0-1_amd64.deb")
	writeDeb(t, p,
		[]entry{{"./control", 0o644, tar.TypeReg, "Package: demo\n"}, {"./postinst", 0o755, tar.TypeReg, postinst}},
		[]entry{
			{"./usr/", 0o755, tar.TypeDir, ""},
			{"./usr/sbin/demod", 0o755, tar.TypeReg, "\x7fELF daemon"},
			{"./usr/bin/demo-su", 0o4755, tar.TypeReg, "\x7fELF setuid"},
			{"./usr/bin/pinger", 0o755, tar.TypeReg, "\x7fELF ping"},
			{"./usr/bin/crontabx", 0o755, tar.TypeReg, "#!/bin/sh\n"},
			{"./usr/lib/demo/launch-helper", 0o754, tar.TypeReg, "#!/bin/sh\n"},
			{"./usr/lib/libdemo.so.1", 0o644, tar.TypeReg, "\x7fELF lib"},
			{"./usr/share/doc/demo/README", 0o644, tar.TypeReg, "text"},
			{"./var/spool/demo/", 0o1777, tar.TypeDir, ""},
			{"./var/lib/demo/", 0o777, tar.TypeDir, ""},
			{"./var/lib/demo/state", 0o666, tar.TypeReg, "x"},
			{"./usr/bin/demo-link", 0o777, tar.TypeSymlink, ""},
			{"./lib/systemd/system/demo.service", 0o644, tar.TypeReg, "[Service]\nUser=demo\nExecStart=/usr/sbin/demod\n[Install]\nWantedBy=multi-user.target\n"},
			{"./lib/systemd/system/demo.socket", 0o644, tar.TypeReg, "[Socket]\nListenStream=8443\nListenDatagram=127.0.0.1:9999\nListenStream=/run/demo.sock\n[Install]\nWantedBy=sockets.target\n"},
			{"./lib/systemd/system/demo-once.service", 0o644, tar.TypeReg, "[Service]\nExecStart=/usr/sbin/demod --once\n"},
			{"./lib/systemd/system/demo-debug.service", 0o644, tar.TypeReg, "[Service]\nExecStart=/bin/sh\n[Install]\nWantedBy=sysinit.target\n"},
			{"./lib/systemd/system/sockets.target.wants/demo.socket", 0o777, tar.TypeSymlink, ""},
			{"./lib/modules/6.1.0-1-cloud-amd64/kernel/net/demo.ko", 0o644, tar.TypeReg, "\x7fELF ko"},
			{"./boot/config-6.1.0-1-cloud-amd64", 0o644, tar.TypeReg, "CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=y\n"},
		})
	return p
}

func TestScanDeb(t *testing.T) {
	f, err := ScanDeb(context.Background(), testDeb(t))
	if err != nil {
		t.Fatal(err)
	}
	if f.Files != 14 || f.ELF != 5 {
		t.Errorf("files %d ELF %d, want 14 and 5", f.Files, f.ELF)
	}
	if !slices.Equal(f.SetUID, []string{"/usr/bin/demo-su", "/usr/lib/demo/launch-helper"}) || !slices.Equal(f.SetGID, []string{"/usr/bin/crontabx"}) {
		t.Errorf("setuid %v setgid %v", f.SetUID, f.SetGID)
	}
	if !slices.Equal(f.Caps, []string{"/usr/bin/pinger"}) {
		t.Errorf("caps %v (setcap through a shell variable)", f.Caps)
	}
	if !slices.Equal(f.WorldWritable, []string{"/var/lib/demo", "/var/lib/demo/state"}) || !slices.Equal(f.StickyDirs, []string{"/var/spool/demo"}) {
		t.Errorf("world-writable %v sticky %v", f.WorldWritable, f.StickyDirs)
	}
	if f.Modules != 1 || f.KernelY != 2 || f.KernelM != 1 {
		t.Errorf("modules %d y %d m %d", f.Modules, f.KernelY, f.KernelM)
	}
	// demo.service is enabled by postinst, demo.socket by a shipped
	// .wants link; demo-debug.service can be enabled but is not.
	en := map[string]bool{}
	for _, u := range f.Units {
		en[u.Name] = u.Enabled
	}
	if len(f.Units) != 4 || !en["demo.service"] || !en["demo.socket"] || en["demo-debug.service"] || en["demo-once.service"] || f.Units[2].User != "demo" {
		t.Errorf("units %+v", f.Units)
	}
	if !slices.Equal(f.Units[3].Listen, []string{"tcp:8443", "udp:127.0.0.1:9999", "unix:/run/demo.sock"}) {
		t.Errorf("socket listens %v", f.Units[2].Listen)
	}
	if len(f.Accounts) != 1 || f.Accounts[0].Name != "appadmin" {
		t.Errorf("accounts %v (only the one with a login shell)", f.Accounts)
	}
	if !slices.Contains(f.Programs, "/usr/sbin/demod") {
		t.Errorf("programs %v", f.Programs)
	}
	if _, err := ScanDeb(context.Background(), filepath.Join(t.TempDir(), "missing.deb")); err == nil {
		t.Error("missing file scanned")
	}
	bad := filepath.Join(t.TempDir(), "bad.deb")
	os.WriteFile(bad, []byte("PK\x03\x04 not a deb"), 0o644)
	if _, err := ScanDeb(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "not a Debian package") {
		t.Errorf("ScanDeb(zip) = %v", err)
	}
}

func lockOf(init, base string) *manifest.Lock {
	return &manifest.Lock{VM: "demo", Release: "debian/bookworm", Init: init, Base: base, Packages: []manifest.Package{
		{Name: "demo", Version: "1.0-1", Arch: "amd64", Source: "demo", InstalledSize: 100},
		{Name: "libdemo1", Version: "1.0-1", Arch: "amd64", Source: "demo", InstalledSize: 20},
		{Name: "openssh-server", Version: "1:9.2p1-2+deb12u7", Arch: "amd64", Source: "openssh", InstalledSize: 1900},
	}}
}

func TestMeasureSystemd(t *testing.T) {
	f, err := ScanDeb(context.Background(), testDeb(t))
	if err != nil {
		t.Fatal(err)
	}
	ssh := &Facts{Units: []Unit{{Name: "ssh.service", Enabled: true, Exec: "/usr/sbin/sshd -D"}}}
	l := lockOf("systemd", "debian")
	l.Packages[0].Kernel = true // the demo .deb ships a module and a kernel config
	v := Measure(Input{Lock: l, Debs: map[string]*Facts{"demo": f, "libdemo1": {}, "openssh-server": ssh}})
	want := map[string]float64{"packages": 3, "sources": 2, "installed_kib": 2020, "files": 14, "elf": 5, "setuid": 2, "setgid": 1, "caps": 1,
		"services": 3, "logins": 1, "world_writable": 2, "kernel_modules": 1, "kernel_options": 3}
	for k, w := range want {
		if m := v.Get(k); m == nil || m.Value != w || !m.Known {
			t.Errorf("%s = %+v, want %v known", k, m, w)
		}
	}
	// Ports: the socket's 8443/tcp (all), 9999/udp (loopback), and sshd's
	// 22/tcp from the daemon table; the unix socket is not a port.
	var ports []string
	for _, p := range v.Ports {
		ports = append(ports, fmt.Sprintf("%d/%s/%s", p.Port, p.Proto, p.Bind))
	}
	if !slices.Equal(ports, []string{"22/tcp/all", "8443/tcp/all", "9999/udp/loopback"}) {
		t.Errorf("ports %v", ports)
	}
	if m := v.Get("advisories"); m.Known {
		t.Error("advisories known without a DB")
	}
	// Channels: sshd 22 root/all 5, socket 8443 root 5, 9999 loopback 5/4.
	if v.DER[1] != 11.25 {
		t.Errorf("Σder channels = %v, want 11.25", v.DER[1])
	}
	if v.Total <= v.DER[0]+v.DER[1]+v.DER[2] {
		t.Errorf("total %v does not include the TCB term", v.Total)
	}
}

func TestMeasurePdvmInit(t *testing.T) {
	f, err := ScanDeb(context.Background(), testDeb(t))
	if err != nil {
		t.Fatal(err)
	}
	l := lockOf("pdvm", "none")
	l.Packages = l.Packages[:2]
	// Without the description the services of pdvm's init are unknown, not 0.
	v := Measure(Input{Lock: l, Debs: map[string]*Facts{"demo": f, "libdemo1": {}}})
	if m := v.Get("services"); m.Known {
		t.Errorf("services known without the description: %+v", m)
	}
	vm := &description.VM{
		Services: []*description.Service{{Name: "demo", Command: description.Str{Value: "/usr/sbin/demod --foreground", Set: true}}},
		Users:    []*description.User{{Name: "ops", Shell: description.Str{Value: "/bin/bash", Set: true}}},
		Network:  &description.Network{Forward: []description.Forward{{Host: 8080, Guest: 80, Proto: "tcp", Range: hcl.Range{}}}},
	}
	v = Measure(Input{Lock: l, VM: vm, Debs: map[string]*Facts{"demo": f, "libdemo1": {}}})
	svc := v.Get("services")
	if !svc.Known || svc.Value != 1 || v.Services[0].Package != "demo" {
		t.Errorf("services %+v %+v: the unit files must not count under pdvm's init", svc, v.Services)
	}
	if m := v.Get("ports"); m.Value != 1 || v.Ports[0].Port != 80 {
		t.Errorf("ports %+v", v.Ports)
	}
	// root (pdvm's passwd), ops (description), appadmin (postinst).
	if m := v.Get("logins"); m.Value != 3 {
		t.Errorf("logins %+v", m)
	}
	// Nothing scanned: file metrics unknown.
	v = Measure(Input{Lock: l, VM: vm})
	for _, k := range []string{"files", "elf", "setuid", "world_writable", "total"} {
		if v.Get(k).Known {
			t.Errorf("%s known without any scan", k)
		}
	}
}

func TestScanRootfs(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "etc/systemd/system/multi-user.target.wants"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "lib/systemd/system"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "tmp"), 0o755))
	must(os.Chmod(filepath.Join(root, "tmp"), 0o777|os.ModeSticky))
	must(os.WriteFile(filepath.Join(root, "usr/bin/su"), []byte("\x7fELF"), 0o755))
	must(os.Chmod(filepath.Join(root, "usr/bin/su"), 0o755|os.ModeSetuid))
	must(os.WriteFile(filepath.Join(root, "lib/systemd/system/ssh.service"), []byte("[Service]\nExecStart=/usr/sbin/sshd\n[Install]\nWantedBy=multi-user.target\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "lib/systemd/system/off.service"), []byte("[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"), 0o644))
	must(os.Symlink("/lib/systemd/system/ssh.service", filepath.Join(root, "etc/systemd/system/multi-user.target.wants/ssh.service")))
	must(os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"), 0o644))
	f, err := ScanRootfs(root)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.SetUID, []string{"/usr/bin/su"}) || f.ELF != 1 || !slices.Equal(f.StickyDirs, []string{"/tmp"}) {
		t.Errorf("setuid %v ELF %d sticky %v", f.SetUID, f.ELF, f.StickyDirs)
	}
	enabled := map[string]bool{}
	for _, u := range f.Units {
		enabled[u.Name] = u.Enabled
	}
	if !enabled["ssh.service"] || enabled["off.service"] {
		t.Errorf("units %+v: only ssh.service is linked into a .wants directory", f.Units)
	}
	if len(f.Accounts) != 2 {
		t.Errorf("accounts %v", f.Accounts)
	}
}

func TestScanAllCaches(t *testing.T) {
	deb := testDeb(t)
	dir := t.TempDir()
	l := &manifest.Lock{Packages: []manifest.Package{{Name: "demo", SHA256: strings.Repeat("ab", 32)}}}
	a, err := ScanAll(context.Background(), l, map[string]string{"demo": deb}, dir)
	if err != nil || a["demo"].Files != 14 {
		t.Fatalf("ScanAll = %v, %v", a, err)
	}
	os.Remove(deb) // the second scan must come from the cache
	b, err := ScanAll(context.Background(), l, map[string]string{"demo": deb}, dir)
	if err != nil || b["demo"].Files != 14 {
		t.Fatalf("cached ScanAll = %v, %v", b, err)
	}
}

func TestStatoverrideDirectoryNotCounted(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ca.deb")
	writeDeb(t, p,
		[]entry{{"./postinst", 0o755, tar.TypeReg, "#!/bin/sh\ndpkg-statoverride --add root staff 2775 /usr/local/share/ca-certificates\n"}},
		[]entry{{"./usr/local/share/ca-certificates/", 0o755, tar.TypeDir, ""}})
	f, err := ScanDeb(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.SetGID) != 0 {
		t.Errorf("setgid %v: a set-group-id directory is not an executable", f.SetGID)
	}
}
