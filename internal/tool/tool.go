// Package tool finds the external programs the builder runs (mkfs.ext4,
// qemu-img, syslinux, …) and, when one is missing, names the Debian
// package that provides it.
package tool

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Packages maps each program pdvm runs to its Debian package.
var Packages = map[string]string{
	"mkfs.ext4":                     "e2fsprogs",
	"debugfs":                       "e2fsprogs",
	"e2fsck":                        "e2fsprogs",
	"qemu-img":                      "qemu-utils",
	"qemu-system-x86_64":            "qemu-system-x86",
	"mkfs.fat":                      "dosfstools",
	"mcopy":                         "mtools",
	"syslinux":                      "syslinux",
	"sfdisk":                        "fdisk",
	"virt-xml-validate":             "libvirt-clients",
	"xz":                            "xz-utils",
	"go":                            "golang-go",
	"dpkg":                          "dpkg",
	"depmod":                        "kmod",
	"chroot":                        "coreutils",
	"mmdebstrap":                    "mmdebstrap",
	"/usr/lib/syslinux/mbr/mbr.bin": "syslinux",
}

// MissingError reports a program that is not installed.
type MissingError struct {
	Tool, Package string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is not installed (Debian package %s)", e.Tool, e.Package)
}

// Hint says how to install it.
func (e *MissingError) Hint() string {
	return fmt.Sprintf("install it with: apt-get install %s   (or run scripts/setup.sh as root)", e.Package)
}

// PathOverride lets tests pretend a tool is missing: a name mapped to ""
// is reported missing.
var PathOverride map[string]string

// Look finds a program on PATH.
func Look(name string) (string, error) {
	if p, ok := PathOverride[name]; ok {
		if p == "" {
			return "", &MissingError{Tool: name, Package: pkgOf(name)}
		}
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", &MissingError{Tool: name, Package: pkgOf(name)}
	}
	return p, nil
}

func pkgOf(name string) string {
	if p := Packages[name]; p != "" {
		return p
	}
	return "providing " + name
}

// RunError is a failed command with its output.
type RunError struct {
	Cmd    string
	Err    error
	Output string
}

func (e *RunError) Error() string {
	out := strings.TrimSpace(e.Output)
	if len(out) > 2000 {
		out = "…" + out[len(out)-2000:]
	}
	return fmt.Sprintf("running %s: %v: %s", e.Cmd, e.Err, out)
}
func (e *RunError) Unwrap() error { return e.Err }

// Run runs a program (looked up with Look) with extra environment
// variables and returns its combined output.
func Run(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
	p, err := Look(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, p, args...)
	if len(env) > 0 {
		cmd.Env = append(cmd.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return out.Bytes(), ctx.Err()
		}
		return out.Bytes(), &RunError{Cmd: name + " " + strings.Join(args, " "), Err: err, Output: out.String()}
	}
	return out.Bytes(), nil
}
