# examples/web with systemd as init but no Debian base system (base "none": no dpkg,
# no maintainer scripts; pdvm writes the units), for the benchmark.
vm "web-systemd" {
  hostname = "web"
  base     = "none"
  init     = "systemd"

  need = ["nginx", "systemd-sysv", "udev"]

  network {
    mode    = "static"
    address = "10.0.2.15/24"
    gateway = "10.0.2.2"
    forward = ["8080:80"]
  }

  file "/var/www/html/index.html" {
    content = "Hello from pdvm (debian + systemd)\n"
  }

  service "nginx" {
    command = "/usr/sbin/nginx -g 'daemon off;'"
    restart = "always"
  }

  probe "page" {
    http {
      port     = 80
      contains = "Hello from pdvm"
    }
    timeout = "180s"
  }

  output {
    formats     = ["qcow2"]
    hypervisors = ["qemu"]
  }
}
