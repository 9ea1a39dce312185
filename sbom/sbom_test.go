package sbom

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"

	"pdvm.dev/pdvm/manifest"
)

// testLock holds real bookworm packages (versions, sources and hashes as
// the archive lists them): a plain package, a binNMU (libssh2-1) and a
// binary whose version differs from its source's (telnet from inetutils).
func testLock() *manifest.Lock {
	return &manifest.Lock{
		Format: 1, VM: "web", Description: "web.pdvm.hcl", Release: "debian/bookworm", Arch: "amd64", Base: "none", Init: "pdvm",
		Objective: "count", Date: "2026-11-24T00:34:33Z", Proof: "optimal",
		Archive: []manifest.Suite{
			{Suite: "bookworm", Component: "main", Arch: "amd64", MirrorURL: "http://deb.debian.org/debian"},
			{Suite: "bookworm-security", Component: "main", Arch: "amd64", MirrorURL: "http://deb.debian.org/debian-security"},
		},
		Packages: []manifest.Package{
			{Name: "openssh-server", Version: "1:9.2p1-2+deb12u3", Arch: "amd64", Source: "openssh", SourceVersion: "1:9.2p1-2+deb12u3", Suite: "bookworm-security",
				Filename: "pool/updates/main/o/openssh/openssh-server_9.2p1-2+deb12u3_amd64.deb", SHA256: strings.Repeat("a1", 32), Size: 450000, InstalledSize: 1990, Reason: []string{"web.pdvm.hcl:4:3 need openssh-server"}},
			{Name: "libssh2-1", Version: "1.10.0-3+b1", Arch: "amd64", Source: "libssh2", SourceVersion: "1.10.0-3", Suite: "bookworm",
				Filename: "pool/main/libs/libssh2/libssh2-1_1.10.0-3+b1_amd64.deb", SHA256: strings.Repeat("b2", 32), Size: 170000, InstalledSize: 290, Reason: []string{"curl"}},
			{Name: "telnet", Version: "0.17+2.4-2+deb12u3", Arch: "all", Source: "inetutils", SourceVersion: "2:2.4-2+deb12u3", Suite: "bookworm",
				Filename: "pool/main/i/inetutils/telnet_0.17+2.4-2+deb12u3_all.deb", SHA256: strings.Repeat("c3", 32), Size: 12000, InstalledSize: 50, Reason: []string{"need telnet"}},
		},
	}
}

func compile(t *testing.T, main string, files ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, f := range append([]string{main}, files...) {
		fh, err := os.Open(filepath.Join("testdata", "schema", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
	}
	fh, _ := os.Open(filepath.Join("testdata", "schema", main))
	doc, _ := jsonschema.UnmarshalJSON(fh)
	fh.Close()
	s, err := c.Compile(doc.(map[string]any)["$id"].(string))
	if err != nil {
		t.Fatalf("compiling %s: %v", main, err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

func TestPURL(t *testing.T) {
	l := testLock()
	want := map[string]string{
		"openssh-server": "pkg:deb/debian/openssh-server@1:9.2p1-2%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=openssh",
		"libssh2-1":      "pkg:deb/debian/libssh2-1@1.10.0-3%2Bb1?arch=amd64&distro=debian-12&upstream=libssh2%401.10.0-3",
		"telnet":         "pkg:deb/debian/telnet@0.17%2B2.4-2%2Bdeb12u3?arch=all&distro=debian-12&upstream=inetutils%402:2.4-2%2Bdeb12u3",
	}
	for i := range l.Packages {
		p := &l.Packages[i]
		got := PURL(l, p)
		if got != want[p.Name] {
			t.Errorf("PURL(%s) = %s, want %s", p.Name, got, want[p.Name])
		}
		u, err := packageurl.FromString(got)
		if err != nil || u.Name != p.Name || u.Version != p.Version || u.Qualifiers.Map()["arch"] != p.Arch {
			t.Errorf("PURL(%s) does not parse back: %+v %v", p.Name, u, err)
		}
	}
	// Same source and version: no upstream qualifier.
	p := manifest.Package{Name: "nginx", Version: "1.22.1-9+deb12u7", Arch: "amd64", Source: "nginx", SourceVersion: "1.22.1-9+deb12u7"}
	if got := PURL(l, &p); got != "pkg:deb/debian/nginx@1.22.1-9%2Bdeb12u7?arch=amd64&distro=debian-12" {
		t.Errorf("PURL(nginx) = %s", got)
	}
}

func TestSPDXParsesBackAndValidates(t *testing.T) {
	l := testLock()
	var b bytes.Buffer
	if err := SPDX(&b, l); err != nil {
		t.Fatal(err)
	}
	schema := compile(t, "spdx-2.3.schema.json")
	if err := validate(t, schema, b.Bytes()); err != nil {
		t.Fatalf("SPDX document does not validate: %v\n%s", err, b.String())
	}
	doc, err := spdxjson.Read(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("spdx/tools-golang cannot read it back: %v", err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.CreationInfo.Created != "2026-11-24T00:34:33Z" || len(doc.Packages) != 4 {
		t.Fatalf("read back: version %s created %s packages %d", doc.SPDXVersion, doc.CreationInfo.Created, len(doc.Packages))
	}
	found := 0
	for _, p := range doc.Packages {
		if p.PackageName != "telnet" {
			continue
		}
		found++
		if p.PackageVersion != "0.17+2.4-2+deb12u3" || len(p.PackageChecksums) != 1 || p.PackageChecksums[0].Value != strings.Repeat("c3", 32) ||
			p.PackageDownloadLocation != "http://deb.debian.org/debian/pool/main/i/inetutils/telnet_0.17+2.4-2+deb12u3_all.deb" ||
			!strings.Contains(p.PackageSourceInfo, "inetutils 2:2.4-2+deb12u3") || len(p.PackageExternalReferences) != 1 ||
			!strings.HasPrefix(p.PackageExternalReferences[0].Locator, "pkg:deb/debian/telnet@") {
			t.Errorf("telnet read back as %+v", p)
		}
	}
	if found != 1 {
		t.Errorf("telnet found %d times", found)
	}
	contains := 0
	for _, r := range doc.Relationships {
		if r.Relationship == "CONTAINS" {
			contains++
		}
	}
	if contains != 3 {
		t.Errorf("%d CONTAINS relationships, want 3", contains)
	}
	// The schema is really checked: a document without its required
	// creationInfo, or with a bad SPDXID, fails.
	var m map[string]any
	json.Unmarshal(b.Bytes(), &m)
	delete(m, "creationInfo")
	bad, _ := json.Marshal(m)
	if validate(t, schema, bad) == nil {
		t.Error("document without creationInfo validates")
	}
	bad2 := bytes.Replace(b.Bytes(), []byte(`"SPDXRef-Package-telnet-all"`), []byte(`"SPDXRef-Package telnet"`), 1)
	if validate(t, schema, bad2) == nil {
		t.Error("document with an invalid SPDXID validates")
	}
}

func TestCycloneDXParsesBackAndValidates(t *testing.T) {
	l := testLock()
	var b bytes.Buffer
	if err := CycloneDX(&b, l); err != nil {
		t.Fatal(err)
	}
	schema := compile(t, "bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json")
	if err := validate(t, schema, b.Bytes()); err != nil {
		t.Fatalf("CycloneDX BOM does not validate: %v\n%s", err, b.String())
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatalf("cyclonedx-go cannot read it back: %v", err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.Metadata.Timestamp != "2026-11-24T00:34:33Z" || bom.Components == nil || len(*bom.Components) != 3 {
		t.Fatalf("read back: spec %v timestamp %s", bom.SpecVersion, bom.Metadata.Timestamp)
	}
	if !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") || bom.Metadata.Component.Name != "web" {
		t.Errorf("serial %s root %+v", bom.SerialNumber, bom.Metadata.Component)
	}
	for _, c := range *bom.Components {
		if c.Name == "libssh2-1" {
			props := map[string]string{}
			for _, p := range *c.Properties {
				props[p.Name] = p.Value
			}
			if c.PackageURL != PURL(l, &l.Packages[1]) || (*c.Hashes)[0].Value != strings.Repeat("b2", 32) || props["pdvm:source_version"] != "1.10.0-3" {
				t.Errorf("libssh2-1 read back as %+v %v", c, props)
			}
		}
	}
	if bom.Dependencies == nil || len(*(*bom.Dependencies)[0].Dependencies) != 3 {
		t.Error("root does not depend on the 3 packages")
	}
	var m map[string]any
	json.Unmarshal(b.Bytes(), &m)
	m["components"].([]any)[0].(map[string]any)["type"] = "vm-package"
	bad, _ := json.Marshal(m)
	if validate(t, schema, bad) == nil {
		t.Error("BOM with an invalid component type validates")
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range Formats {
		var a, b, c bytes.Buffer
		l := testLock()
		if err := Write(&a, l, f); err != nil {
			t.Fatal(err)
		}
		l2 := testLock()
		// Order of packages in the input does not matter.
		l2.Packages[0], l2.Packages[2] = l2.Packages[2], l2.Packages[0]
		if err := Write(&b, l2, f); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("%s: two writes of the same lock differ", f)
		}
		l3 := testLock()
		l3.Packages[0].Version, l3.Packages[0].SourceVersion = "1:9.2p1-2+deb12u7", "1:9.2p1-2+deb12u7"
		Write(&c, l3, f)
		if a.String() == c.String() {
			t.Errorf("%s: a different lock gives the same SBOM", f)
		}
	}
	if err := Write(&bytes.Buffer{}, testLock(), "swid"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteFiles(dir, testLock())
	if err != nil || len(paths) != 2 {
		t.Fatalf("WriteFiles = %v, %v", paths, err)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if filepath.Base(paths[0]) != "web.spdx.json" || filepath.Base(paths[1]) != "web.cdx.json" {
		t.Errorf("names %v", paths)
	}
}

// TestReadLockRoundTrip: both SBOMs read back into the packages, sources
// and release of the lock, so an SBOM can be audited.
func TestReadLockRoundTrip(t *testing.T) {
	l := testLock()
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, l, f); err != nil {
			t.Fatal(err)
		}
		got, err := ReadLock("web."+f+".json", b.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if got.Release != "debian/bookworm" || len(got.Packages) != 3 {
			t.Fatalf("%s: release %q, %d packages", f, got.Release, len(got.Packages))
		}
		for _, p := range got.Packages {
			var want manifest.Package
			for _, q := range l.Packages {
				if q.Name == p.Name {
					want = q
				}
			}
			if p.Version != want.Version || p.Arch != want.Arch || p.Source != want.Source || p.SourceVersion != want.SourceVersion {
				t.Errorf("%s: %s read back as %+v, want %s %s from %s %s", f, p.Name, p, want.Version, want.Arch, want.Source, want.SourceVersion)
			}
		}
	}
	if _, err := ReadLock("x.json", []byte(`{"hello": 1}`)); err == nil {
		t.Error("non-SBOM accepted")
	}
}
