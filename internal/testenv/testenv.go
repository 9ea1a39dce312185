// Package testenv groups pdvm's tests into the fast group and the real group.
//
// The fast group (`go test -short ./...`) runs on hand-made fixtures in seconds.
// The real group runs against the real thing: the Debian archive, real .deb
// files, dpkg, dose-distcheck, apt, the kernel's own kconfig, qemu. Every
// real test starts with [Real], which skips it under -short. A real test
// whose tool is missing fails rather than skips: CI installs every tool with
// scripts/setup.sh, and a silent skip would hide missing coverage.
package testenv

import (
	"os/exec"
	"testing"
)

// Real marks t as a member of the real group and checks that every named
// tool is on PATH.
func Real(t testing.TB, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("real-archive/tool test; skipped in -short mode")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run scripts/setup.sh (as root) first", tool)
		}
	}
}
