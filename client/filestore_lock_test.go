package client

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockChildEnv holds the store path in the child process of
// TestFileStoreLockedAcrossProcesses; lockChildReadOnlyEnv makes the
// child open it read-only.
const (
	lockChildEnv         = "ONMQTT_STORE_LOCK_CHILD"
	lockChildReadOnlyEnv = "ONMQTT_STORE_LOCK_CHILD_READONLY"
)

// TestFileStoreLockChild is not a test of its own: it is the child
// process of TestFileStoreLockedAcrossProcesses, which starts the test
// binary with -test.run=^TestFileStoreLockChild$ and the store's path in
// ONMQTT_STORE_LOCK_CHILD. Run any other way it returns at once and
// passes. It prints what opening the store gave.
func TestFileStoreLockChild(t *testing.T) {
	path := os.Getenv(lockChildEnv)
	if path == "" {
		return
	}
	open := OpenFileStore
	if os.Getenv(lockChildReadOnlyEnv) == "1" {
		open = OpenFileStoreReadOnly
	}
	s, err := open(path, FileStoreOptions{})
	switch {
	case errors.Is(err, ErrStoreLocked):
		fmt.Println("child: locked")
	case err == nil:
		fmt.Println("child: opened")
		require.NoError(t, s.Close())
	default:
		fmt.Println("child: error:", err)
	}
}

// openInChild opens the store at path in a child process and returns
// what the child printed.
func openInChild(t *testing.T, path string, readOnly bool) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileStoreLockChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+path)
	if readOnly {
		cmd.Env = append(cmd.Env, lockChildReadOnlyEnv+"=1")
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child: %s", out)
	return string(out)
}

func TestFileStoreLockedAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	s, err := OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	assert.Contains(t, openInChild(t, path, false), "child: locked")
	assert.Contains(t, openInChild(t, path, true), "child: locked", "a reader while a writer has it open")
	require.NoError(t, s.Close())
	assert.Contains(t, openInChild(t, path, false), "child: opened", "after Close")

	r, err := OpenFileStoreReadOnly(path, FileStoreOptions{})
	require.NoError(t, err)
	assert.Contains(t, openInChild(t, path, false), "child: locked", "a writer while a reader has it open")
	assert.Contains(t, openInChild(t, path, true), "child: opened", "two readers")
	require.NoError(t, r.Close())
}

func TestFileStoreLockedInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	s, err := OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	_, err = OpenFileStore(path, FileStoreOptions{})
	assert.ErrorIs(t, err, ErrStoreLocked)
	_, err = OpenFileStoreReadOnly(path, FileStoreOptions{})
	assert.ErrorIs(t, err, ErrStoreLocked)
	require.NoError(t, s.Close())

	s, err = OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err, "after Close")
	defer s.Close()
	// A refused open (damage) releases the lock again.
	other := filepath.Join(t.TempDir(), "other.log")
	bad := writeStore(t, other, 2)
	bad[5] ^= 4
	require.NoError(t, os.WriteFile(other, bad, 0o600))
	_, err = OpenFileStore(other, FileStoreOptions{})
	require.ErrorIs(t, err, ErrStoreCorrupt)
	o, err := OpenFileStore(other, FileStoreOptions{AllowDamage: true})
	require.NoError(t, err, "the refused open kept its lock")
	require.NoError(t, o.Close())
}
