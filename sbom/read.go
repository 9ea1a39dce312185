package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"

	"pdvm.dev/pdvm/manifest"
)

var releases = map[string]string{"10": "buster", "11": "bullseye", "12": "bookworm", "13": "trixie", "14": "forky"}

// ReadLock reads the Debian packages of an SBOM (SPDX 2.x JSON or
// CycloneDX JSON, as pdvm or another tool wrote it) back into a lock
// holding what matching needs: name, version, architecture, and the source
// package and version from the purl's upstream qualifier. name is used in
// errors. Components without a pkg:deb purl are skipped.
func ReadLock(name string, data []byte) (*manifest.Lock, error) {
	var probe struct {
		SPDXVersion string `json:"spdxVersion"`
		BOMFormat   string `json:"bomFormat"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("reading SBOM %s: %w", name, err)
	}
	var purls []string
	l := &manifest.Lock{VM: strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".spdx")}
	switch {
	case probe.SPDXVersion != "":
		doc, err := spdxjson.Read(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("reading SPDX document %s: %w", name, err)
		}
		l.VM = doc.DocumentName
		if doc.CreationInfo != nil {
			l.Date = doc.CreationInfo.Created
		}
		for _, p := range doc.Packages {
			for _, r := range p.PackageExternalReferences {
				if r.RefType == "purl" {
					purls = append(purls, r.Locator)
				}
			}
		}
	case probe.BOMFormat == "CycloneDX":
		var bom cdx.BOM
		if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
			return nil, fmt.Errorf("reading CycloneDX BOM %s: %w", name, err)
		}
		if bom.Metadata != nil {
			l.Date = bom.Metadata.Timestamp
			if bom.Metadata.Component != nil {
				l.VM = bom.Metadata.Component.Name
			}
		}
		if bom.Components != nil {
			for _, c := range *bom.Components {
				purls = append(purls, c.PackageURL)
			}
		}
	default:
		return nil, fmt.Errorf("reading SBOM %s: neither SPDX (spdxVersion) nor CycloneDX (bomFormat)", name)
	}
	for _, s := range purls {
		u, err := packageurl.FromString(s)
		if err != nil || u.Type != packageurl.TypeDebian {
			continue
		}
		q := u.Qualifiers.Map()
		p := manifest.Package{Name: u.Name, Version: u.Version, Arch: q["arch"], Source: u.Name, SourceVersion: u.Version}
		if up := q["upstream"]; up != "" {
			src, ver, ok := strings.Cut(up, "@")
			p.Source = src
			if ok {
				p.SourceVersion = ver
			}
		}
		if d := q["distro"]; d != "" && l.Release == "" {
			rel := strings.TrimPrefix(d, "debian-")
			if c, ok := releases[rel]; ok {
				rel = c
			}
			l.Release = "debian/" + rel
		}
		l.Packages = append(l.Packages, p)
	}
	if len(l.Packages) == 0 {
		return nil, fmt.Errorf("reading SBOM %s: no Debian packages (pkg:deb purls)", name)
	}
	sort.SliceStable(l.Packages, func(i, j int) bool { return l.Packages[i].Name < l.Packages[j].Name })
	return l, nil
}
