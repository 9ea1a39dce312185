// Package description is stage D of pdvm's pipeline: it reads a VM's
// purpose, written in HCL2 in files named *.pdvm.hcl, into typed Go values
// that remember where every value came from.
//
// A file holds one or more vm blocks:
//
//	vm "web" {
//	  extends = "server"                 # a built-in template or another file
//	  need    = ["nginx", "openssh-server | dropbear-bin"]
//	  avoid   = ["systemd"]
//	  hardware { memory = "512M" }
//	  probe "page" {
//	    http { port = 80 }
//	  }
//	}
//
// Package requests are strings in Debian's own relation syntax (Debian
// Policy §7.1), parsed by [pdvm.dev/pdvm/debian/relation]: a need entry is
// one clause (alternatives separated by "|"), an avoid entry one atom,
// optionally with a version range ("perl (<< 5.36)").
//
// # Positions
//
// Every decoded value keeps its [hcl.Range]; list entries keep the range of
// their own element, and a syntax error inside a relation string is reported
// at the offending byte inside the string literal, not at the attribute.
// Later stages carry these ranges forward, so a constraint, a resolver
// conflict or a package's reason in the lock points back at the line that
// caused it.
//
// # Diagnostics
//
// [Load] and [Parse] never stop at the first problem: they return every
// problem as [hcl.Diagnostics], each with a subject range. Unknown attributes
// and blocks are errors (HCL's own "did you mean" suggestions included). The
// CLI renders them with HCL's diagnostic writer using [File.Sources].
//
// # Variables, locals and functions
//
// variable "NAME" { default = … } blocks and a locals { … } block are
// evaluated before the vm blocks; values are reachable as var.NAME and
// local.NAME. Functions are the usual string and collection functions
// (upper, join, format, concat, …) plus file(PATH), which reads a file
// relative to the description, and templatefile(PATH, VARS), which renders
// an HCL template file.
//
// # Templates and extends
//
// extends names a built-in template ([Templates]: "minimal", "generic",
// "server"), another description file ("base.pdvm.hcl", or
// "base.pdvm.hcl#NAME" to pick one vm of several), or another vm of the same
// file ("#NAME"). The child inherits everything and overrides: scalar
// attributes replace the parent's, need/avoid/prefer lists are appended (an
// inherited need whose every alternative the child avoids is dropped), and
// labelled blocks (user, service, file, probe) replace the parent's block
// with the same label. Single blocks (kernel, hardware, network, output,
// security) are merged attribute by attribute.
//
// Defaults (release, architecture, base, init, kernel flavour, objective,
// hardware, disk size) are not filled in here: an unset value stays unset
// (Set is false), so that [pdvm.dev/pdvm/constraint] can fill it in
// visibly. The one exception is a probe's timeout, HTTP path and expected
// status, which only a boot test uses: they hold their defaults
// ([DefaultProbeTimeout], "/", 200) with Set false.
//
// # For later stages
//
// The types here are plain structs with exported fields, meant to be read
// directly by the builder (users, services, files, network, output,
// probes) and the kernel configurator (Kernel.Need, Kernel.Avoid). File
// contents are read at decode time: FileSpec.Content holds the bytes
// whether they were written inline or come from a source file.
package description
