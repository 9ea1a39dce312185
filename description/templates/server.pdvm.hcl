# Built-in template "server": "generic" plus remote administration over
# SSH (OpenSSH, or Dropbear if that is cheaper) and 512 MiB of memory.
vm "server" {
  extends = "generic"
  need    = ["openssh-server | dropbear-bin"]

  hardware {
    memory = "512M"
  }
}
