# bastion: an SSH jump host. One administrator who logs in with a key and
# may use sudo; nothing else. The "server" template brings the SSH server
# (OpenSSH or Dropbear, whichever the objective finds cheaper).
#
# Set your own key when planning:
#   pdvm plan --var admin_key="$(cat ~/.ssh/id_ed25519.pub)" examples/bastion.pdvm.hcl
variable "admin_key" {
  description = "the administrator's SSH public key"
  default     = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBkdm0tZXhhbXBsZS1rZXktbm90LWZvci11c2U example@pdvm"
}

vm "bastion" {
  extends  = "server"
  hostname = "bastion"

  user "admin" {
    ssh_authorized_keys = [var.admin_key]
    password_hash       = "!" # key logins only
    groups              = ["adm"]
    sudo                = true
    shell               = "/bin/bash"
  }

  network {
    forward = ["2222:22"]
  }

  probe "ssh" {
    tcp {
      port   = 22
      banner = "SSH-2.0-"
    }
  }
}
