//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package client

import (
	"os"
	"path/filepath"
	"sync"
)

// Without flock the lock only holds within this process: a table of the
// lock files open here, by absolute path. Another process is not kept
// out on these systems.
var (
	locksMu sync.Mutex
	locks   = map[string]bool{} // path → exclusive
	shared  = map[string]int{}  // path → readers
)

func lockFile(f *os.File, exclusive bool) error {
	path, err := filepath.Abs(f.Name())
	if err != nil {
		return err
	}
	locksMu.Lock()
	defer locksMu.Unlock()
	if locks[path] || exclusive && shared[path] > 0 {
		return ErrStoreLocked
	}
	if exclusive {
		locks[path] = true
	} else {
		shared[path]++
	}
	return nil
}

func unlockFile(f *os.File) {
	path, err := filepath.Abs(f.Name())
	if err != nil {
		return
	}
	locksMu.Lock()
	defer locksMu.Unlock()
	if locks[path] {
		delete(locks, path)
	} else if shared[path] > 0 {
		shared[path]--
	}
}
