package sbom

import (
	"bytes"
	"context"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"

	"pdvm.dev/pdvm/internal/realarchive"
	"pdvm.dev/pdvm/manifest"
	"pdvm.dev/pdvm/resolve"
)

// TestRealSBOM resolves nginx and openssh-server on the real archive,
// writes the lock's SBOMs and checks both against their schemas and
// their parsers: every package appears once with its purl and hash.
func TestRealSBOM(t *testing.T) {
	u := realarchive.Universe(t)
	var needs []resolve.Need
	for _, s := range []string{"nginx", "openssh-server"} {
		n, err := resolve.ParseNeed(s, "test")
		if err != nil {
			t.Fatal(err)
		}
		needs = append(needs, n)
	}
	sol, err := resolve.Resolve(context.Background(), u, resolve.Request{Install: needs})
	if err != nil {
		t.Fatal(err)
	}
	l := &manifest.Lock{Format: 1, VM: "real", Release: "debian/bookworm", Arch: "amd64", Date: "2026-11-24T00:34:33Z"}
	for _, id := range sol.Packages {
		p := u.Pkg(id)
		suite := u.OriginNames(p)[0]
		l.Packages = append(l.Packages, manifest.Package{Name: p.Name, Version: p.Version, Arch: p.Arch, Source: p.Source,
			SourceVersion: p.SourceVersion, Suite: suite, Filename: p.Filename, SHA256: p.SHA256, Size: p.Size, InstalledSize: p.InstalledSize})
	}
	var s, c bytes.Buffer
	if err := SPDX(&s, l); err != nil {
		t.Fatal(err)
	}
	if err := CycloneDX(&c, l); err != nil {
		t.Fatal(err)
	}
	if err := validate(t, compile(t, "spdx-2.3.schema.json"), s.Bytes()); err != nil {
		t.Errorf("SPDX: %v", err)
	}
	if err := validate(t, compile(t, "bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"), c.Bytes()); err != nil {
		t.Errorf("CycloneDX: %v", err)
	}
	doc, err := spdxjson.Read(bytes.NewReader(s.Bytes()))
	if err != nil || len(doc.Packages) != len(l.Packages)+1 {
		t.Fatalf("SPDX read back: %v, %d packages for %d", err, len(doc.Packages), len(l.Packages))
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(c.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil || len(*bom.Components) != len(l.Packages) {
		t.Fatalf("CycloneDX read back: %v", err)
	}
	purls := map[string]bool{}
	for _, comp := range *bom.Components {
		if purls[comp.PackageURL] {
			t.Errorf("duplicate purl %s", comp.PackageURL)
		}
		purls[comp.PackageURL] = true
		if comp.Hashes == nil || len((*comp.Hashes)[0].Value) != 64 {
			t.Errorf("%s: no SHA-256", comp.Name)
		}
	}
	t.Logf("%d packages", len(l.Packages))
}
