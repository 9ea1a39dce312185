//go:build linux

package vminit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Init is a running init.
type Init struct {
	cfg     *Config
	console io.Writer
	mu      sync.Mutex
	procs   map[int]*proc // by pid
	waiters map[int]chan unix.WaitStatus
	down    bool
}

type proc struct {
	svc      *Service
	started  time.Time
	restarts int
}

// Main is PID 1: it never returns (it powers the machine off). It mounts
// /dev first so that it can open the console even when the root file
// system has no /dev/console node.
func Main() {
	in := &Init{procs: map[int]*proc{}, waiters: map[int]chan unix.WaitStatus{}}
	errs := in.mountAPI()
	console, err := os.OpenFile("/dev/console", os.O_WRONLY, 0)
	if err != nil {
		in.console = os.Stdout
	} else {
		in.console = console
	}
	if ic, ok := readInitrdConfig(); ok && os.Getpid() == 1 {
		in.logf("initrd: starting uptime=%s", uptime())
		in.initrd(ic) // does not return
	}
	in.logf("starting (pid %d) uptime=%s", os.Getpid(), uptime())
	for _, e := range errs {
		in.logf("%v", e)
	}
	b, err := os.ReadFile(ConfigPath)
	if err != nil {
		in.logf("no configuration: %v", err)
		in.cfg = &Config{}
	} else if in.cfg, err = ParseConfig(b); err != nil {
		in.logf("%v", err)
		in.cfg = &Config{}
	}
	in.run()
}

func (in *Init) logf(format string, args ...any) {
	fmt.Fprintf(in.console, "pdvm-init: "+format+"\n", args...)
}

// consoleFile is where commands run before the services write.
func (in *Init) consoleFile() *os.File {
	if f, ok := in.console.(*os.File); ok {
		return f
	}
	return os.Stdout
}

func uptime() string {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func (in *Init) mountAPI() []error {
	var errs []error
	type m struct {
		src, dst, fs string
		flags        uintptr
		data         string
	}
	for _, x := range []m{
		{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=620,ptmxmode=000"},
		{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
		{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
		{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	} {
		os.MkdirAll(x.dst, 0o755)
		if err := unix.Mount(x.src, x.dst, x.fs, x.flags, x.data); err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("mount %s on %s: %w", x.fs, x.dst, err))
		}
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT, ""); err != nil {
		errs = append(errs, fmt.Errorf("remounting / read-write: %w", err))
	}
	os.Symlink("/proc/self/fd", "/dev/fd")
	os.Symlink("/proc/self/fd/0", "/dev/stdin")
	os.Symlink("/proc/self/fd/1", "/dev/stdout")
	os.Symlink("/proc/self/fd/2", "/dev/stderr")
	return errs
}

func (in *Init) run() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGPWR, unix.SIGUSR2, unix.SIGCHLD)
	// Ctrl-Alt-Del sends SIGINT to init instead of rebooting at once.
	unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF)

	c := in.cfg
	if c.Hostname != "" {
		if err := unix.Sethostname([]byte(c.Hostname)); err != nil {
			in.logf("hostname: %v", err)
		} else {
			in.logf("hostname %s", c.Hostname)
		}
	}
	in.loadModules()
	in.network()
	for _, d := range c.Dirs {
		os.MkdirAll(d.Path, os.FileMode(d.Mode))
		os.Chown(d.Path, d.UID, d.GID)
		os.Chmod(d.Path, os.FileMode(d.Mode))
	}
	go in.reap()
	for _, cmd := range c.Before {
		if len(cmd.Command) == 0 {
			continue
		}
		ws, err := in.runWait(cmd.Command, in.consoleFile())
		switch {
		case err != nil:
			in.logf("%s: %v", cmd.Name, err)
		case !ws.Exited() || ws.ExitStatus() != 0:
			in.logf("%s: %s", cmd.Name, describe(ws))
		default:
			in.logf("%s: done", cmd.Name)
		}
	}
	for i := range c.Services {
		in.start(&c.Services[i], 0)
	}
	in.logf("ready uptime=%s", uptime())
	go in.probes()
	for s := range sigs {
		switch s {
		case unix.SIGCHLD:
			// handled by reap
		default:
			in.logf("received %v: shutting down", s)
			in.shutdown()
		}
	}
}

func (in *Init) loadModules() {
	n := 0
	for _, p := range in.cfg.Modules {
		f, err := os.Open(p)
		if err != nil {
			in.logf("module %s: %v", filepath.Base(p), err)
			continue
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			in.logf("module %s: %v", filepath.Base(p), err)
			continue
		}
		n++
	}
	if len(in.cfg.Modules) > 0 {
		in.logf("loaded %d of %d modules", n, len(in.cfg.Modules))
	}
}

// start launches a service (after delay). Stdout and stderr go to the
// console, each line prefixed with the service name.
func (in *Init) start(s *Service, restarts int) {
	in.mu.Lock()
	if in.down {
		in.mu.Unlock()
		return
	}
	in.mu.Unlock()
	r, w, err := os.Pipe()
	if err != nil {
		in.logf("service %s: %v", s.Name, err)
		return
	}
	devnull, _ := os.Open("/dev/null")
	env := append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"}, s.Env...)
	attr := &os.ProcAttr{
		Dir:   s.Dir,
		Env:   env,
		Files: []*os.File{devnull, w, w},
		Sys: &syscall.SysProcAttr{
			Setsid: true,
		},
	}
	if s.UID != 0 || s.GID != 0 || len(s.Groups) > 0 {
		groups := make([]uint32, len(s.Groups))
		for i, g := range s.Groups {
			groups[i] = uint32(g)
		}
		attr.Sys.Credential = &syscall.Credential{Uid: uint32(s.UID), Gid: uint32(s.GID), Groups: groups}
	}
	in.mu.Lock() // hold the lock so the reaper cannot see the pid before it is registered
	p, err := os.StartProcess(s.Command[0], s.Command, attr)
	w.Close()
	if devnull != nil {
		devnull.Close()
	}
	if err != nil {
		in.mu.Unlock()
		r.Close()
		in.logf("service %s: cannot start: %v", s.Name, err)
		return
	}
	pid := p.Pid
	in.procs[pid] = &proc{svc: s, started: time.Now(), restarts: restarts}
	in.mu.Unlock()
	p.Release()
	in.logf("service %s started (pid %d)", s.Name, pid)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			fmt.Fprintf(in.console, "%s: %s\n", s.Name, sc.Text())
		}
		r.Close()
	}()
}

// reap collects every child that exits: services (restarted or reported),
// probes (handed to their waiter) and orphans.
func (in *Init) reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err != nil {
			if errors.Is(err, unix.ECHILD) {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if errors.Is(err, unix.EINTR) {
				continue
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		in.mu.Lock()
		p := in.procs[pid]
		delete(in.procs, pid)
		wch := in.waiters[pid]
		delete(in.waiters, pid)
		down := in.down
		in.mu.Unlock()
		if wch != nil {
			wch <- ws
			continue
		}
		if p == nil {
			continue // an orphan
		}
		status := describe(ws)
		if down {
			in.logf("service %s stopped (%s)", p.svc.Name, status)
			continue
		}
		restart := false
		switch p.svc.Restart {
		case "always":
			restart = true
		case "", "on-failure":
			restart = !(ws.Exited() && ws.ExitStatus() == 0)
		}
		if !restart {
			in.logf("service %s exited (%s)", p.svc.Name, status)
			continue
		}
		restarts := p.restarts + 1
		if time.Since(p.started) > 30*time.Second {
			restarts = 1
		}
		delay := time.Duration(1<<min(restarts-1, 5)) * time.Second / 2
		in.logf("service %s exited (%s); restart %d in %v", p.svc.Name, status, restarts, delay)
		go func(s *Service) {
			time.Sleep(delay)
			in.start(s, restarts)
		}(p.svc)
	}
}

func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("signal %v", ws.Signal())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// runWait starts argv and waits for it through the reaper.
func (in *Init) runWait(argv []string, out *os.File) (unix.WaitStatus, error) {
	devnull, _ := os.Open("/dev/null")
	defer devnull.Close()
	ch := make(chan unix.WaitStatus, 1)
	in.mu.Lock()
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{
		Env:   []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"},
		Files: []*os.File{devnull, out, out},
	})
	if err != nil {
		in.mu.Unlock()
		return 0, err
	}
	in.waiters[p.Pid] = ch
	in.mu.Unlock()
	p.Release()
	select {
	case ws := <-ch:
		return ws, nil
	case <-time.After(60 * time.Second):
		unix.Kill(p.Pid, unix.SIGKILL)
		return <-ch, fmt.Errorf("timed out after 60s")
	}
}

func (in *Init) probes() {
	for _, pr := range in.cfg.Probes {
		if len(pr.Command) == 0 {
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			continue
		}
		fmt.Fprintf(in.console, "pdvm-probe BEGIN %s\n", pr.Name)
		done := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				fmt.Fprintf(in.console, "pdvm-probe | %s\n", sc.Text())
			}
			close(done)
		}()
		ws, err := in.runWait(pr.Command, w)
		w.Close()
		<-done
		r.Close()
		code := -1
		if err == nil && ws.Exited() {
			code = ws.ExitStatus()
		}
		if err != nil {
			fmt.Fprintf(in.console, "pdvm-probe | %v\n", err)
		}
		fmt.Fprintf(in.console, "pdvm-probe END %s exit=%d\n", pr.Name, code)
	}
}

func (in *Init) shutdown() {
	in.mu.Lock()
	if in.down {
		in.mu.Unlock()
		return
	}
	in.down = true
	pids := make([]int, 0, len(in.procs))
	for pid, p := range in.procs {
		pids = append(pids, pid)
		in.logf("stopping %s (pid %d)", p.svc.Name, pid)
	}
	in.mu.Unlock()
	for _, pid := range pids {
		unix.Kill(-pid, unix.SIGTERM) // the service's session/process group
		unix.Kill(pid, unix.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		in.mu.Lock()
		n := len(in.procs)
		in.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	unix.Kill(-1, unix.SIGKILL)
	unix.Sync()
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		in.logf("remounting / read-only: %v", err)
	}
	in.logf("powering off")
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
