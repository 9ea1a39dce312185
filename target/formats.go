// Package target turns a built disk into what a hypervisor consumes: disk
// image formats (raw, qcow2, vmdk, vhd, vhdx, vdi, written by qemu-img and
// each checked with qemu-img check or info) and configuration files — a
// QEMU run script, a libvirt domain XML, a Firecracker VM config (JSON)
// and an OVF descriptor — carrying the VM's CPUs, memory, disks and
// network.
package target

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"pdvm.dev/pdvm/internal/tool"
)

// Format is a disk image format.
type Format struct {
	Name   string // pdvm's name (file extension)
	QEMU   string // qemu-img's -O name
	Opts   []string
	Check  bool // qemu-img check supports it
	Layout string
}

// Formats are the supported formats, by name.
var Formats = map[string]Format{
	"raw":   {Name: "raw", QEMU: "raw"},
	"qcow2": {Name: "qcow2", QEMU: "qcow2", Opts: []string{"-c", "-o", "compression_type=zlib"}, Check: true},
	"vmdk":  {Name: "vmdk", QEMU: "vmdk", Opts: []string{"-o", "subformat=streamOptimized"}, Check: true},
	"vhd":   {Name: "vhd", QEMU: "vpc", Opts: []string{"-o", "subformat=dynamic,force_size=on"}},
	"vhdx":  {Name: "vhdx", QEMU: "vhdx", Check: true},
	"vdi":   {Name: "vdi", QEMU: "vdi", Check: true},
}

// Names lists the format names in a fixed order.
func Names() []string { return []string{"raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi"} }

// Convert writes src (raw) as dst in format f and checks the result.
func Convert(ctx context.Context, src, dst string, f Format) error {
	args := append([]string{"convert", "-f", "raw", "-O", f.QEMU}, f.Opts...)
	args = append(args, src, dst)
	if _, err := tool.Run(ctx, nil, "qemu-img", args...); err != nil {
		return fmt.Errorf("writing %s image: %w", f.Name, err)
	}
	return Check(ctx, dst, f)
}

// Info is the part of `qemu-img info --output=json` pdvm reads.
type Info struct {
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual-size"`
	ActualSize  int64  `json:"actual-size"`
}

// Check runs qemu-img check (for formats that support it) and qemu-img
// info, and verifies the detected format.
func Check(ctx context.Context, path string, f Format) error {
	if f.Check {
		if _, err := tool.Run(ctx, nil, "qemu-img", "check", "-f", f.QEMU, path); err != nil {
			return fmt.Errorf("checking %s: %w", path, err)
		}
	}
	out, err := tool.Run(ctx, nil, "qemu-img", "info", "--output=json", "-f", f.QEMU, path)
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", path, err)
	}
	var in Info
	if err := json.Unmarshal(out, &in); err != nil {
		return fmt.Errorf("inspecting %s: %w", path, err)
	}
	if in.Format != f.QEMU || in.VirtualSize <= 0 {
		return fmt.Errorf("inspecting %s: qemu-img sees format %q, size %d; want %s", path, in.Format, in.VirtualSize, f.QEMU)
	}
	return nil
}

// Detect asks qemu-img for an image's format (for pdvm run IMAGE).
func Detect(ctx context.Context, path string) (string, error) {
	out, err := tool.Run(ctx, nil, "qemu-img", "info", "--output=json", path)
	if err != nil {
		return "", err
	}
	var in Info
	if err := json.Unmarshal(out, &in); err != nil {
		return "", err
	}
	return strings.TrimSpace(in.Format), nil
}
