// Command pdvm-init is the init (PID 1) of pdvm VMs; see package
// pdvm.dev/pdvm/vminit. It must be built statically (CGO_ENABLED=0): the
// VM may contain no C library at all.
package main

import "pdvm.dev/pdvm/vminit"

func main() { vminit.Main() }
