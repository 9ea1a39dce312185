# Built-in template "generic": "minimal" plus what most networked VMs want:
# DHCP networking, CA certificates and the protocol/service tables.
vm "generic" {
  extends = "minimal"
  need    = ["ca-certificates", "netbase"]

  network {
    mode = "dhcp"
  }
}
