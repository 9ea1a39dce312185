// Package archivetest builds small, signed Debian mirrors for tests.
//
// A [Mirror] is a directory in the normal Debian layout
//
//	dists/<suite>/InRelease
//	dists/<suite>/<component>/binary-<arch>/Packages{,.gz,.xz}
//	dists/<suite>/<component>/binary-<arch>/by-hash/SHA256/<hash>
//
// built in t.TempDir() from a few Packages stanzas given as Go strings or
// as a txtar archive ([FromTxtar]). InRelease is clearsigned with a
// throw-away key generated at test time; the public half is written to a
// keyring file ([Mirror.Keyring]). The mirror can be used as a file:// URL
// ([Mirror.URL]) or served over HTTP ([Mirror.Serve]), and damaged in the
// ways real mirrors get damaged ([Mirror.Tamper], [Mirror.Resign],
// [Mirror.Replace], [Mirror.Truncate], [Mirror.Remove], and [Suite.Mutate]
// for damage that is covered by the signature).
//
// The package also writes apt's own cache layout ([Mirror.AptLists]:
// InRelease plus lz4-compressed Packages in /var/lib/apt/lists naming) so
// that offline code paths can be tested without the machine's real lists.
package archivetest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/pierrec/lz4/v4"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/ulikunitz/xz"
)

// Key is a throw-away OpenPGP signing key.
type Key struct {
	Entity *openpgp.Entity
}

// ID is the key's 16-digit key ID as gpg prints it.
func (k *Key) ID() string { return fmt.Sprintf("%016X", k.Entity.PrimaryKey.KeyId) }

var (
	keyMu    sync.Mutex
	keyCache = map[string]*Key{}
)

// NewKey returns an Ed25519 (EdDSA) signing key named name. Keys are
// generated once per test binary and name; different names give different
// keys.
func NewKey(t testing.TB, name string) *Key { return newKey(t, name, packet.PubKeyAlgoEdDSA) }

// NewRSAKey returns a 2048-bit RSA signing key named name (slower to make
// than [NewKey]; Debian signs with RSA and Ed25519 keys).
func NewRSAKey(t testing.TB, name string) *Key { return newKey(t, name, packet.PubKeyAlgoRSA) }

func newKey(t testing.TB, name string, algo packet.PublicKeyAlgorithm) *Key {
	t.Helper()
	keyMu.Lock()
	defer keyMu.Unlock()
	id := fmt.Sprintf("%s/%d", name, algo)
	if k, ok := keyCache[id]; ok {
		return k
	}
	cfg := &packet.Config{Algorithm: algo, RSABits: 2048,
		// Back-date the key so that signatures on back-dated Releases
		// are not older than the key.
		Time: func() time.Time { return time.Now().Add(-30 * 24 * time.Hour) }}
	e, err := openpgp.NewEntity(name, "pdvm test key", strings.ToLower(strings.ReplaceAll(name, " ", "-"))+"@test.invalid", cfg)
	if err != nil {
		t.Fatalf("generating test key %s: %v", name, err)
	}
	k := &Key{Entity: e}
	keyCache[id] = k
	return k
}

// WriteKeyring writes the public keys to a binary keyring file at path.
func WriteKeyring(t testing.TB, path string, keys ...*Key) {
	t.Helper()
	var buf bytes.Buffer
	for _, k := range keys {
		if err := k.Entity.Serialize(&buf); err != nil {
			t.Fatalf("serialising key: %v", err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Clearsign signs text with every key, as Debian signs InRelease.
func Clearsign(t testing.TB, text []byte, keys ...*Key) []byte {
	t.Helper()
	var priv []*packet.PrivateKey
	for _, k := range keys {
		priv = append(priv, k.Entity.PrivateKey)
	}
	var buf bytes.Buffer
	w, err := clearsign.EncodeMulti(&buf, priv, nil)
	if err != nil {
		t.Fatalf("clearsigning: %v", err)
	}
	if _, err := w.Write(text); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("clearsigning: %v", err)
	}
	return buf.Bytes()
}

// Suite describes one suite of a mirror. Zero values get defaults.
type Suite struct {
	Name     string // directory under dists/, e.g. bookworm-security
	Codename string // default Name
	Label    string // default "pdvm-test"
	Version  string

	// Packages maps "<component>/binary-<arch>" to the text of that
	// Packages index, e.g. "main/binary-amd64": "Package: hello\n...".
	Packages map[string]string

	Components    []string // default: those in Packages
	Architectures []string // default: those in Packages

	Date       time.Time // default: one hour ago
	ValidUntil time.Time // default: none

	ByHash            bool     // publish by-hash copies and say Acquire-By-Hash: yes
	NoArchAllPackages bool     // say No-Support-for-Architecture-all: Packages
	Compress          []string // variants to publish: "" (plain), "gz", "xz"; default all three
	Unlisted          []string // variants to publish but not list in Release ("", "gz", "xz")

	// Signers sign InRelease; default the mirror's key.
	Signers []*Key

	// Mutate, if set, may change the bytes of each published index file
	// (path relative to dists/<suite>/, e.g. main/binary-amd64/Packages.xz)
	// before it is hashed into Release: damage that the signature covers.
	Mutate func(path string, data []byte) []byte
}

// Mirror is a signed Debian mirror in a temporary directory.
type Mirror struct {
	Dir     string // root of the mirror (contains dists/)
	Key     *Key   // the key that signs InRelease by default
	Keyring string // binary keyring holding Key's public half

	t      testing.TB
	suites map[string]Suite
	srv    *httptest.Server
}

// New builds a mirror holding suites, signed by a key named "pdvm test
// archive".
func New(t testing.TB, suites ...Suite) *Mirror {
	t.Helper()
	dir := t.TempDir()
	m := &Mirror{Dir: filepath.Join(dir, "mirror"), Key: NewKey(t, "pdvm test archive"),
		Keyring: filepath.Join(dir, "keyring.gpg"), t: t, suites: map[string]Suite{}}
	WriteKeyring(t, m.Keyring, m.Key)
	for _, s := range suites {
		m.Publish(s)
	}
	return m
}

// FromTxtar builds a mirror from a txtar archive whose files are named
// "<suite>/<component>/binary-<arch>/Packages". The archive comment may set
// options for every suite, one "key: value" per line:
//
//	by-hash: yes
//	compress: gz xz
//	valid-until: 168h       (from now; negative for an expired Release)
//	no-arch-all: yes
func FromTxtar(t testing.TB, data []byte) *Mirror {
	t.Helper()
	return New(t, ParseTxtar(t, data)...)
}

// ParseTxtar returns the suites described by a txtar archive (see
// [FromTxtar]) without publishing them, so a test can adjust them first.
// Comment lines that are not "option: value" (prose) are ignored.
func ParseTxtar(t testing.TB, data []byte) []Suite {
	t.Helper()
	ar := txtar.Parse(data)
	var base Suite
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(strings.TrimSpace(line), "#") || strings.ContainsAny(strings.TrimSpace(k), " \t") {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "by-hash":
			base.ByHash = v == "yes"
		case "compress":
			base.Compress = strings.Fields(v)
			for i, c := range base.Compress {
				if c == "plain" {
					base.Compress[i] = ""
				}
			}
		case "valid-until":
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("txtar valid-until: %v", err)
			}
			base.ValidUntil = time.Now().Add(d)
		case "no-arch-all":
			base.NoArchAllPackages = v == "yes"
		default:
			t.Fatalf("txtar: unknown option %q", k)
		}
	}
	bySuite := map[string]*Suite{}
	var order []string
	for _, f := range ar.Files {
		suite, rest, ok := strings.Cut(f.Name, "/")
		if !ok || !strings.HasSuffix(rest, "/Packages") {
			t.Fatalf("txtar: file %q is not <suite>/<component>/binary-<arch>/Packages", f.Name)
		}
		s, ok := bySuite[suite]
		if !ok {
			c := base
			c.Name = suite
			c.Packages = map[string]string{}
			s = &c
			bySuite[suite] = s
			order = append(order, suite)
		}
		s.Packages[strings.TrimSuffix(rest, "/Packages")] = string(f.Data)
	}
	var suites []Suite
	for _, name := range order {
		suites = append(suites, *bySuite[name])
	}
	return suites
}

// URL is the mirror's file:// URL.
func (m *Mirror) URL() string { return (&url.URL{Scheme: "file", Path: m.Dir}).String() }

// Serve serves the mirror over HTTP for the rest of the test and returns
// its base URL. Repeated calls return the same server.
func (m *Mirror) Serve() string {
	if m.srv == nil {
		m.srv = httptest.NewServer(http.FileServer(http.Dir(m.Dir)))
		m.t.Cleanup(m.srv.Close)
	}
	return m.srv.URL
}

// Path is the file name of rel (relative to dists/<suite>/) in the mirror.
func (m *Mirror) Path(suite, rel string) string {
	return filepath.Join(m.Dir, "dists", suite, filepath.FromSlash(rel))
}

// Suite returns the suite as last published.
func (m *Mirror) Suite(name string) Suite { return m.suites[name] }

// Publish writes (or rewrites) suite s: its indexes, by-hash copies and a
// freshly signed InRelease.
func (m *Mirror) Publish(s Suite) {
	t := m.t
	t.Helper()
	if s.Name == "" {
		t.Fatal("archivetest: suite without a name")
	}
	if s.Codename == "" {
		s.Codename = s.Name
	}
	if s.Label == "" {
		s.Label = "pdvm-test"
	}
	if s.Date.IsZero() {
		s.Date = time.Now().Add(-time.Hour)
	}
	if s.Compress == nil {
		s.Compress = []string{"", "gz", "xz"}
	}
	if len(s.Signers) == 0 {
		s.Signers = []*Key{m.Key}
	}
	keys := make([]string, 0, len(s.Packages))
	for k := range s.Packages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	comps, arches := s.Components, s.Architectures
	for _, k := range keys {
		comp, bin, ok := strings.Cut(k, "/binary-")
		if !ok {
			t.Fatalf("archivetest: Packages key %q is not <component>/binary-<arch>", k)
		}
		if s.Components == nil && !slices.Contains(comps, comp) {
			comps = append(comps, comp)
		}
		if s.Architectures == nil && !slices.Contains(arches, bin) {
			arches = append(arches, bin)
		}
	}
	var listed []fileEntry
	for _, k := range keys {
		plain := []byte(s.Packages[k])
		variants := append(slices.Clone(s.Compress), s.Unlisted...)
		for _, c := range variants {
			rel := k + "/Packages"
			data := plain
			switch c {
			case "":
			case "gz":
				rel += ".gz"
				data = gzipBytes(t, plain)
			case "xz":
				rel += ".xz"
				data = xzBytes(t, plain)
			default:
				t.Fatalf("archivetest: unknown compression %q", c)
			}
			if s.Mutate != nil {
				data = s.Mutate(rel, data)
			}
			m.write(m.Path(s.Name, rel), data)
			sum := sha256.Sum256(data)
			hexsum := hex.EncodeToString(sum[:])
			if s.ByHash {
				m.write(m.Path(s.Name, k+"/by-hash/SHA256/"+hexsum), data)
			}
			if !slices.Contains(s.Unlisted, c) {
				listed = append(listed, fileEntry{rel, int64(len(data)), hexsum})
			}
		}
		// Debian lists the uncompressed file even when it is not
		// published, so that clients can check what they decompress.
		if !slices.Contains(s.Compress, "") {
			sum := sha256.Sum256(plain)
			listed = append(listed, fileEntry{k + "/Packages", int64(len(plain)), hex.EncodeToString(sum[:])})
		}
	}
	sort.Slice(listed, func(i, j int) bool { return listed[i].path < listed[j].path })

	var b strings.Builder
	fmt.Fprintf(&b, "Origin: pdvm-test\nLabel: %s\nSuite: %s\n", s.Label, s.Name)
	if s.Version != "" {
		fmt.Fprintf(&b, "Version: %s\n", s.Version)
	}
	fmt.Fprintf(&b, "Codename: %s\nDate: %s\n", s.Codename, s.Date.UTC().Format(time.RFC1123))
	if !s.ValidUntil.IsZero() {
		fmt.Fprintf(&b, "Valid-Until: %s\n", s.ValidUntil.UTC().Format(time.RFC1123))
	}
	if s.ByHash {
		b.WriteString("Acquire-By-Hash: yes\n")
	}
	if s.NoArchAllPackages {
		b.WriteString("No-Support-for-Architecture-all: Packages\n")
	}
	fmt.Fprintf(&b, "Architectures: %s\nComponents: %s\nDescription: pdvm test suite %s\nSHA256:\n",
		strings.Join(arches, " "), strings.Join(comps, " "), s.Name)
	for _, f := range listed {
		fmt.Fprintf(&b, " %s %8d %s\n", f.sum, f.size, f.path)
	}
	m.write(m.Path(s.Name, "Release"), []byte(b.String()))
	m.write(m.Path(s.Name, "InRelease"), Clearsign(t, []byte(b.String()), s.Signers...))
	m.suites[s.Name] = s
}

type fileEntry struct {
	path string
	size int64
	sum  string
}

func (m *Mirror) write(p string, data []byte) {
	m.t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		m.t.Fatal(err)
	}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xzBytes(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Tamper changes one character of the signed text of a suite's InRelease,
// so that its signature no longer verifies.
func (m *Mirror) Tamper(suite string) {
	m.t.Helper()
	p := m.Path(suite, "InRelease")
	data, err := os.ReadFile(p)
	if err != nil {
		m.t.Fatal(err)
	}
	i := bytes.Index(data, []byte("\nCodename: "))
	if i < 0 {
		m.t.Fatalf("archivetest: no Codename in %s", p)
	}
	data[i+len("\nCodename: ")] ^= 0x20 // flip case of the first letter
	m.write(p, data)
}

// Resign re-signs a suite's InRelease with keys instead of the mirror key,
// e.g. with a key that is not in the keyring.
func (m *Mirror) Resign(suite string, keys ...*Key) {
	m.t.Helper()
	text, err := os.ReadFile(m.Path(suite, "Release"))
	if err != nil {
		m.t.Fatal(err)
	}
	m.write(m.Path(suite, "InRelease"), Clearsign(m.t, text, keys...))
}

// Replace overwrites rel in the suite (and its by-hash copy, if any)
// without updating Release: the hashes in the signed Release no longer
// match.
func (m *Mirror) Replace(suite, rel string, data []byte) {
	m.t.Helper()
	if _, err := os.Stat(m.Path(suite, rel)); err != nil {
		m.t.Fatal(err)
	}
	m.write(m.Path(suite, rel), data)
	if p := m.byHashPath(suite, rel); p != "" {
		m.write(p, data)
	}
}

// Truncate cuts rel (and its by-hash copy) to its first n bytes.
func (m *Mirror) Truncate(suite, rel string, n int) {
	m.t.Helper()
	old, err := os.ReadFile(m.Path(suite, rel))
	if err != nil {
		m.t.Fatal(err)
	}
	m.Replace(suite, rel, old[:min(n, len(old))])
}

// Remove deletes rel (and its by-hash copy) from the suite.
func (m *Mirror) Remove(suite, rel string) {
	m.t.Helper()
	if err := os.Remove(m.Path(suite, rel)); err != nil {
		m.t.Fatal(err)
	}
	if p := m.byHashPath(suite, rel); p != "" {
		os.Remove(p)
	}
}

// byHashPath is the by-hash copy of rel as the suite's Release lists it,
// or "" if there is none.
func (m *Mirror) byHashPath(suite, rel string) string {
	text, err := os.ReadFile(m.Path(suite, "Release"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(text), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == rel && len(f[0]) == 64 {
			p := m.Path(suite, path.Dir(rel)+"/by-hash/SHA256/"+f[0])
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	return ""
}

// AptFileName is how apt names a mirror file in /var/lib/apt/lists:
// the URI without its scheme, special characters %-escaped ('_' becomes
// %5f), '/' replaced by '_'. (E.g. http://deb.debian.org/debian +
// dists/bookworm/InRelease becomes
// deb.debian.org_debian_dists_bookworm_InRelease.) It is written
// independently of pdvm's own implementation, as a cross-check.
func AptFileName(uri, rel string) string {
	u := uri
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	u = strings.TrimSuffix(u, "/") + "/" + rel
	var b strings.Builder
	for _, r := range []byte(u) {
		if strings.ContainsRune("\\|{}[]<>\"^~_=!@#$%&*", rune(r)) || r <= ' ' || r >= 0x7f {
			fmt.Fprintf(&b, "%%%02x", r)
		} else if r == '/' {
			b.WriteByte('_')
		} else {
			b.WriteByte(r)
		}
	}
	return b.String()
}

// AptLists writes the mirror's suites into dir as apt would have after
// `apt-get update` from uri: InRelease files and lz4-compressed Packages
// indexes (the variant apt stores on Debian 12).
func (m *Mirror) AptLists(dir, uri string) {
	m.t.Helper()
	for name, s := range m.suites {
		inrel, err := os.ReadFile(m.Path(name, "InRelease"))
		if err != nil {
			m.t.Fatal(err)
		}
		m.write(filepath.Join(dir, AptFileName(uri, "dists/"+name+"/InRelease")), inrel)
		for k, text := range s.Packages {
			var buf bytes.Buffer
			w := lz4.NewWriter(&buf)
			w.Write([]byte(text))
			if err := w.Close(); err != nil {
				m.t.Fatal(err)
			}
			m.write(filepath.Join(dir, AptFileName(uri, "dists/"+name+"/"+k+"/Packages.lz4")), buf.Bytes())
		}
	}
}
