# web-tiny: the web example (nginx serving one static page) on a kernel
# pdvm compiles itself instead of Debian's cloud kernel.
#
# Kernel flavour "pdvm" puts no Debian kernel package in the lock: the
# builder solves the smallest Kconfig configuration that has these needs,
# the init's and the boot path's (NVMe root disk, ext4, virtio-net, serial
# console) all built in, and compiles a ~2 MiB bzImage from the pinned
# linux-source (cached; the first build takes a few minutes). The image has
# no kernel modules and no initramfs. Everything else is inherited from
# examples/web.pdvm.hcl:
#   pdvm plan  examples/web-tiny.pdvm.hcl   # the lock records the kernel source
#   pdvm test  examples/web-tiny.pdvm.hcl   # build, boot, fetch the page
vm "web" {
  extends = "web.pdvm.hcl#web"

  kernel {
    flavour = "pdvm"
    # IPV6: Debian's default nginx site listens on [::]:80 as well
    need = ["IPV6"]
  }
}
