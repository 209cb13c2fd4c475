package client

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestFileStoreReadOnly opens a log in a read-only directory, its file
// read-only and ending in a torn record: everything is read, nothing is
// written, truncated or created.
func TestFileStoreReadOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	path := filepath.Join(dir, "session.log")
	data := append(writeStore(t, path, 3), recMarker0, recMarker1)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	require.NoError(t, os.Remove(path+".lock"))
	require.NoError(t, os.Chmod(path, 0o400))
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	before := listDir(t, dir)

	s, err := OpenFileStoreReadOnly(path, FileStoreOptions{})
	require.NoError(t, err)
	snap, err := s.Load()
	require.NoError(t, err)
	assert.Len(t, snap.Outbound, 3)
	if assert.NotNil(t, s.Damage()) {
		assert.Equal(t, int64(2), s.Damage().TornBytes)
	}
	assert.ErrorIs(t, s.PutOutbound(outbound(4, 4, message.QoS1, false)), ErrStoreReadOnly)
	assert.ErrorIs(t, s.DeleteOutbound(1), ErrStoreReadOnly)
	assert.ErrorIs(t, s.PutInbound(Inbound{ID: 1}), ErrStoreReadOnly)
	snap, err = s.Load()
	require.NoError(t, err)
	assert.Len(t, snap.Outbound, 3, "a refused write changes nothing")
	second, err := OpenFileStoreReadOnly(path, FileStoreOptions{})
	require.NoError(t, err, "two readers")
	require.NoError(t, second.Close())
	require.NoError(t, s.Close())

	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, data, after, "the torn tail stays")
	assert.Equal(t, before, listDir(t, dir), "no file created")
}

func TestFileStoreReadOnlyDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	data := writeStore(t, path, 3)
	data[30] ^= 0x40
	require.NoError(t, os.WriteFile(path, data, 0o600))
	before := listDir(t, filepath.Dir(path))

	_, err := OpenFileStoreReadOnly(path, FileStoreOptions{})
	var d *StoreDamage
	require.ErrorAs(t, err, &d)
	assert.Equal(t, 1, d.Records)
	s, err := OpenFileStoreReadOnly(path, FileStoreOptions{AllowDamage: true})
	require.NoError(t, err)
	defer s.Close()
	snap, err := s.Load()
	require.NoError(t, err)
	assert.Len(t, snap.Outbound, 2)
	require.NotNil(t, s.Damage())
	assert.Empty(t, s.Damage().Kept, "a read-only store rewrites nothing")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, data, after)
	assert.Equal(t, before, listDir(t, filepath.Dir(path)))

	_, err = OpenFileStoreReadOnly(filepath.Join(t.TempDir(), "missing.log"), FileStoreOptions{})
	assert.ErrorIs(t, err, os.ErrNotExist)
}
