package cli

import (
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/internal/universe"
)

// state is what a command accumulates while it runs.
type state struct {
	universe   *archive.Universe
	loadTiming universe.Timing
	loadTime   time.Duration
}
