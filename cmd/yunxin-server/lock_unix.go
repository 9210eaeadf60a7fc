//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir takes an exclusive lock (flock) on dir/serve.lock for as
// long as this process serves: a second server on the same data directory
// fails at start. The store's caches (the accounts known, the blacklists)
// assume it is the database's only writer of what they hold; user create
// takes no lock (it only adds an account).
func lockDataDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, "serve.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another yunxin-server serves data dir %s (it holds %s)", dir, path)
		}
		return nil, fmt.Errorf("lock data dir %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
