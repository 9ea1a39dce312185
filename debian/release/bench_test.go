package release

import (
	"os"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

func BenchmarkParseReal(b *testing.B) {
	data, err := os.ReadFile("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease")
	if err != nil {
		b.Skip(err)
	}
	blk, _ := clearsign.Decode(data)
	b.SetBytes(int64(len(blk.Plaintext)))
	for b.Loop() {
		if _, err := parse("InRelease", blk.Plaintext); err != nil {
			b.Fatal(err)
		}
	}
}
