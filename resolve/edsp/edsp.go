// Package edsp lets pdvm serve as an external solver for apt, through
// apt's External Dependency Solver Protocol (EDSP 0.5, documented in
// /usr/share/doc/apt/external-dependency-solver-protocol.md.gz).
//
// apt runs the solver (a program in /usr/lib/apt/solvers, chosen with
// `apt-get --solver NAME`) and writes a scenario on its standard input:
// one Request stanza (the native architecture, the packages to install
// and to remove, preferences) followed by the package universe, one
// Packages-like stanza per version apt knows, each with an APT-ID, whether
// it is installed and whether it is apt's candidate. The solver answers on
// standard output with Install: and Remove: stanzas naming APT-IDs, or one
// Error: stanza whose Message apt shows the user, and exits 0 either way.
//
// [Read] parses a scenario into an [archive.Universe] (only apt's
// candidates and the installed versions when pinning is strict, which is
// apt's default), [Scenario.Request] turns it into a resolve request, and
// [WriteSolution] / [WriteError] write the answer.
package edsp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/debian/control"
	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/resolve"
)

// Scenario is a parsed EDSP request with its package universe.
type Scenario struct {
	Version       string   // "EDSP 0.5"
	Architecture  string   // native architecture
	Install       []string // arch-qualified names, e.g. "nginx:amd64"
	Remove        []string
	UpgradeAll    bool
	StrictPinning bool
	Preferences   string

	Universe  *archive.Universe
	AptID     []string     // APT-ID of each package of Universe, by ID
	Installed []archive.ID // installed packages
	// Stanzas is the number of package stanzas read; Dropped those left
	// out because they are not apt's candidate (strict pinning).
	Stanzas, Dropped int
}

// keep lists the package fields the universe needs; the rest (APT-Release,
// Description, ...) is not copied.
var keep = map[string]bool{
	"Package": true, "Version": true, "Architecture": true, "Essential": true, "Priority": true,
	"Multi-Arch": true, "Installed-Size": true, "Source": true, "Depends": true, "Pre-Depends": true,
	"Conflicts": true, "Breaks": true, "Provides": true, "Replaces": true, "Section": true,
}

// Read parses an EDSP scenario. name names the input in errors.
func Read(ctx context.Context, r io.Reader, name string) (*Scenario, error) {
	cr := control.NewReader(r, name)
	st, err := cr.Next()
	if err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("reading %s: empty input, want an EDSP scenario (a Request stanza, then package stanzas)", name)
		}
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	sc := &Scenario{StrictPinning: true}
	if v, ok := st.Get("Request"); !ok {
		return nil, fmt.Errorf("%s:%d: first stanza has no Request field; is this an EDSP scenario?", name, st.Line)
	} else {
		sc.Version = v
	}
	sc.Architecture, _ = st.Get("Architecture")
	if v, ok := st.Get("Install"); ok {
		sc.Install = strings.Fields(v)
	}
	if v, ok := st.Get("Remove"); ok {
		sc.Remove = strings.Fields(v)
	}
	for _, f := range []string{"Upgrade-All", "Upgrade", "Dist-Upgrade"} {
		if v, _ := st.Get(f); v == "yes" {
			sc.UpgradeAll = true
		}
	}
	if v, _ := st.Get("Strict-Pinning"); v == "no" {
		sc.StrictPinning = false
	}
	sc.Preferences, _ = st.Get("Preferences")
	if sc.Architecture == "" {
		return nil, fmt.Errorf("%s:%d: the Request stanza has no Architecture field", name, st.Line)
	}

	type key struct{ name, version, arch string }
	ids := map[key]string{}
	installed := map[key]bool{}
	var buf bytes.Buffer
	for {
		st, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		sc.Stanzas++
		if sc.Stanzas&4095 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var k key
		var id string
		var inst, cand bool
		for _, f := range st.Fields {
			switch string(f.Name) {
			case "Package":
				k.name = string(f.Value)
			case "Version":
				k.version = string(f.Value)
			case "Architecture":
				k.arch = string(f.Value)
			case "APT-ID":
				id = string(f.Value)
			case "Installed":
				inst = string(f.Value) == "yes"
			case "APT-Candidate":
				cand = string(f.Value) == "yes"
			}
		}
		if id == "" {
			return nil, fmt.Errorf("%s:%d: package stanza %s has no APT-ID", name, st.Line, k.name)
		}
		if sc.StrictPinning && !cand && !inst {
			sc.Dropped++
			continue
		}
		ids[k] = id
		if inst {
			installed[k] = true
		}
		for _, f := range st.Fields {
			if keep[string(f.Name)] {
				buf.Write(f.Name)
				buf.WriteString(": ")
				buf.Write(f.Value)
				buf.WriteByte('\n')
			}
		}
		buf.WriteByte('\n')
	}
	data := buf.Bytes()
	u, err := archive.Build(ctx, sc.Architecture, []archive.Input{{
		Origin: archive.Origin{Suite: "edsp", Arch: sc.Architecture, Source: name},
		Open:   func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}})
	if err != nil {
		return nil, fmt.Errorf("reading the package universe of %s: %w", name, err)
	}
	sc.Universe = u
	sc.AptID = make([]string, u.Len())
	for i := range u.Packages {
		p := &u.Packages[i]
		k := key{p.Name, p.Version, p.Arch}
		sc.AptID[i] = ids[k]
		if installed[k] {
			sc.Installed = append(sc.Installed, archive.ID(i))
		}
	}
	return sc, nil
}

// need turns an arch-qualified EDSP name ("nginx:amd64") into a need.
func (sc *Scenario) need(s, field string, i int) (resolve.Need, error) {
	name, arch, _ := strings.Cut(s, ":")
	a := relation.Atom{Name: name}
	if arch != "" && arch != sc.Architecture {
		a.ArchQual = arch
	}
	return resolve.Need{Clause: relation.Clause{a}, Origin: fmt.Sprintf("EDSP %s %d", field, i+1)}, nil
}

// Request turns the scenario into a resolve request: install and remove
// what apt asked for, keep what is installed when possible, and add
// nothing else (as apt's own solver, no Essential set is forced).
func (sc *Scenario) Request() (resolve.Request, error) {
	req := resolve.Request{Base: resolve.BaseNone, Installed: sc.Installed, Upgrade: sc.UpgradeAll}
	switch strings.TrimSpace(sc.Preferences) {
	case "size", "-size", "-sum(solution,installedsize)":
		req.Objective = resolve.ObjectiveSize
	default:
		req.Objective = resolve.ObjectiveCount
	}
	for i, s := range sc.Install {
		n, err := sc.need(s, "Install", i)
		if err != nil {
			return req, err
		}
		req.Install = append(req.Install, n)
	}
	for i, s := range sc.Remove {
		n, err := sc.need(s, "Remove", i)
		if err != nil {
			return req, err
		}
		req.Avoid = append(req.Avoid, n)
	}
	return req, nil
}

// WriteSolution writes the EDSP answer for a solution: an Install stanza
// per chosen package not installed yet, a Remove stanza per installed
// package none of whose versions is chosen.
func WriteSolution(w io.Writer, sc *Scenario, sol *resolve.Solution) error {
	u := sc.Universe
	installed := map[archive.ID]bool{}
	for _, id := range sc.Installed {
		installed[id] = true
	}
	var b bytes.Buffer
	for _, id := range sol.Packages {
		if installed[id] {
			continue
		}
		p := u.Pkg(id)
		fmt.Fprintf(&b, "Install: %s\nPackage: %s\nVersion: %s\nArchitecture: %s\n\n", sc.AptID[id], p.Name, p.Version, p.Arch)
	}
	// An installed package whose name stays installed in another
	// version is upgraded (or downgraded) by its Install stanza; the
	// protocol forbids a Remove stanza for it.
	type nameArch struct{ name, arch string }
	kept := map[nameArch]bool{}
	for _, id := range sol.Packages {
		kept[nameArch{u.Pkg(id).Name, u.Pkg(id).Arch}] = true
	}
	for _, id := range sc.Installed {
		if kept[nameArch{u.Pkg(id).Name, u.Pkg(id).Arch}] {
			continue
		}
		p := u.Pkg(id)
		fmt.Fprintf(&b, "Remove: %s\nPackage: %s\nVersion: %s\nArchitecture: %s\n\n", sc.AptID[id], p.Name, p.Version, p.Arch)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteError writes an EDSP error stanza for err. apt shows only the first
// line of the Message ("E: External solver failed with: ..."), so that line
// carries the whole explanation; the following lines repeat it one chain
// per line for readers of the raw answer.
func WriteError(w io.Writer, id string, err error) error {
	lines := strings.Split(strings.TrimRight(err.Error(), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	var b bytes.Buffer
	first := lines[0]
	if len(lines) > 1 {
		first += " " + strings.Join(lines[1:], "; ")
	}
	fmt.Fprintf(&b, "Error: %s\nMessage: %s\n", id, first)
	if len(lines) > 1 {
		for _, line := range lines {
			if line == "" {
				line = "."
			}
			b.WriteString(" " + line + "\n")
		}
	}
	b.WriteString("\n")
	_, werr := w.Write(b.Bytes())
	return werr
}
