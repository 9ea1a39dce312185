package archive

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"pdvm.dev/pdvm/debian/relation"
)

// The binary cache format: a magic line, a string table, then every
// origin and package as varints referring to the table, then a CRC-32C of
// everything before it. Decoding a cache of the full bookworm archive takes
// a few tens of milliseconds, against about a second to parse the indexes.
const magic = "pdvm-universe 4\n"

// ErrCorruptCache is returned by Decode for data that is not a complete
// cache written by this version of pdvm.
var ErrCorruptCache = errors.New("corrupt or outdated universe cache")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type encoder struct {
	buf  []byte
	ids  map[string]uint64
	strs []string
}

func (e *encoder) uv(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

func (e *encoder) str(s string) {
	id, ok := e.ids[s]
	if !ok {
		id = uint64(len(e.strs))
		e.ids[s] = id
		e.strs = append(e.strs, s)
	}
	e.uv(id)
}

// Encode writes u in the binary cache format.
func (u *Universe) Encode(w io.Writer) error {
	e := &encoder{ids: map[string]uint64{"": 0}, strs: []string{""}, buf: make([]byte, 0, 16<<20)}
	e.str(u.Native)
	e.uv(uint64(u.Stanzas))
	e.uv(uint64(len(u.Origins)))
	for _, o := range u.Origins {
		for _, s := range []string{o.Suite, o.Codename, o.Component, o.Arch, o.Date, o.ValidUntil, o.InReleaseSHA256, o.IndexSHA256, o.MirrorURL, o.Source} {
			e.str(s)
		}
	}
	e.uv(uint64(len(u.Packages)))
	var nAtoms, nClauses int
	for i := range u.Packages {
		for _, rel := range u.Packages[i].Rel {
			nClauses += len(rel)
			for _, c := range rel {
				nAtoms += len(c)
			}
		}
	}
	e.uv(uint64(nClauses))
	e.uv(uint64(nAtoms))
	for i := range u.Packages {
		p := &u.Packages[i]
		for _, s := range []string{p.Name, p.Version, p.Arch, p.Source, p.SourceVersion, p.Section, p.Priority, p.Filename, p.SHA256, p.Maintainer, p.Homepage, p.Description} {
			e.str(s)
		}
		var flags uint64
		if p.Essential {
			flags |= 1
		}
		if p.Protected {
			flags |= 2
		}
		flags |= uint64(p.MultiArch) << 2
		e.uv(flags)
		e.uv(uint64(p.InstalledSize))
		e.uv(uint64(p.Size))
		e.uv(p.Origins)
		for k := range p.Rel {
			rel := p.Rel[k]
			e.uv(uint64(len(rel)))
			for _, c := range rel {
				e.uv(uint64(len(c)))
				for _, a := range c {
					e.str(a.Name)
					e.str(a.ArchQual)
					e.uv(uint64(a.Op))
					e.str(a.Version)
					if r := a.Restrict; r != nil {
						e.uv(uint64(len(r.Arches)) + 1)
						for _, s := range r.Arches {
							e.str(s)
						}
						e.str(r.Profiles)
					} else {
						e.uv(0)
					}
				}
			}
		}
	}
	// Header: magic, string table, then the body encoded above.
	head := []byte(magic)
	head = binary.AppendUvarint(head, uint64(len(e.strs)))
	total := 0
	for _, s := range e.strs {
		head = binary.AppendUvarint(head, uint64(len(s)))
		total += len(s)
	}
	blob := make([]byte, 0, total)
	for _, s := range e.strs {
		blob = append(blob, s...)
	}
	crc := crc32.Update(0, crcTable, head)
	crc = crc32.Update(crc, crcTable, blob)
	crc = crc32.Update(crc, crcTable, e.buf)
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], crc)
	for _, b := range [][]byte{head, blob, e.buf, tail[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

type decoder struct {
	b    []byte
	strs []string
	err  error
}

func (d *decoder) uv() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = ErrCorruptCache
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	id := d.uv()
	if id >= uint64(len(d.strs)) {
		d.err = ErrCorruptCache
		return ""
	}
	return d.strs[id]
}

// Decode reads a universe written by Encode. It never returns a partial
// universe: any damage gives ErrCorruptCache.
func Decode(data []byte) (*Universe, error) {
	if len(data) < len(magic)+4 || string(data[:len(magic)]) != magic {
		return nil, ErrCorruptCache
	}
	body, tail := data[:len(data)-4], data[len(data)-4:]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(tail) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorruptCache)
	}
	d := &decoder{b: body[len(magic):]}
	n := d.uv()
	if n > uint64(len(d.b)) {
		return nil, ErrCorruptCache
	}
	lens := make([]int, n)
	total := 0
	for i := range lens {
		lens[i] = int(d.uv())
		total += lens[i]
	}
	if d.err != nil || total > len(d.b) {
		return nil, ErrCorruptCache
	}
	blob := string(d.b[:total])
	d.b = d.b[total:]
	d.strs = make([]string, n)
	off := 0
	for i, l := range lens {
		d.strs[i] = blob[off : off+l]
		off += l
	}
	u := &Universe{}
	u.Native = d.str()
	u.Stanzas = int(d.uv())
	no := d.uv()
	if no > 64 {
		return nil, ErrCorruptCache
	}
	u.Origins = make([]Origin, no)
	for i := range u.Origins {
		o := &u.Origins[i]
		for _, p := range []*string{&o.Suite, &o.Codename, &o.Component, &o.Arch, &o.Date, &o.ValidUntil, &o.InReleaseSHA256, &o.IndexSHA256, &o.MirrorURL, &o.Source} {
			*p = d.str()
		}
	}
	np := d.uv()
	if d.err != nil || np > uint64(len(d.b)) {
		return nil, ErrCorruptCache
	}
	nClauses, nAtoms := d.uv(), d.uv()
	if d.err != nil || nClauses > uint64(len(d.b)) || nAtoms > uint64(len(d.b)) {
		return nil, ErrCorruptCache
	}
	u.Packages = make([]Package, np)
	atoms := make([]relation.Atom, 0, nAtoms)
	clauses := make([]relation.Clause, 0, nClauses)
	for i := range u.Packages {
		p := &u.Packages[i]
		for _, s := range []*string{&p.Name, &p.Version, &p.Arch, &p.Source, &p.SourceVersion, &p.Section, &p.Priority, &p.Filename, &p.SHA256, &p.Maintainer, &p.Homepage, &p.Description} {
			*s = d.str()
		}
		flags := d.uv()
		p.Essential = flags&1 != 0
		p.Protected = flags&2 != 0
		p.MultiArch = MultiArch(flags >> 2 & 3)
		p.InstalledSize = int64(d.uv())
		p.Size = int64(d.uv())
		p.Origins = d.uv()
		for k := range p.Rel {
			nc := d.uv()
			if nc == 0 {
				continue
			}
			if nc > uint64(len(d.b)) {
				return nil, ErrCorruptCache
			}
			if cap(clauses)-len(clauses) < int(nc) {
				clauses = make([]relation.Clause, 0, max(1<<18, int(nc)))
			}
			c0 := len(clauses)
			for c := uint64(0); c < nc; c++ {
				na := d.uv()
				if na > uint64(len(d.b)) {
					return nil, ErrCorruptCache
				}
				if cap(atoms)-len(atoms) < int(na) {
					atoms = make([]relation.Atom, 0, max(1<<20, int(na)))
				}
				a0 := len(atoms)
				for j := uint64(0); j < na; j++ {
					var a relation.Atom
					a.Name = d.str()
					a.ArchQual = d.str()
					a.Op = relation.Op(d.uv())
					a.Version = d.str()
					if nar := d.uv(); nar > 0 {
						if nar > uint64(len(d.b)) {
							return nil, ErrCorruptCache
						}
						r := &relation.Restrict{}
						if nar > 1 {
							r.Arches = make([]string, nar-1)
							for k := range r.Arches {
								r.Arches[k] = d.str()
							}
						}
						r.Profiles = d.str()
						a.Restrict = r
					}
					atoms = append(atoms, a)
				}
				clauses = append(clauses, relation.Clause(atoms[a0:len(atoms):len(atoms)]))
			}
			p.Rel[k] = relation.Relation(clauses[c0:len(clauses):len(clauses)])
		}
		if d.err != nil {
			return nil, d.err
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, ErrCorruptCache
	}
	u.index()
	return u, nil
}
