# web: nginx serving one static page, the smallest VM that answers HTTP.
#
# The page comes from web/index.html next to this file; the probe proves
# the purpose by fetching it after boot. Try:
#   pdvm lower examples/web.pdvm.hcl    # every constraint and its line
#   pdvm plan  examples/web.pdvm.hcl    # lock the package set
#   pdvm build examples/web.pdvm.hcl    # qcow2 + QEMU and libvirt configs
vm "web" {
  extends  = "minimal"
  hostname = "web"

  need  = ["nginx"]
  avoid = ["systemd"] # pdvm's own init starts nginx

  kernel {
    need = ["VIRTIO_NET", "VIRTIO_BLK", "EXT4_FS"]
  }

  network {
    mode    = "dhcp"
    forward = ["8080:80"]
  }

  file "/var/www/html/index.html" {
    source = "web/index.html"
    mode   = "0644"
  }

  service "nginx" {
    command = "/usr/sbin/nginx -g 'daemon off;'"
    restart = "always"
  }

  probe "page" {
    http {
      port     = 80
      path     = "/"
      status   = 200
      contains = "Hello from pdvm"
    }
    timeout = "60s"
  }

  output {
    formats     = ["qcow2"]
    hypervisors = ["qemu", "libvirt"]
  }
}
