package cli

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"pdvm.dev/pdvm/internal/archivetest"
)

// TestPlanScript runs the description verbs (lower, plan, diff, fmt,
// validate, init, why) in testdata/plan against a signed file:// mirror
// of the plan package's hand-made Packages fixture. Scripts see $MIRROR
// and $KEYRING; the archive is fetched once per script with
// 'pdvm repo update'.
func TestPlanScript(t *testing.T) {
	pkgs, err := os.ReadFile("../../plan/testdata/Packages")
	if err != nil {
		t.Fatal(err)
	}
	m := archivetest.New(t, archivetest.Suite{
		Name:     "bookworm",
		Packages: map[string]string{"main/binary-amd64": string(pkgs)},
	})
	testscript.Run(t, testscript.Params{
		Dir: "testdata/plan",
		Setup: func(env *testscript.Env) error {
			env.Setenv("MIRROR", m.URL())
			env.Setenv("KEYRING", m.Keyring)
			env.Setenv("XDG_CACHE_HOME", env.WorkDir+"/cache")
			env.Setenv("HOME", env.WorkDir)
			return nil
		},
	})
}
