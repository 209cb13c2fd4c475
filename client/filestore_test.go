package client

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

func outbound(seq uint64, id uint16, qos message.QoS, released bool) Outbound {
	return Outbound{Seq: seq, Released: released, Message: message.Message{
		Topic: "t/" + string(rune('a'+id%26)), Payload: []byte{byte(id), 1, 2, recEscape, 0, recEscape, recMarker1}, QoS: qos, PacketID: id, Retain: id%2 == 0,
	}}
}

// heldInbound is an inbound QoS 2 message held with every field set.
func heldInbound(id uint16, state InboundState) Inbound {
	return Inbound{
		ID: id, State: state,
		Message:    &message.Message{Topic: "in/x", Payload: []byte{'h', recEscape, recMarker1, 'd'}, QoS: message.QoS2, PacketID: id, Dup: true, Retain: true},
		Properties: []byte{0x02, 0, 0, 0, 60}, // message expiry interval 60 s
		Received:   time.Unix(1_700_000_000, 123456789).UTC(),
	}
}

// fill writes a known set of entries and returns the snapshot a reopened
// store must show.
func fill(t *testing.T, s Store) Snapshot {
	t.Helper()
	for i := uint16(1); i <= 5; i++ {
		require.NoError(t, s.PutOutbound(outbound(uint64(i), i, message.QoS(1+i%2), false)))
	}
	out := outbound(2, 2, message.QoS2, true)
	out.Properties = []byte{0x01, 1} // payload format indicator
	require.NoError(t, s.PutOutbound(out))
	require.NoError(t, s.DeleteOutbound(3))
	require.NoError(t, s.PutInbound(Inbound{ID: 9}))
	require.NoError(t, s.PutInbound(heldInbound(10, InboundReceived)))
	require.NoError(t, s.PutInbound(heldInbound(12, InboundReceived)))
	require.NoError(t, s.ReleaseInbound(12))
	require.NoError(t, s.ReleaseInbound(9)) // no held message: nothing to release
	require.NoError(t, s.PutInbound(Inbound{ID: 11}))
	require.NoError(t, s.DeleteInbound(11))
	snap, err := s.Load()
	require.NoError(t, err)
	return snap
}

// TestStoreContract runs the same changes on both stores: the FileStore,
// reopened, must show what the MemoryStore shows.
func TestStoreContract(t *testing.T) {
	mem := fill(t, NewMemoryStore())
	require.Len(t, mem.Outbound, 4)
	assert.Equal(t, uint64(5), mem.LastSeq)
	require.Len(t, mem.Inbound, 3)
	assert.Nil(t, mem.Inbound[0].Message, "id 9 holds no message")
	assert.Equal(t, InboundReceived, mem.Inbound[1].State)
	assert.Equal(t, InboundReleased, mem.Inbound[2].State)
	assert.Equal(t, "released", mem.Inbound[2].State.String())

	path := filepath.Join(t.TempDir(), "s", "session.log")
	s, err := OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	live := fill(t, s)
	assert.Equal(t, mem, live, "file store before reopening")
	require.NoError(t, s.Close())

	s2, err := OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	assert.Nil(t, s2.Damage())
	got, err := s2.Load()
	require.NoError(t, err)
	assert.Equal(t, mem, got, "reopened file store")

	// Deleting everything keeps LastSeq across another reopen.
	for _, e := range got.Outbound {
		require.NoError(t, s2.DeleteOutbound(e.Message.PacketID))
	}
	require.NoError(t, s2.Close())
	s3, err := OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	defer s3.Close()
	got, err = s3.Load()
	require.NoError(t, err)
	assert.Empty(t, got.Outbound)
	assert.Equal(t, uint64(5), got.LastSeq)
}

// writeStore writes n outbound flows to a new store at path and returns
// the file's bytes.
func writeStore(t testing.TB, path string, n int) []byte {
	t.Helper()
	s, err := OpenFileStore(path, FileStoreOptions{NoSync: true})
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		require.NoError(t, s.PutOutbound(outbound(uint64(i), uint16(i), message.QoS1, false)))
	}
	require.NoError(t, s.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestFileStoreDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(b []byte) []byte
		// torn is true for damage a cut-short write leaves, which opens
		// without an error.
		torn    bool
		records int // records Damage reports unreadable
		left    int // outbound entries that survive, of 3
	}{
		{"torn last record", func(b []byte) []byte { return b[:len(b)-3] }, true, 0, 2},
		{"torn header", func(b []byte) []byte { return append(b, recMarker0, recMarker1, recVersion, 0) }, true, 0, 3},
		{"zeros after the last record", func(b []byte) []byte { return append(b, make([]byte, 40)...) }, true, 0, 3},
		{"flipped byte in the middle", func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }, false, 1, 2},
		{"flipped length of the first record", func(b []byte) []byte { b[4] ^= 0x10; return b }, false, 1, 2},
		{"garbage after the last record", func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1) }, false, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session.log")
			damaged := tt.damage(writeStore(t, path, 3))
			require.NoError(t, os.WriteFile(path, damaged, 0o600))

			s, err := OpenFileStore(path, FileStoreOptions{})
			if !tt.torn {
				var d *StoreDamage
				require.ErrorAs(t, err, &d)
				require.ErrorIs(t, err, ErrStoreCorrupt)
				assert.Equal(t, tt.records, d.Records)
				assert.Empty(t, d.Kept, "a refused open keeps nothing")
				after, rerr := os.ReadFile(path)
				require.NoError(t, rerr)
				assert.Equal(t, damaged, after, "a refused open leaves the file as it is")
				s, err = OpenFileStore(path, FileStoreOptions{AllowDamage: true})
			}
			require.NoError(t, err)
			defer s.Close()
			d := s.Damage()
			require.NotNil(t, d)
			assert.Equal(t, tt.records, d.Records)
			assert.Equal(t, tt.torn, d.TornBytes > 0)
			if !tt.torn {
				kept, rerr := os.ReadFile(d.Kept)
				require.NoError(t, rerr)
				assert.Equal(t, damaged, kept, "the original is kept before the rewrite")
			}
			snap, err := s.Load()
			require.NoError(t, err)
			assert.Len(t, snap.Outbound, tt.left)
			// The store is usable and clean after the damage.
			require.NoError(t, s.PutOutbound(outbound(9, 9, message.QoS2, false)))
			require.NoError(t, s.Close())
			s2, err := OpenFileStore(path, FileStoreOptions{})
			require.NoError(t, err)
			defer s2.Close()
			assert.Nil(t, s2.Damage())
			snap, err = s2.Load()
			require.NoError(t, err)
			assert.Len(t, snap.Outbound, tt.left+1)
		})
	}
}

func TestFileStoreCompacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	s, err := OpenFileStore(path, FileStoreOptions{NoSync: true})
	require.NoError(t, err)
	defer s.Close()
	for i := 1; i <= 3*compactMin; i++ {
		id := uint16(i%100 + 1)
		require.NoError(t, s.PutOutbound(outbound(uint64(i), id, message.QoS1, false)))
		require.NoError(t, s.DeleteOutbound(id))
	}
	assert.Less(t, s.records, compactMin+1, "records in the log after compaction")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, s.size, info.Size())
	snap, err := s.Load()
	require.NoError(t, err)
	assert.Equal(t, uint64(3*compactMin), snap.LastSeq)
}

func TestFileStorePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "session.log")
	damaged := writeStore(t, path, 3)
	damaged[20] ^= 1
	require.NoError(t, os.WriteFile(path, damaged, 0o600))
	s, err := OpenFileStore(path, FileStoreOptions{AllowDamage: true})
	require.NoError(t, err)
	defer s.Close()
	require.NotNil(t, s.Damage())
	info, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm(), "directory")
	for _, name := range []string{path, path + ".lock", s.Damage().Kept} {
		info, err := os.Stat(name)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), name)
	}
}

func TestFileStoreClosedWrites(t *testing.T) {
	s, err := OpenFileStore(filepath.Join(t.TempDir(), "session.log"), FileStoreOptions{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close")
	assert.ErrorIs(t, s.PutOutbound(outbound(1, 1, message.QoS1, false)), ErrStoreClosed)
	assert.ErrorIs(t, s.PutInbound(Inbound{ID: 1}), ErrStoreClosed)
}

// TestFileStoreConcurrent puts and deletes from several goroutines while
// another loads: the reopened log shows every change (run with -race).
func TestFileStoreConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	s, err := OpenFileStore(path, FileStoreOptions{NoSync: true})
	require.NoError(t, err)
	const writers, each = 4, 200
	var wg sync.WaitGroup
	stop := make(chan struct{})
	loads := make(chan int, 1)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				loads <- n
				return
			default:
			}
			_, err := s.Load()
			assert.NoError(t, err)
			n++
		}
	}()
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := uint16(w*each + i + 1)
				assert.NoError(t, s.PutOutbound(outbound(uint64(id), id, message.QoS1, false)))
				assert.NoError(t, s.PutInbound(heldInbound(id, InboundReceived)))
				assert.NoError(t, s.ReleaseInbound(id))
				if i%2 == 0 {
					assert.NoError(t, s.DeleteOutbound(id))
					assert.NoError(t, s.DeleteInbound(id))
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	assert.Positive(t, <-loads)
	require.NoError(t, s.Close())

	s, err = OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	defer s.Close()
	snap, err := s.Load()
	require.NoError(t, err)
	assert.Len(t, snap.Outbound, writers*each/2)
	require.Len(t, snap.Inbound, writers*each/2)
	for _, e := range snap.Inbound {
		assert.Equal(t, InboundReleased, e.State, "id %d", e.ID)
	}
}
