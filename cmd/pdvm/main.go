// Command pdvm turns a declarative description of a VM's purpose into the
// smallest VM that serves it. See `pdvm --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"pdvm.dev/pdvm/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
