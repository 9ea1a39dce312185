# Built-in template "minimal": nothing but the purpose. No Debian base
# system, pdvm's own init, the cloud kernel, one CPU and 256 MiB of memory.
vm "minimal" {
  base = "none"
  init = "pdvm"

  hardware {
    cpus   = 1
    memory = "256M"
  }
}
