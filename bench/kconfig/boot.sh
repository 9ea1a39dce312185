#!/bin/bash
# boot.sh — build the minimal kernel pdvm solves for a description
# (`pdvm kernel build`, cached by .config + source + compiler) and boot it under
# QEMU/TCG with a virtio disk (ext4) and a virtio NIC; print its size and the
# host time from qemu start to exit.
#
# Usage: bench/kconfig/boot.sh [description] [boots]
#        (default examples/web.pdvm.hcl, 3 boots)
# Needs: go, gcc (static libc from libc6-dev), make, flex, bison, bc, libelf-dev,
# cpio, e2fsprogs, qemu-system-x86 (scripts/setup.sh). A fresh kernel build takes
# several minutes on two cores; later runs use the cache.
# The init is a 40-line static C program: it mounts proc/sys/devtmpfs, prints
# BOOT-MARKER with /proc/uptime, lists /sys/block and /sys/class/net, mounts
# /dev/vda read-only as ext4, lists it, and reboots (qemu -no-reboot exits).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DESC=${1:-$ROOT/examples/web.pdvm.hcl}
BOOTS=${2:-3}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$ROOT"
go build -o "$W/pdvm" ./cmd/pdvm
/usr/bin/time -f 'kernel build: %e s wall, %U s user, %S s sys' "$W/pdvm" kernel build "$DESC" -o "$W/bzImage"

cat >"$W/init.c" <<'C'
#include <stdio.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
static void ls(const char *d) {
	DIR *x = opendir(d); struct dirent *e;
	printf("%s:", d);
	if (x) { while ((e = readdir(x))) if (e->d_name[0] != '.') printf(" %s", e->d_name); closedir(x); }
	printf("\n");
}
int main(void) {
	mount("proc", "/proc", "proc", 0, 0);
	mount("sysfs", "/sys", "sysfs", 0, 0);
	mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
	char up[64] = {0}; int fd = open("/proc/uptime", O_RDONLY);
	if (fd >= 0) { read(fd, up, 63); close(fd); }
	printf("BOOT-MARKER uptime %s", up);
	ls("/sys/block"); ls("/sys/class/net");
	if (mount("/dev/vda", "/mnt", "ext4", MS_RDONLY, 0) == 0) { printf("EXT4-OK\n"); ls("/mnt"); } else perror("mount /dev/vda");
	fflush(stdout);
	reboot(RB_AUTOBOOT);
	return 0;
}
C
mkdir -p "$W/root/proc" "$W/root/sys" "$W/root/dev" "$W/root/mnt" "$W/data"
gcc -static -Os -o "$W/root/init" "$W/init.c"
mknod "$W/root/dev/console" c 5 1
(cd "$W/root" && find . | cpio -o -H newc 2>/dev/null) >"$W/initramfs.cpio" # uncompressed: RD_GZIP is off
echo hello >"$W/data/hello"
truncate -s 16M "$W/disk.img"
mkfs.ext4 -q -F -d "$W/data" "$W/disk.img"

echo "bzImage: $(stat -c %s "$W/bzImage") bytes; initramfs: $(stat -c %s "$W/initramfs.cpio") bytes"
for i in $(seq "$BOOTS"); do
  s=$(date +%s.%N)
  timeout 120 qemu-system-x86_64 -accel tcg -m 256M -smp 1 -nographic -no-reboot \
    -kernel "$W/bzImage" -initrd "$W/initramfs.cpio" -append "console=ttyS0 panic=-1 quiet" \
    -drive file="$W/disk.img",if=virtio,format=raw,readonly=on \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0 >"$W/boot.log" 2>&1 || true
  e=$(date +%s.%N)
  tr -d '\r' <"$W/boot.log" | grep -aq EXT4-OK || { echo "boot $i FAILED:"; tail -20 "$W/boot.log"; exit 1; }
  echo "boot $i: $(echo "$e - $s" | bc) s host, $(tr -d '\r' <"$W/boot.log" | grep -ao 'BOOT-MARKER.*' | head -1); $(tr -d '\r' <"$W/boot.log" | grep -a '^/sys/' | tr '\n' ' ')"
done
