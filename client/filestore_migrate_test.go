package client

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// v1Log is a session log as the version 1 FileStore wrote it: each
// record a body length (uint32), the CRC-32C of the body, and the body.
func v1Log(bodies ...[]byte) []byte {
	var b []byte
	for _, body := range bodies {
		b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
		b = binary.BigEndian.AppendUint32(b, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
		b = append(b, body...)
	}
	return b
}

// v1Bodies are version 1 record bodies, field by field.
var v1Bodies = [][]byte{
	{1, // put outbound
		0, 0, 0, 0, 0, 0, 0, 1, // seq 1
		0,    // not released
		0, 1, // packet id 1
		1,                   // QoS 1
		0, 3, 'a', '/', 'b', // topic
		0, 0, 0, 3, 'o', 'n', 'e'}, // payload
	{1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 2, 2, 0, 1, 'x', 0, 0, 0, 0}, // put outbound seq 2, released, id 2, QoS 2
	{5},                         // reset
	{6, 0, 0, 0, 0, 0, 0, 0, 7}, // last seq 7
	{1, 0, 0, 0, 0, 0, 0, 0, 8, 0, // put outbound seq 8
		0, 3, // packet id 3
		2 | 4,     // QoS 2, retain
		0, 1, 'c', // topic
		0, 0, 0, 2, recMarker0, recMarker1}, // payload that looks like a version 2 marker
	{1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 4, 1, 0, 1, 'd', 0, 0, 0, 0}, // put outbound seq 9, id 4
	{2, 0, 4},    // delete outbound 4
	{3, 0, 5, 0}, // put inbound 5, no message
	{3, 0, 6, 1, // put inbound 6, held message:
		0, 6, // packet id 6
		2 | 8,          // QoS 2, dup
		0, 2, 'i', 'n', // topic
		0, 0, 0, 4, 'h', 'e', 'l', 'd'}, // payload
	{3, 0, 7, 0}, // put inbound 7
	{4, 0, 7},    // delete inbound 7
}

// v1Want is what v1Bodies replay to.
var v1Want = Snapshot{
	Outbound: []Outbound{{Seq: 8, Message: message.Message{Topic: "c", Payload: []byte{recMarker0, recMarker1}, QoS: message.QoS2, Retain: true, PacketID: 3}}},
	Inbound: []Inbound{
		{ID: 5},
		{ID: 6, Message: &message.Message{Topic: "in", Payload: []byte("held"), QoS: message.QoS2, Dup: true, PacketID: 6}},
	},
	LastSeq: 9,
}

func TestFileStoreMigratesVersion1(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		torn int64
	}{
		{"clean", v1Log(v1Bodies...), 0},
		{"torn last record", append(v1Log(v1Bodies...), 0, 0, 0, 9, 1, 2), 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session.log")
			require.NoError(t, os.WriteFile(path, tt.data, 0o644))
			s, err := OpenFileStore(path, FileStoreOptions{})
			require.NoError(t, err)
			snap, err := s.Load()
			require.NoError(t, err)
			assert.Equal(t, v1Want, snap)
			if tt.torn == 0 {
				assert.Nil(t, s.Damage())
			} else if assert.NotNil(t, s.Damage()) {
				assert.Equal(t, tt.torn, s.Damage().TornBytes)
				assert.Zero(t, s.Damage().Records)
			}
			require.NoError(t, s.PutOutbound(outbound(10, 10, message.QoS1, false)))
			require.NoError(t, s.Close())

			kept, err := filepath.Glob(path + ".v1-*")
			require.NoError(t, err)
			require.Len(t, kept, 1, "the version 1 original is kept")
			original, err := os.ReadFile(kept[0])
			require.NoError(t, err)
			assert.Equal(t, tt.data, original)
			now, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, []byte{recMarker0, recMarker1, recVersion}, now[:3], "rewritten in version 2")

			s, err = OpenFileStore(path, FileStoreOptions{})
			require.NoError(t, err)
			defer s.Close()
			assert.Nil(t, s.Damage())
			snap, err = s.Load()
			require.NoError(t, err)
			want := v1Want
			want.Outbound = append([]Outbound{}, v1Want.Outbound...)
			want.Outbound = append(want.Outbound, outbound(10, 10, message.QoS1, false))
			want.LastSeq = 10
			assert.Equal(t, want, snap)
			kept, err = filepath.Glob(path + ".v1-*")
			require.NoError(t, err)
			assert.Len(t, kept, 1, "a version 2 log is not migrated again")
		})
	}
}

func TestFileStoreVersion1Damage(t *testing.T) {
	data := v1Log(v1Bodies...)
	data[8+2] ^= 1 // inside the first record's body
	path := filepath.Join(t.TempDir(), "session.log")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	_, err := OpenFileStore(path, FileStoreOptions{})
	var d *StoreDamage
	require.ErrorAs(t, err, &d)
	assert.Equal(t, 1, d.Records)
	assert.Equal(t, []int64{0}, d.Offsets)

	s, err := OpenFileStore(path, FileStoreOptions{AllowDamage: true})
	require.NoError(t, err)
	defer s.Close()
	snap, err := s.Load()
	require.NoError(t, err)
	assert.Equal(t, v1Want, snap, "the first record was wiped by the reset anyway")
	require.NotNil(t, s.Damage())
	assert.FileExists(t, s.Damage().Kept)
}

// TestFileStoreNewerVersion refuses a log of a newer format and leaves
// it as it is.
func TestFileStoreNewerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	data := writeStore(t, path, 2)
	rec := appendRecord(nil, []byte{opSeq, 0, 0, 0, 0, 0, 0, 0, 1})
	rec[2] = recVersion + 1
	binary.BigEndian.PutUint32(rec[7:], crc32.Checksum(rec[:7], crcTable))
	data = append(data, rec...)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	_, err := OpenFileStore(path, FileStoreOptions{AllowDamage: true})
	require.ErrorIs(t, err, ErrStoreVersion)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, data, after)
}
