package surface

import (
	"context"
	"strings"
	"testing"

	"pdvm.dev/pdvm/internal/realarchive"
	"pdvm.dev/pdvm/internal/realdeb"
	"pdvm.dev/pdvm/manifest"
)

// TestRealGenericBaseline resolves the genericcloud seed on the real
// archive: the size must be near the ≈275 packages that mmdebstrap
// resolved for the same classes (shared/bench/image/REPORT.md §4c).
func TestRealGenericBaseline(t *testing.T) {
	u := realarchive.Universe(t)
	l, err := GenericLock(u)
	if err != nil {
		t.Fatal(err)
	}
	if err := manifest.Validate(l); err != nil {
		t.Fatalf("generic lock invalid: %v", err)
	}
	have := map[string]bool{}
	kernel := ""
	for _, p := range l.Packages {
		have[p.Name] = true
		if strings.HasPrefix(p.Name, "linux-image-") && strings.HasSuffix(p.Name, "-cloud-amd64") && p.Name != "linux-image-cloud-amd64" {
			kernel = p.Name
		}
	}
	for _, n := range []string{"openssh-server", "cloud-init", "systemd", "sudo", "grub-pc", "apt", "python3", "libc6"} {
		if !have[n] {
			t.Errorf("generic baseline lacks %s", n)
		}
	}
	if kernel == "" {
		t.Error("no versioned cloud kernel")
	}
	if n := len(l.Packages); n < 240 || n > 320 {
		t.Errorf("generic baseline has %d packages, want ≈275", n)
	}
	t.Logf("%d packages, %d MiB installed", len(l.Packages), l.InstalledSize/1024)
}

// TestRealScanDebs scans real packages whose attack surface is known:
// passwd ships setuid chfn/chsh/passwd, iputils-ping gets cap_net_raw by
// setcap in its postinst, openssh-server ships an enabled ssh.service,
// base-passwd defines root with a login shell.
func TestRealScanDebs(t *testing.T) {
	l := realdeb.Lock(t, "passwd", "iputils-ping", "openssh-server", "base-passwd", "util-linux")
	paths := realdeb.Fetch(t, l)
	facts := map[string]*Facts{}
	for name, p := range paths {
		f, err := ScanDeb(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		facts[name] = f
	}
	has := func(s []string, x string) bool {
		for _, y := range s {
			if y == x {
				return true
			}
		}
		return false
	}
	if f := facts["passwd"]; !has(f.SetUID, "/usr/bin/passwd") || !has(f.SetUID, "/usr/bin/chsh") || f.ELF == 0 {
		t.Errorf("passwd: setuid %v, ELF %d", f.SetUID, f.ELF)
	}
	if f := facts["iputils-ping"]; !has(f.Caps, "/bin/ping") && !has(f.Caps, "/usr/bin/ping") {
		t.Errorf("iputils-ping: caps %v", f.Caps)
	}
	enabled := false
	for _, u := range facts["openssh-server"].Units {
		if u.Name == "ssh.service" && u.Enabled {
			enabled = true
		}
	}
	if !enabled {
		t.Errorf("openssh-server units %+v: ssh.service not enabled", facts["openssh-server"].Units)
	}
	root := false
	for _, a := range facts["base-passwd"].Accounts {
		if a.Name == "root" && LoginShell(a.Shell) {
			root = true
		}
	}
	if !root {
		t.Errorf("base-passwd accounts %v", facts["base-passwd"].Accounts)
	}
	if f := facts["util-linux"]; !has(f.SetUID, "/usr/bin/su") && !has(f.SetUID, "/bin/su") && !has(f.SetUID, "/bin/mount") && !has(f.SetUID, "/usr/bin/mount") {
		t.Errorf("util-linux setuid %v", f.SetUID)
	}
	l.Init, l.Base = "systemd", "debian"
	v := Measure(Input{Lock: l, Debs: facts})
	if m := v.Get("ports"); m.Value < 1 || !strings.Contains(strings.Join(m.Detail, " "), "22/tcp") {
		t.Errorf("ports %+v", m)
	}
	for _, k := range []string{"setuid", "caps", "services", "logins"} {
		if m := v.Get(k); !m.Known || m.Value == 0 {
			t.Errorf("%s = %+v", k, m)
		}
	}
}

// TestRealGenericVsPurpose measures the generic baseline from its real
// .debs and a purpose-built nginx VM (the resolver's minimal closure,
// pdvm's init) from theirs: the generic image shows the entry points it
// is known for, and the purpose VM is no larger on any part.
func TestRealGenericVsPurpose(t *testing.T) {
	u := realarchive.Universe(t)
	gl, err := GenericLock(u)
	if err != nil {
		t.Fatal(err)
	}
	for i := range gl.Archive {
		if m := realdeb.Mirrors[gl.Archive[i].Suite]; m != "" {
			gl.Archive[i].MirrorURL = m
		}
	}
	ctx := context.Background()
	gf, err := ScanAll(ctx, gl, realdeb.Fetch(t, gl), "")
	if err != nil {
		t.Fatal(err)
	}
	g := Measure(Input{Name: "generic", Lock: gl, Debs: gf, ExtraAccounts: GenericAccounts})
	detail := func(v *Vector, k string) string { return strings.Join(v.Get(k).Detail, " ") }
	for k, want := range map[string][]string{
		"setuid":   {"/usr/bin/sudo", "/usr/bin/passwd", "/bin/su"},
		"caps":     {"ping"},
		"services": {"ssh.service", "systemd-journald.service", "cloud-init.service"},
		"ports":    {"22/tcp"},
		"logins":   {"root", "debian"},
	} {
		for _, w := range want {
			if !strings.Contains(detail(g, k), w) {
				t.Errorf("generic %s: %q lacks %s", k, detail(g, k), w)
			}
		}
	}
	if g.Get("elf").Value < 1000 || g.Get("kernel_modules").Value < 500 || !g.Get("total").Known {
		t.Errorf("generic: %v ELF, %v modules", g.Get("elf").Value, g.Get("kernel_modules").Value)
	}

	// The purpose VM: nginx's closure plus the cloud kernel, pdvm's init.
	pl := realdeb.Lock(t, "nginx", "nginx-common", "libc6", "libssl3", "libpcre2-8-0", "zlib1g", "libcrypt1", realdeb.CloudKernel(t))
	pl.VM, pl.Base, pl.Init = "purpose", "none", "pdvm"
	pf, err := ScanAll(ctx, pl, realdeb.Fetch(t, pl), "")
	if err != nil {
		t.Fatal(err)
	}
	p := Measure(Input{Name: "purpose", Lock: pl, Debs: pf})
	for _, m := range p.Metrics {
		gm := g.Get(m.Key)
		if m.Known && gm.Known && m.Value > gm.Value {
			t.Errorf("%s: purpose %v > generic %v", m.Key, m.Value, gm.Value)
		}
	}
	t.Logf("generic: %d packages, %v files, %v ELF, %v setuid, %v services, %v ports, total %v",
		len(gl.Packages), g.Get("files").Value, g.Get("elf").Value, g.Get("setuid").Value, g.Get("services").Value, g.Get("ports").Value, g.Total)
}
