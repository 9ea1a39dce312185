package resolve

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"pdvm.dev/pdvm/archive"
)

// The universe DSL, one package per line:
//
//	NAME VERSION [ARCH]: FIELD VALUE; FIELD VALUE; FLAG
//
// FIELD is depends, predepends, conflicts, breaks, provides (values in
// Debian relation syntax), size (Installed-Size in KiB) or ma
// (Multi-Arch); FLAG is essential or required. ARCH defaults to amd64.
// "# ..." starts a comment. parseUniverse turns the lines into a Packages
// index and loads it with archive.Build, the same path real data takes.
func parseUniverse(t testing.TB, text string) *archive.Universe {
	t.Helper()
	var b strings.Builder
	for ln, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		head, rest, _ := strings.Cut(line, ":")
		f := strings.Fields(head)
		if len(f) < 2 || len(f) > 3 {
			t.Fatalf("universe line %d: want NAME VERSION [ARCH]: ..., got %q", ln+1, line)
		}
		arch := "amd64"
		if len(f) == 3 {
			arch = f[2]
		}
		fmt.Fprintf(&b, "Package: %s\nVersion: %s\nArchitecture: %s\n", f[0], f[1], arch)
		for _, item := range strings.Split(rest, ";") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			key, val, _ := strings.Cut(item, " ")
			val = strings.TrimSpace(val)
			switch key {
			case "depends":
				fmt.Fprintf(&b, "Depends: %s\n", val)
			case "predepends":
				fmt.Fprintf(&b, "Pre-Depends: %s\n", val)
			case "conflicts":
				fmt.Fprintf(&b, "Conflicts: %s\n", val)
			case "breaks":
				fmt.Fprintf(&b, "Breaks: %s\n", val)
			case "provides":
				fmt.Fprintf(&b, "Provides: %s\n", val)
			case "size":
				fmt.Fprintf(&b, "Installed-Size: %s\n", val)
			case "ma":
				fmt.Fprintf(&b, "Multi-Arch: %s\n", val)
			case "essential":
				b.WriteString("Essential: yes\n")
			case "required":
				b.WriteString("Priority: required\n")
			default:
				t.Fatalf("universe line %d: unknown field %q", ln+1, key)
			}
		}
		b.WriteString("\n")
	}
	return buildUniverse(t, b.String())
}

func buildUniverse(t testing.TB, packages string) *archive.Universe {
	t.Helper()
	u, err := archive.Build(context.Background(), "amd64", []archive.Input{{
		Origin: archive.Origin{Suite: "test", Component: "main", Arch: "amd64", Source: "dsl"},
		Open:   func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(packages)), nil },
	}})
	if err != nil {
		t.Fatalf("building universe: %v", err)
	}
	return u
}

// names renders a set as "a 1, b 2" (name version, sorted by name).
func names(u *archive.Universe, ids []archive.ID) string {
	var s []string
	for _, id := range ids {
		s = append(s, u.Pkg(id).Name+" "+u.Pkg(id).Version)
	}
	return strings.Join(s, ", ")
}
