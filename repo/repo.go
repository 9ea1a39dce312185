// Package repo fetches the package indexes of a Debian archive, verifies
// them, and keeps them in pdvm's cache.
//
// # What is fetched
//
// A Debian archive ("mirror") is a directory tree: dists/<suite>/InRelease
// is the signed root of a suite, and it lists (with sizes and SHA-256) the
// Packages indexes under dists/<suite>/<component>/binary-<arch>/. pdvm
// reads the suites bookworm, bookworm-updates and bookworm-security,
// component main, architectures amd64 and all, unless told otherwise (see
// [Config]). Where each suite comes from is taken from the machine's apt
// configuration ([ReadSources]); the security suite normally lives at a
// different URL (…/debian-security) from the others. Unrelated third-party
// sources are ignored.
//
// # How it is trusted
//
// [Update] fetches InRelease, verifies it against the keyring
// ([release.Verify]; default the Debian archive keyring) and checks its
// dates. It then fetches each Packages index in the fastest-to-decode
// compression the Release lists (gzip, then xz, then plain), through the
// by-hash path when the Release says Acquire-By-Hash, and checks its size and
// SHA-256 against the signed Release before decompressing it. The
// decompressed index is checked against the Release's entry for the
// uncompressed file and stored in the cache under its SHA-256. Nothing
// unverified is ever stored under a final name or handed to a parser.
//
// As apt does, binary-all/Packages is skipped when the Release's
// Architectures field does not name "all" (bookworm-security), and when the
// Release says "No-Support-for-Architecture-all: Packages" (bookworm,
// bookworm-updates): architecture-all packages are then already in
// binary-amd64/Packages.
//
// # Offline
//
// [Load] returns the last verified state recorded in the cache without
// touching the network (re-checking the InRelease signatures, and the
// index hashes as they are read). With Config.Offline and nothing cached it
// imports the indexes apt keeps in /var/lib/apt/lists (lz4-compressed),
// checking them against the InRelease files there, which it verifies
// against the keyring like any other. An expired Valid-Until is reported
// through Config.Progress but not fatal offline: the point of offline
// mode is to work with what is there.
//
// # Cache layout
//
//	<CacheDir>/repo/.lock              exclusive lock for writers
//	<CacheDir>/repo/sha256/ab/ab12…    InRelease files and decompressed Packages, by SHA-256
//	<CacheDir>/repo/state/<key>.json   last verified state per configuration
package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"pdvm.dev/pdvm/debian/release"
	"pdvm.dev/pdvm/internal/cache"
)

// Config selects what to fetch and from where. The zero value of each field
// means its default (see [DefaultConfig]).
type Config struct {
	// Mirror is the archive root (http://, https:// or file://, the
	// directory that holds dists/). When set, every suite is fetched
	// from it; when empty, each suite comes from the machine's apt
	// sources, falling back to deb.debian.org.
	Mirror string

	Suites     []string // default bookworm, bookworm-updates, bookworm-security
	Components []string // default main
	Arches     []string // default amd64; "all" is always added
	Keyring    string   // default the apt source's Signed-By, else release.DefaultKeyring
	CacheDir   string   // pdvm's cache directory; default cache.Dir()
	Offline    bool     // no network: the cache, or /var/lib/apt/lists

	// Progress, if set, receives one-line progress and warning messages.
	// It may be called from several goroutines, never concurrently.
	Progress func(msg string)
}

// Defaults used by DefaultConfig.
var (
	DefaultSuites     = []string{"bookworm", "bookworm-updates", "bookworm-security"}
	DefaultComponents = []string{"main"}
	DefaultArches     = []string{"amd64", "all"}
)

// Where the machine's apt configuration and lists live (variables for
// tests).
var (
	AptEtcDir   = "/etc/apt"
	AptListsDir = "/var/lib/apt/lists"
)

// DefaultConfig returns pdvm's defaults. The suites' URLs come from the
// machine's apt sources when Update or Load runs.
func DefaultConfig() Config {
	dir, _ := cache.Dir()
	return Config{
		Suites:     slices.Clone(DefaultSuites),
		Components: slices.Clone(DefaultComponents),
		Arches:     slices.Clone(DefaultArches),
		CacheDir:   dir,
	}
}

// Index is one verified Packages index.
type Index struct {
	Suite, Codename, Component, Arch string

	// MirrorURL is the base URL of the mirror this suite comes from;
	// .deb files are at MirrorURL + "/" + Filename.
	MirrorURL string

	Release         *release.Release // verified
	InReleaseSHA256 string

	Name   string // as listed in Release, e.g. main/binary-amd64/Packages
	SHA256 string // of the uncompressed Packages data (a cache key)
	Size   int64  // of the uncompressed Packages data

	// Source is the file Open reads (the verified, decompressed copy in
	// the cache), so "Source:line" points at the text a parser saw.
	Source string
	// URL is where the index comes from: the mirror URL it was
	// downloaded from (its plain name if it was already cached), or a
	// file in /var/lib/apt/lists.
	URL string
	// Fetched is the number of bytes downloaded for this index by the
	// call that returned it (0 when it was already cached).
	Fetched int64

	// Open returns the decompressed content. It re-checks the SHA-256
	// while reading: a cache file changed since it was verified makes
	// the final Read fail.
	Open func() (io.ReadCloser, error)
}

// plan is a Config resolved to concrete suite locations.
type plan struct {
	cfg      Config
	repoDir  string
	store    cache.Store
	suites   []suitePlan
	progress func(string)
	keyrings map[string]openpgp.EntityList
	mu       sync.Mutex
}

type suitePlan struct {
	Suite   string `json:"suite"`
	Mirror  string `json:"mirror"`
	Keyring string `json:"keyring"`
	From    string `json:"-"` // where the mirror was configured, for messages
}

func resolve(cfg Config) (*plan, error) {
	if len(cfg.Suites) == 0 {
		cfg.Suites = slices.Clone(DefaultSuites)
	}
	if len(cfg.Components) == 0 {
		cfg.Components = slices.Clone(DefaultComponents)
	}
	if len(cfg.Arches) == 0 {
		cfg.Arches = []string{"amd64"}
	}
	if !slices.Contains(cfg.Arches, "all") {
		cfg.Arches = append(slices.Clone(cfg.Arches), "all")
	}
	if cfg.CacheDir == "" {
		d, err := cache.Dir()
		if err != nil {
			return nil, err
		}
		cfg.CacheDir = d
	}
	p := &plan{cfg: cfg, repoDir: filepath.Join(cfg.CacheDir, "repo"), keyrings: map[string]openpgp.EntityList{}}
	p.store = cache.Store{Dir: filepath.Join(p.repoDir, "sha256")}
	var pmu sync.Mutex
	p.progress = func(msg string) {
		if cfg.Progress != nil {
			pmu.Lock()
			cfg.Progress(msg)
			pmu.Unlock()
		}
	}

	var sources []Source
	if cfg.Mirror == "" {
		var errs []error
		sources, errs = ReadSources(AptEtcDir)
		for _, err := range errs {
			p.progress("warning: ignoring apt sources: " + err.Error())
		}
	}
	for _, s := range cfg.Suites {
		sp := suitePlan{Suite: s, Keyring: cfg.Keyring}
		if cfg.Mirror != "" {
			m, err := normalizeMirror(cfg.Mirror)
			if err != nil {
				return nil, err
			}
			sp.Mirror, sp.From = m, "--mirror"
		} else {
			for _, src := range sources {
				if src.provides(s) {
					m, err := normalizeMirror(src.URIs[0])
					if err != nil {
						p.progress(fmt.Sprintf("warning: %s:%d: %v", src.File, src.Line, err))
						continue
					}
					sp.Mirror, sp.From = m, fmt.Sprintf("%s:%d", src.File, src.Line)
					if sp.Keyring == "" && strings.HasPrefix(src.SignedBy, "/") && !strings.ContainsAny(src.SignedBy, " \n") {
						sp.Keyring = src.SignedBy
					}
					break
				}
			}
			if sp.Mirror == "" {
				sp.Mirror, sp.From = "http://deb.debian.org/debian", "default"
				if strings.HasSuffix(s, "-security") {
					sp.Mirror = "http://deb.debian.org/debian-security"
				}
			}
		}
		if sp.Keyring == "" {
			sp.Keyring = release.DefaultKeyring
		}
		p.suites = append(p.suites, sp)
	}
	return p, nil
}

func (p *plan) keyring(path string) (openpgp.EntityList, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.keyrings[path]; ok {
		return k, nil
	}
	k, err := release.LoadKeyring(path)
	if err != nil {
		return nil, fmt.Errorf("%w (choose one with --keyring)", err)
	}
	p.keyrings[path] = k
	return k, nil
}

// verify checks an InRelease against the suite's keyring; source names it
// in errors.
func (p *plan) verify(sp suitePlan, data []byte, source string) (*release.Release, error) {
	keys, err := p.keyring(sp.Keyring)
	if err != nil {
		return nil, err
	}
	r, err := release.Verify(data, keys)
	if err != nil {
		var ue *release.UnknownKeyError
		if errors.As(err, &ue) {
			ue.Keyring = sp.Keyring
		}
		return nil, fmt.Errorf("verifying %s: %w", source, err)
	}
	if sp.Suite != r.Suite && sp.Suite != r.Codename {
		return nil, &SuiteMismatchError{URL: source, Want: sp.Suite, Suite: r.Suite, Codename: r.Codename}
	}
	return r, nil
}

// stateKey names the state file of this configuration.
func (p *plan) stateKey() string {
	b, _ := json.Marshal(struct {
		S    []suitePlan
		C, A []string
	}{p.suites, p.cfg.Components, p.cfg.Arches})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (p *plan) statePath() string {
	return filepath.Join(p.repoDir, "state", p.stateKey()+".json")
}

// state is the last verified state of one configuration.
type state struct {
	Version int          `json:"version"`
	Updated time.Time    `json:"updated"`
	Suites  []suiteState `json:"suites"`
}

type suiteState struct {
	suitePlan
	InRelease string       `json:"inrelease_sha256"`
	Origin    string       `json:"origin"` // URL or apt list file of InRelease
	Indexes   []indexState `json:"indexes"`
}

type indexState struct {
	Component string `json:"component"`
	Arch      string `json:"arch"`
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	URL       string `json:"url"`
}

const stateVersion = 1

// lockNotice is how long Update waits for the cache lock before saying
// that it waits.
var lockNotice = time.Second

func (p *plan) lock(ctx context.Context) (func(), error) {
	short, cancel := context.WithTimeout(ctx, lockNotice)
	unlock, err := cache.Lock(short, p.repoDir)
	cancel()
	var le *cache.LockedError
	if errors.As(err, &le) && ctx.Err() == nil {
		p.progress(fmt.Sprintf("waiting for the cache lock (%s)", le.Error()))
		long, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		unlock, err = cache.Lock(long, p.repoDir)
	}
	return unlock, err
}

// Update fetches and verifies the indexes (from the network, or with
// cfg.Offline from /var/lib/apt/lists), stores them in the cache, records
// the state for Load, and returns them.
func Update(ctx context.Context, cfg Config) ([]Index, error) {
	p, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	unlock, err := p.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cache.RemoveStale(p.store.Dir, time.Hour)

	results := make([]suiteResult, len(p.suites))
	errs := make([]error, len(p.suites))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, sp := range p.suites {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.Offline {
				results[i], errs[i] = p.importAptLists(sp)
			} else {
				results[i], errs[i] = p.fetchSuite(ctx, sp)
			}
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	// Report the first real error, not the cancellations it caused.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	st := state{Version: stateVersion, Updated: time.Now().UTC()}
	var out []Index
	for _, r := range results {
		st.Suites = append(st.Suites, r.state)
		out = append(out, r.indexes...)
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := cache.WriteFile(p.statePath(), b, 0o644); err != nil {
		return nil, fmt.Errorf("recording the cache state: %w", err)
	}
	if n, size := p.prune(pruneAge); n > 0 {
		p.progress(fmt.Sprintf("removed %d superseded cache files (%s)", n, humanBytes(size)))
	}
	return out, nil
}

// pruneAge is how long an unreferenced cache file is kept, so that a
// process that loaded an older state can still open its files.
const pruneAge = time.Hour

// prune removes content files that no state file references and that are
// older than age. It must run with the lock held.
func (p *plan) prune(age time.Duration) (n int, size int64) {
	keep := map[string]bool{}
	states, _ := filepath.Glob(filepath.Join(p.repoDir, "state", "*.json"))
	for _, sp := range states {
		b, err := os.ReadFile(sp)
		if err != nil {
			return 0, 0 // be conservative
		}
		var st state
		if err := json.Unmarshal(b, &st); err != nil {
			continue // unreadable states are ignored by Load as well
		}
		for _, ss := range st.Suites {
			keep[ss.InRelease] = true
			for _, is := range ss.Indexes {
				keep[is.SHA256] = true
			}
		}
	}
	filepath.WalkDir(p.store.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || keep[d.Name()] || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if info, err := d.Info(); err == nil && time.Since(info.ModTime()) > age {
			if os.Remove(path) == nil {
				n++
				size += info.Size()
			}
		}
		return nil
	})
	return n, size
}

// Load returns the last verified state from the cache without using the
// network. When nothing is cached for this configuration it falls back to
// Update, or with cfg.Offline to importing /var/lib/apt/lists.
func Load(ctx context.Context, cfg Config) ([]Index, error) {
	p, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return Update(ctx, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the cache state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil || st.Version != stateVersion || len(st.Suites) != len(p.suites) {
		p.progress(fmt.Sprintf("warning: ignoring unreadable cache state %s", p.statePath()))
		return Update(ctx, cfg)
	}
	var out []Index
	for _, ss := range st.Suites {
		idx, err := p.loadSuite(ss)
		if errors.Is(err, fs.ErrNotExist) {
			p.progress(fmt.Sprintf("warning: cache incomplete (%v); updating", err))
			return Update(ctx, cfg)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, idx...)
	}
	// An expired Release means newer indexes exist: refresh when online,
	// and keep the verified (if old) state when the mirror is unreachable.
	if !cfg.Offline {
		for _, ix := range out {
			if r := ix.Release; r != nil && !r.ValidUntil.IsZero() && Now().After(r.ValidUntil) {
				p.progress(fmt.Sprintf("%s: the cached Release expired on %s; updating", ix.Suite, r.ValidUntil.UTC().Format(time.RFC1123)))
				fresh, err := Update(ctx, cfg)
				if err != nil {
					p.progress(fmt.Sprintf("warning: update failed, using the expired cached indexes: %v", err))
					return out, nil
				}
				return fresh, nil
			}
		}
	}
	return out, nil
}

func (p *plan) loadSuite(ss suiteState) ([]Index, error) {
	f, err := p.store.Open(ss.InRelease)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<20))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("reading cached InRelease: %w", err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != ss.InRelease {
		return nil, fmt.Errorf("cached InRelease %s was modified: %w", p.store.Path(ss.InRelease), fs.ErrNotExist)
	}
	r, err := p.verify(ss.suitePlan, data, p.store.Path(ss.InRelease)+" (cached "+ss.Origin+")")
	if err != nil {
		return nil, err
	}
	p.warnDates(ss.Suite, r)
	var out []Index
	for _, is := range ss.Indexes {
		e, ok := r.File(is.Name)
		if !ok || e.SHA256 != is.SHA256 || e.Size != is.Size {
			return nil, fmt.Errorf("cache state for %s %s does not match its InRelease: %w", ss.Suite, is.Name, fs.ErrNotExist)
		}
		if !p.store.Has(is.SHA256, is.Size) {
			return nil, fmt.Errorf("cached %s %s: %w", ss.Suite, is.Name, fs.ErrNotExist)
		}
		out = append(out, p.index(ss, r, is, 0))
	}
	return out, nil
}

func (p *plan) warnDates(suite string, r *release.Release) {
	if err := r.Check(time.Now()); err != nil {
		p.progress(fmt.Sprintf("warning: %s: %v (using it anyway: offline or cached)", suite, err))
	}
}

func (p *plan) index(ss suiteState, r *release.Release, is indexState, fetched int64) Index {
	path := p.store.Path(is.SHA256)
	sum, size := is.SHA256, is.Size
	return Index{
		Suite: ss.Suite, Codename: r.Codename, Component: is.Component, Arch: is.Arch,
		MirrorURL: ss.Mirror, Release: r, InReleaseSHA256: ss.InRelease,
		Name: is.Name, SHA256: is.SHA256, Size: is.Size,
		Source: path, URL: is.URL, Fetched: fetched,
		Open: func() (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("opening cached index: %w", err)
			}
			return &verifyingReader{f: f, h: sha256.New(), want: sum, size: size, name: path}, nil
		},
	}
}

// verifyingReader hashes what it reads and fails at EOF on a mismatch.
type verifyingReader struct {
	f *os.File
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n    int64
	want string
	size int64
	name string
}

func (v *verifyingReader) Read(b []byte) (int, error) {
	n, err := v.f.Read(b)
	v.h.Write(b[:n])
	v.n += int64(n)
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want || v.n != v.size {
			return n, &HashMismatchError{File: filepath.Base(v.name), Source: v.name, WantSHA256: v.want, GotSHA256: got, WantSize: v.size, GotSize: v.n}
		}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.f.Close() }

// selection returns the (component, arch) pairs to read from r.
func (p *plan) selection(sp suitePlan, r *release.Release, source string) ([][2]string, error) {
	var out [][2]string
	for _, c := range p.cfg.Components {
		for _, a := range p.cfg.Arches {
			name := c + "/binary-" + a + "/Packages"
			listed := false
			for _, ext := range []string{"", ".gz", ".xz", ".lz4", ".zst"} {
				_, ok := r.File(name + ext)
				listed = listed || ok
			}
			if a == "all" {
				if !listed {
					continue // many suites have no binary-all
				}
				if len(r.Architectures) > 0 && !r.HasArchitecture("all") {
					// As apt: bookworm-security lists a stale
					// binary-all index but not the architecture.
					p.progress(fmt.Sprintf("%s: skipping %s: the Release does not list architecture all", sp.Suite, name))
					continue
				}
				if r.NoArchAllPackages && len(p.cfg.Arches) > 1 {
					p.progress(fmt.Sprintf("%s: skipping %s: the Release says arch-all packages are in the binary-<arch> indexes", sp.Suite, name))
					continue
				}
			}
			if !listed {
				return nil, &MissingIndexError{Suite: sp.Suite, Component: c, Arch: a, Source: source,
					Architectures: r.Architectures, Components: r.Components}
			}
			out = append(out, [2]string{c, a})
		}
	}
	return out, nil
}
