package cli

import (
	"context"
	"fmt"
	"time"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/internal/universe"
	"pdvm.dev/pdvm/repo"
)

// RepoConfig turns the global flags into a repo.Config on top of the
// machine's apt configuration.
func (e *Env) RepoConfig() repo.Config {
	cfg := repo.DefaultConfig()
	f := e.Repo
	if f.Mirror != "" {
		cfg.Mirror = f.Mirror
	}
	if len(f.Suites) > 0 {
		cfg.Suites = f.Suites
	}
	if len(f.Components) > 0 {
		cfg.Components = f.Components
	}
	if len(f.Arches) > 0 {
		cfg.Arches = f.Arches
	}
	if f.Keyring != "" {
		cfg.Keyring = f.Keyring
	}
	if f.CacheDir != "" {
		cfg.CacheDir = f.CacheDir
	}
	cfg.Offline = cfg.Offline || f.Offline
	if isTerminal(e.Stderr) {
		cfg.Progress = func(msg string) { fmt.Fprintf(e.Stderr, "pdvm: %s\n", msg) }
	}
	return cfg
}

// Universe loads the package universe selected by the global flags, from
// the binary cache when it is current. The result is kept for the rest of
// the command.
func (e *Env) Universe(ctx context.Context) (*archive.Universe, error) {
	if e.universe != nil {
		return e.universe, nil
	}
	t0 := time.Now()
	u, tm, err := universe.Load(ctx, e.RepoConfig())
	if err != nil {
		return nil, err
	}
	e.universe = u
	e.loadTiming = tm
	e.loadTime = time.Since(t0)
	return u, nil
}
