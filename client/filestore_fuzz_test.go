package client

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzFileStoreOpen opens arbitrary bytes as a session log. Opening never
// panics and fails only for a newer format; a read-only open leaves the
// file as it is; once a store opened with AllowDamage it has rewritten
// the log clean: it reopens without damage and with the same content.
func FuzzFileStoreOpen(f *testing.F) {
	clean := writeStore(f, filepath.Join(f.TempDir(), "seed.log"), 4)
	f.Add(clean)
	f.Add(clean[:len(clean)-5])
	flipped := bytes.Clone(clean)
	flipped[len(flipped)/3] ^= 0x20
	f.Add(flipped)
	f.Add(v1Log(v1Bodies...))
	f.Add(v1Log(v1Bodies[:3]...)[:20])
	f.Add([]byte{})
	f.Add([]byte{recMarker0, recMarker1, recVersion, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		// One input at a time runs in each process: reuse one directory.
		path := filepath.Join(dir, "session.log")
		kept, err := filepath.Glob(path + ".corrupt-*")
		require.NoError(t, err)
		for _, name := range kept {
			require.NoError(t, os.Remove(name))
		}
		require.NoError(t, os.WriteFile(path, data, 0o600))
		opts := FileStoreOptions{NoSync: true, AllowDamage: true}

		r, err := OpenFileStoreReadOnly(path, opts)
		if errors.Is(err, ErrStoreVersion) {
			return
		}
		require.NoError(t, err)
		want, err := r.Load()
		require.NoError(t, err)
		require.NoError(t, r.Close())
		after, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, data, after, "read-only open changed the file")

		s, err := OpenFileStore(path, opts)
		require.NoError(t, err)
		got, err := s.Load()
		require.NoError(t, err)
		assert.Equal(t, want, got, "read-only and writable opens disagree")
		require.NoError(t, s.Close())

		s, err = OpenFileStore(path, FileStoreOptions{NoSync: true})
		require.NoError(t, err, "reopening the rewritten log")
		defer s.Close()
		assert.Nil(t, s.Damage(), "damage left after the rewrite")
		again, err := s.Load()
		require.NoError(t, err)
		assert.Equal(t, want, again)
	})
}
