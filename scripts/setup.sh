#!/bin/sh
# Installs the Debian tools pdvm and its tests use. Run as root on Debian 12:
#   sudo scripts/setup.sh
set -eu
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "$@"; }
apt-get update -o DPkg::Lock::Timeout=600
# foundation: dpkg (version oracle), apt (apt-cache for benchmarks), signing tools for test mirrors
apt_install dpkg apt debian-archive-keyring xz-utils gzip lz4 ca-certificates time bc
