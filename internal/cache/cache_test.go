package cache

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDir(t *testing.T) {
	t.Setenv(EnvDir, "")
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if d, _ := Dir(); d != "/x/cache/pdvm" {
		t.Errorf("Dir() with XDG_CACHE_HOME = %q, want /x/cache/pdvm", d)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d, _ := Dir(); d != "/home/u/.cache/pdvm" {
		t.Errorf("Dir() without XDG_CACHE_HOME = %q, want /home/u/.cache/pdvm", d)
	}
	t.Setenv(EnvDir, "/elsewhere")
	if d, _ := Dir(); d != "/elsewhere" {
		t.Errorf("Dir() with %s = %q, want /elsewhere", EnvDir, d)
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, rel)
		}
		return nil
	})
	return names
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if err := WriteFile(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "two" || fi.Mode().Perm() != 0o600 {
		t.Errorf("after two writes: %q %v, want \"two\" -rw-------", b, fi.Mode())
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("directory holds %v, want only state.json", got)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(b []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(b), r.n)
	r.n -= n
	return n, nil
}

func TestWriteFromFailureKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("old"), 0o644)
	_, err := WriteFrom(p, &failingReader{n: 1 << 16}, 0o644)
	if err == nil || !strings.Contains(err.Error(), "connection reset") || !strings.Contains(err.Error(), p) {
		t.Fatalf("WriteFrom(failing reader) = %v, want error naming %s and the cause", err, p)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("after failed write, content = %q, want \"old\"", b)
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("temporary file left behind: %v", got)
	}
}

func TestStorePutVerifies(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	data := "Package: hello\n"
	sum := sha256.Sum256([]byte(data))
	want := hex.EncodeToString(sum[:])

	// Wrong hash: nothing may appear under any name.
	_, _, err := s.Put(strings.NewReader(data), strings.Repeat("0", 64), -1)
	var me *MismatchError
	if !errors.As(err, &me) || me.GotSHA256 != want || !errors.Is(err, ErrMismatch) {
		t.Fatalf("Put(wrong hash) = %v, want *MismatchError with got=%s", err, want)
	}
	// Wrong size (truncated stream).
	_, _, err = s.Put(strings.NewReader(data[:5]), want, int64(len(data)))
	if !errors.As(err, &me) || me.GotSize != 5 || !strings.Contains(err.Error(), "expected 15 bytes, got 5") {
		t.Fatalf("Put(truncated) = %v, want size mismatch 15/5", err)
	}
	// Oversized stream is cut off at size+1.
	_, _, err = s.Put(strings.NewReader(data+strings.Repeat("x", 1<<20)), want, int64(len(data)))
	if !errors.As(err, &me) || me.GotSize != int64(len(data))+1 {
		t.Fatalf("Put(oversized) = %v, want size mismatch reading at most size+1", err)
	}
	if got := entries(t, s.Dir); len(got) != 0 {
		t.Fatalf("failed Puts left %v", got)
	}

	path, got, err := s.Put(strings.NewReader(data), want, int64(len(data)))
	if err != nil || got != want || path != s.Path(want) || !s.Has(want, int64(len(data))) {
		t.Fatalf("Put(good) = %q, %q, %v; want %q", path, got, err, s.Path(want))
	}
	if s.Has(want, 3) {
		t.Errorf("Has(sum, wrong size) = true")
	}
	f, err := s.Open(want)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != data {
		t.Errorf("Open = %q, want %q", b, data)
	}
}

func TestLockTimeoutNamesHolder(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = Lock(ctx, dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lock = %v, want *LockedError naming pid %d", err, os.Getpid())
	}
	if !strings.Contains(le.Hint(), "pid") {
		t.Errorf("hint %q does not name the pid", le.Hint())
	}
	unlock()
	unlock2, err := Lock(context.Background(), dir)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}

// TestLockReleasedWhenHolderDies runs a child process that takes the lock
// and is then killed, as by Ctrl-C or a crash: the lock must be free again.
func TestLockReleasedWhenHolderDies(t *testing.T) {
	if dir := os.Getenv("PDVM_TEST_LOCK_CHILD"); dir != "" {
		if _, err := Lock(context.Background(), dir); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockReleasedWhenHolderDies$")
	cmd.Env = append(os.Environ(), "PDVM_TEST_LOCK_CHILD="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		cmd.Process.Kill()
		t.Fatalf("child said %q", line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := Lock(ctx, dir)
	cancel()
	var le *LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid {
		t.Errorf("Lock while child holds it = %v, want *LockedError naming pid %d", err, cmd.Process.Pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	unlock, err := Lock(ctx, dir)
	if err != nil {
		t.Fatalf("Lock after holder was killed: %v", err)
	}
	unlock()
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	p, _ := Create(dir)
	p.Write([]byte("half"))
	// Simulate a crash: the process never calls Abort or Commit.
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(p.Name(), old, old)
	os.WriteFile(filepath.Join(dir, "keep"), nil, 0o644)
	if n := RemoveStale(dir, time.Hour); n != 1 {
		t.Errorf("RemoveStale = %d, want 1", n)
	}
	if got := entries(t, dir); len(got) != 1 || got[0] != "keep" {
		t.Errorf("after RemoveStale: %v, want [keep]", got)
	}
}
