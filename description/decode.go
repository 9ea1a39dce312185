package description

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

// Options tune loading. The zero value reads files from disk.
type Options struct {
	// ReadFile reads extended files and file()/templatefile()/source
	// arguments; default os.ReadFile.
	ReadFile func(name string) ([]byte, error)
	// Vars overrides variable defaults of the main file (as strings, like
	// a command line's --var NAME=VALUE).
	Vars map[string]string
}

// Load reads and decodes the description file at path.
func Load(path string, opts *Options) (*File, hcl.Diagnostics) {
	l := newLoader(opts)
	src, err := l.read(path)
	if err != nil {
		f := &File{Name: path, Sources: l.sources}
		return f, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read description",
			Detail:   fmt.Sprintf("Reading %s: %v.", path, err),
		}}
	}
	return l.file(path, src)
}

// Parse decodes the description src, named name (used in positions and to
// resolve relative paths).
func Parse(name string, src []byte, opts *Options) (*File, hcl.Diagnostics) {
	l := newLoader(opts)
	l.record(name, src)
	return l.file(name, src)
}

type loader struct {
	opts    Options
	parser  *hclparse.Parser
	sources map[string]*hcl.File
	inputs  map[string]string       // name → sha256
	decoded map[string]*decodedFile // by file name (or builtin:NAME)
	merged  map[*VM]*VM             // extends already applied
	active  map[*VM]bool            // on the extends stack (cycle check)
}

type decodedFile struct {
	name  string
	vms   []*VM
	diags hcl.Diagnostics
}

func newLoader(opts *Options) *loader {
	l := &loader{
		parser:  hclparse.NewParser(),
		sources: map[string]*hcl.File{},
		inputs:  map[string]string{},
		decoded: map[string]*decodedFile{},
		merged:  map[*VM]*VM{},
		active:  map[*VM]bool{},
	}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.ReadFile == nil {
		l.opts.ReadFile = os.ReadFile
	}
	return l
}

// read reads a file and records it as an input.
func (l *loader) read(name string) ([]byte, error) {
	b, err := l.opts.ReadFile(name)
	if err != nil {
		return nil, err
	}
	l.record(name, b)
	return b, nil
}

func (l *loader) record(name string, b []byte) {
	sum := sha256.Sum256(b)
	l.inputs[name] = hex.EncodeToString(sum[:])
}

func (l *loader) file(name string, src []byte) (*File, hcl.Diagnostics) {
	df := l.decode(name, src, l.opts.Vars)
	diags := df.diags
	f := &File{Name: name, Sources: l.sources}
	for _, vm := range df.vms {
		m, d := l.resolve(df, vm)
		diags = append(diags, d...)
		if m != nil {
			diags = append(diags, check(m)...)
			f.VMs = append(f.VMs, m)
		}
	}
	if len(df.vms) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No vm block",
			Detail:   `A description declares at least one vm "NAME" { … } block.`,
			Subject:  &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
		})
	}
	names := make([]string, 0, len(l.inputs))
	for n := range l.inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f.Inputs = append(f.Inputs, Input{Name: n, SHA256: l.inputs[n]})
	}
	return f, sortDiags(diags)
}

var topSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "vm", LabelNames: []string{"name"}},
	},
}

// decode parses one file and decodes its vm blocks without applying
// extends.
func (l *loader) decode(name string, src []byte, vars map[string]string) *decodedFile {
	if df, ok := l.decoded[name]; ok {
		return df
	}
	df := &decodedFile{name: name}
	l.decoded[name] = df
	hf, diags := l.parser.ParseHCL(src, name)
	l.sources[name] = hf
	df.diags = diags
	if hf == nil || diags.HasErrors() {
		return df
	}
	content, diags := hf.Body.Content(topSchema)
	df.diags = append(df.diags, diags...)
	dir := ""
	if !strings.HasPrefix(name, builtinPrefix) {
		dir = filepath.Dir(name)
	}
	ctx := &hcl.EvalContext{Functions: l.functions(dir)}
	ev := &evaluator{ctx: ctx, src: src}
	ctx.Variables = map[string]cty.Value{}
	ctx.Variables["var"] = l.variables(ev, content.Blocks, vars)
	ctx.Variables["local"] = l.locals(ev, content.Blocks)
	seen := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		if b.Type != "vm" {
			continue
		}
		var raw rawVM
		ev.diags = append(ev.diags, gohcl.DecodeBody(b.Body, nil, &raw)...)
		raw.Name = b.Labels[0]
		raw.DefRange = b.DefRange
		if prev, dup := seen[raw.Name]; dup {
			ev.errorf(b.DefRange, "Duplicate vm block", "A vm named %q is already declared at %s.", raw.Name, prev)
			continue
		}
		seen[raw.Name] = b.DefRange
		if !validName(raw.Name) {
			ev.errorf(b.LabelRanges[0], "Invalid vm name", "%q is not a valid vm name: use letters, digits, '-' and '_'.", raw.Name)
		}
		df.vms = append(df.vms, l.convertVM(ev, &raw, dir))
	}
	df.diags = append(df.diags, ev.diags...)
	return df
}

type rawVariable struct {
	Default     hcl.Expression `hcl:"default,optional"`
	Description *string        `hcl:"description,optional"`
}

func (l *loader) variables(ev *evaluator, blocks hcl.Blocks, overrides map[string]string) cty.Value {
	vals := map[string]cty.Value{}
	declared := map[string]bool{}
	for _, b := range blocks {
		if b.Type != "variable" {
			continue
		}
		name := b.Labels[0]
		if declared[name] {
			ev.errorf(b.DefRange, "Duplicate variable", "Variable %q is declared twice.", name)
			continue
		}
		declared[name] = true
		var raw rawVariable
		ev.diags = append(ev.diags, gohcl.DecodeBody(b.Body, nil, &raw)...)
		if s, ok := overrides[name]; ok {
			vals[name] = cty.StringVal(s)
			continue
		}
		// Defaults may call functions but not refer to other values.
		sub := &evaluator{ctx: &hcl.EvalContext{Functions: ev.ctx.Functions}, src: ev.src}
		v, ok := sub.value(raw.Default)
		ev.diags = append(ev.diags, sub.diags...)
		if !ok {
			if !sub.diags.HasErrors() {
				ev.errorf(b.DefRange, "Variable without a value", "Variable %q has no default; give it one with default = …, or set it on the command line with --var %s=VALUE.", name, name)
			}
			vals[name] = cty.DynamicVal
			continue
		}
		vals[name] = v
	}
	var unknown []string
	for name := range overrides {
		if !declared[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		ev.diags = append(ev.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Undeclared variable",
			Detail:   fmt.Sprintf("A value was given for variable %q, but the description declares no variable \"%s\" block.", name, name),
		})
	}
	return cty.ObjectVal(vals)
}

// locals evaluates the locals blocks in dependency order.
func (l *loader) locals(ev *evaluator, blocks hcl.Blocks) cty.Value {
	attrs := map[string]*hcl.Attribute{}
	var order []string
	for _, b := range blocks {
		if b.Type != "locals" {
			continue
		}
		as, diags := b.Body.JustAttributes()
		ev.diags = append(ev.diags, diags...)
		names := make([]string, 0, len(as))
		for n := range as {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if prev, dup := attrs[n]; dup {
				ev.errorf(as[n].NameRange, "Duplicate local value", "local.%s is already defined at %s.", n, prev.NameRange)
				continue
			}
			attrs[n] = as[n]
			order = append(order, n)
		}
	}
	vals := map[string]cty.Value{}
	pending := order
	for len(pending) > 0 {
		var next []string
		for _, n := range pending {
			ready := true
			for _, tr := range attrs[n].Expr.Variables() {
				if tr.RootName() != "local" || len(tr) < 2 {
					continue
				}
				if ga, ok := tr[1].(hcl.TraverseAttr); ok {
					if _, done := vals[ga.Name]; !done && attrs[ga.Name] != nil {
						ready = false
					}
				}
			}
			if !ready {
				next = append(next, n)
				continue
			}
			ev.ctx.Variables["local"] = cty.ObjectVal(vals)
			v, diags := attrs[n].Expr.Value(ev.ctx)
			ev.diags = append(ev.diags, diags...)
			if diags.HasErrors() {
				v = cty.DynamicVal
			}
			vals[n] = v
		}
		if len(next) == len(pending) {
			for _, n := range next {
				ev.errorf(attrs[n].NameRange, "Circular local value", "local.%s depends on itself (through %s).", n, strings.Join(next, ", "))
				vals[n] = cty.DynamicVal
			}
			break
		}
		pending = next
	}
	return cty.ObjectVal(vals)
}

// sortDiags orders diagnostics by position and drops exact duplicates
// (a template extended twice reports its problems once).
func sortDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
	out := diags[:0]
	for i, d := range diags {
		if i > 0 {
			p := diags[i-1]
			if p.Summary == d.Summary && p.Detail == d.Detail && sameRange(p.Subject, d.Subject) {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

func sameRange(a, b *hcl.Range) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
