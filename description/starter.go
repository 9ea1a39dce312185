package description

import (
	"fmt"
	"strings"
)

// Starter returns a starting description for `pdvm init`: a vm called
// name that extends the built-in template, with the common settings
// written out as comments.
func Starter(template, name string) ([]byte, error) {
	if _, ok := Template(template); !ok {
		return nil, fmt.Errorf("unknown template %q (use one of %s)", template, strings.Join(Templates(), ", "))
	}
	if !validName(name) {
		return nil, fmt.Errorf("%q is not a valid vm name: use letters, digits, '-', '_' and '.'", name)
	}
	return []byte(fmt.Sprintf(`# %[1]s: say in one line what this VM is for.
#
#   pdvm lower %[1]s.pdvm.hcl    # the constraints, with defaults
#   pdvm plan  %[1]s.pdvm.hcl    # lock the smallest package set
vm %[1]q {
  extends = %[2]q

  # Packages in Debian's relation syntax: "nginx", "python3 (>= 3.11)",
  # "openssh-server | dropbear-bin". avoid keeps packages out.
  need  = []
  avoid = ["systemd"]

  # hardware {
  #   cpus   = 1
  #   memory = "512M"
  # }

  # service "app" {
  #   command = "/usr/bin/app --serve"
  #   restart = "always"
  # }

  # probe "up" {
  #   tcp {
  #     port = 80
  #   }
  # }
}
`, name, template)), nil
}
