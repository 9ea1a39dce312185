package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"pdvm.dev/pdvm/internal/cache"
	"pdvm.dev/pdvm/manifest"
)

// Tool is how pdvm names itself as the SBOM's creator.
const Tool = "pdvm"

// Formats are the SBOM formats pdvm writes, by name.
var Formats = []string{"spdx", "cyclonedx"}

// Distro is the purl distro qualifier of a lock's release: "debian-12"
// for debian/bookworm.
func Distro(l *manifest.Lock) string {
	rel := l.Release
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		rel = rel[i+1:]
	}
	nums := map[string]string{"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14"}
	if n, ok := nums[rel]; ok {
		return "debian-" + n
	}
	if rel == "" {
		return "debian-12"
	}
	return "debian-" + rel
}

// PURL is the package URL of one package of the lock.
func PURL(l *manifest.Lock, p *manifest.Package) string {
	q := packageurl.Qualifiers{{Key: "arch", Value: p.Arch}, {Key: "distro", Value: Distro(l)}}
	if p.Source != "" && (p.Source != p.Name || (p.SourceVersion != "" && p.SourceVersion != p.Version)) {
		up := p.Source
		if p.SourceVersion != "" && p.SourceVersion != p.Version {
			up += "@" + p.SourceVersion
		}
		q = append(q, packageurl.Qualifier{Key: "upstream", Value: up})
	}
	return packageurl.NewPackageURL(packageurl.TypeDebian, "debian", p.Name, p.Version, q, "").ToString()
}

// created is the lock's date in UTC, RFC 3339 without fractions.
func created(l *manifest.Lock) (string, error) {
	if l.Date == "" {
		return "1970-01-01T00:00:00Z", nil
	}
	for _, layout := range []string{time.RFC3339, time.RFC1123, time.RFC1123Z} {
		if t, err := time.Parse(layout, l.Date); err == nil {
			return t.UTC().Format("2006-01-02T15:04:05Z"), nil
		}
	}
	return "", fmt.Errorf("lock date %q is not an RFC 3339 time", l.Date)
}

// lockDigest is the SHA-256 of the lock's canonical encoding.
func lockDigest(l *manifest.Lock) (string, error) {
	c := *l
	c.Packages = append([]manifest.Package(nil), l.Packages...)
	c.Archive = append([]manifest.Suite(nil), l.Archive...)
	c.Inputs = append([]manifest.Input(nil), l.Inputs...)
	b, err := manifest.Encode(&c)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// mirrorOf returns the mirror URL of suite in the lock's archive.
func mirrorOf(l *manifest.Lock, suite string) string {
	for _, s := range l.Archive {
		if s.Suite == suite && s.MirrorURL != "" {
			return strings.TrimSuffix(s.MirrorURL, "/")
		}
	}
	return ""
}

func download(l *manifest.Lock, p *manifest.Package) string {
	if m := mirrorOf(l, p.Suite); m != "" && p.Filename != "" && !strings.HasPrefix(m, "file:") {
		return m + "/" + p.Filename
	}
	return "NOASSERTION"
}

// spdxID makes an SPDX element id (letters, digits, '.', '-').
func spdxID(parts ...string) string {
	var b strings.Builder
	b.WriteString("Package")
	for _, p := range parts {
		b.WriteByte('-')
		for _, r := range p {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
				b.WriteRune(r)
			default:
				fmt.Fprintf(&b, "-%X-", r)
			}
		}
	}
	return b.String()
}

func vmName(l *manifest.Lock) string {
	if l.VM != "" {
		return l.VM
	}
	return "vm"
}

func sortedPackages(l *manifest.Lock) []manifest.Package {
	ps := append([]manifest.Package(nil), l.Packages...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Name != ps[j].Name {
			return ps[i].Name < ps[j].Name
		}
		if ps[i].Arch != ps[j].Arch {
			return ps[i].Arch < ps[j].Arch
		}
		return ps[i].Version < ps[j].Version
	})
	return ps
}

// SPDXDocument builds the SPDX 2.3 document of a lock.
func SPDXDocument(l *manifest.Lock) (*spdx.Document, error) {
	ts, err := created(l)
	if err != nil {
		return nil, err
	}
	dig, err := lockDigest(l)
	if err != nil {
		return nil, err
	}
	name := vmName(l)
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      "pdvm VM " + name,
		DocumentNamespace: "https://pdvm.dev/spdx/" + name + "-" + dig,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: Tool}},
			Created:  ts,
			CreatorComment: fmt.Sprintf("Generated from the lock of vm %q (%s, %s); the timestamp is the archive date recorded in the lock.",
				name, l.Release, l.Arch),
		},
	}
	rootID := common.ElementID(spdxID("vm", name))
	doc.Packages = append(doc.Packages, &spdx.Package{
		PackageName:             name,
		PackageSPDXIdentifier:   rootID,
		PackageVersion:          "sha256:" + dig,
		PackageSupplier:         &common.Supplier{Supplier: "NOASSERTION"},
		PackageDownloadLocation: "NOASSERTION",
		FilesAnalyzed:           false,
		PackageLicenseConcluded: "NOASSERTION",
		PackageLicenseDeclared:  "NOASSERTION",
		PackageCopyrightText:    "NOASSERTION",
		PackageDescription:      fmt.Sprintf("Virtual machine image planned by pdvm from %s", l.Description),
		PrimaryPackagePurpose:   "OPERATING-SYSTEM",
	})
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", string(rootID)), Relationship: "DESCRIBES",
	})
	seen := map[common.ElementID]bool{rootID: true}
	for _, p := range sortedPackages(l) {
		id := common.ElementID(spdxID(p.Name, p.Arch))
		if seen[id] {
			id = common.ElementID(spdxID(p.Name, p.Arch, p.Version))
		}
		seen[id] = true
		src := p.Source
		if src == "" {
			src = p.Name
		}
		sv := p.SourceVersion
		if sv == "" {
			sv = p.Version
		}
		pkg := &spdx.Package{
			PackageName:             p.Name,
			PackageSPDXIdentifier:   id,
			PackageVersion:          p.Version,
			PackageFileName:         filepath.Base(p.Filename),
			PackageSupplier:         &common.Supplier{Supplier: "Debian", SupplierType: "Organization"},
			PackageDownloadLocation: download(l, &p),
			FilesAnalyzed:           false,
			PackageSourceInfo:       fmt.Sprintf("built from Debian source package %s %s", src, sv),
			PackageLicenseConcluded: "NOASSERTION",
			PackageLicenseDeclared:  "NOASSERTION",
			PackageCopyrightText:    "NOASSERTION",
			PackageExternalReferences: []*spdx.PackageExternalReference{
				{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: PURL(l, &p)},
			},
			PrimaryPackagePurpose: "LIBRARY",
		}
		if p.SHA256 != "" {
			pkg.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: p.SHA256}}
		}
		if p.Suite != "" {
			pkg.PackageComment = "suite " + p.Suite
		}
		doc.Packages = append(doc.Packages, pkg)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", string(rootID)), RefB: common.MakeDocElementID("", string(id)), Relationship: "CONTAINS",
		})
	}
	return doc, nil
}

// SPDX writes the lock's SPDX 2.3 JSON document to w.
func SPDX(w io.Writer, l *manifest.Lock) error {
	doc, err := SPDXDocument(l)
	if err != nil {
		return fmt.Errorf("building SPDX document: %w", err)
	}
	if err := spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("writing SPDX document: %w", err)
	}
	return nil
}

// uuidFrom derives an RFC 4122 version-5-style UUID from a digest.
func uuidFrom(hexDigest string) string {
	b, _ := hex.DecodeString(hexDigest)
	if len(b) < 16 {
		b = append(b, make([]byte, 16-len(b))...)
	}
	b = b[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// CycloneDXBOM builds the CycloneDX 1.6 BOM of a lock.
func CycloneDXBOM(l *manifest.Lock) (*cdx.BOM, error) {
	ts, err := created(l)
	if err != nil {
		return nil, err
	}
	dig, err := lockDigest(l)
	if err != nil {
		return nil, err
	}
	name := vmName(l)
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuidFrom(dig)
	bom.Version = 1
	rootRef := "pdvm-vm:" + name
	bom.Metadata = &cdx.Metadata{
		Timestamp: ts,
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: Tool}}},
		Component: &cdx.Component{
			BOMRef: rootRef, Type: cdx.ComponentTypeOS, Name: name, Version: "sha256:" + dig,
			Description: fmt.Sprintf("Virtual machine image planned by pdvm from %s (%s, %s)", l.Description, l.Release, l.Arch),
		},
	}
	var comps []cdx.Component
	var refs []string
	for _, p := range sortedPackages(l) {
		purl := PURL(l, &p)
		src, sv := p.Source, p.SourceVersion
		if src == "" {
			src = p.Name
		}
		if sv == "" {
			sv = p.Version
		}
		props := []cdx.Property{
			{Name: "pdvm:source", Value: src},
			{Name: "pdvm:source_version", Value: sv},
		}
		if p.Suite != "" {
			props = append(props, cdx.Property{Name: "pdvm:suite", Value: p.Suite})
		}
		if p.InstalledSize > 0 {
			props = append(props, cdx.Property{Name: "pdvm:installed_size_kib", Value: fmt.Sprint(p.InstalledSize)})
		}
		c := cdx.Component{
			BOMRef: purl, Type: cdx.ComponentTypeLibrary, Name: p.Name, Version: p.Version, PackageURL: purl,
			Supplier:   &cdx.OrganizationalEntity{Name: "Debian"},
			Properties: &props,
		}
		if p.SHA256 != "" {
			c.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: p.SHA256}}
		}
		if d := download(l, &p); d != "NOASSERTION" {
			c.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeDistribution, URL: d}}
		}
		comps = append(comps, c)
		refs = append(refs, purl)
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{{Ref: rootRef, Dependencies: &refs}}
	return bom, nil
}

// CycloneDX writes the lock's CycloneDX 1.6 JSON BOM to w.
func CycloneDX(w io.Writer, l *manifest.Lock) error {
	bom, err := CycloneDXBOM(l)
	if err != nil {
		return fmt.Errorf("building CycloneDX BOM: %w", err)
	}
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("writing CycloneDX BOM: %w", err)
	}
	return nil
}

// Write renders the lock in format ("spdx" or "cyclonedx") to w.
func Write(w io.Writer, l *manifest.Lock, format string) error {
	switch format {
	case "spdx", "spdx-json":
		return SPDX(w, l)
	case "cyclonedx", "cdx", "cyclonedx-json":
		return CycloneDX(w, l)
	}
	return fmt.Errorf("unknown SBOM format %q (want spdx or cyclonedx)", format)
}

// FileName is the conventional file name of a VM's SBOM in a format.
func FileName(l *manifest.Lock, format string) string {
	if format == "spdx" {
		return vmName(l) + ".spdx.json"
	}
	return vmName(l) + ".cdx.json"
}

// WriteFiles writes both SBOMs of the lock into dir (atomically) and
// returns their paths. The builder calls it to put SBOMs next to the
// image.
func WriteFiles(dir string, l *manifest.Lock) ([]string, error) {
	var out []string
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, l, f); err != nil {
			return nil, err
		}
		p := filepath.Join(dir, FileName(l, f))
		if err := cache.WriteFile(p, b.Bytes(), 0o644); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
