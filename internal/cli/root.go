// Package cli is pdvm's command line: the only code in pdvm that prints,
// reads flags or decides exit codes. Each verb lives in its own file and
// registers its constructor with register.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
)

// Env is what every verb shares: the output streams and the global flags.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer

	JSON bool // --json: machine-readable output
	Repo RepoFlags

	state
}

// RepoFlags select the archive pdvm loads (see archive.go).
type RepoFlags struct {
	Mirror     string
	Suites     []string
	Components []string
	Arches     []string
	Keyring    string
	CacheDir   string
	Offline    bool
}

var constructors []func(*Env) *cobra.Command

// register adds a verb to the root command. Call it from an init function
// in the verb's file.
func register(c func(*Env) *cobra.Command) { constructors = append(constructors, c) }

// NewRoot builds the pdvm command tree.
func NewRoot(e *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "pdvm",
		Short: "Purpose-driven virtual machines: the smallest VM that serves a declared purpose",
		Long: `pdvm turns a short declarative description of a VM's purpose into the smallest VM
that serves it, and says exactly what is inside and why.

The pipeline has four stages, each of which can be printed:
  D  description   *.pdvm.hcl: what the VM needs, must not contain, and how it runs
  C  constraints   pdvm lower FILE      defaults filled in, every constraint with its line
  M  manifest      pdvm plan FILE       a provably minimal package set, written as FILE.lock
  T  target        pdvm build FILE      a bootable image, hypervisor config, SBOM

The package universe is the real Debian archive (bookworm by default), fetched
and verified against the Debian archive keyring; see 'pdvm repo --help'.`,
		Example: `  pdvm repo update                       fetch and verify the archive indexes
  pdvm repo stats                        what the archive holds
  pdvm show nginx                        one package, as the archive describes it
  pdvm resolve nginx openssh-server      the fewest packages that install both
  pdvm plan examples/web.pdvm.hcl        lock a description's manifest
  pdvm build examples/web.pdvm.hcl       build the image`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	pf := root.PersistentFlags()
	pf.BoolVar(&e.JSON, "json", false, "print machine-readable JSON instead of text")
	pf.StringVar(&e.Repo.Mirror, "mirror", "", "Debian mirror URL (http, https or file://); default: the machine's apt sources")
	pf.StringSliceVar(&e.Repo.Suites, "suite", nil, "suites to load (default bookworm,bookworm-updates,bookworm-security)")
	pf.StringSliceVar(&e.Repo.Components, "component", nil, "archive components (default main)")
	pf.StringSliceVar(&e.Repo.Arches, "arch", nil, "architectures (default amd64; 'all' is always added)")
	pf.StringVar(&e.Repo.Keyring, "keyring", "", "OpenPGP keyring that signs the archive (default /usr/share/keyrings/debian-archive-keyring.gpg)")
	pf.StringVar(&e.Repo.CacheDir, "cache-dir", "", "cache directory (default $XDG_CACHE_HOME/pdvm or ~/.cache/pdvm)")
	pf.BoolVar(&e.Repo.Offline, "offline", false, "use only cached indexes, or the machine's /var/lib/apt/lists")

	cmds := make([]*cobra.Command, 0, len(constructors))
	for _, c := range constructors {
		cmds = append(cmds, c(e))
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	return root
}

// Main runs pdvm with args and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &Env{Stdout: stdout, Stderr: stderr}
	root := NewRoot(e)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ex *ExitError
	if errors.As(err, &ex) {
		if ex.Err != nil {
			printError(stderr, ex.Err)
		}
		return ex.Code
	}
	printError(stderr, err)
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return 1
}

// ExitError ends pdvm with a specific exit code (e.g. `plan --check` on a
// stale lock). Err, if set, is printed like any other error.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// hintError carries advice on what the user should do next.
type hintError struct {
	err  error
	hint string
}

func (h *hintError) Error() string { return h.err.Error() }
func (h *hintError) Unwrap() error { return h.err }

// Hint attaches advice to err; the CLI prints it as "pdvm: hint: ...".
func Hint(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// Hinter is implemented by library errors that know what the user should do.
type Hinter interface{ Hint() string }

func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "pdvm: error: %v\n", err)
	var h *hintError
	var hi Hinter
	switch {
	case errors.As(err, &h):
		fmt.Fprintf(w, "pdvm: hint: %s\n", h.hint)
	case errors.As(err, &hi) && hi.Hint() != "":
		fmt.Fprintf(w, "pdvm: hint: %s\n", hi.Hint())
	}
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
