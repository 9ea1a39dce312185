# dns: a validating, caching DNS resolver (Unbound) for a private network.
vm "dns" {
  extends  = "generic"
  hostname = "resolver"

  need  = ["unbound", "dns-root-data"] # unbound refuses to start without the root trust anchor
  avoid = ["systemd"]

  hardware {
    memory = "256M"
  }

  file "/etc/unbound/unbound.conf.d/listen.conf" {
    content = <<-CONF
      server:
        interface: 0.0.0.0
        access-control: 10.0.0.0/8 allow
        access-control: 192.168.0.0/16 allow
    CONF
  }

  service "unbound" {
    command = "/usr/sbin/unbound -d -p"
    restart = "on-failure"
  }

  probe "port" {
    tcp {
      port = 53
    }
  }
}
