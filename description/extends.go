package description

import (
	"embed"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

//go:embed templates/*.pdvm.hcl
var templateFS embed.FS

// builtinPrefix names built-in templates in positions: builtin:server.
const builtinPrefix = "builtin:"

// Templates lists the built-in templates a description can extend.
func Templates() []string {
	ents, _ := templateFS.ReadDir("templates")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".pdvm.hcl"))
	}
	sort.Strings(out)
	return out
}

// Template returns the source of a built-in template.
func Template(name string) ([]byte, bool) {
	b, err := templateFS.ReadFile("templates/" + name + ".pdvm.hcl")
	return b, err == nil
}

func isBuiltinRef(ref string) bool {
	return !strings.ContainsAny(ref, "/#") && !strings.HasSuffix(ref, ".hcl")
}

// resolve applies vm's extends chain.
func (l *loader) resolve(df *decodedFile, vm *VM) (*VM, hcl.Diagnostics) {
	if m, ok := l.merged[vm]; ok {
		return m, nil
	}
	if !vm.Extends.Set {
		l.merged[vm] = vm
		return vm, nil
	}
	rng := vm.Extends.Range
	if l.active[vm] {
		return vm, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Circular extends",
			Detail:   fmt.Sprintf("vm %q extends %q, which extends it back.", vm.Name, vm.Extends.Value),
			Subject:  &rng,
		}}
	}
	l.active[vm] = true
	defer delete(l.active, vm)
	pf, parent, diags := l.lookup(df, vm.Extends.Value, rng)
	if parent == nil {
		return vm, diags
	}
	pm, d := l.resolve(pf, parent)
	diags = append(diags, d...)
	m := merge(pm, vm)
	label := vm.Extends.Value
	if isBuiltinRef(label) {
		label = builtinPrefix + label
	}
	m.Chain = append([]string{label}, pm.Chain...)
	l.merged[vm] = m
	return m, diags
}

// lookup finds the vm an extends value names.
func (l *loader) lookup(df *decodedFile, ref string, rng hcl.Range) (*decodedFile, *VM, hcl.Diagnostics) {
	fail := func(summary, format string, args ...any) (*decodedFile, *VM, hcl.Diagnostics) {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &rng}}
	}
	var target *decodedFile
	path, name, _ := strings.Cut(ref, "#")
	switch {
	case ref == "":
		return fail("Empty extends", "extends names a built-in template (%s), a file, or \"#NAME\" for another vm of this file.", quoteList(Templates()))
	case isBuiltinRef(ref):
		src, ok := Template(ref)
		if !ok {
			return fail("Unknown template", "%q is not a built-in template; use one of %s, or a path to a .pdvm.hcl file.%s", ref, quoteList(Templates()), didYouMean(ref, Templates()))
		}
		target = l.decode(builtinPrefix+ref, src, nil)
	case path == "":
		target = df
	default:
		dir := ""
		if !strings.HasPrefix(df.name, builtinPrefix) {
			dir = filepath.Dir(df.name)
		}
		p := resolvePath(dir, path)
		if t, ok := l.decoded[p]; ok {
			target = t
		} else {
			src, err := l.read(p)
			if err != nil {
				return fail("Cannot read extended file", "Reading %s: %v.", p, err)
			}
			target = l.decode(p, src, nil)
		}
	}
	diags := target.diags
	if target == df {
		diags = nil // reported by the caller already
	}
	if name == "" {
		if len(target.vms) != 1 {
			var names []string
			for _, v := range target.vms {
				names = append(names, v.Name)
			}
			d := hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Ambiguous extends",
				Detail: fmt.Sprintf("%s declares %d vm blocks (%s); write \"%s#NAME\" to pick one.", target.name, len(target.vms), strings.Join(names, ", "), path), Subject: &rng}
			return nil, nil, append(diags, &d)
		}
		return target, target.vms[0], diags
	}
	for _, v := range target.vms {
		if v.Name == name {
			return target, v, diags
		}
	}
	d := hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown vm in extends",
		Detail: fmt.Sprintf("%s declares no vm %q.", target.name, name), Subject: &rng}
	return nil, nil, append(diags, &d)
}

// merge returns child applied on top of parent.
func merge(p, c *VM) *VM {
	m := *c
	str := func(dst *Str, pv Str) {
		if !dst.Set {
			*dst = pv
		}
	}
	str(&m.From, p.From)
	str(&m.Arch, p.Arch)
	str(&m.Base, p.Base)
	str(&m.Init, p.Init)
	str(&m.Objective, p.Objective)
	str(&m.Hostname, p.Hostname)

	avoided := map[string]bool{}
	for _, a := range c.Avoid {
		if a.Clause[0].Op == 0 {
			avoided[a.Clause[0].Name] = true
		}
	}
	m.Need = nil
	for _, n := range p.Need {
		drop := true
		for _, a := range n.Clause {
			if !avoided[a.Name] {
				drop = false
			}
		}
		if !drop {
			m.Need = append(m.Need, n)
		}
	}
	m.Need = appendRels(m.Need, c.Need)
	m.Avoid = appendRels(append([]Rel(nil), p.Avoid...), c.Avoid)
	m.Prefer = appendRels(append([]Rel(nil), p.Prefer...), c.Prefer)

	m.Kernel = mergeKernel(p.Kernel, c.Kernel)
	m.Hardware = mergeHardware(p.Hardware, c.Hardware)
	m.Network = mergeNetwork(p.Network, c.Network)
	m.Output = mergeOutput(p.Output, c.Output)
	m.Security = mergeSecurity(p.Security, c.Security)
	m.Users = mergeLabelled(p.Users, c.Users, func(u *User) string { return u.Name })
	m.Services = mergeLabelled(p.Services, c.Services, func(s *Service) string { return s.Name })
	m.Files = mergeLabelled(p.Files, c.Files, func(f *FileSpec) string { return f.Path })
	m.Probes = mergeLabelled(p.Probes, c.Probes, func(p *Probe) string { return p.Name })
	return &m
}

// appendRels appends add to dst, replacing entries with the same text.
func appendRels(dst, add []Rel) []Rel {
	for _, r := range add {
		replaced := false
		for i := range dst {
			if dst[i].Clause.String() == r.Clause.String() {
				dst[i] = r
				replaced = true
			}
		}
		if !replaced {
			dst = append(dst, r)
		}
	}
	return dst
}

func mergeLabelled[T any](p, c []T, key func(T) string) []T {
	var out []T
	override := map[string]bool{}
	for _, x := range c {
		override[key(x)] = true
	}
	for _, x := range p {
		if !override[key(x)] {
			out = append(out, x)
		}
	}
	return append(out, c...)
}

func pick[T any](p, c *T) (*T, bool) {
	switch {
	case c == nil:
		return p, true
	case p == nil:
		return c, true
	}
	return nil, false
}

func mergeKernel(p, c *Kernel) *Kernel {
	if r, ok := pick(p, c); ok {
		return r
	}
	m := *c
	if !m.Flavour.Set {
		m.Flavour = p.Flavour
	}
	m.Need = mergeStrs(p.Need, c.Need)
	m.Avoid = mergeStrs(p.Avoid, c.Avoid)
	return &m
}

func mergeHardware(p, c *Hardware) *Hardware {
	if r, ok := pick(p, c); ok {
		return r
	}
	m := *c
	if !m.CPUs.Set {
		m.CPUs = p.CPUs
	}
	if !m.Memory.Set {
		m.Memory = p.Memory
	}
	if !m.Disk.Set {
		m.Disk = p.Disk
	}
	return &m
}

func mergeNetwork(p, c *Network) *Network {
	if r, ok := pick(p, c); ok {
		return r
	}
	m := *c
	for _, f := range []struct{ dst, src *Str }{{&m.Mode, &p.Mode}, {&m.Address, &p.Address}, {&m.Gateway, &p.Gateway}} {
		if !f.dst.Set {
			*f.dst = *f.src
		}
	}
	if !m.DNS.Set {
		m.DNS = p.DNS
	}
	if m.Forward == nil {
		m.Forward = p.Forward
	}
	return &m
}

func mergeOutput(p, c *Output) *Output {
	if r, ok := pick(p, c); ok {
		return r
	}
	m := *c
	if !m.Formats.Set {
		m.Formats = p.Formats
	}
	if !m.Hypervisors.Set {
		m.Hypervisors = p.Hypervisors
	}
	return &m
}

func mergeSecurity(p, c *Security) *Security {
	if r, ok := pick(p, c); ok {
		return r
	}
	m := *c
	if !m.Avoid.Set {
		m.Avoid = p.Avoid
	}
	if !m.MaxAge.Set {
		m.MaxAge = p.MaxAge
	}
	return &m
}

// mergeStrs unions two symbol lists (Kconfig needs accumulate).
func mergeStrs(p, c Strs) Strs {
	if !p.Set {
		return c
	}
	if !c.Set {
		return p
	}
	m := Strs{Range: c.Range, Set: true}
	seen := map[string]bool{}
	for _, s := range []Strs{p, c} {
		for i, v := range s.Values {
			if !seen[v] {
				seen[v] = true
				m.Values = append(m.Values, v)
				m.Ranges = append(m.Ranges, s.Ranges[i])
			}
		}
	}
	return m
}

// check validates what only the merged vm can tell.
func check(vm *VM) hcl.Diagnostics {
	var diags hcl.Diagnostics
	errorf := func(rng hcl.Range, summary, format string, args ...any) {
		r := rng
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &r})
	}
	if n := vm.Network; n != nil {
		switch n.Mode.Value {
		case "static":
			if !n.Address.Set {
				errorf(n.DefRange, "Static network without address", "mode = \"static\" needs address = \"A.B.C.D/PREFIX\".")
			}
		default:
			if n.Address.Set {
				errorf(n.Address.Range, "Address without static mode", "address is only used with mode = \"static\"; set the mode or remove the address.")
			}
			if n.Gateway.Set {
				errorf(n.Gateway.Range, "Gateway without static mode", "gateway is only used with mode = \"static\"; set the mode or remove the gateway.")
			}
		}
	}
	for _, s := range vm.Services {
		if !s.Command.Set {
			errorf(s.DefRange, "Service without command", "service %q needs command = \"…\" (the program to run and its arguments).", s.Name)
		}
	}
	// A need whose only alternative is also avoided can never be met.
	for _, a := range vm.Avoid {
		at := a.Clause[0]
		if at.Op != 0 {
			continue
		}
		for _, n := range vm.Need {
			if len(n.Clause) == 1 && n.Clause[0].Name == at.Name {
				errorf(a.Range, "Package both needed and avoided", "%q is avoided here but needed at %s:%d; remove one of them.", at.Name, n.Range.Filename, n.Range.Start.Line)
			}
		}
	}
	return diags
}
