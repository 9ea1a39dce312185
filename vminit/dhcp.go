//go:build linux

package vminit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// lease is what a DHCP server offered and acknowledged.
type lease struct {
	addr   string // CIDR
	router string
	dns    []string
}

// DHCP message types (RFC 2132 option 53).
const (
	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5
	dhcpNak      = 6
)

// dhcpPacket builds a BOOTREQUEST (RFC 2131) with the broadcast flag set,
// so that the server answers to 255.255.255.255 while we have no address.
func dhcpPacket(xid uint32, mac net.HardwareAddr, typ byte, reqIP, server net.IP) []byte {
	b := make([]byte, 240, 300)
	b[0], b[1], b[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, hlen
	binary.BigEndian.PutUint32(b[4:], xid)
	binary.BigEndian.PutUint16(b[10:], 0x8000) // broadcast
	copy(b[28:], mac)
	copy(b[236:], []byte{99, 130, 83, 99}) // magic cookie
	b = append(b, 53, 1, typ)
	if reqIP != nil {
		b = append(b, 50, 4)
		b = append(b, reqIP.To4()...)
	}
	if server != nil {
		b = append(b, 54, 4)
		b = append(b, server.To4()...)
	}
	b = append(b, 55, 3, 1, 3, 6) // ask for mask, router, DNS
	return append(b, 255)
}

type dhcpReply struct {
	typ    byte
	yiaddr net.IP
	server net.IP
	mask   net.IPMask
	router net.IP
	dns    []net.IP
}

func parseDHCP(b []byte, xid uint32) (*dhcpReply, error) {
	if len(b) < 240 || b[0] != 2 || binary.BigEndian.Uint32(b[4:]) != xid {
		return nil, errors.New("not our reply")
	}
	if b[236] != 99 || b[237] != 130 || b[238] != 83 || b[239] != 99 {
		return nil, errors.New("no magic cookie")
	}
	r := &dhcpReply{yiaddr: net.IP(append([]byte(nil), b[16:20]...))}
	o := b[240:]
	for len(o) > 0 {
		code := o[0]
		if code == 255 {
			break
		}
		if code == 0 {
			o = o[1:]
			continue
		}
		if len(o) < 2 || len(o) < 2+int(o[1]) {
			return nil, errors.New("truncated option")
		}
		v := o[2 : 2+int(o[1])]
		switch code {
		case 53:
			if len(v) == 1 {
				r.typ = v[0]
			}
		case 54:
			if len(v) == 4 {
				r.server = net.IP(append([]byte(nil), v...))
			}
		case 1:
			if len(v) == 4 {
				r.mask = net.IPMask(append([]byte(nil), v...))
			}
		case 3:
			if len(v) >= 4 {
				r.router = net.IP(append([]byte(nil), v[:4]...))
			}
		case 6:
			for i := 0; i+4 <= len(v); i += 4 {
				r.dns = append(r.dns, net.IP(append([]byte(nil), v[i:i+4]...)))
			}
		}
		o = o[2+int(o[1]):]
	}
	return r, nil
}

// dhcp runs DISCOVER/OFFER/REQUEST/ACK on dev through a UDP socket bound
// to the device (no raw sockets needed: Linux sends broadcasts from
// 0.0.0.0 on an interface that is up but has no address).
func dhcp(dev string, timeout time.Duration) (*lease, error) {
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
	if err := unix.BindToDevice(fd, dev); err != nil {
		return nil, fmt.Errorf("binding to %s: %w", dev, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 68}); err != nil {
		return nil, fmt.Errorf("binding port 68: %w", err)
	}
	tv := unix.NsecToTimeval(int64(time.Second))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	// Not crypto/rand: getrandom(2) blocks until the kernel's random pool
	// is initialised, which takes seconds on a VM without RDRAND, and a
	// transaction id needs no secrecy.
	xid := rand.Uint32()
	bcast := &unix.SockaddrInet4{Port: 67, Addr: [4]byte{255, 255, 255, 255}}
	deadline := time.Now().Add(timeout)
	exchange := func(pkt []byte, want byte) (*dhcpReply, error) {
		buf := make([]byte, 1500)
		for time.Now().Before(deadline) {
			if err := unix.Sendto(fd, pkt, 0, bcast); err != nil {
				return nil, fmt.Errorf("sending: %w", err)
			}
			until := time.Now().Add(2 * time.Second)
			for time.Now().Before(until) {
				n, _, err := unix.Recvfrom(fd, buf, 0)
				if err != nil {
					break // timeout: resend
				}
				r, err := parseDHCP(buf[:n], xid)
				if err != nil {
					continue
				}
				if r.typ == dhcpNak {
					return nil, errors.New("server refused (NAK)")
				}
				if r.typ == want {
					return r, nil
				}
			}
		}
		return nil, fmt.Errorf("no answer within %v", timeout)
	}
	offer, err := exchange(dhcpPacket(xid, ifi.HardwareAddr, dhcpDiscover, nil, nil), dhcpOffer)
	if err != nil {
		return nil, err
	}
	ack, err := exchange(dhcpPacket(xid, ifi.HardwareAddr, dhcpRequest, offer.yiaddr, offer.server), dhcpAck)
	if err != nil {
		return nil, err
	}
	mask := ack.mask
	if mask == nil {
		mask = net.CIDRMask(24, 32)
	}
	ones, _ := mask.Size()
	l := &lease{addr: fmt.Sprintf("%s/%d", ack.yiaddr, ones)}
	if ack.router != nil {
		l.router = ack.router.String()
	}
	for _, d := range ack.dns {
		l.dns = append(l.dns, d.String())
	}
	return l, nil
}
