package client

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefectLengthBitFlipWipesLaterRecords: one flipped bit in the
// length field of a record used to pass for a torn tail, and the rewrite
// at open made the loss of every later record permanent, with a log
// line only.
func TestDefectLengthBitFlipWipesLaterRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	data := writeStore(t, path, 100)
	data[6] ^= 0x10 // low byte of the first record's length
	require.NoError(t, os.WriteFile(path, data, 0o600))

	_, err := OpenFileStore(path, FileStoreOptions{})
	var d *StoreDamage
	require.ErrorAs(t, err, &d, "the damage is an error the caller sees")
	assert.Equal(t, 1, d.Records)
	s, err := OpenFileStore(path, FileStoreOptions{AllowDamage: true})
	require.NoError(t, err)
	defer s.Close()
	snap, err := s.Load()
	require.NoError(t, err)
	assert.Len(t, snap.Outbound, 99, "only the damaged record is lost")
	assert.FileExists(t, s.Damage().Kept)
}

// TestDefectSecondOpenerNotLocked: two opens of one path both used to
// succeed, and a compaction by one made the other append to an unlinked
// file.
func TestDefectSecondOpenerNotLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	s, err := OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	defer s.Close()
	second, err := OpenFileStore(path, FileStoreOptions{})
	if err == nil {
		second.Close()
	}
	assert.ErrorIs(t, err, ErrStoreLocked)
}
