package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/resolve"
	"pdvm.dev/pdvm/resolve/edsp"
)

func init() { register(newEDSPCmd) }

// SolversDir is where apt looks for external solvers.
const SolversDir = "/usr/lib/apt/solvers"

func newEDSPCmd(e *Env) *cobra.Command {
	var budget time.Duration
	cmd := &cobra.Command{
		Use:   "edsp",
		Short: "Serve as apt's external solver (EDSP on stdin, solution on stdout)",
		Long: `edsp reads an EDSP scenario (apt's External Dependency Solver Protocol) on
standard input and writes pdvm's minimal solution on standard output: Install and
Remove stanzas naming apt's package IDs, or an Error stanza explaining which of the
requested packages clash. Only apt's candidate versions are used (strict pinning),
installed packages are kept when possible, and, as with apt's own solver, the
Essential set is not added.

Run 'pdvm edsp install' once (as root) so that apt finds pdvm:
  apt-get --solver pdvm install nginx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in := bufio.NewReaderSize(cmd.InOrStdin(), 1<<20)
			out := cmd.OutOrStdout()
			sc, err := edsp.Read(cmd.Context(), in, "stdin")
			if err != nil {
				// A scenario apt cannot have meant: still answer in
				// the protocol, so apt shows the message.
				return edsp.WriteError(out, "pdvm-bad-scenario", err)
			}
			req, err := sc.Request()
			if err != nil {
				return edsp.WriteError(out, "pdvm-bad-request", err)
			}
			req.Budget = budget
			sol, err := resolve.Resolve(cmd.Context(), sc.Universe, req)
			if err != nil {
				return edsp.WriteError(out, "pdvm-unsatisfiable", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "pdvm: %d packages in the solution, %s, %v\n", sol.Count, sol.Status, sol.Elapsed.Round(time.Millisecond))
			return edsp.WriteSolution(out, sc, sol)
		},
	}
	cmd.Flags().DurationVar(&budget, "budget", 30*time.Second, "solver time budget")
	cmd.AddCommand(newEDSPInstallCmd(e))
	return cmd
}

func newEDSPInstallCmd(e *Env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install pdvm as apt's external solver " + SolversDir + "/pdvm",
		Long: `install writes an executable wrapper ` + SolversDir + `/pdvm that runs this pdvm
binary's 'edsp' verb, so that 'apt-get --solver pdvm install PKG' lets pdvm choose
the packages. Remove the file to uninstall.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("finding the pdvm binary: %w", err)
			}
			if self, err = filepath.EvalSymlinks(self); err != nil {
				return fmt.Errorf("finding the pdvm binary: %w", err)
			}
			path := filepath.Join(dir, "pdvm")
			script := fmt.Sprintf("#!/bin/sh\n# apt external solver: pdvm (written by 'pdvm edsp install')\nexec %s edsp \"$@\"\n", edspShellQuote(self))
			if err := edspWriteFile(path, []byte(script), 0o755); err != nil {
				return Hint(fmt.Errorf("installing the apt solver: %w", err), "run as root, or pass --dir")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed %s -> %s edsp\nuse it with: apt-get --solver pdvm install PKG\n", path, self)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", SolversDir, "directory apt searches for solvers (Dir::Bin::Solvers)")
	return cmd
}

func edspShellQuote(s string) string {
	out := "'"
	for _, c := range s {
		if c == '\'' {
			out += `'\''`
		} else {
			out += string(c)
		}
	}
	return out + "'"
}

// edspWriteFile writes data to path through a temporary file and rename.
func edspWriteFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".pdvm-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
