package description

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// The raw structs mirror the HCL schema; gohcl rejects anything else.
// Attributes are kept as expressions and evaluated by the evaluator so
// that each value (and each list element) keeps its own range.

type rawVM struct {
	Name      string
	DefRange  hcl.Range
	From      hcl.Expression `hcl:"from,optional"`
	Arch      hcl.Expression `hcl:"arch,optional"`
	Extends   hcl.Expression `hcl:"extends,optional"`
	Base      hcl.Expression `hcl:"base,optional"`
	Init      hcl.Expression `hcl:"init,optional"`
	Objective hcl.Expression `hcl:"objective,optional"`
	Hostname  hcl.Expression `hcl:"hostname,optional"`
	Need      hcl.Expression `hcl:"need,optional"`
	Avoid     hcl.Expression `hcl:"avoid,optional"`
	Prefer    hcl.Expression `hcl:"prefer,optional"`

	Kernel   *rawKernel   `hcl:"kernel,block"`
	Hardware *rawHardware `hcl:"hardware,block"`
	Network  *rawNetwork  `hcl:"network,block"`
	Output   *rawOutput   `hcl:"output,block"`
	Security *rawSecurity `hcl:"security,block"`
	Users    []*rawUser   `hcl:"user,block"`
	Services []*rawSvc    `hcl:"service,block"`
	Files    []*rawFile   `hcl:"file,block"`
	Probes   []*rawProbe  `hcl:"probe,block"`
}

type rawKernel struct {
	DefRange hcl.Range      `hcl:",def_range"`
	Flavour  hcl.Expression `hcl:"flavour,optional"`
	Need     hcl.Expression `hcl:"need,optional"`
	Avoid    hcl.Expression `hcl:"avoid,optional"`
}

type rawHardware struct {
	DefRange hcl.Range      `hcl:",def_range"`
	CPUs     hcl.Expression `hcl:"cpus,optional"`
	Memory   hcl.Expression `hcl:"memory,optional"`
	Disk     hcl.Expression `hcl:"disk,optional"`
}

type rawNetwork struct {
	DefRange hcl.Range      `hcl:",def_range"`
	Mode     hcl.Expression `hcl:"mode,optional"`
	Address  hcl.Expression `hcl:"address,optional"`
	Gateway  hcl.Expression `hcl:"gateway,optional"`
	DNS      hcl.Expression `hcl:"dns,optional"`
	Forward  hcl.Expression `hcl:"forward,optional"`
}

type rawOutput struct {
	DefRange    hcl.Range      `hcl:",def_range"`
	Formats     hcl.Expression `hcl:"formats,optional"`
	Hypervisors hcl.Expression `hcl:"hypervisors,optional"`
}

type rawSecurity struct {
	DefRange hcl.Range      `hcl:",def_range"`
	Avoid    hcl.Expression `hcl:"avoid,optional"`
	MaxAge   hcl.Expression `hcl:"max_age,optional"`
}

type rawUser struct {
	Name         string         `hcl:"name,label"`
	DefRange     hcl.Range      `hcl:",def_range"`
	SSHKeys      hcl.Expression `hcl:"ssh_authorized_keys,optional"`
	PasswordHash hcl.Expression `hcl:"password_hash,optional"`
	Groups       hcl.Expression `hcl:"groups,optional"`
	Sudo         hcl.Expression `hcl:"sudo,optional"`
	Shell        hcl.Expression `hcl:"shell,optional"`
}

type rawSvc struct {
	Name     string         `hcl:"name,label"`
	DefRange hcl.Range      `hcl:",def_range"`
	Command  hcl.Expression `hcl:"command,optional"`
	User     hcl.Expression `hcl:"user,optional"`
	After    hcl.Expression `hcl:"after,optional"`
	Restart  hcl.Expression `hcl:"restart,optional"`
}

type rawFile struct {
	Path     string         `hcl:"path,label"`
	DefRange hcl.Range      `hcl:",def_range"`
	Content  hcl.Expression `hcl:"content,optional"`
	Source   hcl.Expression `hcl:"source,optional"`
	Mode     hcl.Expression `hcl:"mode,optional"`
	Owner    hcl.Expression `hcl:"owner,optional"`
}

type rawProbe struct {
	Name     string         `hcl:"name,label"`
	DefRange hcl.Range      `hcl:",def_range"`
	HTTP     *rawHTTP       `hcl:"http,block"`
	TCP      *rawTCP        `hcl:"tcp,block"`
	Command  *rawCommand    `hcl:"command,block"`
	Timeout  hcl.Expression `hcl:"timeout,optional"`
}

type rawHTTP struct {
	DefRange hcl.Range      `hcl:",def_range"`
	Port     hcl.Expression `hcl:"port,optional"`
	Path     hcl.Expression `hcl:"path,optional"`
	Status   hcl.Expression `hcl:"status,optional"`
	Contains hcl.Expression `hcl:"contains,optional"`
}

type rawTCP struct {
	DefRange hcl.Range      `hcl:",def_range"`
	Port     hcl.Expression `hcl:"port,optional"`
	Banner   hcl.Expression `hcl:"banner,optional"`
}

type rawCommand struct {
	DefRange hcl.Range      `hcl:",def_range"`
	Run      hcl.Expression `hcl:"run,optional"`
	Expect   hcl.Expression `hcl:"expect,optional"`
}

// DefaultProbeTimeout is how long a boot test waits for a probe that sets
// no timeout.
const DefaultProbeTimeout = 60 * time.Second

// Accepted values, exported for the CLI's help and for later stages.
var (
	Bases         = []string{"none", "debian"}
	Inits         = []string{"pdvm", "systemd"}
	Objectives    = []string{"count", "size"}
	Flavours      = []string{"cloud", "generic", "rt", "none", "custom", "pdvm"}
	NetworkModes  = []string{"dhcp", "static", "none"}
	RestartModes  = []string{"always", "on-failure", "never"}
	Severities    = []string{"low", "medium", "high", "critical"}
	Formats       = []string{"raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "ami", "tar"}
	Hypervisors   = []string{"qemu", "libvirt", "firecracker", "ovf"}
	Architectures = []string{"amd64", "arm64", "armel", "armhf", "i386", "mips64el", "mipsel", "ppc64el", "s390x", "riscv64"}
	Distributions = []string{"debian"}
)

var (
	releaseRE  = regexp.MustCompile(`^[a-z]+/[a-z][a-z0-9-]*$`)
	hostnameRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)
	kconfigRE  = regexp.MustCompile(`^[A-Z0-9_]+$`)
	userRE     = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	modeRE     = regexp.MustCompile(`^0?[0-7]{3,4}$`)
	forwardRE  = regexp.MustCompile(`^(\d{1,5}):(\d{1,5})(/(tcp|udp))?$`)
)

func (l *loader) convertVM(ev *evaluator, r *rawVM, dir string) *VM {
	vm := &VM{Name: r.Name, DefRange: r.DefRange}
	vm.From = ev.str(r.From, "from")
	if vm.From.Set {
		if !releaseRE.MatchString(vm.From.Value) {
			ev.errorf(vm.From.Range, "Invalid value for from", "%q is not DISTRIBUTION/RELEASE, e.g. \"debian/bookworm\".", vm.From.Value)
			vm.From = Str{}
		} else if d := strings.SplitN(vm.From.Value, "/", 2)[0]; !contains(Distributions, d) {
			ev.errorf(vm.From.Range, "Unsupported distribution", "pdvm builds from %s only, not %q.", quoteList(Distributions), d)
			vm.From = Str{}
		}
	}
	vm.Arch = ev.enum(r.Arch, "arch", Architectures...)
	vm.Extends = ev.str(r.Extends, "extends")
	vm.Base = ev.enum(r.Base, "base", Bases...)
	vm.Init = ev.enum(r.Init, "init", Inits...)
	vm.Objective = ev.enum(r.Objective, "objective", Objectives...)
	vm.Hostname = ev.str(r.Hostname, "hostname")
	if vm.Hostname.Set && !hostnameRE.MatchString(vm.Hostname.Value) {
		ev.errorf(vm.Hostname.Range, "Invalid hostname", "%q is not a valid host name (RFC 1123: letters, digits and '-', dot-separated labels of at most 63 characters).", vm.Hostname.Value)
		vm.Hostname = Str{}
	}
	vm.Need = ev.rels(r.Need, "need", relClause)
	vm.Avoid = ev.rels(r.Avoid, "avoid", relAtom)
	vm.Prefer = ev.rels(r.Prefer, "prefer", relClause)

	if k := r.Kernel; k != nil {
		vm.Kernel = &Kernel{DefRange: k.DefRange}
		vm.Kernel.Flavour = ev.enum(k.Flavour, "kernel flavour", Flavours...)
		vm.Kernel.Need = kconfig(ev, k.Need, "kernel need")
		vm.Kernel.Avoid = kconfig(ev, k.Avoid, "kernel avoid")
	}
	if h := r.Hardware; h != nil {
		vm.Hardware = &Hardware{DefRange: h.DefRange}
		vm.Hardware.CPUs = ev.num(h.CPUs, "cpus", 1, 512)
		vm.Hardware.Memory = size(ev, h.Memory, "memory", 32<<20)
		vm.Hardware.Disk = size(ev, h.Disk, "disk", 16<<20)
	}
	if n := r.Network; n != nil {
		vm.Network = &Network{DefRange: n.DefRange}
		vm.Network.Mode = ev.enum(n.Mode, "network mode", NetworkModes...)
		vm.Network.Address = ev.str(n.Address, "address")
		if a := vm.Network.Address; a.Set {
			if _, err := netip.ParsePrefix(a.Value); err != nil {
				ev.errorf(a.Range, "Invalid address", "%q is not an address with prefix length, e.g. \"10.0.2.15/24\".", a.Value)
				vm.Network.Address = Str{}
			}
		}
		vm.Network.Gateway = ev.str(n.Gateway, "gateway")
		if g := vm.Network.Gateway; g.Set {
			if _, err := netip.ParseAddr(g.Value); err != nil {
				ev.errorf(g.Range, "Invalid gateway", "%q is not an IP address.", g.Value)
				vm.Network.Gateway = Str{}
			}
		}
		vm.Network.DNS = ev.strs(n.DNS, "dns")
		for i, s := range vm.Network.DNS.Values {
			if _, err := netip.ParseAddr(s); err != nil {
				ev.errorf(vm.Network.DNS.Ranges[i], "Invalid DNS server", "%q is not an IP address.", s)
			}
		}
		fw := ev.strs(n.Forward, "forward")
		for i, s := range fw.Values {
			m := forwardRE.FindStringSubmatch(s)
			host, _ := strconv.Atoi(safeIdx(m, 1))
			guest, _ := strconv.Atoi(safeIdx(m, 2))
			if m == nil || host < 1 || host > 65535 || guest < 1 || guest > 65535 {
				ev.errorf(fw.Ranges[i], "Invalid port forward", "%q is not HOST_PORT:GUEST_PORT (optionally /tcp or /udp), e.g. \"8080:80\".", s)
				continue
			}
			proto := m[4]
			if proto == "" {
				proto = "tcp"
			}
			vm.Network.Forward = append(vm.Network.Forward, Forward{Host: host, Guest: guest, Proto: proto, Range: fw.Ranges[i]})
		}
	}
	if o := r.Output; o != nil {
		vm.Output = &Output{DefRange: o.DefRange}
		vm.Output.Formats = enumList(ev, o.Formats, "output format", Formats)
		vm.Output.Hypervisors = enumList(ev, o.Hypervisors, "hypervisor", Hypervisors)
	}
	if s := r.Security; s != nil {
		vm.Security = &Security{DefRange: s.DefRange}
		vm.Security.Avoid = ev.enum(s.Avoid, "security avoid", Severities...)
		vm.Security.MaxAge = duration(ev, s.MaxAge, "max_age")
	}
	labels := map[string]map[string]hcl.Range{}
	dup := func(kind, label string, rng hcl.Range) bool {
		m := labels[kind]
		if m == nil {
			m = map[string]hcl.Range{}
			labels[kind] = m
		}
		if prev, ok := m[label]; ok {
			ev.errorf(rng, "Duplicate "+kind+" block", "A %s %q is already declared at %s.", kind, label, prev)
			return true
		}
		m[label] = rng
		return false
	}
	for _, u := range r.Users {
		if dup("user", u.Name, u.DefRange) {
			continue
		}
		if !userRE.MatchString(u.Name) {
			ev.errorf(u.DefRange, "Invalid user name", "%q is not a valid user name: start with a lower-case letter or '_', then letters, digits, '_' or '-', at most 32 characters.", u.Name)
		}
		us := &User{Name: u.Name, DefRange: u.DefRange}
		us.SSHAuthorizedKeys = ev.strs(u.SSHKeys, "ssh_authorized_keys")
		for i, k := range us.SSHAuthorizedKeys.Values {
			if !validSSHKey(k) {
				ev.errorf(us.SSHAuthorizedKeys.Ranges[i], "Invalid SSH public key", "This is not an OpenSSH public key line (\"ssh-ed25519 AAAA… comment\"); paste the content of a .pub file, or use file(\"~/.ssh/id_ed25519.pub\") with a path.")
			}
		}
		us.PasswordHash = ev.str(u.PasswordHash, "password_hash")
		if p := us.PasswordHash; p.Set && !strings.HasPrefix(p.Value, "$") && p.Value != "!" && p.Value != "*" {
			ev.errorf(p.Range, "Password is not hashed", "password_hash takes a crypt(3) hash such as the output of `mkpasswd -m yescrypt`, never a plain password (or \"!\" to lock the account).")
			us.PasswordHash = Str{}
		}
		us.Groups = ev.strs(u.Groups, "groups")
		us.Sudo = ev.boolean(u.Sudo, "sudo")
		us.Shell = ev.str(u.Shell, "shell")
		if s := us.Shell; s.Set && !strings.HasPrefix(s.Value, "/") {
			ev.errorf(s.Range, "Invalid shell", "shell must be an absolute path such as \"/bin/bash\".")
			us.Shell = Str{}
		}
		vm.Users = append(vm.Users, us)
	}
	for _, s := range r.Services {
		if dup("service", s.Name, s.DefRange) {
			continue
		}
		sv := &Service{Name: s.Name, DefRange: s.DefRange}
		sv.Command = ev.str(s.Command, "command")
		sv.User = ev.str(s.User, "user")
		sv.After = ev.strs(s.After, "after")
		sv.Restart = ev.enum(s.Restart, "restart", RestartModes...)
		vm.Services = append(vm.Services, sv)
	}
	for _, f := range r.Files {
		if dup("file", f.Path, f.DefRange) {
			continue
		}
		fs := &FileSpec{Path: f.Path, DefRange: f.DefRange, Mode: 0o644}
		if !strings.HasPrefix(f.Path, "/") || strings.Contains("/"+f.Path+"/", "/../") {
			ev.errorf(f.DefRange, "Invalid file path", "%q must be an absolute path inside the VM without \"..\", e.g. \"/var/www/html/index.html\".", f.Path)
		}
		fs.Content = ev.str(f.Content, "content")
		fs.Source = ev.str(f.Source, "source")
		if fs.Source.Set {
			fs.SourcePath = resolvePath(dir, fs.Source.Value)
			b, err := l.read(fs.SourcePath)
			if err != nil {
				ev.errorf(fs.Source.Range, "Cannot read file source", "Reading %s: %v.", fs.SourcePath, err)
			} else if !fs.Content.Set {
				fs.Content = Str{Value: string(b), Range: fs.Source.Range, Set: true}
			}
		}
		fs.ModeAttr = ev.str(f.Mode, "mode")
		if m := fs.ModeAttr; m.Set {
			if !modeRE.MatchString(m.Value) {
				ev.errorf(m.Range, "Invalid file mode", "%q is not an octal mode such as \"0644\" or \"0755\".", m.Value)
			} else {
				v, _ := strconv.ParseUint(m.Value, 8, 32)
				fs.Mode = uint32(v)
			}
		}
		fs.Owner = ev.str(f.Owner, "owner")
		vm.Files = append(vm.Files, fs)
		// Exactly one of content and source: checked here, where both
		// attributes of this block are known.
		content := f.Content != nil && !isNull(ev, f.Content)
		source := f.Source != nil && !isNull(ev, f.Source)
		switch {
		case content && source:
			ev.errorf(f.DefRange, "Both content and source", "file %q sets both content and source; keep one.", f.Path)
		case !content && !source:
			ev.errorf(f.DefRange, "File without content", "file %q needs content = \"…\" or source = \"PATH\" (relative to the description).", f.Path)
		}
	}
	for _, p := range r.Probes {
		if dup("probe", p.Name, p.DefRange) {
			continue
		}
		pr := &Probe{Name: p.Name, DefRange: p.DefRange}
		n := 0
		if h := p.HTTP; h != nil {
			n++
			pr.HTTP = &HTTPProbe{DefRange: h.DefRange}
			pr.HTTP.Port = ev.num(h.Port, "port", 1, 65535)
			pr.HTTP.Path = ev.str(h.Path, "path")
			pr.HTTP.Status = ev.num(h.Status, "status", 100, 599)
			pr.HTTP.Contains = ev.str(h.Contains, "contains")
			if !pr.HTTP.Port.Set && !isSetExpr(ev, h.Port) {
				ev.errorf(h.DefRange, "Missing port", "An http probe needs port = N.")
			}
		}
		if t := p.TCP; t != nil {
			n++
			pr.TCP = &TCPProbe{DefRange: t.DefRange}
			pr.TCP.Port = ev.num(t.Port, "port", 1, 65535)
			pr.TCP.Banner = ev.str(t.Banner, "banner")
			if !pr.TCP.Port.Set && !isSetExpr(ev, t.Port) {
				ev.errorf(t.DefRange, "Missing port", "A tcp probe needs port = N.")
			}
		}
		if c := p.Command; c != nil {
			n++
			pr.Command = &CommandProbe{DefRange: c.DefRange}
			pr.Command.Run = ev.str(c.Run, "run")
			pr.Command.Expect = ev.str(c.Expect, "expect")
			if !isSetExpr(ev, c.Run) {
				ev.errorf(c.DefRange, "Missing command", "A command probe needs run = \"…\".")
			}
		}
		if n != 1 {
			ev.errorf(p.DefRange, "Probe needs exactly one check", "probe %q has %d checks; give exactly one of http { … }, tcp { … } or command { … }.", p.Name, n)
		}
		pr.Timeout = duration(ev, p.Timeout, "timeout")
		// Defaults a boot test applies; Set stays false so they show as
		// defaults.
		if !pr.Timeout.Set {
			pr.Timeout = Duration{Value: DefaultProbeTimeout, Text: DefaultProbeTimeout.String(), Range: p.DefRange}
		}
		if h := pr.HTTP; h != nil {
			if !h.Path.Set {
				h.Path = Str{Value: "/", Range: h.DefRange}
			}
			if !h.Status.Set {
				h.Status = Int{Value: 200, Range: h.DefRange}
			}
		}
		vm.Probes = append(vm.Probes, pr)
	}
	return vm
}

// isNull reports whether x is absent or null, without recording
// diagnostics. An expression that fails to evaluate counts as written:
// its error is reported already.
func isNull(ev *evaluator, x hcl.Expression) bool {
	v, diags := x.Value(ev.ctx)
	return !diags.HasErrors() && v.IsNull()
}

// isSetExpr reports whether x was written (even if its value was invalid).
func isSetExpr(ev *evaluator, x hcl.Expression) bool { return x != nil && !isNull(ev, x) }

func kconfig(ev *evaluator, x hcl.Expression, what string) Strs {
	s := ev.strs(x, what)
	for i, v := range s.Values {
		if strings.HasPrefix(v, "CONFIG_") {
			ev.errorf(s.Ranges[i], "Invalid Kconfig symbol", "Write Kconfig symbols without the CONFIG_ prefix: %q.", strings.TrimPrefix(v, "CONFIG_"))
			continue
		}
		if !kconfigRE.MatchString(v) {
			ev.errorf(s.Ranges[i], "Invalid Kconfig symbol", "%q is not a Kconfig symbol (upper-case letters, digits and '_', e.g. \"VIRTIO_NET\").", v)
		}
	}
	return s
}

func enumList(ev *evaluator, x hcl.Expression, what string, allowed []string) Strs {
	s := ev.strs(x, what+"s")
	seen := map[string]bool{}
	for i, v := range s.Values {
		if !contains(allowed, v) {
			ev.errorf(s.Ranges[i], "Unknown "+what, "%q is not a known %s; use any of: %s.%s", v, what, quoteList(allowed), didYouMean(v, allowed))
		}
		if seen[v] {
			ev.errorf(s.Ranges[i], "Duplicate "+what, "%q is listed twice.", v)
		}
		seen[v] = true
	}
	return s
}

// ParseSize parses a size: a number with an optional binary suffix K, M,
// G or T (also KiB, MiB, …; a bare number is MiB).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1 << 20)
	upper := strings.ToUpper(t)
	for _, suf := range []struct {
		s string
		m int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(upper, suf.s) {
			t, mult = strings.TrimSpace(t[:len(t)-len(suf.s)]), suf.m
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f*float64(mult) > float64(1<<50) {
		return 0, fmt.Errorf("%q is not a size such as \"512M\" or \"2G\"", s)
	}
	return int64(f * float64(mult)), nil
}

func size(ev *evaluator, x hcl.Expression, what string, min int64) Size {
	v, ok := ev.value(x)
	if !ok {
		return Size{}
	}
	var text string
	if v.Type().FriendlyName() == "number" {
		bf := v.AsBigFloat()
		text = bf.Text('f', -1)
	} else {
		s := ev.str(x, what)
		if !s.Set {
			return Size{}
		}
		text = s.Value
	}
	n, err := ParseSize(text)
	if err != nil {
		ev.errorf(x.Range(), "Invalid "+what+" size", "%v (a bare number means MiB).", err)
		return Size{}
	}
	if n < min {
		ev.errorf(x.Range(), "Invalid "+what+" size", "%s is too small: at least %d MiB.", text, min>>20)
		return Size{}
	}
	return Size{Bytes: n, Text: text, Range: x.Range(), Set: true}
}

// ParseDuration parses "30s", "5m", "2h" or "7d".
func ParseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err == nil && n > 0 {
			return time.Duration(n * float64(24*time.Hour)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration such as \"30s\", \"5m\", \"2h\" or \"7d\"", s)
	}
	return d, nil
}

func duration(ev *evaluator, x hcl.Expression, what string) Duration {
	s := ev.str(x, what)
	if !s.Set {
		return Duration{}
	}
	d, err := ParseDuration(s.Value)
	if err != nil {
		ev.errorf(s.Range, "Invalid "+what, "%v.", err)
		return Duration{}
	}
	return Duration{Value: d, Text: s.Value, Range: s.Range, Set: true}
}

func validSSHKey(k string) bool {
	f := strings.Fields(k)
	if len(f) < 2 {
		return false
	}
	switch {
	case strings.HasPrefix(f[0], "ssh-"), strings.HasPrefix(f[0], "ecdsa-sha2-"), strings.HasPrefix(f[0], "sk-"):
		return strings.HasPrefix(f[1], "AAAA")
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func safeIdx(m []string, i int) string {
	if i < len(m) {
		return m[i]
	}
	return ""
}

// didYouMean suggests the closest of candidates to s, as " Did you mean
// \"x\"?", or "".
func didYouMean(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := Levenshtein(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// Levenshtein is the edit distance between a and b (bytes).
func Levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1)
			cur[j] = c
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
