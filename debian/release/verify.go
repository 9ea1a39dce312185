package release

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// DefaultKeyring is where Debian's archive keys live on a Debian system
// (package debian-archive-keyring).
const DefaultKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// LoadKeyring reads an OpenPGP keyring file, binary (.gpg) or ASCII-armored
// (.asc), or every *.gpg and *.asc file in a directory (such as
// /etc/apt/trusted.gpg.d).
func LoadKeyring(path string) (openpgp.EntityList, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		var all openpgp.EntityList
		files, _ := filepath.Glob(filepath.Join(path, "*.gpg"))
		asc, _ := filepath.Glob(filepath.Join(path, "*.asc"))
		for _, f := range append(files, asc...) {
			keys, err := LoadKeyring(f)
			if err != nil {
				return nil, err
			}
			all = append(all, keys...)
		}
		if len(all) == 0 {
			return nil, fmt.Errorf("reading keyring directory %s: no *.gpg or *.asc files in it", path)
		}
		return all, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading keyring: %w", err)
	}
	var keys openpgp.EntityList
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN PGP")) {
		keys, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	} else {
		keys, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("reading keyring %s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("reading keyring %s: no keys in it", path)
	}
	return keys, nil
}

// ErrNotSigned is matched (errors.Is) by the error for input that is not a
// well-formed clearsigned message (a *[NotSignedError]).
var ErrNotSigned = errors.New("not an OpenPGP clearsigned message")

// NotSignedError reports input that is not a well-formed clearsigned
// message.
type NotSignedError struct {
	Reason string
}

func (e *NotSignedError) Error() string        { return ErrNotSigned.Error() + ": " + e.Reason }
func (e *NotSignedError) Is(target error) bool { return target == ErrNotSigned }

// Hint says what to do about it.
func (e *NotSignedError) Hint() string {
	return "the mirror did not serve a signed InRelease file (a captive portal, proxy error page or broken mirror?): check --mirror"
}

func notSigned(format string, args ...any) error {
	return &NotSignedError{Reason: fmt.Sprintf(format, args...)}
}

// BadSignatureError reports a signature by a key in the keyring that does
// not verify: the text was changed after signing, or the key is expired or
// revoked.
type BadSignatureError struct {
	KeyID  string
	Signer string // the key's identity
	Err    error

	// Unverified is the text that failed verification. Do not trust it.
	Unverified []byte
}

func (e *BadSignatureError) Error() string {
	who := e.KeyID
	if e.Signer != "" {
		who += " (" + e.Signer + ")"
	}
	return fmt.Sprintf("bad signature by key %s: %v", who, e.Err)
}

func (e *BadSignatureError) Unwrap() error { return e.Err }

// Hint says what to do about it.
func (e *BadSignatureError) Hint() string {
	if errors.Is(e.Err, pgperrors.ErrKeyExpired) || errors.Is(e.Err, pgperrors.ErrKeyRevoked) {
		return "the signing key is expired or revoked: update the keyring (apt-get install debian-archive-keyring) or pass a current one with --keyring"
	}
	return "the file was modified after it was signed: the mirror is corrupt or tampered with; try again or use another --mirror"
}

// UnknownKeyError reports a message whose signatures are all by keys that
// are not in the keyring.
type UnknownKeyError struct {
	KeyIDs  []string
	Keyring string // path of the keyring, if known (filled in by callers)

	// Unverified is the text that could not be verified. Do not trust it.
	Unverified []byte
}

func (e *UnknownKeyError) Error() string {
	where := "the keyring"
	if e.Keyring != "" {
		where = e.Keyring
	}
	return fmt.Sprintf("signed only by keys not in %s: %s", where, strings.Join(e.KeyIDs, ", "))
}

// Hint says what to do about it.
func (e *UnknownKeyError) Hint() string {
	return "pass the keyring that holds the archive's signing key with --keyring (for Debian: /usr/share/keyrings/debian-archive-keyring.gpg from package debian-archive-keyring)"
}

// Verify checks an InRelease file (a clearsigned Release) against keyring
// and returns its parsed body. It succeeds only if at least one signature is
// by a key in the keyring and verifies, and no signature by a key in the
// keyring fails. Signatures by other keys are ignored (Debian signs with
// the keys of several releases) but listed in Release.Signatures.
//
// Errors: ErrNotSigned (wrapped) for input that is not a clearsigned
// message, *BadSignatureError, *UnknownKeyError, or a *ParseError for a
// verified text that is not a valid Release file.
func Verify(data []byte, keyring openpgp.EntityList) (*Release, error) {
	lead := bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(lead, []byte("-----BEGIN PGP SIGNED MESSAGE-----")) {
		if bytes.HasPrefix(lead, []byte("-----BEGIN PGP")) {
			return nil, notSigned("it is some other kind of OpenPGP data")
		}
		return nil, notSigned("it does not start with -----BEGIN PGP SIGNED MESSAGE----- (an unsigned Release file?)")
	}
	b, rest := clearsign.Decode(lead)
	if b == nil {
		return nil, notSigned("malformed clearsigned message (bad header, or no complete signature block)")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, notSigned("%d bytes of unexpected data after the signature", len(bytes.TrimSpace(rest)))
	}
	sigs, err := checkSignatures(b.Bytes, b.ArmoredSignature.Body, keyring, b.Plaintext)
	if err != nil {
		return nil, err
	}
	r, err := parse("InRelease", b.Plaintext)
	if err != nil {
		return nil, err
	}
	r.Signatures = sigs
	return r, nil
}

// VerifyDetached checks a Release file against its detached signature
// (Release.gpg, armored or binary) and returns the parsed body, with the
// same rules and errors as [Verify]. Debian mirrors publish both forms;
// InRelease is preferred because it cannot be split from its signature.
func VerifyDetached(data, signature []byte, keyring openpgp.EntityList) (*Release, error) {
	var sigr io.Reader = bytes.NewReader(signature)
	if bytes.HasPrefix(bytes.TrimSpace(signature), []byte("-----BEGIN PGP")) {
		blk, err := armor.Decode(bytes.NewReader(signature))
		if err != nil {
			return nil, notSigned("reading armored signature: %v", err)
		}
		sigr = blk.Body
	}
	sigs, err := checkSignatures(data, sigr, keyring, data)
	if err != nil {
		return nil, err
	}
	r, err := parse("Release", data)
	if err != nil {
		return nil, err
	}
	r.Signatures = sigs
	return r, nil
}

// checkSignatures verifies each signature packet in sigData over signed.
func checkSignatures(signed []byte, sigData io.Reader, keyring openpgp.EntityList, text []byte) ([]Signature, error) {
	var sigs []Signature
	var unknown []string
	var firstProblem *BadSignatureError
	verified := 0
	pr := packet.NewOpaqueReader(sigData)
	for {
		op, err := pr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, notSigned("reading signature packets: %v", err)
		}
		if op.Tag != 2 { // signature packet
			return nil, notSigned("unexpected OpenPGP packet (tag %d) in the signature block", op.Tag)
		}
		var raw bytes.Buffer
		if err := op.Serialize(&raw); err != nil {
			return nil, notSigned("%v", err)
		}
		p, err := op.Parse()
		sp, ok := p.(*packet.Signature)
		if err != nil || !ok {
			return nil, notSigned("unreadable signature packet: %v", err)
		}
		s := describe(sp)
		_, signer, err := openpgp.VerifyDetachedSignature(keyring, bytes.NewReader(signed), &raw, nil)
		if signer != nil {
			s.Signer = identity(signer)
		} else if keys := keyring.KeysById(issuer(sp)); len(keys) > 0 {
			s.Signer = identity(keys[0].Entity)
		}
		switch {
		case err == nil:
			s.Verified = true
			verified++
		case errors.Is(err, pgperrors.ErrUnknownIssuer):
			s.Problem = "key not in keyring"
			unknown = append(unknown, s.KeyID)
		default:
			s.Problem = err.Error()
			if firstProblem == nil {
				firstProblem = &BadSignatureError{KeyID: s.KeyID, Signer: s.Signer, Err: err, Unverified: text}
			}
		}
		sigs = append(sigs, s)
	}
	if len(sigs) == 0 {
		return nil, notSigned("the signature block holds no signatures")
	}
	// A failing signature by a trusted key means the text is not what
	// that key signed; one good signature does not outvote it. Expired or
	// revoked keys are only fatal when nothing else verifies.
	if firstProblem != nil && (verified == 0 || !errors.Is(firstProblem.Err, pgperrors.ErrKeyExpired) &&
		!errors.Is(firstProblem.Err, pgperrors.ErrKeyRevoked) && !errors.Is(firstProblem.Err, pgperrors.ErrSignatureExpired)) {
		return nil, firstProblem
	}
	if verified == 0 {
		return nil, &UnknownKeyError{KeyIDs: unknown, Unverified: text}
	}
	return sigs, nil
}

func issuer(sp *packet.Signature) uint64 {
	if sp.IssuerKeyId != nil {
		return *sp.IssuerKeyId
	}
	return 0
}

func describe(sp *packet.Signature) Signature {
	s := Signature{Created: sp.CreationTime.UTC(), Hash: strings.ReplaceAll(sp.Hash.String(), "-", "")}
	if sp.IssuerKeyId != nil {
		s.KeyID = fmt.Sprintf("%016X", *sp.IssuerKeyId)
	}
	if len(sp.IssuerFingerprint) > 0 {
		s.Fingerprint = fmt.Sprintf("%X", sp.IssuerFingerprint)
		if s.KeyID == "" && len(s.Fingerprint) >= 16 {
			s.KeyID = s.Fingerprint[len(s.Fingerprint)-16:]
		}
	}
	switch sp.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		s.Algorithm = "RSA"
	case packet.PubKeyAlgoEdDSA:
		s.Algorithm = "EdDSA"
	case packet.PubKeyAlgoEd25519:
		s.Algorithm = "Ed25519"
	case packet.PubKeyAlgoEd448:
		s.Algorithm = "Ed448"
	case packet.PubKeyAlgoECDSA:
		s.Algorithm = "ECDSA"
	case packet.PubKeyAlgoDSA:
		s.Algorithm = "DSA"
	default:
		s.Algorithm = fmt.Sprintf("algorithm %d", sp.PubKeyAlgo)
	}
	return s
}

func identity(e *openpgp.Entity) string {
	if id := e.PrimaryIdentity(); id != nil {
		return id.Name
	}
	return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
}
