# db: a PostgreSQL server. The major version is a local value, so moving
# to the next release is a one-line change.
locals {
  pg      = "15"
  datadir = "/var/lib/postgresql/${local.pg}/main"
}

vm "db" {
  extends  = "server"
  hostname = "db"

  need = ["postgresql-${local.pg}"]

  hardware {
    cpus   = 2
    memory = "1G"
    disk   = "4G"
  }

  service "postgresql" {
    command = "/usr/lib/postgresql/${local.pg}/bin/postgres -D ${local.datadir}"
    user    = "postgres"
    restart = "always"
  }

  probe "postgres" {
    tcp {
      port = 5432
    }
    timeout = "2m"
  }
}
