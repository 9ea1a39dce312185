// Package plan runs pdvm's first three stages end to end: a description
// (D) is lowered to constraints (C), the package constraints become a
// [resolve.Request], the resolver finds a provably minimal installation
// set, and the result is written down as a lock ([manifest.Lock], M) in
// which every package carries the chain back to the description line that
// pulled it in.
//
// # Positions in the lock
//
// Reasons and inputs name files relative to the lock's directory (which is
// the description's directory), so the lock does not depend on where pdvm
// was run from: planning examples/web.pdvm.hcl from the repository root and
// web.pdvm.hcl from examples/ give byte-identical locks.
//
// # The kernel
//
// The kernel flavour's package (linux-image-cloud-amd64 by default) is
// resolved differently depending on the base. With base "debian" it is an
// ordinary need, installed with its dependencies by dpkg. With base "none"
// (the default) it is standalone: pdvm follows the metapackage to the
// versioned image package and records only that, marked Kernel and
// Standalone; the builder unpacks /boot/vmlinuz and the modules it needs,
// and the kernel package's maintainer-script dependencies (initramfs-tools,
// kmod, linux-base, …) stay out of the VM. Flavour "pdvm" has no package:
// the lock's KernelBuild records the pinned kernel source and the
// description's Kconfig requests, and the builder compiles the kernel.
package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"pdvm.dev/pdvm/archive"
	"pdvm.dev/pdvm/constraint"
	"pdvm.dev/pdvm/debian/relation"
	"pdvm.dev/pdvm/description"
	"pdvm.dev/pdvm/kconfig/kernelsrc"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/resolve"
)

// Options tune planning.
type Options struct {
	// Budget bounds the solver (0: the resolver's default).
	Budget time.Duration
	// Forbid excludes packages, e.g. vulnerable versions (see package vuln).
	Forbid func(*archive.Package) (string, bool)
}

// Result is a planned vm.
type Result struct {
	VM       *description.VM
	Set      *constraint.Set
	Solution *resolve.Solution
	Lock     *manifest.Lock
	Elapsed  time.Duration

	needs map[string]*constraint.Constraint // by resolve.Need.Origin
	rel   func(string) string
}

// LockPath is where the lock of vm in the description at path lives:
// FILE.lock when the file declares one vm, FILE.VM.lock otherwise.
func LockPath(path string, f *description.File, vm string) string {
	if len(f.VMs) <= 1 {
		return path + ".lock"
	}
	return strings.TrimSuffix(path, ".pdvm.hcl") + "." + vm + ".pdvm.hcl.lock"
}

// Plan lowers vm, resolves it against u and builds its lock. lockPath
// decides how the lock names files (relative to its directory).
func Plan(ctx context.Context, u *archive.Universe, f *description.File, vm *description.VM, lockPath string, opts Options) (*Result, error) {
	start := time.Now()
	r := &Result{VM: vm, Set: constraint.Lower(vm)}
	lockDir := filepath.Dir(lockPath)
	r.rel = func(name string) string { return relName(lockDir, name) }
	if err := checkSettings(u, r.Set); err != nil {
		return nil, err
	}
	if diags := CheckNames(u, r.Set); diags.HasErrors() {
		return nil, &DiagnosticsError{Diags: diags}
	}
	req, needs := Request(r.Set)
	req.Budget = opts.Budget
	req.Forbid = opts.Forbid
	r.needs = needs
	sol, err := resolve.Resolve(ctx, u, req)
	if err != nil {
		var ce *resolve.ConflictError
		if errors.As(err, &ce) {
			return nil, &ConflictError{Conflict: ce, Diags: r.conflictDiags(ce)}
		}
		return nil, fmt.Errorf("resolving vm %q: %w", vm.Name, err)
	}
	r.Solution = sol
	lock, err := r.lock(u, f, lockPath, opts)
	if err != nil {
		return nil, err
	}
	r.Lock = lock
	r.Elapsed = time.Since(start)
	return r, nil
}

// Origin is how a constraint is named in resolver needs, conflicts and
// lock reasons: "web.pdvm.hcl:7:13", with "(default)" or "because …".
func Origin(c *constraint.Constraint, rel func(string) string) string {
	rng := c.Origin.Range
	name := rng.Filename
	if rel != nil {
		name = rel(name)
	}
	s := fmt.Sprintf("%s:%d:%d", name, rng.Start.Line, rng.Start.Column)
	if c.Origin.Default {
		s += " (default)"
	}
	if c.Origin.Because != "" {
		s += " because " + c.Origin.Because
	}
	return s
}

// Head names a constraint as the first element of a lock reason:
// "web.pdvm.hcl:7:13: need nginx" or
// "web.pdvm.hcl:3:1: kernel linux-image-cloud-amd64 (default, because kernel flavour "cloud")".
func Head(c *constraint.Constraint, rel func(string) string) string {
	rng := c.Origin.Range
	name := rng.Filename
	if rel != nil {
		name = rel(name)
	}
	s := fmt.Sprintf("%s:%d:%d: %s %s", name, rng.Start.Line, rng.Start.Column, c.Kind, c.Value)
	var notes []string
	if c.Origin.Default {
		notes = append(notes, "default")
	}
	if c.Origin.Because != "" {
		notes = append(notes, "because "+c.Origin.Because)
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// Request turns the package constraints of s into a resolver request. The
// map gives the constraint behind each need, keyed by the need's Origin.
func Request(s *constraint.Set) (resolve.Request, map[string]*constraint.Constraint) {
	req := resolve.Request{Base: s.Base, Objective: s.Objective}
	needs := map[string]*constraint.Constraint{}
	for i := range s.Constraints {
		c := &s.Constraints[i]
		var dst *[]resolve.Need
		switch {
		case c.Kind == constraint.Need, c.Kind == constraint.KernelPkg && !c.Standalone:
			dst = &req.Install
		case c.Kind == constraint.Avoid:
			dst = &req.Avoid
		case c.Kind == constraint.Prefer:
			dst = &req.Prefer
		default:
			continue
		}
		o := Origin(c, nil)
		if prev, dup := needs[o]; dup && prev.Value != c.Value {
			o += " " + c.Value
		}
		needs[o] = c
		*dst = append(*dst, resolve.Need{Clause: c.Clause, Origin: o})
	}
	return req, needs
}

// checkSettings refuses a plan for a release or architecture the loaded
// archive does not hold.
func checkSettings(u *archive.Universe, s *constraint.Set) error {
	if u.Native != "" && s.Arch != u.Native {
		return fmt.Errorf("vm %q is for %s, but the loaded archive is %s: load it with --arch %s", s.VM, s.Arch, u.Native, s.Arch)
	}
	ok := len(u.Origins) == 0
	for _, o := range u.Origins {
		if o.Suite == s.Suite || o.Codename == s.Suite || strings.HasPrefix(o.Suite, s.Suite+"-") || strings.HasPrefix(o.Codename, s.Suite+"-") {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("vm %q is for %s, but the loaded archive has no suite %q: load it with --suite %s", s.VM, s.Release, s.Suite, s.Suite)
	}
	return nil
}

// CheckNames reports every package name in s that the archive does not
// know, each at its position with suggestions.
func CheckNames(u *archive.Universe, s *constraint.Set) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i := range s.Constraints {
		c := &s.Constraints[i]
		if !c.IsPackage() {
			continue
		}
		for _, a := range c.Clause {
			if u.Known(a.Name) {
				continue
			}
			detail := fmt.Sprintf("No package called %q is in the loaded archive (%s), neither as a real package nor as a name another package provides.", a.Name, s.Release)
			if sug := resolve.Suggest(u, a.Name, 3); len(sug) > 0 {
				detail += fmt.Sprintf(" Did you mean %s?", quoteOr(sug))
			}
			if c.Kind == constraint.Avoid {
				// Avoiding a missing package is harmless but probably a typo.
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Unknown package in avoid", Detail: detail, Subject: nameRange(c, a.Name).Ptr()})
				continue
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown package", Detail: detail, Subject: nameRange(c, a.Name).Ptr()})
		}
	}
	return diags
}

func quoteOr(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// nameRange narrows a constraint's range to the package name inside its
// string literal when the literal is written plainly.
func nameRange(c *constraint.Constraint, name string) hcl.Range {
	r := c.Origin.Range
	if c.Source == "" || r.Start.Line != r.End.Line || r.End.Byte-r.Start.Byte != len(c.Source)+2 {
		return r
	}
	off := -1
	for i := 0; i+len(name) <= len(c.Source); i++ {
		if c.Source[i:i+len(name)] == name && (i == 0 || !isNameByte(c.Source[i-1])) && (i+len(name) == len(c.Source) || !isNameByte(c.Source[i+len(name)])) {
			off = i
			break
		}
	}
	if off < 0 {
		return r
	}
	return hcl.Range{Filename: r.Filename,
		Start: hcl.Pos{Line: r.Start.Line, Column: r.Start.Column + 1 + off, Byte: r.Start.Byte + 1 + off},
		End:   hcl.Pos{Line: r.Start.Line, Column: r.Start.Column + 1 + off + len(name), Byte: r.Start.Byte + 1 + off + len(name)}}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.' || c >= 'A' && c <= 'Z' || c == '_'
}

// DiagnosticsError carries description-level problems found while
// planning (unknown packages), for rendering with source snippets.
type DiagnosticsError struct{ Diags hcl.Diagnostics }

func (e *DiagnosticsError) Error() string { return e.Diags.Error() }

// ConflictError is an unsatisfiable description: the resolver's smallest
// conflicting set of the description's own lines, with a diagnostic at
// each line whose detail is the chain that makes it clash.
type ConflictError struct {
	Conflict *resolve.ConflictError
	Diags    hcl.Diagnostics
}

func (e *ConflictError) Error() string { return e.Conflict.Error() }
func (e *ConflictError) Unwrap() error { return e.Conflict }

// Hint tells the user what to do.
func (e *ConflictError) Hint() string { return e.Conflict.Hint() }

func (r *Result) conflictDiags(ce *resolve.ConflictError) hcl.Diagnostics {
	var diags hcl.Diagnostics
	n := len(ce.Needs)
	for i, need := range ce.Needs {
		c := r.needs[need.Origin]
		kind := ""
		if i < len(ce.Kinds) {
			kind = ce.Kinds[i]
		}
		chain := ""
		if i < len(ce.Chains) {
			chain = ce.Chains[i]
		}
		summary := "Cannot be satisfied"
		if n > 1 {
			summary = fmt.Sprintf("Conflict (%d of %d lines)", i+1, n)
		}
		detail := fmt.Sprintf("%s %s", kind, need.Clause)
		var others []string
		for j, o := range ce.Needs {
			if j != i {
				k := ""
				if j < len(ce.Kinds) {
					k = ce.Kinds[j]
				}
				others = append(others, fmt.Sprintf("%s %s (%s)", k, o.Clause, o.Origin))
			}
		}
		if len(others) > 0 {
			detail += " clashes with " + strings.Join(others, " and ")
		}
		if chain != "" {
			detail += ":\n" + chain
		} else {
			detail += "."
		}
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail}
		if c != nil {
			d.Subject = c.Origin.Range.Ptr()
		}
		diags = append(diags, d)
	}
	return diags
}

// lock builds the manifest from the solution.
func (r *Result) lock(u *archive.Universe, f *description.File, lockPath string, opts Options) (*manifest.Lock, error) {
	s := r.Set
	l := &manifest.Lock{
		Format:            manifest.FormatVersion,
		VM:                s.VM,
		Description:       r.rel(f.Name),
		ConstraintsSHA256: s.Digest(),
		Release:           s.Release,
		Arch:              s.Arch,
		Base:              s.Base,
		Init:              s.Init,
		Objective:         s.Objective,
		Proof:             r.Solution.Status,
		Date:              archiveDate(u),
		Archive:           Suites(u),
	}
	l.Inputs, l.DescriptionSHA256 = Inputs(f, r.rel)

	kernelNames := map[string]bool{}
	for _, id := range r.Solution.Packages {
		p := u.Pkg(id)
		mp := pkgEntry(u, p)
		mp.Reason = r.reason(u, r.Solution.Why(id))
		l.Packages = append(l.Packages, mp)
		l.Count++
		l.InstalledSize += p.InstalledSize
	}
	// The kernel: standalone (base none) or already in the closure.
	for i := range s.Constraints {
		c := &s.Constraints[i]
		if c.Kind != constraint.KernelPkg {
			continue
		}
		chain, err := kernelChain(u, c.Clause[0], opts.Forbid)
		if err != nil {
			return nil, fmt.Errorf("vm %q: %s: %w", s.VM, Origin(c, nil), err)
		}
		img := chain[len(chain)-1]
		kernelNames[u.Pkg(img).Name] = true
		if !c.Standalone {
			continue
		}
		mp := pkgEntry(u, u.Pkg(img))
		mp.Kernel, mp.Standalone = true, true
		mp.Reason = []string{Head(c, r.rel)}
		for j, id := range chain {
			p := u.Pkg(id)
			if j == 0 {
				mp.Reason = append(mp.Reason, p.Name+" "+p.Version)
				continue
			}
			mp.Reason = append(mp.Reason, fmt.Sprintf("%s %s (Depends: %s)", p.Name, p.Version, p.Name))
		}
		l.Packages = append(l.Packages, mp)
	}
	for i := range l.Packages {
		if kernelNames[l.Packages[i].Name] {
			l.Packages[i].Kernel = true
		}
	}
	kernelKiB := int64(0)
	for _, p := range l.Packages {
		if p.Standalone {
			kernelKiB += p.InstalledSize
		}
	}
	l.Hardware = manifest.Hardware{
		Hostname:      s.Hostname,
		CPUs:          s.CPUs,
		MemoryMiB:     s.Memory >> 20,
		KernelFlavour: s.Flavour,
	}
	if s.Flavour == "pdvm" {
		// no kernel package: the builder compiles the pinned source
		kb := &manifest.KernelBuild{Source: kernelsrc.Package, SourceVersion: kernelsrc.Version, SourceSHA256: kernelsrc.SHA256}
		for _, c := range s.Constraints {
			switch c.Kind {
			case constraint.KconfigNeed:
				kb.Need = append(kb.Need, c.Value)
			case constraint.KconfigAvoid:
				kb.Avoid = append(kb.Avoid, c.Value)
			}
		}
		l.KernelBuild = kb
	}
	if s.Disk > 0 {
		l.Hardware.DiskMiB = (s.Disk + 1<<20 - 1) >> 20
	} else {
		l.Hardware.DiskMiB = constraint.DiskSize(l.InstalledSize+kernelKiB) >> 20
		l.Hardware.DiskAuto = true
	}
	l.Sort()
	if err := manifest.Validate(l); err != nil {
		return nil, fmt.Errorf("vm %q: building the lock: %w", s.VM, err)
	}
	return l, nil
}

// Inputs lists the description's input files relative to the lock and
// their combined digest.
func Inputs(f *description.File, rel func(string) string) ([]manifest.Input, string) {
	var ins []manifest.Input
	for _, in := range f.Inputs {
		ins = append(ins, manifest.Input{Name: rel(in.Name), SHA256: in.SHA256})
	}
	slices.SortFunc(ins, func(a, b manifest.Input) int { return strings.Compare(a.Name, b.Name) })
	h := sha256.New()
	for _, in := range ins {
		fmt.Fprintf(h, "%s %s\n", in.SHA256, in.Name)
	}
	return ins, hex.EncodeToString(h.Sum(nil))
}

// reason renders a Why chain for the lock.
func (r *Result) reason(u *archive.Universe, chain []resolve.Step) []string {
	var out []string
	for i, st := range chain {
		p := u.Pkg(st.Pkg)
		if i == 0 {
			head := "(unknown need)"
			if st.Need != nil {
				head = st.Need.Origin + " " + st.Need.Clause.String()
				if c := r.needs[st.Need.Origin]; c != nil {
					head = Head(c, r.rel)
				}
			} else if st.Via != "" {
				head = st.Via
			}
			out = append(out, head, p.Name+" "+p.Version)
			continue
		}
		out = append(out, fmt.Sprintf("%s %s (%s)", p.Name, p.Version, st.Via))
	}
	if len(out) == 0 {
		out = []string{"(no chain)"}
	}
	return out
}

// kernelChain follows a kernel metapackage's linux-image-* dependencies to
// the versioned image package: [metapackage, …, image].
func kernelChain(u *archive.Universe, a relation.Atom, forbid func(*archive.Package) (string, bool)) ([]archive.ID, error) {
	var chain []archive.ID
	for depth := 0; depth < 4; depth++ {
		var id archive.ID = -1
		for _, c := range u.Candidates(nil, a) {
			if forbid != nil {
				if _, bad := forbid(u.Pkg(c)); bad {
					continue
				}
			}
			id = c
			break
		}
		if id < 0 {
			return nil, fmt.Errorf("no installable package satisfies %s", a)
		}
		chain = append(chain, id)
		next := false
		for _, cl := range u.Pkg(id).Rel[archive.Depends] {
			for _, d := range cl {
				if strings.HasPrefix(d.Name, "linux-image-") {
					a, next = d, true
					break
				}
			}
			if next {
				break
			}
		}
		if !next {
			return chain, nil
		}
	}
	return chain, nil
}

func pkgEntry(u *archive.Universe, p *archive.Package) manifest.Package {
	return manifest.Package{
		Name: p.Name, Version: p.Version, Arch: p.Arch,
		Source: p.Source, SourceVersion: p.SourceVersion,
		Suite:    suiteOf(u, p),
		Filename: p.Filename, SHA256: p.SHA256, Size: p.Size, InstalledSize: p.InstalledSize,
		Essential: p.Essential,
	}
}

// suiteOf is the first suite (in universe order) whose index lists p.
func suiteOf(u *archive.Universe, p *archive.Package) string {
	for i, o := range u.Origins {
		if p.Origins&(1<<uint(i)) != 0 {
			return o.Suite
		}
	}
	return ""
}

// Suites records the universe's indexes for the lock.
func Suites(u *archive.Universe) []manifest.Suite {
	var out []manifest.Suite
	for _, o := range u.Origins {
		out = append(out, manifest.Suite{
			Suite: o.Suite, Codename: o.Codename, Component: o.Component, Arch: o.Arch,
			Date: o.Date, InReleaseSHA256: o.InReleaseSHA256, IndexSHA256: o.IndexSHA256, MirrorURL: o.MirrorURL,
		})
	}
	return out
}

// archiveDate is the newest index date, RFC 3339, or "".
func archiveDate(u *archive.Universe) string {
	var newest time.Time
	for _, o := range u.Origins {
		if d, err := time.Parse(time.RFC1123, o.Date); err == nil && d.After(newest) {
			newest = d
		}
	}
	if newest.IsZero() {
		return ""
	}
	return newest.UTC().Format(time.RFC3339)
}

// relName names a file relative to the lock's directory; built-in
// templates keep their name.
func relName(dir, name string) string {
	if strings.HasPrefix(name, "builtin:") {
		return name
	}
	absDir, err1 := filepath.Abs(dir)
	absName, err2 := filepath.Abs(name)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(name)
	}
	rel, err := filepath.Rel(absDir, absName)
	if err != nil {
		return filepath.ToSlash(name)
	}
	return filepath.ToSlash(rel)
}
