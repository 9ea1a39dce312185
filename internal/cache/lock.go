package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LockedError reports that the lock could not be taken before the context
// ended because another process holds it.
type LockedError struct {
	Path string
	PID  int // holder's PID as recorded in the lock file; 0 if unknown
	Err  error
}

func (e *LockedError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = "process " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("waiting for lock %s held by %s: %v", e.Path, holder, e.Err)
}

func (e *LockedError) Unwrap() error { return e.Err }

// Hint tells the user what to do about a held lock.
func (e *LockedError) Hint() string {
	if e.PID > 0 {
		return fmt.Sprintf("another pdvm (pid %d) is using the cache; wait for it to finish or stop it", e.PID)
	}
	return "another pdvm is using the cache; wait for it to finish"
}

// Lock takes an exclusive lock on dir/.lock (creating dir if needed),
// waiting until ctx ends. It returns a function that releases the lock. If
// ctx ends first, the error is a *[LockedError] naming the holder's PID.
//
// The lock is an flock(2) on an open file, so the kernel drops it when the
// holding process dies; the PID in the file is only informational.
func Lock(ctx context.Context, dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, ".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	delay := 10 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			pid := readPID(path)
			f.Close()
			return nil, &LockedError{Path: path, PID: pid, Err: ctx.Err()}
		case <-t.C:
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
	// Record our PID for whoever waits next. Failure here is harmless.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}
