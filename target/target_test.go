package target

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testVM() VM {
	return VM{Name: "web", CPUs: 2, MemoryMiB: 384, Disk: "web.qcow2", DiskFormat: "qcow2", DiskBytes: 200 << 20, DiskBus: "nvme",
		Kernel: "/out/web.vmlinuz", Cmdline: "root=PARTUUID=01234567-02 rw console=ttyS0", RootFS: "/out/web.root.ext4",
		RootCmd: "root=/dev/nvme0n1 rw console=ttyS0", Ports: []Port{{Host: 8080, Guest: 80, Proto: "tcp"}}, MAC: "52:54:00:aa:bb:cc"}
}

func TestQEMUScript(t *testing.T) {
	s := testVM().QEMUScript()
	for _, want := range []string{"-m 384 -smp 2", `"file=$DIR/web.qcow2,format=qcow2,if=none,id=d0" -device nvme,drive=d0`,
		"hostfwd=tcp:127.0.0.1:8080-:80", "mac=52:54:00:aa:bb:cc", "[ -w /dev/kvm ] && ACCEL=kvm"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	a := testVM().QEMUArgs("tcg", "/d.qcow2", "qcow2", true)
	j := strings.Join(a, " ")
	if !strings.Contains(j, "-kernel /out/web.vmlinuz -append root=PARTUUID=01234567-02") {
		t.Errorf("direct boot args: %s", j)
	}
}

func TestLibvirtXML(t *testing.T) {
	b, err := testVM().LibvirtXML("/out/web.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Name   string `xml:"name"`
		VCPU   int    `xml:"vcpu"`
		Memory int    `xml:"memory"`
	}
	if err := xml.Unmarshal(b, &d); err != nil || d.Name != "web" || d.VCPU != 2 || d.Memory != 384 {
		t.Fatalf("%+v %v\n%s", d, err, b)
	}
	if !strings.Contains(string(b), `xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0"`) || !strings.Contains(string(b), "nvme,drive=pdvmdisk0") {
		t.Errorf("NVMe disk not passed through:\n%s", b)
	}
	v := testVM()
	v.DiskBus = "virtio"
	b, _ = v.LibvirtXML("/out/web.qcow2")
	if !strings.Contains(string(b), `<target dev="vda" bus="virtio"></target>`) || strings.Contains(string(b), "qemu:commandline") {
		t.Errorf("virtio disk:\n%s", b)
	}
}

func TestFirecrackerJSON(t *testing.T) {
	b, err := testVM().FirecrackerJSON()
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	mc := c["machine-config"].(map[string]any)
	bs := c["boot-source"].(map[string]any)
	dr := c["drives"].([]any)[0].(map[string]any)
	if mc["vcpu_count"].(float64) != 2 || mc["mem_size_mib"].(float64) != 384 || dr["path_on_host"] != "/out/web.root.ext4" ||
		dr["is_root_device"] != true || !strings.Contains(bs["boot_args"].(string), "root=/dev/vda") {
		t.Errorf("config:\n%s", b)
	}
}

func TestOVF(t *testing.T) {
	b := testVM().OVF("web.vmdk", 12345)
	var e struct {
		Refs struct {
			File struct {
				Href string `xml:"href,attr"`
			} `xml:"File"`
		} `xml:"References"`
	}
	if err := xml.Unmarshal(b, &e); err != nil || e.Refs.File.Href != "web.vmdk" {
		t.Fatalf("%+v %v", e, err)
	}
	for _, want := range []string{"<rasd:VirtualQuantity>2</rasd:VirtualQuantity>", "<rasd:VirtualQuantity>384</rasd:VirtualQuantity>", `ovf:capacity="209715200"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("OVF lacks %s", want)
		}
	}
}

// TestNormVMDKShortCID: qemu prints the CID without leading zeros; the
// rewritten descriptor must stay well-formed.
func TestNormVMDKShortCID(t *testing.T) {
	img := make([]byte, 3*512)
	copy(img, "KDMV")
	binary.LittleEndian.PutUint64(img[28:], 1) // descriptor at sector 1
	binary.LittleEndian.PutUint64(img[36:], 2) // two sectors
	copy(img[512:], "# Disk DescriptorFile\nversion=1\nCID=abc12\nparentCID=ffffffff\ncreateType=\"streamOptimized\"\n")
	p := filepath.Join(t.TempDir(), "d.vmdk")
	os.WriteFile(p, img, 0o644)
	if err := Normalize(p, Formats["vmdk"], "seed", time.Time{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	d := string(bytes.TrimRight(b[512:], "\x00"))
	if !strings.Contains(d, "\nCID=3226f2df\nparentCID=ffffffff\ncreateType=\"streamOptimized\"\n") || len(b) != 3*512 {
		t.Errorf("descriptor:\n%q", d)
	}
}
