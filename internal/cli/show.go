package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"pdvm.dev/pdvm/archive"
)

func init() { register(newShowCmd) }

// pkgJSON is a package as `show --json` prints it.
type pkgJSON struct {
	Name          string              `json:"name"`
	Version       string              `json:"version"`
	Arch          string              `json:"arch"`
	Suites        []string            `json:"suites"`
	Source        string              `json:"source"`
	SourceVersion string              `json:"source_version"`
	Section       string              `json:"section,omitempty"`
	Priority      string              `json:"priority,omitempty"`
	Essential     bool                `json:"essential,omitempty"`
	MultiArch     string              `json:"multi_arch"`
	InstalledSize int64               `json:"installed_size_kib"`
	Size          int64               `json:"size"`
	Filename      string              `json:"filename"`
	SHA256        string              `json:"sha256"`
	Description   string              `json:"description"`
	Relations     map[string][]string `json:"relations,omitempty"`
	Versions      []string            `json:"other_versions,omitempty"`
}

func toJSON(u *archive.Universe, id archive.ID) pkgJSON {
	p := u.Pkg(id)
	j := pkgJSON{Name: p.Name, Version: p.Version, Arch: p.Arch, Suites: u.OriginNames(p), Source: p.Source,
		SourceVersion: p.SourceVersion, Section: p.Section, Priority: p.Priority, Essential: p.Essential,
		MultiArch: p.MultiArch.String(), InstalledSize: p.InstalledSize, Size: p.Size, Filename: p.Filename,
		SHA256: p.SHA256, Description: p.Description, Relations: map[string][]string{}}
	for k, rel := range p.Rel {
		for _, c := range rel {
			j.Relations[archive.Kind(k).String()] = append(j.Relations[archive.Kind(k).String()], c.String())
		}
	}
	for _, o := range u.Named(p.Name) {
		if o != id {
			q := u.Pkg(o)
			j.Versions = append(j.Versions, q.Version+" "+q.Arch+" ("+strings.Join(u.OriginNames(q), ", ")+")")
		}
	}
	return j
}

// lookup resolves NAME or NAME=VERSION to one package, with a helpful
// error for unknown names.
func lookup(u *archive.Universe, arg string) (archive.ID, error) {
	name, ver, _ := strings.Cut(arg, "=")
	if id, ok := u.Find(name, ver); ok {
		return id, nil
	}
	if ids := u.Named(name); len(ids) > 0 {
		var vs []string
		for _, id := range ids {
			vs = append(vs, u.Pkg(id).Version)
		}
		return -1, Hint(fmt.Errorf("package %s has no version %s", name, ver), "available versions: %s", strings.Join(vs, ", "))
	}
	if prov := u.Providers(name); len(prov) > 0 {
		var ps []string
		for i, pr := range prov {
			if i == 8 {
				ps = append(ps, "…")
				break
			}
			ps = append(ps, u.Pkg(pr.ID).Name)
		}
		return -1, Hint(fmt.Errorf("%s is a virtual package", name), "it is provided by: %s", strings.Join(ps, ", "))
	}
	err := fmt.Errorf("no package named %q in the loaded archive", name)
	if s := u.Suggest(name, 3); len(s) > 0 {
		return -1, Hint(err, "did you mean %s?", strings.Join(s, ", "))
	}
	return -1, Hint(err, "check the spelling, or the suites loaded (pdvm repo stats)")
}

func newShowCmd(e *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "show PKG[=VERSION]...",
		Short: "Show packages as the archive describes them",
		Long: `Shows a package: version, architecture, the suites that carry it, source, sizes,
the .deb's pool path and SHA256, and every relationship field. Without =VERSION
the newest version is shown; the others are listed.`,
		Example: "  pdvm show nginx\n  pdvm show libssl3=3.0.11-1~deb12u2 --json",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := e.Universe(cmd.Context())
			if err != nil {
				return err
			}
			var out []pkgJSON
			for _, a := range args {
				id, err := lookup(u, a)
				if err != nil {
					return err
				}
				out = append(out, toJSON(u, id))
			}
			if e.JSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			for i, j := range out {
				if i > 0 {
					fmt.Fprintln(cmd.OutOrStdout())
				}
				printPkg(cmd.OutOrStdout(), u, j)
			}
			return nil
		},
	}
}

func printPkg(w io.Writer, u *archive.Universe, j pkgJSON) {
	fmt.Fprintf(w, "Package: %s\nVersion: %s\nArchitecture: %s\nSuites: %s\n", j.Name, j.Version, j.Arch, strings.Join(j.Suites, ", "))
	if j.Source != j.Name || j.SourceVersion != j.Version {
		fmt.Fprintf(w, "Source: %s (%s)\n", j.Source, j.SourceVersion)
	}
	if j.Section != "" {
		fmt.Fprintf(w, "Section: %s\n", j.Section)
	}
	if j.Priority != "" {
		fmt.Fprintf(w, "Priority: %s\n", j.Priority)
	}
	if j.Essential {
		fmt.Fprintf(w, "Essential: yes\n")
	}
	if j.MultiArch != "no" {
		fmt.Fprintf(w, "Multi-Arch: %s\n", j.MultiArch)
	}
	fmt.Fprintf(w, "Installed-Size: %d KiB\nSize: %d\nFilename: %s\nSHA256: %s\n", j.InstalledSize, j.Size, j.Filename, j.SHA256)
	for k := archive.Kind(0); k < archive.NumKinds; k++ {
		if cs := j.Relations[k.String()]; len(cs) > 0 {
			fmt.Fprintf(w, "%s: %s\n", k, strings.Join(cs, ", "))
		}
	}
	fmt.Fprintf(w, "Description: %s\n", j.Description)
	for _, v := range j.Versions {
		fmt.Fprintf(w, "Other version: %s\n", v)
	}
}
