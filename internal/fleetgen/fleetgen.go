// Package fleetgen writes realistic pdvm locks for fleet-query tests and
// benchmarks: each lock holds a few hundred real Debian packages (names,
// versions, sources and sizes from a binary→source table of the archive),
// with the fields and encoding `pdvm plan` writes.
package fleetgen

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"pdvm.dev/pdvm/manifest"
)

// Row is one binary package of the archive.
type Row struct {
	Suite, Name, Version, Arch, Source, SourceVersion string
	InstalledSize                                     int64
	Priority                                          string
}

// ReadTable reads a bin2src table (TSV with a header: suite, binary,
// version, arch, source, source_version, installed_size_kb, priority,
// section), gzip-compressed or not.
func ReadTable(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		r = zr
	}
	sc := bufio.NewScanner(r)
	var out []Row
	for n := 0; sc.Scan(); n++ {
		if n == 0 {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 8 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 9", path, n+1, len(f))
		}
		sz, _ := strconv.ParseInt(f[6], 10, 64)
		out = append(out, Row{Suite: f[0], Name: f[1], Version: f[2], Arch: f[3], Source: f[4], SourceVersion: f[5], InstalledSize: sz, Priority: f[7]})
	}
	return out, sc.Err()
}

// Options shape the generated fleet.
type Options struct {
	Locks    int
	MinPkgs  int      // default 150
	MaxPkgs  int      // default 300
	Always   []string // binary names every lock contains when present (e.g. the required set)
	Sometime []string // binary names each lock contains with probability 1/2
	Seed     uint64
}

// Generate writes opt.Locks locks into dir as vmNNNN.pdvm.hcl.lock and
// returns their paths.
func Generate(dir string, rows []Row, opt Options) ([]string, error) {
	if opt.MinPkgs == 0 {
		opt.MinPkgs = 150
	}
	if opt.MaxPkgs < opt.MinPkgs {
		opt.MaxPkgs = opt.MinPkgs * 2
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 1))
	byName := map[string][]int{}
	var names []string
	for i, r := range rows {
		if r.Arch != "amd64" && r.Arch != "all" {
			continue
		}
		if len(byName[r.Name]) == 0 {
			names = append(names, r.Name)
		}
		byName[r.Name] = append(byName[r.Name], i)
	}
	var out []string
	for n := 0; n < opt.Locks; n++ {
		l := &manifest.Lock{Format: manifest.FormatVersion, VM: fmt.Sprintf("vm%04d", n), Description: fmt.Sprintf("vm%04d.pdvm.hcl", n),
			Release: "debian/bookworm", Arch: "amd64", Base: "debian", Init: "systemd", Objective: "count",
			Date: "2026-11-24T00:34:33Z", Proof: "optimal",
			Hardware: manifest.Hardware{CPUs: 1, MemoryMiB: 512, DiskMiB: 2048},
			Archive:  []manifest.Suite{{Suite: "bookworm", Component: "main", Arch: "amd64", Date: "Sat, 11 Jul 2026 09:00:00 UTC"}, {Suite: "bookworm-security", Component: "main", Arch: "amd64", Date: "Tue, 24 Nov 2026 00:34:33 UTC"}}}
		want := opt.MinPkgs + rng.IntN(opt.MaxPkgs-opt.MinPkgs+1)
		chosen := map[string]bool{}
		add := func(name string) {
			ids := byName[name]
			if len(ids) == 0 || chosen[name] {
				return
			}
			chosen[name] = true
			r := rows[ids[rng.IntN(len(ids))]]
			sum := sha256.Sum256([]byte(r.Name + " " + r.Version + " " + r.Arch))
			l.Packages = append(l.Packages, manifest.Package{
				Name: r.Name, Version: r.Version, Arch: r.Arch, Source: r.Source, SourceVersion: r.SourceVersion, Suite: r.Suite,
				Filename: fmt.Sprintf("pool/main/%s/%s/%s_%s_%s.deb", r.Source[:1], r.Source, r.Name, strings.TrimLeft(r.Version[strings.IndexByte(r.Version, ':')+1:], ""), r.Arch),
				SHA256:   hex.EncodeToString(sum[:]), Size: 1024 + r.InstalledSize*300, InstalledSize: r.InstalledSize,
				Reason: []string{fmt.Sprintf("vm%04d.pdvm.hcl:3:3 need %s", n, r.Name), r.Name + " " + r.Version},
			})
		}
		for _, a := range opt.Always {
			add(a)
		}
		for _, s := range opt.Sometime {
			if rng.IntN(2) == 0 {
				add(s)
			}
		}
		for len(l.Packages) < want {
			add(names[rng.IntN(len(names))])
		}
		l.Sort()
		for _, p := range l.Packages {
			l.Count++
			l.InstalledSize += p.InstalledSize
		}
		path := filepath.Join(dir, l.Description+".lock")
		if err := manifest.Write(path, l); err != nil {
			return nil, err
		}
		out = append(out, path)
	}
	return out, nil
}
