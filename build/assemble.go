package build

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"pdvm.dev/pdvm/debx"
	"pdvm.dev/pdvm/fetch"
	"pdvm.dev/pdvm/internal/tool"
	"pdvm.dev/pdvm/kconfig/kernelsrc"
	"pdvm.dev/pdvm/kmod"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/vminit"
)

type builder struct {
	ctx     context.Context
	lock    *manifest.Lock
	spec    *Spec
	opt     Options
	key     string
	initBin string
	work    string // temporary directory
	out     string // artifacts (renamed into the cache when done)

	stages []Stage
	t0     time.Time
	date   time.Time
	debs   map[string]string // package name -> .deb path
	kernel manifest.Package
	root   *debx.Root
	acct   *accounts
	res    Result
	kmods  []string // absolute paths of the kept modules, load order
	kv     string   // kernel version

	kernelDone chan kernelResult // readKernel's result, started by unpack
}

type kernelResult struct {
	k   *kernelFiles
	err error
}

func (b *builder) hook(p string) {
	if b.opt.testHook != nil {
		b.opt.testHook(p)
	}
}

func (b *builder) stage(name string, f func() error) error {
	if err := b.ctx.Err(); err != nil {
		return err
	}
	t := time.Now()
	err := f()
	d := time.Since(t)
	b.stages = append(b.stages, Stage{Name: name, Seconds: round(d.Seconds())})
	if err != nil {
		return err
	}
	b.opt.Log("%-10s %6.2fs", name, d.Seconds())
	b.hook("after:" + name)
	return nil
}

func round(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

var kernelRE = regexp.MustCompile(`^linux-image-[0-9].*`)

func (b *builder) run() (*Result, error) {
	b.date = time.Unix(0, 0).UTC()
	if b.lock.Date != "" {
		d, err := time.Parse(time.RFC3339, b.lock.Date)
		if err != nil {
			return nil, fmt.Errorf("lock date %q: %w", b.lock.Date, err)
		}
		b.date = d.UTC()
	}
	if b.date.Year() < 1980 { // FAT, zip and friends start in 1980
		b.date = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	b.res = Result{Key: b.key}
	steps := []struct {
		name string
		f    func() error
	}{
		{"fetch", b.fetch},
		{"unpack", b.unpack},
		{"kernel", b.installKernel},
		{"configure", b.configure},
		{"ext4", b.mkext4},
		{"disk", b.fullDisk},
		{"formats", b.formats},
		{"configs", b.configs},
	}
	for _, s := range steps {
		if err := b.stage(s.name, s.f); err != nil {
			if b.root != nil {
				b.root.Close()
			}
			if b.kernelDone != nil && s.name == "unpack" {
				<-b.kernelDone // let the kernel reader stop before the work directory goes
			}
			return nil, err
		}
	}
	b.res.Stages = b.stages
	return &b.res, nil
}

func (b *builder) fetch() error {
	items, err := fetch.Items(b.lock)
	if err != nil {
		return err
	}
	f := b.opt.Fetcher
	if f == nil {
		f = fetch.New(b.opt.CacheDir)
	}
	paths, err := f.All(b.ctx, items)
	if err != nil {
		return err
	}
	b.debs = map[string]string{}
	if b.lock.KernelBuild != nil {
		// flavour pdvm: the kernel is compiled (kernel.go)
		for i, p := range b.lock.Packages {
			b.debs[p.Name] = paths[i]
		}
		kb := b.lock.KernelBuild
		b.res.Kernel = fmt.Sprintf("linux %s (flavour pdvm, built from %s %s)", kernelsrc.KernelVersion, kb.Source, kb.SourceVersion)
		return nil
	}
	found := false
	for i, p := range b.lock.Packages {
		b.debs[p.Name] = paths[i]
		if (b.spec.Kernel.Package != "" && p.Name == b.spec.Kernel.Package) ||
			(b.spec.Kernel.Package == "" && (p.Kernel || (!found && kernelRE.MatchString(p.Name)))) {
			b.kernel, found = p, true
		}
	}
	if !found {
		if b.spec.Kernel.Package != "" {
			return fmt.Errorf("kernel package %s is not in the lock", b.spec.Kernel.Package)
		}
		return errNoKernel
	}
	b.res.Kernel = b.kernel.Name + " " + b.kernel.Version
	return nil
}

// skipDoc drops documentation a VM never reads (copyright files stay).
func skipDoc(rel string) bool {
	for _, p := range []string{"usr/share/man/", "usr/share/info/", "usr/share/locale/", "usr/share/lintian/", "usr/share/bug/", "usr/share/doc-base/"} {
		if strings.HasPrefix(rel, p) {
			return true
		}
	}
	if strings.HasPrefix(rel, "usr/share/doc/") {
		parts := strings.Split(strings.TrimSuffix(rel, "/"), "/")
		return len(parts) > 4 && !(len(parts) == 5 && parts[4] == "copyright")
	}
	return false
}

func isMeta(p manifest.Package) bool {
	return strings.HasPrefix(p.Name, "linux-image-") && !kernelRE.MatchString(p.Name)
}

func (b *builder) unpack() error {
	// the kernel package is read at the same time (it is the biggest)
	b.kernelDone = make(chan kernelResult, 1)
	go func() {
		var k *kernelFiles
		var err error
		if b.lock.KernelBuild != nil {
			k, err = b.compileKernel()
		} else {
			k, err = b.readKernel()
		}
		b.kernelDone <- kernelResult{k, err}
	}()
	dir := filepath.Join(b.work, "root")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	r, err := debx.OpenRoot(dir)
	if err != nil {
		return err
	}
	b.root = r
	// merged /usr, as Debian bookworm installs it
	for _, d := range []string{"usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "etc", "var/lib", "var/log", "var/tmp", "dev", "proc", "sys", "run", "tmp", "root", "home", "mnt"} {
		if err := r.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, l := range [][2]string{{"bin", "usr/bin"}, {"sbin", "usr/sbin"}, {"lib", "usr/lib"}, {"lib64", "usr/lib64"}} {
		if err := r.Symlink(l[1], l[0]); err != nil {
			return err
		}
	}
	r.Chmod("tmp", 0o777|fs.ModeSticky)
	r.Chmod("var/tmp", 0o777|fs.ModeSticky)
	r.Chmod("root", 0o700)
	if os.Geteuid() != 0 {
		// Without root, owners are recorded and written by debugfs (mkext4).
		r.RecordOwners()
	}
	opts := debx.Options{Owners: true, Clamp: b.date, Skip: skipDoc}

	n := 0
	for _, p := range b.lock.Packages {
		if p.Name == b.kernel.Name || isMeta(p) {
			continue
		}
		if _, err := debx.Extract(b.ctx, b.debs[p.Name], r, opts); err != nil {
			return fmt.Errorf("unpacking %s: %w", p.Name, err)
		}
		n++
	}
	b.res.Packages = len(b.lock.Packages)
	if b.spec.Base == "debian" {
		return b.dpkgInstall()
	}
	return nil
}

// moduleRoots are the drivers the VM's hardware needs.
func (b *builder) moduleRoots() []string {
	roots := []string{"ext4"}
	if !b.spec.Network.None {
		roots = append(roots, "virtio_pci", "virtio_net")
	}
	if b.spec.Hardware.DiskBus == "virtio" {
		roots = append(roots, "virtio_pci", "virtio_blk")
	}
	if b.spec.Init == "systemd" {
		roots = append(roots, "?autofs4") // systemd loads it at start
	}
	return append(roots, b.spec.Kernel.Modules...)
}

// kernelFiles is the kernel package, read in memory while the other
// packages are unpacked.
type kernelFiles struct {
	kv    string
	files map[string][]byte // under /lib/modules/KV
	ix    *kmod.Index
}

// readKernel streams the kernel package: vmlinuz goes to the outputs, the
// module tree into memory (about 90 MiB) with its modinfo graph; nothing
// of it touches the disk.
func (b *builder) readKernel() (*kernelFiles, error) {
	k := &kernelFiles{files: map[string][]byte{}}
	kb := kmod.NewBuilder()
	gotKernel := false
	err := debx.Walk(b.ctx, b.debs[b.kernel.Name], debx.Options{}, func(rel string, size int64, r io.Reader) error {
		switch {
		case strings.HasPrefix(rel, "boot/vmlinuz-"):
			f, err := os.Create(filepath.Join(b.out, b.name("vmlinuz")))
			if err != nil {
				return err
			}
			_, err = io.Copy(f, r)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			gotKernel = true
			return err
		case strings.HasPrefix(rel, "lib/modules/"):
			parts := strings.SplitN(rel, "/", 4)
			if len(parts) < 4 {
				return nil
			}
			if k.kv == "" {
				k.kv = parts[2]
			} else if k.kv != parts[2] {
				return fmt.Errorf("two kernel versions in one package: %s and %s", k.kv, parts[2])
			}
			data, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			k.files[parts[3]] = data
			return kb.Add(parts[3], data)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the kernel package: %w", err)
	}
	if !gotKernel || k.kv == "" {
		return nil, fmt.Errorf("kernel package %s has no /boot/vmlinuz-* or /lib/modules/VERSION", b.kernel.Name)
	}
	os.Chtimes(filepath.Join(b.out, b.name("vmlinuz")), b.date, b.date)
	if k.ix, err = kb.Index(); err != nil {
		return nil, fmt.Errorf("kernel %s: %w", k.kv, err)
	}
	return k, nil
}

func (b *builder) installKernel() error {
	res := <-b.kernelDone
	if res.err != nil {
		return res.err
	}
	k := res.k
	if b.lock.KernelBuild != nil {
		// everything is built in: no modules, no initramfs
		b.kv = k.kv
		return nil
	}
	ix, kv := k.ix, k.kv
	var roots []string
	for _, r := range b.moduleRoots() {
		if opt, ok := strings.CutPrefix(r, "?"); ok {
			// optional (from Kconfig symbols): only when it is a module
			if ix.Modules[kmod.Normalize(opt)] == nil {
				continue
			}
			r = opt
		}
		roots = append(roots, r)
	}
	load, _, err := ix.Closure(roots...)
	if err != nil {
		return fmt.Errorf("kernel %s: %w", kv, err)
	}
	mdir := path.Join("usr/lib/modules", kv)
	b.kmods = nil
	for _, m := range load {
		if err := b.root.WriteFile(path.Join(mdir, m.Path), k.files[m.Path], 0o644); err != nil {
			return err
		}
		b.kmods = append(b.kmods, "/"+path.Join(mdir, m.Path))
		b.res.Modules = append(b.res.Modules, m.Name)
	}
	for _, f := range []string{"modules.builtin", "modules.builtin.modinfo", "modules.order"} {
		if data, ok := k.files[f]; ok {
			b.root.WriteFile(path.Join(mdir, f), data, 0o644)
		}
	}
	b.root.WriteFile(path.Join(mdir, "modules.dep"), ix.ModulesDep(load), 0o644)
	b.kv = kv
	if b.spec.Init == "systemd" {
		// systemd loads modules through libkmod, which reads depmod's
		// binary indexes; pdvm's init needs none of them.
		if _, err := tool.Run(b.ctx, nil, "depmod", "-b", b.root.Dir(), kv); err != nil {
			return fmt.Errorf("indexing the kept modules: %w", err)
		}
	}
	if b.needsInitrd() {
		if err := b.makeInitrd(ix, k.files); err != nil {
			return err
		}
	}
	return nil
}

// configure writes accounts, host files, the description's files and the
// init.
func (b *builder) configure() error {
	r := b.root
	b.acct = newAccounts()
	if b.spec.Base == "debian" {
		pw, err1 := r.ReadFile("etc/passwd")
		gr, err2 := r.ReadFile("etc/group")
		if err1 == nil && err2 == nil {
			b.acct = loadAccounts(pw, gr)
		}
	}
	for _, p := range b.lock.Packages {
		for _, u := range PackageSetup[p.Name].SystemUsers {
			b.acct.addSystemUser(u[0], u[1])
		}
	}
	shell := "/usr/sbin/nologin"
	if r.Exists("usr/bin/sh") || r.Exists("bin/sh") {
		shell = "/bin/sh"
	}
	for _, u := range b.spec.Users {
		acc, err := b.acct.addUser(u, shell)
		if err != nil {
			return err
		}
		if err := r.MkdirAll(acc.Home, 0o750); err != nil {
			return err
		}
		r.Chown(acc.Home, acc.UID, acc.GID)
		if len(u.SSHKeys) > 0 {
			ssh := path.Join(acc.Home, ".ssh")
			r.MkdirAll(ssh, 0o700)
			r.Chown(ssh, acc.UID, acc.GID)
			keys := path.Join(ssh, "authorized_keys")
			if err := r.WriteFile(keys, []byte(strings.Join(u.SSHKeys, "\n")+"\n"), 0o600); err != nil {
				return err
			}
			r.Chown(keys, acc.UID, acc.GID)
		}
		if u.Sudo && r.Exists("etc/sudoers.d") {
			rule := u.Name + " ALL=(ALL:ALL) ALL\n"
			if u.PasswordHash == "" || strings.HasPrefix(u.PasswordHash, "!") || u.PasswordHash == "*" {
				// no usable password: sudo could never ask for one
				rule = u.Name + " ALL=(ALL:ALL) NOPASSWD: ALL\n"
			}
			if err := r.WriteFile("etc/sudoers.d/90-pdvm-"+u.Name, []byte(rule), 0o440); err != nil {
				return err
			}
		}
	}
	days := int(b.date.Unix() / 86400)
	pw, gr, sh, gsh := b.acct.files(days)
	shadowGID := 42
	for _, f := range []struct {
		p    string
		data []byte
		mode fs.FileMode
		gid  int
	}{{"etc/passwd", pw, 0o644, 0}, {"etc/group", gr, 0o644, 0}, {"etc/shadow", sh, 0o640, shadowGID}, {"etc/gshadow", gsh, 0o640, shadowGID}} {
		if err := r.WriteFile(f.p, f.data, f.mode); err != nil {
			return err
		}
		r.Chown(f.p, 0, f.gid)
	}
	s := b.spec
	host := []byte(s.Hostname + "\n")
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n", s.Hostname)
	var resolv strings.Builder
	for _, d := range s.Network.DNS {
		fmt.Fprintf(&resolv, "nameserver %s\n", d)
	}
	for _, f := range [][2]string{{"etc/hostname", string(host)}, {"etc/hosts", hosts}, {"etc/resolv.conf", resolv.String()},
		{"etc/fstab", "# <file system> <mount point> <type> <options> <dump> <pass>\nLABEL=root / ext4 defaults,errors=remount-ro 0 1\n"}} {
		if err := r.WriteFile(f[0], []byte(f[1]), 0o644); err != nil {
			return err
		}
	}
	if err := b.writeDpkgStatus(); err != nil {
		return err
	}
	if s.Base == "none" {
		// what debianutils' update-shells and add-shell would list; login
		// daemons refuse users whose shell is not there
		var sh strings.Builder
		sh.WriteString("# /etc/shells: valid login shells (written by pdvm)\n")
		for _, name := range []string{"sh", "bash", "rbash", "dash", "zsh", "fish", "mksh", "ksh"} {
			if r.Exists("usr/bin/" + name) {
				fmt.Fprintf(&sh, "/bin/%s\n/usr/bin/%s\n", name, name)
			}
		}
		if err := r.WriteFile("etc/shells", []byte(sh.String()), 0o644); err != nil {
			return err
		}
	}
	if err := b.applySetups(); err != nil {
		return err
	}
	for _, f := range s.Files {
		uid, gid, err := b.acct.ids(f.Owner)
		if err != nil {
			return fmt.Errorf("file %s: %w", f.Path, err)
		}
		if err := r.WriteFile(f.Path, []byte(f.Content), fs.FileMode(f.Mode)); err != nil {
			return fmt.Errorf("file %s: %w", f.Path, err)
		}
		if err := r.Chown(f.Path, uid, gid); err != nil {
			return fmt.Errorf("file %s: %w", f.Path, err)
		}
	}
	if err := b.installInit(); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		r.Mknod("dev/console", unix.S_IFCHR|0o600, int(unix.Mkdev(5, 1)))
		r.Mknod("dev/null", unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3)))
	}
	return nil
}

// writeDpkgStatus records what is installed in dpkg's format so that
// scanners (SBOM, vulnerability) can read it; there is no dpkg.
func (b *builder) writeDpkgStatus() error {
	var sb strings.Builder
	pk := append([]manifest.Package(nil), b.lock.Packages...)
	sort.Slice(pk, func(i, j int) bool { return pk[i].Name < pk[j].Name })
	for _, p := range pk {
		fmt.Fprintf(&sb, "Package: %s\nStatus: install ok installed\nArchitecture: %s\nVersion: %s\n", p.Name, p.Arch, p.Version)
		if p.Source != "" && p.Source != p.Name {
			src := p.Source
			if p.SourceVersion != "" && p.SourceVersion != p.Version {
				src += " (" + p.SourceVersion + ")"
			}
			fmt.Fprintf(&sb, "Source: %s\n", src)
		}
		sb.WriteString("\n")
	}
	if b.spec.Base == "debian" {
		return nil // dpkg writes its own
	}
	return b.root.WriteFile("var/lib/dpkg/status", []byte(sb.String()), 0o644)
}

// services are the description's services plus those its packages start
// on their own (Setup.Autostart) when the description names none running
// the same program.
func (b *builder) services() []Service {
	out := append([]Service(nil), b.spec.Services...)
	for _, p := range b.lock.Packages {
		st := PackageSetup[p.Name]
		if !st.Autostart || len(st.Service) == 0 {
			continue
		}
		declared := false
		for _, sv := range b.spec.Services {
			if len(sv.Command) > 0 && path.Base(sv.Command[0]) == path.Base(st.Service[0]) {
				declared = true
			}
		}
		if !declared {
			out = append(out, Service{Name: path.Base(st.Service[0]), Command: st.Service, Restart: "always"})
		}
	}
	return out
}

func (b *builder) applySetups() error {
	r := b.root
	for _, p := range b.lock.Packages {
		st, ok := PackageSetup[p.Name]
		if !ok {
			continue
		}
		for _, d := range st.Dirs {
			if err := r.MkdirAll(d.Path, fs.FileMode(d.Mode)); err != nil {
				return err
			}
			if err := b.own(d.Path, d.Owner, d.Mode); err != nil {
				return fmt.Errorf("setting up %s: %w", p.Name, err)
			}
		}
		for _, t := range st.Touch {
			if !r.Exists(t.Path) {
				if err := r.WriteFile(t.Path, nil, fs.FileMode(t.Mode)); err != nil {
					return err
				}
			}
			if err := b.own(t.Path, t.Owner, t.Mode); err != nil {
				return fmt.Errorf("setting up %s: %w", p.Name, err)
			}
		}
		for _, l := range st.Symlinks {
			if !r.Exists(l[0]) {
				if err := r.Symlink(l[1], l[0]); err != nil {
					return err
				}
			}
		}
		for _, f := range st.Files {
			if !r.Exists(f[0]) {
				if err := r.WriteFile(f[0], []byte(f[1]), 0o644); err != nil {
					return err
				}
			}
		}
		for _, c := range st.Copies {
			if !r.Exists(c[1]) {
				data, err := r.ReadFile(c[0])
				if err != nil {
					continue
				}
				if err := r.WriteFile(c[1], data, 0o644); err != nil {
					return err
				}
			}
		}
		for _, o := range st.Own {
			if r.Exists(o.Path) {
				if err := b.own(o.Path, o.Owner, o.Mode); err != nil {
					return fmt.Errorf("setting up %s: %w", p.Name, err)
				}
			}
		}
	}
	return nil
}

func (b *builder) own(p, owner string, mode uint32) error {
	uid, gid, err := b.acct.ids(owner)
	if err != nil {
		return err
	}
	if err := b.root.Chown(p, uid, gid); err != nil {
		return err
	}
	return b.root.Chmod(p, fs.FileMode(mode))
}

// resolveCommand makes argv[0] absolute by looking in the image's PATH,
// and expands a bare daemon name to the package's foreground invocation.
func (b *builder) resolveCommand(argv []string) ([]string, error) {
	argv = append([]string(nil), argv...)
	if !strings.HasPrefix(argv[0], "/") {
		found := ""
		for _, d := range []string{"usr/sbin", "usr/bin", "sbin", "bin", "usr/local/sbin", "usr/local/bin"} {
			if b.root.Exists(path.Join(d, argv[0])) {
				found = "/" + path.Join(d, argv[0])
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("command %q is not in the image (no package of the lock installs it)", argv[0])
		}
		argv[0] = found
	}
	if len(argv) == 1 {
		for _, p := range b.lock.Packages {
			if st, ok := PackageSetup[p.Name]; ok && len(st.Service) > 0 && path.Base(st.Service[0]) == path.Base(argv[0]) {
				return append([]string(nil), st.Service...), nil
			}
		}
	}
	return argv, nil
}

func (b *builder) installInit() error {
	s := b.spec
	b.res.Cmdline = "console=ttyS0 panic=-1 quiet"
	if b.lock.KernelBuild != nil {
		// the root disk's driver is built in and probes asynchronously
		b.res.Cmdline += " rootwait"
	}
	if s.Init == "systemd" {
		return b.installSystemd()
	}
	data, err := os.ReadFile(b.initBin)
	if err != nil {
		return err
	}
	if err := b.root.WriteFile("usr/sbin/pdvm-init", data, 0o755); err != nil {
		return err
	}
	cfg := vminit.Config{Hostname: s.Hostname, Modules: b.kmods}
	if !s.Network.None {
		cfg.Network = []vminit.Interface{{DHCP: s.Network.DHCP, Address: s.Network.Address, Gateway: s.Network.Gateway}}
	}
	for _, sv := range b.services() {
		argv, err := b.resolveCommand(sv.Command)
		if err != nil {
			return fmt.Errorf("service %s: %w", sv.Name, err)
		}
		user := sv.User
		if user == "" {
			user = "root"
		}
		uid, gid, err := b.acct.ids(user)
		if err != nil {
			return fmt.Errorf("service %s: %w", sv.Name, err)
		}
		var groups []int
		for _, g := range b.acct.groups {
			for _, m := range g.Members {
				if m == user {
					groups = append(groups, g.GID)
				}
			}
		}
		cfg.Services = append(cfg.Services, vminit.Service{Name: sv.Name, Command: argv, UID: uid, GID: gid, Groups: groups,
			Dir: sv.Dir, Env: sv.Env, Restart: sv.Restart})
	}
	for _, p := range s.Probes {
		if p.Kind == "command" {
			argv, err := b.resolveCommand(p.Command)
			if err != nil {
				return fmt.Errorf("probe %s: %w", p.Name, err)
			}
			cfg.Probes = append(cfg.Probes, vminit.Probe{Name: p.Name, Command: argv})
		}
	}
	for _, p := range b.lock.Packages {
		for _, c := range PackageSetup[p.Name].Before {
			cfg.Before = append(cfg.Before, vminit.Probe{Name: path.Base(c[0]), Command: c})
		}
		for _, d := range PackageSetup[p.Name].Dirs {
			if strings.HasPrefix(d.Path, "/run/") || strings.HasPrefix(d.Path, "/tmp/") {
				uid, gid, _ := b.acct.ids(d.Owner)
				cfg.Dirs = append(cfg.Dirs, vminit.Dir{Path: d.Path, Mode: d.Mode, UID: uid, GID: gid})
			}
		}
	}
	js, err := cfg.Marshal()
	if err != nil {
		return err
	}
	if err := b.root.WriteFile(strings.TrimPrefix(vminit.ConfigPath, "/"), js, 0o644); err != nil {
		return err
	}
	b.res.Cmdline += " init=/usr/sbin/pdvm-init"
	return nil
}

func copyFile(src, dst string, t time.Time) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return err
	}
	return os.Chtimes(dst, t, t)
}

// uuidFrom derives a version-4-shaped UUID from the build key.
func uuidFrom(key, purpose string) string {
	h := sha256.Sum256([]byte(purpose + "\x00" + key))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
