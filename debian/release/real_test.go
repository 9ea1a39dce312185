package release

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"pdvm.dev/pdvm/internal/testenv"
)

// realInRelease returns a real InRelease file: apt's copy if the machine
// has one, else a fresh download from deb.debian.org.
func realInRelease(t *testing.T, aptName, url string) []byte {
	t.Helper()
	if data, err := os.ReadFile("/var/lib/apt/lists/" + aptName); err == nil {
		return data
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("fetching %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("fetching %s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("fetching %s: %v", url, err)
	}
	return data
}

// TestRealVerifyBookworm verifies the real bookworm InRelease against the
// real Debian archive keyring. Debian signs it with three keys (two RSA, one
// Ed25519); all three must be in the keyring and verify.
func TestRealVerifyBookworm(t *testing.T) {
	testenv.Real(t)
	keys, err := LoadKeyring(DefaultKeyring)
	if err != nil {
		t.Fatal(err)
	}
	data := realInRelease(t, "deb.debian.org_debian_dists_bookworm_InRelease", "http://deb.debian.org/debian/dists/bookworm/InRelease")
	start := time.Now()
	r, err := Verify(data, keys)
	if err != nil {
		t.Fatalf("Verify(bookworm InRelease): %v", err)
	}
	t.Logf("verified in %v: %d keys in keyring", time.Since(start), len(keys))
	if r.Codename != "bookworm" || r.Origin != "Debian" || !r.AcquireByHash {
		t.Errorf("Codename %q Origin %q AcquireByHash %v", r.Codename, r.Origin, r.AcquireByHash)
	}
	algos := map[string]int{}
	for _, s := range r.Signatures {
		t.Logf("signature %s %s %s by %q verified=%v %s", s.KeyID, s.Algorithm, s.Hash, s.Signer, s.Verified, s.Problem)
		if !s.Verified {
			t.Errorf("signature by %s (%s) not verified: %s", s.KeyID, s.Algorithm, s.Problem)
		}
		algos[s.Algorithm]++
	}
	if len(r.Signatures) != 3 || algos["RSA"] != 2 || algos["EdDSA"] != 1 {
		t.Errorf("signatures by algorithm %v, want 2 RSA + 1 EdDSA", algos)
	}
	f, ok := r.File("main/binary-amd64/Packages")
	if !ok || f.Size < 10<<20 {
		t.Errorf("main/binary-amd64/Packages entry = %+v, %v", f, ok)
	}
	if len(r.SHA256) < 500 {
		t.Errorf("only %d SHA256 entries", len(r.SHA256))
	}

	// The security suite is signed by the security archive keys.
	sec := realInRelease(t, "deb.debian.org_debian-security_dists_bookworm-security_InRelease",
		"http://deb.debian.org/debian-security/dists/bookworm-security/InRelease")
	rs, err := Verify(sec, keys)
	if err != nil {
		t.Fatalf("Verify(bookworm-security InRelease): %v", err)
	}
	if rs.Codename != "bookworm-security" || rs.ValidUntil.IsZero() || !rs.HasComponent("main") {
		t.Errorf("security: Codename %q ValidUntil %v Components %v", rs.Codename, rs.ValidUntil, rs.Components)
	}
	for _, s := range rs.Signatures {
		if !s.Verified || !strings.Contains(s.Signer, "Security") {
			t.Errorf("security signature %s by %q verified=%v %s", s.KeyID, s.Signer, s.Verified, s.Problem)
		}
	}
}
