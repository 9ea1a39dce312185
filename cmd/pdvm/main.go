// Command pdvm turns a declarative description of a VM's purpose into the
// smallest VM that serves it. See `pdvm --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"pdvm.dev/pdvm/internal/cli"
)

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft limit: parsing the whole archive produces short-lived
		// garbage, and collecting it earlier keeps peak RSS low.
		debug.SetMemoryLimit(224 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
