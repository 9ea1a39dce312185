package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

// FuzzParse checks that the Release parser never panics and that whatever
// it accepts is self-consistent. It is seeded with a hand-written Release
// and, when the machine has them, the real InRelease files apt keeps.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodRelease))
	f.Add([]byte("Suite: s\nSHA256:\n " + strings.Repeat("a", 64) + " 1 main/x\n"))
	real, _ := filepath.Glob("/var/lib/apt/lists/*InRelease")
	for _, p := range real {
		if data, err := os.ReadFile(p); err == nil {
			if b, _ := clearsign.Decode(data); b != nil {
				// Keep seeds small: the fuzzer minimises every
				// interesting input, which is slow for 150 kB ones.
				text := b.Plaintext
				if len(text) > 4096 {
					text = text[:4096]
				}
				f.Add(text)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parse("Release", data)
		if err != nil {
			if r != nil {
				t.Fatalf("parse returned both a Release and %v", err)
			}
			if !strings.HasPrefix(err.Error(), "Release") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if r.Suite == "" && r.Codename == "" {
			t.Fatalf("accepted a Release without Suite or Codename")
		}
		for _, e := range r.SHA256 {
			if !isHex(e.SHA256, 64) || e.SHA256 != strings.ToLower(e.SHA256) || e.Size < 0 || e.Path == "" {
				t.Fatalf("bad entry %+v", e)
			}
			if got, ok := r.File(e.Path); !ok || got != e {
				t.Fatalf("File(%q) = %+v, %v; want %+v", e.Path, got, ok, e)
			}
		}
		r.Check(time.Now())
	})
}
