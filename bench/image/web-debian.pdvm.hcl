# The "Debian-standard" variant of examples/web for the benchmark: a real
# Debian system (dpkg database, maintainer scripts run) booted by systemd.
vm "web-debian" {
  hostname = "web"
  base     = "debian"
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
