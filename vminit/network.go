//go:build linux

package vminit

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func (in *Init) network() {
	if err := ifUp("lo"); err != nil {
		in.logf("lo: %v", err)
	}
	for _, nic := range in.cfg.Network {
		name := nic.Name
		if name == "" {
			name = firstNIC(10 * time.Second)
			if name == "" {
				in.logf("network: no interface appeared within 10s")
				return
			}
		}
		if err := ifUp(name); err != nil {
			in.logf("%s: %v", name, err)
			continue
		}
		addr, gw := nic.Address, nic.Gateway
		if nic.DHCP {
			lease, err := dhcp(name, 20*time.Second)
			if err != nil {
				in.logf("%s: dhcp: %v", name, err)
				continue
			}
			addr, gw = lease.addr, lease.router
			if len(lease.dns) > 0 {
				var b strings.Builder
				for _, d := range lease.dns {
					fmt.Fprintf(&b, "nameserver %s\n", d)
				}
				os.WriteFile("/etc/resolv.conf", []byte(b.String()), 0o644)
			}
		}
		if err := setAddr(name, addr); err != nil {
			in.logf("%s: address %s: %v", name, addr, err)
			continue
		}
		if gw != "" {
			if err := addDefaultRoute(name, gw); err != nil {
				in.logf("%s: default route via %s: %v", name, gw, err)
			}
		}
		how := "static"
		if nic.DHCP {
			how = "dhcp"
		}
		in.logf("network %s %s gateway %s (%s)", name, addr, gw, how)
	}
}

// firstNIC waits for a non-loopback interface and returns the first by name.
func firstNIC(wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		ents, _ := os.ReadDir("/sys/class/net")
		var names []string
		for _, e := range ents {
			if e.Name() != "lo" {
				names = append(names, e.Name())
			}
		}
		if len(names) > 0 {
			sort.Strings(names)
			return names[0]
		}
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ctlSocket() (int, error) {
	return unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
}

func ifUp(name string) error {
	fd, err := ctlSocket()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("reading flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up: %w", err)
	}
	return nil
}

func setAddr(name, cidr string) error {
	ip, ipn, err := net.ParseCIDR(cidr)
	if err != nil || ip.To4() == nil {
		return fmt.Errorf("not an IPv4 CIDR address")
	}
	fd, err := ctlSocket()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := ifr.SetInet4Addr(ip.To4()); err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFADDR, ifr); err != nil {
		return err
	}
	ifr, _ = unix.NewIfreq(name)
	ifr.SetInet4Addr(net.IP(ipn.Mask).To4())
	return unix.IoctlIfreq(fd, unix.SIOCSIFNETMASK, ifr)
}

// addDefaultRoute sends RTM_NEWROUTE 0.0.0.0/0 via gw over dev.
func addDefaultRoute(dev, gw string) error {
	g := net.ParseIP(gw).To4()
	if g == nil {
		return fmt.Errorf("gateway %q is not IPv4", gw)
	}
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	attr := func(typ uint16, data []byte) []byte {
		b := make([]byte, 4, 4+len(data)+3)
		binary.LittleEndian.PutUint16(b[0:], uint16(4+len(data)))
		binary.LittleEndian.PutUint16(b[2:], typ)
		b = append(b, data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	oif := make([]byte, 4)
	binary.LittleEndian.PutUint32(oif, uint32(ifi.Index))
	rt := []byte{unix.AF_INET, 0, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_BOOT, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST, 0, 0, 0, 0}
	body := append(rt, attr(unix.RTA_GATEWAY, g)...)
	body = append(body, attr(unix.RTA_OIF, oif)...)
	msg := make([]byte, 16, 16+len(body))
	binary.LittleEndian.PutUint32(msg[0:], uint32(16+len(body)))
	binary.LittleEndian.PutUint16(msg[4:], unix.RTM_NEWROUTE)
	binary.LittleEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	binary.LittleEndian.PutUint32(msg[8:], 1)
	msg = append(msg, body...)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	if n >= 20 && binary.LittleEndian.Uint16(buf[4:]) == unix.NLMSG_ERROR {
		if code := int32(binary.LittleEndian.Uint32(buf[16:])); code != 0 {
			return unix.Errno(-code)
		}
	}
	return nil
}
