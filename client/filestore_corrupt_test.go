package client

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// sweepLog is a store of 100 records, each one put of a different entry
// (70 outbound flows, 30 held inbound messages), so that every record
// lost shows as one entry missing.
type sweepLog struct {
	data   []byte
	starts []int    // record i is data[starts[i]:starts[i+1]]
	keys   []uint32 // entry of record i: 1<<16 | id inbound, id outbound
	want   Snapshot
}

func newSweepLog(t *testing.T, path string) sweepLog {
	t.Helper()
	s, err := OpenFileStore(path, FileStoreOptions{NoSync: true})
	require.NoError(t, err)
	var l sweepLog
	for i := 1; i <= 100; i++ {
		id := uint16(i)
		if i%10 < 7 {
			require.NoError(t, s.PutOutbound(outbound(uint64(i), id, message.QoS(1+i%2), i%3 == 0)))
			l.keys = append(l.keys, uint32(id))
		} else {
			require.NoError(t, s.PutInbound(heldInbound(id, InboundState(i%2))))
			l.keys = append(l.keys, 1<<16|uint32(id))
		}
	}
	l.want, err = s.Load()
	require.NoError(t, err)
	require.NoError(t, s.Close())
	l.data, err = os.ReadFile(path)
	require.NoError(t, err)
	for off := 0; off < len(l.data); {
		n, ok := header(l.data[off:])
		require.True(t, ok, "record header at %d", off)
		l.starts = append(l.starts, off)
		off += recHeader + n
	}
	require.Len(t, l.starts, 100)
	l.starts = append(l.starts, len(l.data))
	return l
}

// record returns the index of the record holding byte off.
func (l *sweepLog) record(off int) int {
	for i := range l.keys {
		if off < l.starts[i+1] {
			return i
		}
	}
	return len(l.keys)
}

// lost compares got with the full store: it returns the keys of the
// entries missing or changed, and fails on an entry that was never
// written.
func (l *sweepLog) lost(t *testing.T, got Snapshot) []uint32 {
	t.Helper()
	have := make(map[uint32]any)
	for _, e := range got.Outbound {
		have[uint32(e.Message.PacketID)] = e
	}
	for _, e := range got.Inbound {
		have[1<<16|uint32(e.ID)] = e
	}
	var missing []uint32
	for _, e := range l.want.Outbound {
		k := uint32(e.Message.PacketID)
		if !reflect.DeepEqual(have[k], e) {
			missing = append(missing, k)
		}
		delete(have, k)
	}
	for _, e := range l.want.Inbound {
		k := 1<<16 | uint32(e.ID)
		if !reflect.DeepEqual(have[k], e) {
			missing = append(missing, k)
		}
		delete(have, k)
	}
	assert.Empty(t, have, "entries that were never written")
	return missing
}

// TestFileStoreBitFlipSweep flips one bit at every byte offset of a
// 100-record log and reopens it: every flip is reported as damage (a
// refused open returning *StoreDamage, then Damage after AllowDamage),
// and costs at most the record holding the flipped byte.
func TestFileStoreBitFlipSweep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "session.log")
	l := newSweepLog(t, path)
	lostPerOffset := map[int]int{}
	for off := range l.data {
		bad := append([]byte(nil), l.data...)
		bad[off] ^= 1 << (off % 8)
		require.NoError(t, os.WriteFile(path, bad, 0o600))

		_, err := OpenFileStore(path, FileStoreOptions{NoSync: true})
		var refused *StoreDamage
		if !assert.ErrorAs(t, err, &refused, "offset %d: open without AllowDamage", off) {
			continue
		}
		s, err := OpenFileStore(path, FileStoreOptions{NoSync: true, AllowDamage: true})
		require.NoError(t, err, "offset %d", off)
		snap, err := s.Load()
		require.NoError(t, err)
		d := s.Damage()
		require.NoError(t, s.Close())

		lost := l.lost(t, snap)
		lostPerOffset[len(lost)]++
		rec := l.record(off)
		assert.LessOrEqual(t, len(lost), 1, "offset %d: entries lost %v", off, lost)
		for _, k := range lost {
			assert.Equal(t, l.keys[rec], k, "offset %d in record %d: lost another record's entry", off, rec)
		}
		if assert.NotNil(t, d, "offset %d: damage not reported", off) {
			assert.Equal(t, refused.Records, d.Records, "offset %d", off)
			assert.GreaterOrEqual(t, d.Records, len(lost), "offset %d: more lost than reported", off)
			assert.Positive(t, d.Records, "offset %d", off)
			kept, err := os.ReadFile(d.Kept)
			require.NoError(t, err, "offset %d: original not kept", off)
			assert.Equal(t, bad, kept, "offset %d: kept file", off)
			require.NoError(t, os.Remove(d.Kept))
		}
	}
	t.Logf("bit flips at %d offsets of a %d-record log: offsets by entries lost %v", len(l.data), len(l.keys), lostPerOffset)
}

// TestFileStoreTruncateSweep cuts a 100-record log at every offset and
// reopens it: the cut record is reported as a torn tail and cut off,
// every record before it is kept.
func TestFileStoreTruncateSweep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "session.log")
	l := newSweepLog(t, path)
	lostPerOffset := map[int]int{}
	for off := 0; off <= len(l.data); off++ {
		require.NoError(t, os.WriteFile(path, l.data[:off], 0o600))
		s, err := OpenFileStore(path, FileStoreOptions{NoSync: true})
		require.NoError(t, err, "cut at %d", off)
		snap, err := s.Load()
		require.NoError(t, err)
		d := s.Damage()
		require.NoError(t, s.Close())

		rec := l.record(off)
		start := l.starts[rec]
		lost := l.lost(t, snap)
		// Entries of the records after the cut are gone with the cut.
		beyond := 0
		for _, k := range lost {
			if i := indexOf(l.keys, k); i != rec {
				assert.Greater(t, i, rec, "cut at %d: lost entry of an earlier record %d", off, i)
				beyond++
			}
		}
		after := 0
		if rec < len(l.keys) {
			after = len(l.keys) - rec - 1
		}
		assert.Equal(t, after, beyond, "cut at %d: records after the cut", off)
		if off == start {
			assert.Nil(t, d, "cut at %d, a record boundary", off)
			continue
		}
		lostPerOffset[len(lost)-beyond]++
		if assert.NotNil(t, d, "cut at %d: torn tail not reported", off) {
			assert.Equal(t, int64(off-start), d.TornBytes, "cut at %d", off)
			assert.Zero(t, d.Records, "cut at %d", off)
		}
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, int64(start), info.Size(), "cut at %d: torn tail cut off", off)
		matches, err := filepath.Glob(path + ".corrupt-*")
		require.NoError(t, err)
		assert.Empty(t, matches, "cut at %d: a torn tail is no reason to keep a copy", off)
	}
	t.Logf("cuts at %d offsets of a %d-record log: offsets inside a record by its records lost %v", len(l.data)+1, len(l.keys), lostPerOffset)
}

func indexOf(keys []uint32, k uint32) int {
	for i, v := range keys {
		if v == k {
			return i
		}
	}
	return -1
}
