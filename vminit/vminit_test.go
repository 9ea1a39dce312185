package vminit

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c := &Config{Hostname: "web", Services: []Service{{Name: "nginx", Command: []string{"/usr/sbin/nginx", "-g", "daemon off;"}, UID: 0, Restart: "always"}}}
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseConfig(b)
	if err != nil || got.Services[0].Command[2] != "daemon off;" || got.Hostname != "web" {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, bad := range []string{
		`{"services":[{"name":"x","command":["nginx"]}]}`,
		`{"services":[{"name":"x","command":["/bin/x"],"restart":"sometimes"}]}`,
		`{"hostname":`,
	} {
		if _, err := ParseConfig([]byte(bad)); err == nil || !strings.Contains(err.Error(), ConfigPath) {
			t.Errorf("ParseConfig(%s) = %v, want an error naming %s", bad, err, ConfigPath)
		}
	}
}

// serverReply builds a DHCP reply like QEMU's user-mode server sends.
func serverReply(xid uint32, typ byte) []byte {
	b := make([]byte, 240)
	b[0], b[1], b[2] = 2, 1, 6
	binary.BigEndian.PutUint32(b[4:], xid)
	copy(b[16:20], net.IPv4(10, 0, 2, 15).To4())
	copy(b[236:], []byte{99, 130, 83, 99})
	b = append(b, 53, 1, typ, 54, 4, 10, 0, 2, 2, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 2, 2, 6, 8, 10, 0, 2, 3, 1, 1, 1, 1, 0, 255)
	return b
}

func TestDHCPPackets(t *testing.T) {
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	p := dhcpPacket(0xdeadbeef, mac, dhcpRequest, net.IPv4(10, 0, 2, 15), net.IPv4(10, 0, 2, 2))
	if p[0] != 1 || binary.BigEndian.Uint32(p[4:]) != 0xdeadbeef || binary.BigEndian.Uint16(p[10:])&0x8000 == 0 || net.HardwareAddr(p[28:34]).String() != mac.String() {
		t.Errorf("bad request header % x", p[:34])
	}
	opts := string(p[240:])
	if !strings.Contains(opts, "\x35\x01\x03") || !strings.Contains(opts, "\x32\x04\x0a\x00\x02\x0f") || !strings.Contains(opts, "\x36\x04\x0a\x00\x02\x02") {
		t.Errorf("request options % x", p[240:])
	}
	r, err := parseDHCP(serverReply(0xdeadbeef, dhcpAck), 0xdeadbeef)
	if err != nil {
		t.Fatal(err)
	}
	ones, _ := r.mask.Size()
	if r.typ != dhcpAck || r.yiaddr.String() != "10.0.2.15" || ones != 24 || r.router.String() != "10.0.2.2" || len(r.dns) != 2 || r.server.String() != "10.0.2.2" {
		t.Errorf("parsed %+v", r)
	}
	if _, err := parseDHCP(serverReply(1, dhcpAck), 2); err == nil {
		t.Error("accepted a reply to another transaction")
	}
	bad := serverReply(1, dhcpAck)
	bad = append(bad[:len(bad)-3], 6, 200)
	if _, err := parseDHCP(bad, 1); err == nil {
		t.Error("accepted a truncated option")
	}
}
