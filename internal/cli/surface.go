package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/fetch"
	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/surface"
	"pdvm.dev/pdvm/vuln"
)

func init() { register(newSurfaceCmd) }

type surfaceFlags struct {
	vs      []string
	noFiles bool
	rootfs  string
	detail  bool
}

func newSurfaceCmd(e *Env) *cobra.Command {
	var f surfaceFlags
	cmd := &cobra.Command{
		Use:   "surface FILE|LOCK|IMAGE... [--vs OTHER|generic]...",
		Short: "Measure a VM's attack surface and trusted computing base",
		Long: `Measure a VM as a vector: packages, source packages, installed size, files,
ELF objects, setuid/setgid and file-capability executables, enabled services
and the ports they listen on, login-capable accounts, world-writable paths,
kernel modules and options, and open advisories weighted by urgency; then
Manadhata & Wing's damage-potential/effort sums for entry points, channels
and data items, and a weighted total that is only meant for ranking.

Package-level parts come from the lock. File-level parts come from the
package files (.debs, fetched by SHA-256 into pdvm's cache and scanned once)
or, with --rootfs, from a built root file system. Parts that could not be
measured are shown as "?", never as 0.

Several targets, and several --vs, give one column each. --vs generic
compares with an approximation of Debian 12's official genericcloud image:
its package classes resolved on the loaded archive (surface.GenericSeed).`,
		Example: `  pdvm surface examples/web.pdvm.hcl --vs generic
  pdvm surface examples/*.pdvm.hcl --vs generic
  pdvm surface web.pdvm.hcl.lock --vs examples/dns.pdvm.hcl --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db := openOptionalDB(e)
			var vs []*surface.Vector
			for _, a := range args {
				v, err := measureTarget(ctx, e, a, f.rootfs, f.noFiles, db)
				if err != nil {
					return err
				}
				vs = append(vs, v)
			}
			for _, o := range f.vs {
				var b *surface.Vector
				var err error
				if o == "generic" {
					b, err = measureGeneric(ctx, e, f.noFiles, db)
				} else {
					b, err = measureTarget(ctx, e, o, "", f.noFiles, db)
				}
				if err != nil {
					return fmt.Errorf("measuring %s: %w", o, err)
				}
				vs = append(vs, b)
			}
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), vs)
			}
			if db == nil {
				fmt.Fprintln(e.Stderr, "pdvm: WARNING: no advisory data loaded: the advisory part is unknown (pdvm vuln update)")
			}
			printSurface(cmd.OutOrStdout(), vs, f.detail)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.vs, "vs", nil, "compare with another description, lock or image, or with 'generic' (Debian 12 genericcloud); repeatable")
	fl.BoolVar(&f.noFiles, "no-files", false, "do not fetch or scan .debs: package-level metrics only")
	fl.StringVar(&f.rootfs, "rootfs", "", "measure files from this built root file system instead of the .debs")
	fl.BoolVar(&f.detail, "detail", false, "list the items behind each count (setuid files, ports, accounts…)")
	return cmd
}

func openOptionalDB(e *Env) *vuln.DB {
	st, err := vuln.DefaultStore(e.Repo.CacheDir)
	if err != nil {
		return nil
	}
	db, err := st.Open()
	if err != nil {
		return nil
	}
	return db
}

func (e *Env) cacheDir() (string, error) {
	if e.Repo.CacheDir != "" {
		return e.Repo.CacheDir, nil
	}
	return cache.Dir()
}

// facts fetches (or finds in the cache) and scans the .debs of a lock.
func (e *Env) facts(ctx context.Context, l *manifest.Lock) (map[string]*surface.Facts, error) {
	dir, err := e.cacheDir()
	if err != nil {
		return nil, err
	}
	items, err := fetch.Items(l)
	if err != nil {
		return nil, err
	}
	paths, err := fetch.New(dir).All(ctx, items)
	if err != nil {
		return nil, Hint(err, "surface needs the .debs to count files; use --no-files for package-level metrics only")
	}
	byName := map[string]string{}
	for i, p := range l.Packages {
		byName[p.Name] = paths[i]
	}
	return surface.ScanAll(ctx, l, byName, filepath.Join(dir, "surface"))
}

func measureTarget(ctx context.Context, e *Env, arg, rootfs string, noFiles bool, db *vuln.DB) (*surface.Vector, error) {
	t, err := findTarget(arg)
	if err != nil {
		return nil, err
	}
	in := surface.Input{Name: t.Lock.VM, Lock: t.Lock, DB: db, Now: time.Now()}
	if t.Lock.Description != "" {
		desc := filepath.Join(filepath.Dir(t.Path), t.Lock.Description)
		if df, diags := description.Load(desc, nil); !diags.HasErrors() && df != nil {
			in.VM = df.VM(t.Lock.VM)
		}
	}
	if rootfs == "" && t.Image != "" {
		if fi, err := os.Stat(filepath.Join(t.Image, "rootfs")); err == nil && fi.IsDir() {
			rootfs = filepath.Join(t.Image, "rootfs")
		}
	}
	switch {
	case rootfs != "":
		if in.Rootfs, err = surface.ScanRootfs(rootfs); err != nil {
			return nil, err
		}
	case !noFiles:
		if in.Debs, err = e.facts(ctx, t.Lock); err != nil {
			return nil, err
		}
	}
	return surface.Measure(in), nil
}

func measureGeneric(ctx context.Context, e *Env, noFiles bool, db *vuln.DB) (*surface.Vector, error) {
	u, err := e.Universe(ctx)
	if err != nil {
		return nil, err
	}
	l, err := surface.GenericLock(u)
	if err != nil {
		return nil, err
	}
	in := surface.Input{Name: "generic", Lock: l, DB: db, Now: time.Now(), ExtraAccounts: surface.GenericAccounts}
	if !noFiles {
		if in.Debs, err = e.facts(ctx, l); err != nil {
			if errors.Is(err, context.Canceled) {
				return nil, err
			}
			return nil, err
		}
	}
	return surface.Measure(in), nil
}

func fmtMetric(m *surface.Metric) string {
	if m == nil || !m.Known {
		return "?"
	}
	if m.Value == float64(int64(m.Value)) {
		return strconv.FormatInt(int64(m.Value), 10)
	}
	return strconv.FormatFloat(m.Value, 'f', 2, 64)
}

func printSurface(w io.Writer, vs []*surface.Vector, detail bool) {
	rows := [][]string{{"METRIC"}}
	for _, v := range vs {
		rows[0] = append(rows[0], v.Name)
	}
	if len(vs) == 2 {
		rows[0] = append(rows[0], "RATIO")
	}
	for _, m := range vs[0].Metrics {
		row := []string{m.Label}
		for _, v := range vs {
			row = append(row, fmtMetric(v.Get(m.Key)))
		}
		if len(vs) == 2 {
			a, b := vs[0].Get(m.Key), vs[1].Get(m.Key)
			r := ""
			if a.Known && b.Known && b.Value != 0 {
				r = strconv.FormatFloat(a.Value/b.Value, 'f', 2, 64)
			}
			row = append(row, r)
		}
		rows = append(rows, row)
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	for _, v := range vs {
		fmt.Fprintf(w, "%s: measured from %s\n", v.Name, v.Basis)
		for _, m := range v.Metrics {
			if m.Note != "" && (!m.Known || detail) {
				fmt.Fprintf(w, "  %s: %s\n", m.Label, m.Note)
			}
			if detail && len(m.Detail) > 0 {
				fmt.Fprintf(w, "  %s: %s\n", m.Label, strings.Join(m.Detail, ", "))
			}
		}
	}
}
