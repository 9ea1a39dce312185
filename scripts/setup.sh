#!/bin/sh
# Installs the Debian tools pdvm and its tests use. Run as root on Debian 12:
#   sudo scripts/setup.sh
set -eu
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "$@"; }
apt-get update -o DPkg::Lock::Timeout=600
# foundation: dpkg (version oracle), apt (apt-cache for benchmarks), signing tools for test mirrors
apt_install dpkg apt debian-archive-keyring xz-utils gzip lz4 ca-certificates time bc
# resolver (resolve/, bench/solver): dose-distcheck is the oracle of pdvm distcheck; apt-cudf + aspcud the optimal peer of the benchmark
apt_install dose-distcheck apt-cudf aspcud
# build and boot (build/, target/, vmtest/, kmod/, bench/image): ext4 without mounting, FAT + syslinux via mtools, MBR, image formats, QEMU boot tests, libvirt XML validation, depmod as the kmod oracle, mmdebstrap for the benchmark baseline
apt_install e2fsprogs dosfstools mtools syslinux syslinux-common fdisk qemu-utils qemu-system-x86 libvirt-clients libxml2-utils kmod cpio curl mmdebstrap
# kernel feature model (kconfig/, bench/kconfig): the kernel's own make olddefconfig/allnoconfig as the oracle (gcc, make, flex, bison build scripts/kconfig/conf; bc, libelf-dev, libssl-dev for pdvm kernel build), python3-kconfiglib as the independent parser
apt_install gcc make flex bison bc libc6-dev libelf-dev libssl-dev python3 python3-kconfiglib
# SAT/optimisation layer (solve/): clasp is the independent MaxSAT oracle of TestRealClaspOracle
apt_install clasp
# kernel flavour "pdvm" (build/kernel.go, examples/web-tiny): the build tools above compile the kernel; xz compresses the bzImage (KERNEL_XZ)
apt_install xz-utils
