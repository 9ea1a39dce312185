package release

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"pdvm.dev/pdvm/internal/archivetest"
)

const goodRelease = `Origin: Debian
Label: Debian
Suite: oldstable
Version: 12.14
Codename: bookworm
Date: Sat, 16 May 2026 10:54:28 UTC
Valid-Until: Sat, 23 May 2026 10:54:28 UTC
Acquire-By-Hash: yes
No-Support-for-Architecture-all: Packages
Architectures: all amd64 arm64
Components: main contrib
Description: Debian 12.14 Released 16 May 2026
MD5Sum:
 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
SHA256:
 81097cabc561cf9c51576cd57738e84d8d636762a69691e7adf0645882f402c9 50057461 main/binary-amd64/Packages
 4c17b207e53ea8eb6a24d09f7c5de130bfe69868d613fd97f3d8bb9bad2be6fc 12084574 main/binary-amd64/Packages.gz
 62D555A3A8BE1D6DE520FCD497AE85F2317C6DBB1249976E07720043E77B85D8  8790116 main/binary-amd64/Packages.xz
`

func keyring(t *testing.T, keys ...*archivetest.Key) openpgp.EntityList {
	t.Helper()
	var el openpgp.EntityList
	for _, k := range keys {
		el = append(el, k.Entity)
	}
	return el
}

func TestVerifyParses(t *testing.T) {
	k := archivetest.NewKey(t, "release test")
	r, err := Verify(archivetest.Clearsign(t, []byte(goodRelease), k), keyring(t, k))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := map[string]string{"Origin": r.Origin, "Label": r.Label, "Suite": r.Suite, "Version": r.Version, "Codename": r.Codename}
	for k, got := range want {
		if got != r.Fields[k] || got == "" {
			t.Errorf("%s = %q, Fields[%s] = %q", k, got, k, r.Fields[k])
		}
	}
	if r.Codename != "bookworm" || r.Suite != "oldstable" || r.Version != "12.14" {
		t.Errorf("Codename/Suite/Version = %q/%q/%q", r.Codename, r.Suite, r.Version)
	}
	if d := time.Date(2026, 5, 16, 10, 54, 28, 0, time.UTC); !r.Date.Equal(d) {
		t.Errorf("Date = %v, want %v", r.Date, d)
	}
	if d := time.Date(2026, 5, 23, 10, 54, 28, 0, time.UTC); !r.ValidUntil.Equal(d) {
		t.Errorf("ValidUntil = %v, want %v", r.ValidUntil, d)
	}
	if !r.AcquireByHash || !r.NoArchAllPackages {
		t.Errorf("AcquireByHash, NoArchAllPackages = %v, %v, want true, true", r.AcquireByHash, r.NoArchAllPackages)
	}
	if strings.Join(r.Architectures, ",") != "all,amd64,arm64" || strings.Join(r.Components, ",") != "main,contrib" {
		t.Errorf("Architectures %v Components %v", r.Architectures, r.Components)
	}
	if len(r.SHA256) != 3 {
		t.Fatalf("SHA256 has %d entries, want 3 (MD5Sum must not leak in): %v", len(r.SHA256), r.SHA256)
	}
	f, ok := r.File("main/binary-amd64/Packages.xz")
	if !ok || f.Size != 8790116 || f.SHA256 != "62d555a3a8be1d6de520fcd497ae85f2317c6dbb1249976e07720043e77b85d8" {
		t.Errorf("File(Packages.xz) = %+v, %v (hash must be lower-cased)", f, ok)
	}
	if _, ok := r.File("contrib/Contents-all"); ok {
		t.Errorf("File(contrib/Contents-all) found: it is only in MD5Sum")
	}
	if len(r.Signatures) != 1 || !r.Signatures[0].Verified || r.Signatures[0].KeyID != k.ID() || !strings.HasPrefix(r.Signatures[0].Signer, "release test (pdvm test key)") {
		t.Errorf("Signatures = %+v, want one verified by %s", r.Signatures, k.ID())
	}
}

func TestVerifyMultipleSignatures(t *testing.T) {
	ed := archivetest.NewKey(t, "ed key")
	rsa := archivetest.NewRSAKey(t, "rsa key")
	signed := archivetest.Clearsign(t, []byte(goodRelease), rsa, ed)
	for _, tc := range []struct {
		name string
		ring openpgp.EntityList
		want []bool // Verified per signature
	}{
		{"both known", keyring(t, ed, rsa), []bool{true, true}},
		{"only ed25519 known", keyring(t, ed), []bool{false, true}},
		{"only rsa known", keyring(t, rsa), []bool{true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Verify(signed, tc.ring)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if len(r.Signatures) != 2 {
				t.Fatalf("Signatures = %+v, want 2", r.Signatures)
			}
			for i, s := range r.Signatures {
				if s.Verified != tc.want[i] {
					t.Errorf("signature %d (%s %s) Verified = %v, want %v (%s)", i, s.Algorithm, s.KeyID, s.Verified, tc.want[i], s.Problem)
				}
			}
			if r.Signatures[0].Algorithm != "RSA" || r.Signatures[1].Algorithm != "EdDSA" {
				t.Errorf("algorithms %s, %s; want RSA, EdDSA", r.Signatures[0].Algorithm, r.Signatures[1].Algorithm)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	k := archivetest.NewKey(t, "release test")
	other := archivetest.NewKey(t, "someone else")
	signed := archivetest.Clearsign(t, []byte(goodRelease), k)

	t.Run("tampered", func(t *testing.T) {
		bad := bytes.Replace(signed, []byte("Version: 12.14"), []byte("Version: 12.15"), 1)
		_, err := Verify(bad, keyring(t, k))
		var be *BadSignatureError
		if !errors.As(err, &be) || be.KeyID != k.ID() || !bytes.Contains(be.Unverified, []byte("12.15")) {
			t.Fatalf("Verify(tampered) = %v, want *BadSignatureError by %s carrying the unverified text", err, k.ID())
		}
		if !strings.Contains(be.Hint(), "modified") {
			t.Errorf("hint %q", be.Hint())
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := Verify(signed, keyring(t, other))
		var ue *UnknownKeyError
		if !errors.As(err, &ue) || len(ue.KeyIDs) != 1 || ue.KeyIDs[0] != k.ID() || !strings.Contains(err.Error(), k.ID()) {
			t.Fatalf("Verify(unknown key) = %v, want *UnknownKeyError naming %s", err, k.ID())
		}
		ue.Keyring = "/k.gpg"
		if !strings.Contains(ue.Error(), "/k.gpg") {
			t.Errorf("error %q does not name the keyring", ue.Error())
		}
	})
	t.Run("one of two tampered is still bad", func(t *testing.T) {
		// A good signature by one trusted key must not outvote a bad
		// one by another: splice k's signature over other text.
		two := archivetest.Clearsign(t, []byte(goodRelease), other)
		tampered := archivetest.Clearsign(t, []byte(strings.Replace(goodRelease, "12.14", "99", 1)), k)
		sigStart := []byte("-----BEGIN PGP SIGNATURE-----")
		spliced := append(append([]byte{}, two[:bytes.Index(two, sigStart)]...), tampered[bytes.Index(tampered, sigStart):]...)
		_, err := Verify(spliced, keyring(t, k, other))
		var be *BadSignatureError
		if !errors.As(err, &be) {
			t.Fatalf("Verify(spliced) = %v, want *BadSignatureError", err)
		}
	})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"unsigned", []byte(goodRelease), "does not start with -----BEGIN PGP SIGNED MESSAGE-----"},
		{"no signature block", signed[:bytes.Index(signed, []byte("-----BEGIN PGP SIGNATURE-----"))], "malformed"},
		{"garbage after", append(append([]byte{}, signed...), "Suite: evil\n"...), "unexpected data after the signature"},
		{"public key block", []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n"), "other kind of OpenPGP data"},
		{"empty", nil, "does not start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.data, keyring(t, k))
			if !errors.Is(err, ErrNotSigned) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify = %v, want ErrNotSigned mentioning %q", err, tc.want)
			}
		})
	}
}

func TestVerifyDetached(t *testing.T) {
	k := archivetest.NewKey(t, "release test")
	signed := archivetest.Clearsign(t, []byte(goodRelease), k)
	// Build a detached signature via openpgp for the plain text.
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, k.Entity, strings.NewReader(goodRelease), nil); err != nil {
		t.Fatal(err)
	}
	r, err := VerifyDetached([]byte(goodRelease), sig.Bytes(), keyring(t, k))
	if err != nil || r.Codename != "bookworm" {
		t.Fatalf("VerifyDetached = %v, %v", r, err)
	}
	_, err = VerifyDetached([]byte(strings.Replace(goodRelease, "12.14", "12.99", 1)), sig.Bytes(), keyring(t, k))
	var be *BadSignatureError
	if !errors.As(err, &be) {
		t.Fatalf("VerifyDetached(tampered) = %v, want *BadSignatureError", err)
	}
	_ = signed
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		want       string
	}{
		{"empty", "\n\n", 0, "empty Release file"},
		{"no suite", "Origin: x\nSHA256:\n", 0, "neither Suite nor Codename"},
		{"no sha256", "Suite: s\nMD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 x\n", 0, "no SHA256 field"},
		{"duplicate", "Suite: s\nDate: Sat, 16 May 2026 10:54:28 UTC\nSuite: t\n", 3, "field Suite repeated (first at line 1)"},
		{"no colon", "Suite: s\nbogus line\n", 2, `expected "Field: value"`},
		{"continuation first", " leading\nSuite: s\n", 1, "continuation line before any field"},
		{"second paragraph", "Suite: s\nSHA256:\n\nSuite: t\n", 4, "after the end of the paragraph at line 3"},
		{"bad date", "Suite: s\nDate: yesterday\nSHA256:\n", 2, `field Date: date "yesterday"`},
		{"non-UTC zone", "Suite: s\nValid-Until: Sat, 16 May 2026 10:54:28 EST\nSHA256:\n", 2, "not UTC"},
		{"bad by-hash", "Suite: s\nAcquire-By-Hash: maybe\nSHA256:\n", 2, "want yes or no"},
		{"short hash", "Suite: s\nSHA256:\n abc 12 main/x\n", 3, "not 64 hex digits"},
		{"bad size", "Suite: s\nSHA256:\n " + strings.Repeat("a", 64) + " -1 main/x\n", 3, `bad size "-1"`},
		{"missing path", "Suite: s\nSHA256:\n " + strings.Repeat("a", 64) + " 12\n", 3, "want \"<sha256> <size> <path>\""},
		{"escaping path", "Suite: s\nSHA256:\n " + strings.Repeat("a", 64) + " 12 ../../etc/passwd\n", 3, "escapes"},
		{"conflicting duplicate", "Suite: s\nSHA256:\n " + strings.Repeat("a", 64) + " 12 main/x\n " + strings.Repeat("b", 64) + " 12 main/x\n", 4, "repeated with a different hash"},
		{"value on SHA256 line", "Suite: s\nSHA256: foo\n", 2, "expected the file list on the following lines"},
		{"multi-line suite", "Suite: s\n t\nSHA256:\n", 1, "must be a single line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse("Release", []byte(tc.text))
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parse(%q) = %v, want line %d: %q", tc.text, err, tc.line, tc.want)
			}
			if tc.line > 0 && !strings.HasPrefix(err.Error(), "Release:") {
				t.Errorf("error %q does not start with the file name and line", err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	date := time.Date(2026, 5, 16, 10, 0, 0, 0, time.UTC)
	r := &Release{Codename: "bookworm", Date: date, ValidUntil: date.Add(7 * 24 * time.Hour)}
	if err := r.Check(date.Add(time.Hour)); err != nil {
		t.Errorf("Check(within validity) = %v", err)
	}
	if err := r.Check(date.Add(-MaxClockSkew / 2)); err != nil {
		t.Errorf("Check(small skew) = %v, want nil", err)
	}
	err := r.Check(date.Add(-time.Hour))
	var de *DateError
	if !errors.As(err, &de) || !errors.Is(err, ErrNotYetValid) || errors.Is(err, ErrExpired) || !strings.Contains(de.Hint(), "clock") {
		t.Errorf("Check(an hour early) = %v, want ErrNotYetValid", err)
	}
	err = r.Check(date.Add(8 * 24 * time.Hour))
	if !errors.Is(err, ErrExpired) || !strings.Contains(err.Error(), "bookworm expired 24h0m0s ago") {
		t.Errorf("Check(a day after Valid-Until) = %v, want ErrExpired", err)
	}
	if errors.As(err, &de); !strings.Contains(de.Hint(), "mirror is stale") {
		t.Errorf("hint %q", de.Hint())
	}
	noExpiry := &Release{Codename: "bookworm", Date: date}
	if err := noExpiry.Check(date.Add(10 * 365 * 24 * time.Hour)); err != nil {
		t.Errorf("Check without Valid-Until = %v", err)
	}
}

func TestLoadKeyring(t *testing.T) {
	dir := t.TempDir()
	k := archivetest.NewKey(t, "release test")
	p := filepath.Join(dir, "k.gpg")
	archivetest.WriteKeyring(t, p, k)
	el, err := LoadKeyring(p)
	if err != nil || len(el) != 1 {
		t.Fatalf("LoadKeyring = %d keys, %v", len(el), err)
	}
	_, err = LoadKeyring(filepath.Join(dir, "missing.gpg"))
	if err == nil || !strings.Contains(err.Error(), "missing.gpg") {
		t.Errorf("LoadKeyring(missing) = %v, want error naming the file", err)
	}
	k2 := archivetest.NewKey(t, "second key")
	sub := filepath.Join(dir, "trusted.gpg.d")
	os.Mkdir(sub, 0o755)
	archivetest.WriteKeyring(t, filepath.Join(sub, "a.gpg"), k)
	archivetest.WriteKeyring(t, filepath.Join(sub, "b.gpg"), k2)
	if el, err := LoadKeyring(sub); err != nil || len(el) != 2 {
		t.Errorf("LoadKeyring(dir) = %d keys, %v; want 2", len(el), err)
	}
	os.WriteFile(filepath.Join(dir, "empty.gpg"), nil, 0o644)
	if _, err = LoadKeyring(filepath.Join(dir, "empty.gpg")); err == nil || !strings.Contains(err.Error(), "empty.gpg") {
		t.Errorf("LoadKeyring(empty) = %v, want error naming the file", err)
	}
}
