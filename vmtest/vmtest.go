// Package vmtest boots a built VM in QEMU and checks that it serves its
// purpose: it forwards the guest ports the probes need to free host
// ports, watches the serial console, and runs each probe until it passes
// or times out — an HTTP request (status and body), a TCP banner, or a
// command the guest's init ran (its output is framed on the console by
// "pdvm-probe BEGIN/END" lines). It uses KVM when /dev/kvm is usable and
// software emulation (TCG) otherwise, and never changes the image (the
// disk is opened with snapshot=on).
package vmtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"pdvm.dev/pdvm/internal/tool"
	"pdvm.dev/pdvm/target"
)

// Options describe one boot.
type Options struct {
	VM     target.VM // disk, kernel, CPUs, memory, bus
	Disk   string    // image to boot (absolute)
	Format string    // its qemu format
	Direct bool      // boot VM.Kernel directly instead of the disk's boot loader
	Probes []Probe
	// Serial is where the console log goes; default a temporary file.
	Serial string
	// Timeout bounds the whole test (default: the longest probe timeout + 10 s).
	Timeout time.Duration
	// Accel forces "kvm" or "tcg"; default: kvm when /dev/kvm is usable.
	Accel string
}

// Probe checks that the VM serves its purpose.
type Probe struct {
	Name   string
	Kind   string // http | tcp | command
	Port   int    // guest port (http, tcp)
	Path   string // http
	Status int    // http: expected status (default 200)
	// Contains must appear in the HTTP body, the TCP banner or the
	// command's output. A tcp probe without Contains passes when a
	// connection stays open for a second without being closed, once the
	// guest's network is up (see probeOnce).
	Contains string
	Command  []string
	Timeout  int // seconds
}

// ProbeResult is one probe's outcome.
type ProbeResult struct {
	Name    string  `json:"name"`
	Kind    string  `json:"kind"`
	OK      bool    `json:"ok"`
	Seconds float64 `json:"seconds"` // since QEMU started, when it passed (or gave up)
	Detail  string  `json:"detail"`
}

// Result is a boot test's outcome.
type Result struct {
	Accel      string        `json:"accel"`
	OK         bool          `json:"ok"`
	ReadyAt    float64       `json:"ready_seconds"`      // host time until "pdvm-init: ready" (or -1)
	GuestReady string        `json:"guest_ready_uptime"` // guest uptime printed with it
	Probes     []ProbeResult `json:"probes"`
	Serial     string        `json:"serial"`
}

var (
	accelOnce sync.Once
	accel     string
)

// Accel picks kvm when KVM works, else tcg; $PDVM_ACCEL forces one.
// /dev/kvm existing is not enough: nested hosts may expose a device that
// cannot run a guest ("KVM internal error"), so the first call starts
// QEMU with KVM on an empty machine and checks that it is still running
// a second later.
func Accel() string {
	accelOnce.Do(func() {
		accel = os.Getenv("PDVM_ACCEL")
		if accel != "" {
			return
		}
		accel = "tcg"
		f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
		if err != nil {
			return
		}
		f.Close()
		qemu, err := tool.Look("qemu-system-x86_64")
		if err != nil {
			return
		}
		cmd := exec.Command(qemu, "-machine", "pc,accel=kvm", "-m", "64", "-nodefaults", "-display", "none", "-no-reboot", "-serial", "none")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if cmd.Start() != nil {
			return
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(1200 * time.Millisecond):
			cmd.Process.Kill()
			<-exited
			// "host doesn't support requested feature" means a nested KVM
			// that fails once the guest kernel runs.
			if stderr.Len() == 0 {
				accel = "kvm"
			}
		}
	})
	return accel
}

// FreePort asks the kernel for an unused local TCP port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Run boots the VM, runs the probes and stops the VM.
func Run(ctx context.Context, opt Options) (*Result, error) {
	qemu, err := tool.Look("qemu-system-x86_64")
	if err != nil {
		return nil, err
	}
	res := &Result{Accel: opt.Accel, ReadyAt: -1}
	if res.Accel == "" {
		res.Accel = Accel()
	}
	// forward each guest port a probe needs to a free host port
	hostPort := map[int]int{}
	vm := opt.VM
	vm.Ports = nil
	for _, p := range opt.Probes {
		if (p.Kind == "http" || p.Kind == "tcp") && hostPort[p.Port] == 0 {
			hp, err := FreePort()
			if err != nil {
				return nil, err
			}
			hostPort[p.Port] = hp
			vm.Ports = append(vm.Ports, target.Port{Host: hp, Guest: p.Port, Proto: "tcp"})
		}
	}
	serial := opt.Serial
	if serial == "" {
		f, err := os.CreateTemp("", "pdvm-serial-*.log")
		if err != nil {
			return nil, err
		}
		f.Close()
		serial = f.Name()
	}
	res.Serial = serial
	if err := os.WriteFile(serial, nil, 0o644); err != nil { // truncate an old log
		return nil, err
	}
	timeout := opt.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
		for _, p := range opt.Probes {
			if d := time.Duration(p.Timeout)*time.Second + 10*time.Second; d > timeout {
				timeout = d
			}
		}
	}
	args := vm.QEMUArgs(res.Accel, opt.Disk, opt.Format, opt.Direct)
	for i, a := range args {
		if strings.HasPrefix(a, "file=") {
			args[i] = a + ",snapshot=on"
		}
	}
	args = append(args, "-serial", "file:"+serial)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command(qemu, args...)
	var qerr bytes.Buffer
	cmd.Stderr = &qerr
	t0 := time.Now()
	startsMu.Lock()
	starts[serial] = t0
	delete(upAt, serial)
	startsMu.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting qemu: %w", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop := func() { cmd.Process.Kill(); <-exited }
	defer stop()
	since := func() float64 { return float64(int64(time.Since(t0).Seconds()*1000)) / 1000 }

	var mu sync.Mutex
	results := make([]ProbeResult, len(opt.Probes))
	var wg sync.WaitGroup
	readyRE := regexp.MustCompile(`pdvm-init: ready uptime=([0-9.]+)`)
	go func() { // watch for the ready line
		for ctx.Err() == nil {
			b, _ := os.ReadFile(serial)
			if m := readyRE.FindSubmatch(b); m != nil {
				mu.Lock()
				res.ReadyAt, res.GuestReady = since(), string(m[1])
				mu.Unlock()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	for i, p := range opt.Probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := ProbeResult{Name: p.Name, Kind: p.Kind}
			deadline := t0.Add(time.Duration(p.Timeout) * time.Second)
			// Attempts overlap, one started every 100 ms: before the guest
			// has an address QEMU's user network accepts the host's
			// connection and then never answers, so a sequential loop would
			// only notice success after a whole attempt timeout.
			type attempt struct {
				ok     bool
				detail string
			}
			attempts := make(chan attempt, 64)
			actx, acancel := context.WithCancel(ctx)
			inflight := 0
			launch := func() {
				if inflight < 30 {
					inflight++
					go func() {
						ok, d := probeOnce(actx, p, hostPort[p.Port], serial)
						attempts <- attempt{ok, d}
					}()
				}
			}
			tick := time.NewTicker(100 * time.Millisecond)
			launch()
		loop:
			for {
				select {
				case a := <-attempts:
					inflight--
					pr.Detail = a.detail
					if a.ok {
						pr.OK = true
						break loop
					}
				case <-tick.C:
					launch() // at most ten attempts a second
				case <-ctx.Done():
					break loop
				}
				if time.Now().After(deadline) {
					break loop
				}
			}
			tick.Stop()
			acancel()
			pr.Seconds = since()
			mu.Lock()
			results[i] = pr
			mu.Unlock()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-exited:
		cancel()
		<-done
		res.Probes = results
		return res, fmt.Errorf("qemu exited before the probes finished (%v): %s\nserial console:\n%s", waitErr, strings.TrimSpace(qerr.String()), tail(serial, 30))
	}
	stop()
	mu.Lock()
	res.Probes = results
	mu.Unlock()
	res.OK = true
	for _, p := range results {
		res.OK = res.OK && p.OK
	}
	return res, nil
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Tail returns the last n lines of a serial log (for error reports).
func Tail(path string, n int) string { return tail(path, n) }

func probeOnce(ctx context.Context, p Probe, port int, serial string) (bool, string) {
	switch p.Kind {
	case "http":
		c := &http.Client{Timeout: 2 * time.Second}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, p.Path), nil)
		resp, err := c.Do(req)
		if err != nil {
			return false, err.Error()
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode != p.Status {
			return false, fmt.Sprintf("status %d, want %d", resp.StatusCode, p.Status)
		}
		if !strings.Contains(string(body), p.Contains) {
			return false, fmt.Sprintf("body does not contain %q", p.Contains)
		}
		return true, fmt.Sprintf("HTTP %d, %d bytes", resp.StatusCode, len(body))
	case "tcp":
		up := networkUp(serial) // judged when connecting, not when giving up
		if p.Contains == "" && !up {
			// connections made now would hang in QEMU's user network and
			// only clutter it
			return false, "waiting for the guest's network"
		}
		d := net.Dialer{Timeout: 2 * time.Second}
		c, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return false, err.Error()
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(2500 * time.Millisecond))
		buf := make([]byte, 1024)
		n, err := c.Read(buf)
		got := string(buf[:n])
		// QEMU's user network accepts the host's connection before the
		// guest does: a closed guest port shows as an immediate EOF (the
		// guest's RST), but before the guest has an address the
		// connection just hangs. So a probe without a banner counts only
		// after pdvm-init reported the network up (other inits: after
		// 20 s), and then only a connection held open without EOF.
		if p.Contains == "" && n == 0 {
			if ne, ok := err.(net.Error); ok && ne.Timeout() && up {
				return true, "connection held open (no banner)"
			}
		}
		if n > 0 && strings.Contains(got, p.Contains) {
			line, _, _ := strings.Cut(got, "\n")
			return true, fmt.Sprintf("banner %q", strings.TrimSpace(line))
		}
		if err != nil {
			return false, err.Error()
		}
		return false, fmt.Sprintf("banner %q does not contain %q", got, p.Contains)
	case "command":
		out, code, ok := commandOutput(serial, p.Name)
		if !ok {
			return false, "no output yet"
		}
		if code != 0 {
			return false, fmt.Sprintf("exit status %d: %s", code, out)
		}
		if !strings.Contains(out, p.Contains) {
			return false, fmt.Sprintf("output %q does not contain %q", out, p.Contains)
		}
		return true, strings.TrimSpace(out)
	}
	return false, "unknown probe kind " + p.Kind
}

// networkUp reports whether the guest's network is configured, as far as
// the host can tell: pdvm-init's network line, or 20 s since the serial
// log was created for other inits.
func networkUp(serial string) bool {
	b, err := os.ReadFile(serial)
	if err != nil {
		return false
	}
	if strings.Contains(string(b), "pdvm-init: network ") {
		// and a second more, for QEMU's user network to learn the guest's
		// MAC address (its first SYN to the guest is otherwise lost and a
		// closed port would look open until the retransmission)
		startsMu.Lock()
		defer startsMu.Unlock()
		if upAt[serial].IsZero() {
			upAt[serial] = time.Now()
		}
		return time.Since(upAt[serial]) > time.Second
	}
	if strings.Contains(string(b), "pdvm-init: ") {
		return false // pdvm's init, network not up yet
	}
	return len(b) > 0 && time.Since(startOf(serial)) > 20*time.Second
}

var (
	startsMu sync.Mutex
	starts   = map[string]time.Time{}
	upAt     = map[string]time.Time{}
)

// startOf is when Run started QEMU for this serial log.
func startOf(serial string) time.Time {
	startsMu.Lock()
	defer startsMu.Unlock()
	return starts[serial]
}

// commandOutput finds a command probe's framed output in the serial log.
func commandOutput(serial, name string) (string, int, bool) {
	f, err := os.Open(serial)
	if err != nil {
		return "", 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	var out []string
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		switch {
		case l == "pdvm-probe BEGIN "+name:
			in, out = true, nil
		case in && strings.HasPrefix(l, "pdvm-probe END "+name+" exit="):
			code, _ := strconv.Atoi(strings.TrimPrefix(l, "pdvm-probe END "+name+" exit="))
			return strings.Join(out, "\n"), code, true
		case in && strings.HasPrefix(l, "pdvm-probe | "):
			out = append(out, strings.TrimPrefix(l, "pdvm-probe | "))
		}
	}
	return "", 0, false
}
