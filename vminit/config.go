// Package vminit is pdvm's own init: the first and only supervisor process
// of a pdvm VM (PID 1), built as the static binary cmd/pdvm-init and
// installed as /sbin/pdvm-init.
//
// At boot it mounts the API file systems (/proc, /sys, /dev as devtmpfs,
// /dev/pts, /dev/shm, /run, /tmp), remounts the root read-write, sets the
// hostname, loads the kernel modules the build kept (finit_module(2), in
// dependency order), brings up loopback and the network (static address
// and default route, or DHCP), then starts the declared services in order.
// It then supervises: a service that exits is restarted according to its
// policy (with back-off) or reported; orphaned processes re-parented to
// PID 1 are reaped. SIGTERM, SIGINT (Ctrl-Alt-Del) and SIGPWR shut the VM
// down cleanly: services get SIGTERM, then everything left gets SIGKILL,
// file systems are synced and the root is remounted read-only before
// power-off.
//
// The build writes its configuration as JSON to [ConfigPath]. Every step
// prints one readable status line on the console ("pdvm-init: ..."),
// ending with "pdvm-init: ready" and the uptime, which the boot test and
// humans read on the serial port. Command probes declared in the
// description run after the services start; their output is framed by
// "pdvm-probe BEGIN name" / "pdvm-probe END name exit=N" lines.
package vminit

import (
	"encoding/json"
	"fmt"
)

// ConfigPath is where the build writes the init configuration.
const ConfigPath = "/etc/pdvm/init.json"

// Config is everything the init needs, resolved at build time (user names
// are already numeric ids, module names are file paths).
type Config struct {
	Hostname string      `json:"hostname"`
	Modules  []string    `json:"modules,omitempty"` // absolute .ko paths, load order
	Network  []Interface `json:"network,omitempty"`
	// Before are commands run once, in order, before the services start.
	Before   []Probe   `json:"before,omitempty"`
	Services []Service `json:"services,omitempty"`
	Probes   []Probe   `json:"probes,omitempty"`
	// Dirs are created at boot (on tmpfs /run, say) before services start.
	Dirs []Dir `json:"dirs,omitempty"`
}

// Interface configures one network interface. An empty Name means the
// first interface that is not loopback.
type Interface struct {
	Name    string `json:"name,omitempty"`
	DHCP    bool   `json:"dhcp,omitempty"`
	Address string `json:"address,omitempty"` // CIDR, e.g. 10.0.2.15/24
	Gateway string `json:"gateway,omitempty"`
}

// Service is one supervised process.
type Service struct {
	Name    string   `json:"name"`
	Command []string `json:"command"` // argv; Command[0] is an absolute path
	UID     int      `json:"uid"`
	GID     int      `json:"gid"`
	Groups  []int    `json:"groups,omitempty"`
	Dir     string   `json:"dir,omitempty"`
	Env     []string `json:"env,omitempty"`
	// Restart is "always", "on-failure" (default) or "no".
	Restart string `json:"restart,omitempty"`
}

// Probe is a command run once after the services start, its output
// copied to the console for the host to read.
type Probe struct {
	Name    string   `json:"name"`
	Command []string `json:"command"`
}

// Dir is a directory created at boot.
type Dir struct {
	Path string `json:"path"`
	Mode uint32 `json:"mode"`
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
}

// ParseConfig decodes and checks a configuration.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", ConfigPath, err)
	}
	for _, s := range c.Services {
		if len(s.Command) == 0 || s.Command[0] == "" || s.Command[0][0] != '/' {
			return nil, fmt.Errorf("parsing %s: service %q: command must start with an absolute path", ConfigPath, s.Name)
		}
		switch s.Restart {
		case "", "always", "on-failure", "no":
		default:
			return nil, fmt.Errorf("parsing %s: service %q: restart %q is not always, on-failure or no", ConfigPath, s.Name, s.Restart)
		}
	}
	return &c, nil
}

// Marshal encodes the configuration deterministically.
func (c *Config) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
