package surface

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/vuln"
)

// Input is what a measurement is made from. Lock is required; the rest
// is optional and each missing part leaves its metrics unknown (never
// zero).
type Input struct {
	Name string
	Lock *manifest.Lock
	// VM is the description's vm block: its services, users, forwarded
	// ports and probes (pdvm's own init starts only what it declares).
	VM *description.VM
	// Debs holds the scan of each package's .deb, by package name.
	Debs map[string]*Facts
	// Rootfs is the scan of a built root file system; when set it
	// replaces Debs for every file-level metric.
	Rootfs *Facts
	// Extra accounts the image creates at boot (e.g. cloud-init's default
	// user on Debian's cloud images).
	ExtraAccounts []Account
	DB            *vuln.DB
	Now           time.Time
}

// Port is one listening channel.
type Port struct {
	Proto string `json:"proto"` // tcp | udp
	Port  int    `json:"port"`
	Bind  string `json:"bind"`  // all | loopback
	Owner string `json:"owner"` // the package or service that listens
	Root  bool   `json:"root"`  // the listener runs as root
}

func (p Port) String() string {
	b := ""
	if p.Bind == "loopback" {
		b = " (loopback)"
	}
	return fmt.Sprintf("%d/%s %s%s", p.Port, p.Proto, p.Owner, b)
}

// Service is one service that starts at boot.
type Service struct {
	Name    string `json:"name"`
	Package string `json:"package,omitempty"`
	User    string `json:"user"`
	From    string `json:"from"` // unit | description
}

// Metric is one component of the vector.
type Metric struct {
	Key    string   `json:"key"`
	Label  string   `json:"label"`
	Value  float64  `json:"value"`
	Known  bool     `json:"known"`
	Detail []string `json:"detail,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// Vector is a VM's measured attack surface and TCB.
type Vector struct {
	Name     string    `json:"name"`
	Basis    string    `json:"basis"` // what was measured: lock, .debs, rootfs, advisories
	Metrics  []Metric  `json:"metrics"`
	Services []Service `json:"services,omitempty"`
	Ports    []Port    `json:"ports,omitempty"`
	// DER is Manadhata & Wing's triple: summed damage-potential/effort
	// ratios of entry/exit points (methods), channels and untrusted data
	// items.
	DER   [3]float64 `json:"der_methods_channels_data"`
	Total float64    `json:"total"`
}

// Get returns the metric with key k.
func (v *Vector) Get(k string) *Metric {
	for i := range v.Metrics {
		if v.Metrics[i].Key == k {
			return &v.Metrics[i]
		}
	}
	return nil
}

// defaultPorts are the sockets a daemon opens with Debian's default
// configuration, by binary package. Approximate by nature: a VM's own
// configuration can change them.
var defaultPorts = map[string][]Port{
	"openssh-server":     {{Proto: "tcp", Port: 22, Bind: "all", Root: true}},
	"dropbear-bin":       {{Proto: "tcp", Port: 22, Bind: "all", Root: true}},
	"nginx-light":        {{Proto: "tcp", Port: 80, Bind: "all", Root: true}},
	"nginx-core":         {{Proto: "tcp", Port: 80, Bind: "all", Root: true}},
	"nginx-full":         {{Proto: "tcp", Port: 80, Bind: "all", Root: true}},
	"nginx-extras":       {{Proto: "tcp", Port: 80, Bind: "all", Root: true}},
	"nginx":              {{Proto: "tcp", Port: 80, Bind: "all", Root: true}},
	"apache2-bin":        {{Proto: "tcp", Port: 80, Bind: "all", Root: true}},
	"lighttpd":           {{Proto: "tcp", Port: 80, Bind: "all", Root: true}},
	"chrony":             {{Proto: "udp", Port: 323, Bind: "loopback", Root: false}},
	"systemd-resolved":   {{Proto: "udp", Port: 53, Bind: "loopback", Root: false}, {Proto: "tcp", Port: 53, Bind: "loopback", Root: false}, {Proto: "udp", Port: 5355, Bind: "all", Root: false}, {Proto: "tcp", Port: 5355, Bind: "all", Root: false}},
	"isc-dhcp-client":    {{Proto: "udp", Port: 68, Bind: "all", Root: true}},
	"rpcbind":            {{Proto: "tcp", Port: 111, Bind: "all", Root: false}, {Proto: "udp", Port: 111, Bind: "all", Root: false}},
	"exim4-daemon-light": {{Proto: "tcp", Port: 25, Bind: "loopback", Root: true}},
	"postfix":            {{Proto: "tcp", Port: 25, Bind: "all", Root: true}},
	"bind9":              {{Proto: "tcp", Port: 53, Bind: "all", Root: false}, {Proto: "udp", Port: 53, Bind: "all", Root: false}},
	"unbound":            {{Proto: "tcp", Port: 53, Bind: "loopback", Root: false}, {Proto: "udp", Port: 53, Bind: "loopback", Root: false}},
	"dnsmasq-base":       {{Proto: "tcp", Port: 53, Bind: "all", Root: false}, {Proto: "udp", Port: 53, Bind: "all", Root: false}},
	"postgresql-15":      {{Proto: "tcp", Port: 5432, Bind: "loopback", Root: false}},
	"mariadb-server":     {{Proto: "tcp", Port: 3306, Bind: "loopback", Root: false}},
	"redis-server":       {{Proto: "tcp", Port: 6379, Bind: "loopback", Root: false}},
	"avahi-daemon":       {{Proto: "udp", Port: 5353, Bind: "all", Root: false}},
	"cups-daemon":        {{Proto: "tcp", Port: 631, Bind: "loopback", Root: true}},
}

// remoteLogin lists packages that accept logins over the network.
var remoteLogin = map[string]bool{"openssh-server": true, "dropbear-bin": true, "telnetd": true, "inetutils-telnetd": true}

// Advisory weights by effective urgency; no-dsa, ignored and postponed
// findings count half (Debian judged them minor).
var advisoryWeight = map[vuln.Urgency]float64{vuln.Unimportant: 0.05, vuln.Low: 0.3, vuln.Medium: 0.6, vuln.High: 1, vuln.Critical: 1}

// Measure computes the vector.
func Measure(in Input) *Vector {
	l := in.Lock
	v := &Vector{Name: in.Name}
	if v.Name == "" {
		v.Name = l.VM
	}
	basis := []string{"lock"}
	add := func(m Metric) { v.Metrics = append(v.Metrics, m) }

	// TCB: package level, from the lock.
	srcs := map[string]bool{}
	var kib int64
	names := map[string]bool{}
	for _, p := range l.Packages {
		s := p.Source
		if s == "" {
			s = p.Name
		}
		srcs[s] = true
		kib += p.InstalledSize
		names[p.Name] = true
	}
	add(Metric{Key: "packages", Label: "binary packages", Value: float64(len(l.Packages)), Known: true})
	add(Metric{Key: "sources", Label: "source packages", Value: float64(len(srcs)), Known: true})
	add(Metric{Key: "installed_kib", Label: "installed size (KiB)", Value: float64(kib), Known: true})

	// File level: rootfs, else the .debs.
	var facts []*Facts
	var owner []string
	fileKnown, fileNote := true, ""
	switch {
	case in.Rootfs != nil:
		facts, owner = []*Facts{in.Rootfs}, []string{"rootfs"}
		basis = append(basis, "rootfs")
	case in.Debs != nil:
		missing := 0
		for _, p := range l.Packages {
			if f := in.Debs[p.Name]; f != nil {
				facts = append(facts, f)
				owner = append(owner, p.Name)
			} else {
				missing++
			}
		}
		basis = append(basis, ".debs")
		if missing > 0 {
			fileKnown, fileNote = false, fmt.Sprintf("%d of %d .debs not scanned", missing, len(l.Packages))
		}
	default:
		fileKnown, fileNote = false, "no .debs or rootfs scanned"
	}
	var files, elf, mods, ky, km int
	var suid, sgid, caps, ww, sticky []string
	var units []struct {
		u   Unit
		pkg string
	}
	var accounts []Account
	var enables []string
	progs := map[string]string{} // program path → package
	for i, f := range facts {
		files += f.Files
		elf += f.ELF
		mods += f.Modules
		ky += f.KernelY
		km += f.KernelM
		suid = append(suid, f.SetUID...)
		sgid = append(sgid, f.SetGID...)
		caps = append(caps, f.Caps...)
		ww = append(ww, f.WorldWritable...)
		sticky = append(sticky, f.StickyDirs...)
		for _, u := range f.Units {
			units = append(units, struct {
				u   Unit
				pkg string
			}{u, owner[i]})
		}
		accounts = append(accounts, f.Accounts...)
		enables = append(enables, f.Enables...)
		for _, p := range f.Programs {
			progs[p] = owner[i]
		}
	}
	sort.Strings(suid)
	sort.Strings(sgid)
	sort.Strings(caps)
	sort.Strings(ww)
	add(Metric{Key: "files", Label: "files", Value: float64(files), Known: fileKnown, Note: fileNote})
	add(Metric{Key: "elf", Label: "ELF objects", Value: float64(elf), Known: fileKnown, Note: fileNote})
	add(Metric{Key: "setuid", Label: "setuid executables", Value: float64(len(suid)), Known: fileKnown, Detail: suid, Note: fileNote})
	add(Metric{Key: "setgid", Label: "setgid executables", Value: float64(len(sgid)), Known: fileKnown, Detail: sgid, Note: fileNote})
	add(Metric{Key: "caps", Label: "file-capability executables", Value: float64(len(caps)), Known: fileKnown, Detail: caps, Note: fileNote})

	// Services and ports.
	init := l.Init
	svcKnown := true
	svcNote := ""
	if init == "systemd" || l.Base == "debian" {
		if !fileKnown && in.Rootfs == nil {
			svcKnown, svcNote = false, "unit files not scanned"
		}
		// A unit may be enabled by another package's link (systemd ships
		// multi-user.target.wants/ links for its own units).
		on := map[string]bool{}
		for _, e := range enables {
			on[e] = true
		}
		for _, x := range units {
			if !(x.u.Enabled || on[x.u.Name]) || !(strings.HasSuffix(x.u.Name, ".service") || strings.HasSuffix(x.u.Name, ".socket")) || strings.Contains(x.u.Name, "@") {
				continue
			}
			v.Services = append(v.Services, Service{Name: x.u.Name, Package: x.pkg, User: userOr(x.u.User), From: "unit"})
			for _, ls := range x.u.Listen {
				if p, ok := parseListen(ls); ok {
					p.Owner, p.Root = x.u.Name, x.u.User == "" || x.u.User == "root"
					v.Ports = append(v.Ports, p)
				}
			}
		}
	}
	if in.VM != nil {
		for _, s := range in.VM.Services {
			pkg := ""
			if fs := strings.Fields(strings.Trim(s.Command.Value, "'\"")); len(fs) > 0 {
				pkg = progs[fs[0]]
				if pkg == "" {
					pkg = progs[path.Clean(fs[0])]
				}
			}
			v.Services = append(v.Services, Service{Name: s.Name, Package: pkg, User: userOr(s.User.Value), From: "description"})
		}
	} else if init == "pdvm" {
		svcKnown, svcNote = false, "description not available (pdvm's init starts only declared services)"
	}
	// Daemons' default sockets, for packages whose service starts.
	started := map[string]bool{}
	for _, s := range v.Services {
		if s.Package != "" {
			started[s.Package] = true
		}
	}
	for pkg := range started {
		for _, p := range defaultPorts[pkg] {
			p.Owner = pkg
			v.Ports = append(v.Ports, p)
		}
	}
	// DHCP clients listen on 68/udp: ifupdown's networking.service runs
	// dhclient; pdvm's init runs its own client for network mode "dhcp".
	if started["ifupdown"] && names["isc-dhcp-client"] {
		v.Ports = append(v.Ports, Port{Proto: "udp", Port: 68, Bind: "all", Owner: "isc-dhcp-client", Root: true})
	}
	if in.VM != nil && in.VM.Network != nil && in.VM.Network.Mode.Value == "dhcp" && init == "pdvm" {
		v.Ports = append(v.Ports, Port{Proto: "udp", Port: 68, Bind: "all", Owner: "pdvm init (dhcp)", Root: true})
	}
	if in.VM != nil {
		declared := func(port int, proto string) {
			if port > 0 {
				v.Ports = append(v.Ports, Port{Proto: proto, Port: port, Bind: "all", Owner: "declared", Root: true})
			}
		}
		if in.VM.Network != nil {
			for _, f := range in.VM.Network.Forward {
				proto := f.Proto
				if proto == "" {
					proto = "tcp"
				}
				declared(f.Guest, proto)
			}
		}
		for _, pr := range in.VM.Probes {
			if pr.HTTP != nil {
				declared(int(pr.HTTP.Port.Value), "tcp")
			}
			if pr.TCP != nil {
				declared(int(pr.TCP.Port.Value), "tcp")
			}
		}
	}
	v.Ports = dedupPorts(v.Ports)
	sort.Slice(v.Services, func(i, j int) bool { return v.Services[i].Name < v.Services[j].Name })
	var svcNames, portNames []string
	for _, s := range v.Services {
		svcNames = append(svcNames, s.Name+" ("+s.User+")")
	}
	for _, p := range v.Ports {
		portNames = append(portNames, p.String())
	}
	add(Metric{Key: "services", Label: "enabled services", Value: float64(len(v.Services)), Known: svcKnown, Detail: svcNames, Note: svcNote})
	add(Metric{Key: "ports", Label: "listening ports", Value: float64(len(v.Ports)), Known: svcKnown, Detail: portNames, Note: svcNote})

	// Accounts.
	acctKnown, acctNote := true, ""
	if in.Rootfs == nil {
		if l.Base == "none" {
			// pdvm writes its own passwd for base none: root (locked)
			// and system users without a shell.
			accounts = append(accounts, Account{Name: "root", Shell: "/bin/sh", From: "pdvm"})
		} else if !fileKnown {
			acctKnown, acctNote = false, fileNote
		}
		if in.VM != nil {
			for _, u := range in.VM.Users {
				sh := u.Shell.Value
				if sh == "" {
					sh = "/bin/sh"
				}
				accounts = append(accounts, Account{Name: u.Name, Shell: sh, From: "description"})
			}
		}
		accounts = append(accounts, in.ExtraAccounts...)
	}
	var logins []string
	seen := map[string]bool{}
	for _, a := range accounts {
		if LoginShell(a.Shell) && !seen[a.Name] {
			seen[a.Name] = true
			logins = append(logins, a.Name+" ("+a.Shell+", "+a.From+")")
		}
	}
	sort.Strings(logins)
	add(Metric{Key: "logins", Label: "login-capable accounts", Value: float64(len(logins)), Known: acctKnown, Detail: logins, Note: acctNote})
	wwNote := fileNote
	if fileKnown {
		wwNote = fmt.Sprintf("%d sticky world-writable directories (like /tmp) not counted here", len(sticky))
	}
	add(Metric{Key: "world_writable", Label: "world-writable paths", Value: float64(len(ww)), Known: fileKnown, Detail: ww, Note: wwNote})

	// Kernel.
	kernKnown, kernNote := fileKnown, fileNote
	hasKernel := false
	for _, p := range l.Packages {
		if p.Kernel || strings.HasPrefix(p.Name, "linux-image-") {
			hasKernel = true
		}
	}
	if !hasKernel {
		kernNote = "no kernel package in the lock"
	} else if in.Rootfs == nil && l.Base == "none" {
		kernNote = "modules shipped by the kernel package; the image keeps only those it needs"
	}
	add(Metric{Key: "kernel_modules", Label: "kernel modules", Value: float64(mods), Known: kernKnown && hasKernel, Note: kernNote})
	add(Metric{Key: "kernel_options", Label: "kernel options (=y / =m)", Value: float64(ky + km), Known: kernKnown && hasKernel && ky+km > 0,
		Detail: []string{fmt.Sprintf("%d built in, %d modular", ky, km)}, Note: kernNote})

	// Known vulnerabilities.
	adv := Metric{Key: "advisories", Label: "open advisories (urgency-weighted)"}
	if in.DB != nil && !in.DB.Empty() {
		basis = append(basis, "advisories")
		rep := in.DB.Audit(l, true, nil, in.Now)
		counts := map[vuln.Urgency]int{}
		seenAdv := map[string]bool{}
		for _, f := range rep.Findings {
			k := f.Source + " " + f.Advisory
			if seenAdv[k] || f.Status == vuln.StatusUndetermined {
				continue
			}
			seenAdv[k] = true
			w := advisoryWeight[f.Effective]
			switch f.Status {
			case vuln.StatusNoDSA, vuln.StatusIgnored, vuln.StatusPostponed:
				w /= 2
			}
			adv.Value += w
			counts[f.Effective]++
		}
		adv.Known = true
		adv.Detail = []string{fmt.Sprintf("%d (source, advisory) pairs: %d high, %d medium, %d low, %d unimportant; data dated %s",
			len(seenAdv), counts[vuln.High]+counts[vuln.Critical], counts[vuln.Medium], counts[vuln.Low], counts[vuln.Unimportant], rep.DataDate.Format("2006-01-02"))}
	} else {
		adv.Note = "no advisory data loaded (pdvm vuln update)"
	}
	add(adv)

	// Manadhata & Wing's damage-potential/effort ratios.
	remote := false
	for n := range names {
		if remoteLogin[n] {
			remote = true
		}
	}
	var methods, channels, data float64
	for _, s := range v.Services {
		dp := 3.0
		if s.User == "root" {
			dp = 5
		}
		ef := 3.0 // reachable locally
		for _, p := range v.Ports {
			if p.Bind == "all" && (p.Owner == s.Package || p.Owner == s.Name) {
				ef = 1 // reachable from the network without authentication
			}
		}
		methods += dp / ef
	}
	methods += float64(len(suid))*5/3 + float64(len(sgid))*3/3 + float64(len(caps))*4/3
	for _, a := range logins {
		dp := 3.0
		if strings.HasPrefix(a, "root ") {
			dp = 5
		}
		ef := 3.0
		if remote {
			ef = 2 // authenticated network access
		}
		methods += dp / ef
	}
	for _, p := range v.Ports {
		dp := 3.0
		if p.Root {
			dp = 5
		}
		ef := 1.0
		if p.Bind == "loopback" {
			ef = 4 // needs code running on the VM
		}
		channels += dp / ef
	}
	data = float64(len(ww))*3/3 + float64(len(sticky))*1/3
	v.DER = [3]float64{round2(methods), round2(channels), round2(data)}
	add(Metric{Key: "der_methods", Label: "Σ der entry points", Value: v.DER[0], Known: fileKnown && svcKnown})
	add(Metric{Key: "der_channels", Label: "Σ der channels", Value: v.DER[1], Known: svcKnown})
	add(Metric{Key: "der_data", Label: "Σ der data items", Value: v.DER[2], Known: fileKnown})
	tcb := float64(elf) / 100
	v.Total = round2(methods + channels + data + adv.Value + tcb)
	totalNote := "Σder(methods+channels+data) + advisory weight + ELF objects/100"
	if !adv.Known {
		totalNote += "; the advisory part is unknown and not included"
	}
	add(Metric{Key: "total", Label: "weighted total (ranking only)", Value: v.Total, Known: fileKnown && svcKnown, Note: totalNote})
	v.Basis = strings.Join(basis, " + ")
	return v
}

func userOr(u string) string {
	if u == "" {
		return "root"
	}
	return u
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// parseListen turns a socket unit's Listen value into a port.
func parseListen(s string) (Port, bool) {
	proto, addr, _ := strings.Cut(s, ":")
	if proto == "unix" {
		return Port{}, false
	}
	bind := "all"
	host := ""
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		host, addr = addr[:i], addr[i+1:]
	}
	if strings.HasPrefix(host, "127.") || host == "[::1]" || host == "localhost" {
		bind = "loopback"
	}
	var n int
	if _, err := fmt.Sscanf(addr, "%d", &n); err != nil || n <= 0 {
		return Port{}, false
	}
	return Port{Proto: proto, Port: n, Bind: bind}, true
}

func dedupPorts(ps []Port) []Port {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Port != ps[j].Port {
			return ps[i].Port < ps[j].Port
		}
		if ps[i].Proto != ps[j].Proto {
			return ps[i].Proto < ps[j].Proto
		}
		return ps[i].Owner != "declared" && ps[j].Owner == "declared"
	})
	var out []Port
	for _, p := range ps {
		if len(out) > 0 && out[len(out)-1].Port == p.Port && out[len(out)-1].Proto == p.Proto {
			continue
		}
		out = append(out, p)
	}
	return out
}
