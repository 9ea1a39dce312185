package cli

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"pdvm.dev/pdvm/internal/archivetest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pdvm": func() { os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScript runs the CLI scripts in testdata/script against a signed
// file:// mirror whose bookworm suite holds real stanzas from the archive
// (debian/testdata/Packages.sample). Scripts see $MIRROR and $KEYRING.
func TestScript(t *testing.T) {
	sample, err := os.ReadFile("../../debian/testdata/Packages.sample")
	if err != nil {
		t.Fatal(err)
	}
	m := archivetest.New(t, archivetest.Suite{
		Name:     "bookworm",
		Packages: map[string]string{"main/binary-amd64": string(sample)},
	})
	// A signed mirror whose index is well-formed deb822 but holds an
	// invalid version and, in another suite, an invalid relation.
	bad := archivetest.New(t,
		archivetest.Suite{Name: "bookworm", Packages: map[string]string{
			"main/binary-amd64": "Package: a\nVersion: 1\nArchitecture: all\n\nPackage: b\nVersion: x1\nArchitecture: all\n"}},
		archivetest.Suite{Name: "bookworm-updates", Packages: map[string]string{
			"main/binary-amd64": "Package: c\nVersion: 1\nArchitecture: all\nDepends: a (>= )\n"}},
	)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("MIRROR", m.URL())
			env.Setenv("KEYRING", m.Keyring)
			env.Setenv("BADMIRROR", bad.URL())
			env.Setenv("BADKEYRING", bad.Keyring)
			env.Setenv("XDG_CACHE_HOME", env.WorkDir+"/cache")
			env.Setenv("HOME", env.WorkDir)
			return nil
		},
		Condition: func(cond string) (bool, error) { return false, nil },
	})
	_ = bytes.MinRead
}
