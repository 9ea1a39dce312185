package vuln

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"pdvm.dev/pdvm/internal/cache"
)

// Meta describes what a DB holds and how old it is.
type Meta struct {
	Format  int            `json:"format"`
	Updated time.Time      `json:"updated"` // when the data was imported
	Feeds   []FeedInfo     `json:"feeds"`
	Counts  map[string]int `json:"counts,omitempty"` // records per release
}

// FeedInfo is one imported input.
type FeedInfo struct {
	Kind     string `json:"kind"`     // tracker | osv
	Location string `json:"location"` // file, directory or URL as given
	SHA256   string `json:"sha256,omitempty"`
	Records  int    `json:"records"`
	Files    int    `json:"files,omitempty"`
	// Date is how current the data is: the newest OSV "modified" time,
	// else the HTTP Last-Modified header, else the file's modification time.
	Date    time.Time `json:"date"`
	Fetched time.Time `json:"fetched"`
}

// DataDate is the date of the newest imported feed (zero when empty).
func (m *Meta) DataDate() time.Time {
	var t time.Time
	for _, f := range m.Feeds {
		if f.Date.After(t) {
			t = f.Date
		}
	}
	return t
}

// Age is how old the data is at now.
func (m *Meta) Age(now time.Time) time.Duration {
	d := m.DataDate()
	if d.IsZero() {
		return 0
	}
	return now.Sub(d)
}

const dbFormat = 1
const dbMagic = "pdvm-advisories"

type span struct{ start, end int }

// DB is an advisory database: records indexed by (release, source). It is
// safe for concurrent use. Records are decoded lazily, per source, so
// opening a large DB costs little more than reading the file.
type DB struct {
	Meta Meta

	data  []byte          // the records section: one JSON record per line
	index map[string]span // release "\x00" source → lines

	mu      sync.Mutex
	decoded map[string][]Record
}

// ErrNoData reports that no advisory data has been imported.
var ErrNoData = errors.New("no advisory data loaded")

// NewDB builds an in-memory DB from records.
func NewDB(meta Meta, recs []Record) *DB {
	b, err := encode(meta, recs)
	if err != nil {
		panic(err) // records always marshal
	}
	db, err := decodeDB("memory", b)
	if err != nil {
		panic(err)
	}
	return db
}

// sortRecords orders records by release, source, id, feed and drops exact
// duplicates of the same key (the last wins).
func sortRecords(recs []Record) []Record {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].key() < recs[j].key() })
	out := recs[:0]
	for i := range recs {
		if len(out) > 0 && out[len(out)-1].key() == recs[i].key() {
			out[len(out)-1] = recs[i]
			continue
		}
		out = append(out, recs[i])
	}
	return out
}

// encode writes the on-disk form: a header line, the meta JSON, an index
// of (release, source) → byte span, and one JSON record per line.
func encode(meta Meta, recs []Record) ([]byte, error) {
	recs = sortRecords(recs)
	meta.Format = dbFormat
	meta.Counts = map[string]int{}
	for i := range recs {
		meta.Counts[recs[i].Release]++
	}
	var body bytes.Buffer
	type ent struct {
		key        string
		start, end int
	}
	var idx []ent
	for i := range recs {
		r := &recs[i]
		k := r.Release + " " + r.Source
		if len(idx) == 0 || idx[len(idx)-1].key != k {
			idx = append(idx, ent{key: k, start: body.Len()})
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		body.Write(b)
		body.WriteByte('\n')
		idx[len(idx)-1].end = body.Len()
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s %d\n", dbMagic, dbFormat)
	out.Write(mb)
	out.WriteByte('\n')
	fmt.Fprintf(&out, "index %d\n", len(idx))
	for _, e := range idx {
		fmt.Fprintf(&out, "%s %d %d\n", e.key, e.start, e.end)
	}
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

func decodeDB(name string, b []byte) (*DB, error) {
	bad := func(what string) error {
		return fmt.Errorf("reading advisory cache %s: %s (run pdvm vuln update again)", name, what)
	}
	line := func() ([]byte, bool) {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, false
		}
		l := b[:i]
		b = b[i+1:]
		return l, true
	}
	h, ok := line()
	if !ok || string(h) != dbMagic+" "+strconv.Itoa(dbFormat) {
		return nil, bad("not a pdvm advisory database of format " + strconv.Itoa(dbFormat))
	}
	db := &DB{decoded: map[string][]Record{}}
	m, ok := line()
	if !ok || json.Unmarshal(m, &db.Meta) != nil {
		return nil, bad("bad meta line")
	}
	ih, ok := line()
	n, err := strconv.Atoi(strings.TrimPrefix(string(ih), "index "))
	if !ok || err != nil {
		return nil, bad("bad index header")
	}
	db.index = make(map[string]span, n)
	for i := 0; i < n; i++ {
		l, ok := line()
		if !ok {
			return nil, bad("truncated index")
		}
		f := strings.Fields(string(l))
		if len(f) != 4 {
			return nil, bad("bad index line")
		}
		s, err1 := strconv.Atoi(f[2])
		e, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || s > e {
			return nil, bad("bad index line")
		}
		db.index[f[0]+"\x00"+f[1]] = span{s, e}
	}
	db.data = b
	for _, sp := range db.index {
		if sp.end > len(b) {
			return nil, bad("truncated records")
		}
	}
	return db, nil
}

// Empty reports whether the DB holds no records.
func (db *DB) Empty() bool { return db == nil || len(db.index) == 0 }

// Releases lists the releases with records, sorted.
func (db *DB) Releases() []string {
	set := map[string]bool{}
	for k := range db.index {
		rel, _, _ := strings.Cut(k, "\x00")
		set[rel] = true
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Sources lists the source packages with records in release, sorted.
func (db *DB) Sources(release string) []string {
	var out []string
	for k := range db.index {
		if rel, src, _ := strings.Cut(k, "\x00"); rel == release {
			out = append(out, src)
		}
	}
	sort.Strings(out)
	return out
}

// Records returns the records for source in release. The slice is shared:
// do not modify it.
func (db *DB) Records(release, source string) []Record {
	if db == nil {
		return nil
	}
	k := release + "\x00" + source
	db.mu.Lock()
	defer db.mu.Unlock()
	if r, ok := db.decoded[k]; ok {
		return r
	}
	sp, ok := db.index[k]
	if !ok {
		db.decoded[k] = nil
		return nil
	}
	recs := decodeLines(db.data[sp.start:sp.end])
	db.decoded[k] = recs
	return recs
}

func decodeLines(b []byte) []Record {
	var out []Record
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		var r Record
		if json.Unmarshal(b[:i], &r) == nil {
			out = append(out, r)
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return out
}

// ByID returns every record of release whose id or aliases name id (a
// CVE, DSA, DLA or TEMP id; DEBIAN-CVE-X is the same as CVE-X).
func (db *DB) ByID(release, id string) []Record {
	if db == nil {
		return nil
	}
	id = CanonicalID(id)
	needle := []byte(`"` + id + `"`)
	var out []Record
	b := db.data
	for {
		i := bytes.Index(b, needle)
		if i < 0 {
			break
		}
		s := bytes.LastIndexByte(b[:i], '\n') + 1
		e := bytes.IndexByte(b[i:], '\n')
		if e < 0 {
			e = len(b)
		} else {
			e += i
		}
		var r Record
		if json.Unmarshal(b[s:e], &r) == nil && (release == "" || r.Release == release) && r.names(id) {
			out = append(out, r)
		}
		if e >= len(b) {
			break
		}
		b = b[e+1:]
	}
	return out
}

func (r *Record) names(id string) bool {
	if r.ID == id {
		return true
	}
	for _, a := range r.Aliases {
		if a == id {
			return true
		}
	}
	return false
}

// A Store keeps the advisory DB in pdvm's cache directory.
type Store struct {
	Dir string // e.g. ~/.cache/pdvm/vuln
}

// DefaultStore is the store under pdvm's cache directory (cacheDir "" means
// [cache.Dir]).
func DefaultStore(cacheDir string) (Store, error) {
	if cacheDir == "" {
		d, err := cache.Dir()
		if err != nil {
			return Store{}, err
		}
		cacheDir = d
	}
	return Store{Dir: filepath.Join(cacheDir, "vuln")}, nil
}

func (s Store) path() string { return filepath.Join(s.Dir, "advisories.db") }

// Open reads the DB. A missing DB gives an error matching [ErrNoData].
func (s Store) Open() (*DB, error) {
	b, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("opening %s: %w", s.path(), ErrNoData)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the advisory cache: %w", err)
	}
	return decodeDB(s.path(), b)
}

// Update replaces the records of the given feed kinds with recs (records of
// other kinds are kept) and writes the DB atomically under the cache lock.
// Nothing is written if anything fails.
func (s Store) Update(ctx context.Context, feeds []FeedInfo, recs []Record) (*DB, error) {
	unlock, err := cache.Lock(ctx, s.Dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	replaced := map[string]bool{}
	for _, f := range feeds {
		replaced[f.Kind] = true
	}
	meta := Meta{Updated: time.Now().UTC()}
	var all []Record
	if old, err := s.Open(); err == nil {
		for _, f := range old.Meta.Feeds {
			if !replaced[f.Kind] {
				meta.Feeds = append(meta.Feeds, f)
			}
		}
		for _, sp := range old.index {
			for _, r := range decodeLines(old.data[sp.start:sp.end]) {
				if !replaced[r.Feed] {
					all = append(all, r)
				}
			}
		}
	} else if !errors.Is(err, ErrNoData) {
		// A corrupt cache is replaced, not merged.
		meta.Feeds = nil
	}
	meta.Feeds = append(meta.Feeds, feeds...)
	all = append(all, recs...)
	b, err := encode(meta, all)
	if err != nil {
		return nil, fmt.Errorf("encoding the advisory cache: %w", err)
	}
	if err := cache.WriteFile(s.path(), b, 0o644); err != nil {
		return nil, err
	}
	return decodeDB(s.path(), b)
}
