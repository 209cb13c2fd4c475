package client

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onmqtt/onmqtt/message"
)

// queuedOutbound is an outbound flow with the time it was queued.
func queuedOutbound(seq uint64, id uint16, at time.Time) Outbound {
	e := outbound(seq, id, message.QoS1, false)
	e.Properties = []byte{0x05, 0x02, 0, 0, 0, 30} // message expiry interval 30 s
	e.Queued = at
	return e
}

// testSession is a session record with every field set.
func testSession(at time.Time) Session {
	return Session{Interval: 3600, At: at, Ended: true, Period: 2 * time.Minute}
}

// recordOfVersion frames body as one record of version v, as a writer of
// that version did.
func recordOfVersion(v byte, body []byte) []byte {
	rec := appendRecord(nil, body)
	rec[2] = v
	binary.BigEndian.PutUint32(rec[7:], crc32.Checksum(rec[:7], crcTable))
	sum := crc32.Update(crc32.Checksum(rec[2:7], crcTable), crcTable, rec[recHeader:len(rec)-recTrailer])
	binary.BigEndian.PutUint32(rec[len(rec)-recTrailer:], sum)
	return rec
}

// TestStoreKeepsQueuedAndSession: the queued time of outbound flows and
// the session record round-trip through both stores; the FileStore keeps
// them across a reopen and a compaction.
func TestStoreKeepsQueuedAndSession(t *testing.T) {
	at := time.Unix(1_700_000_000, 987654321).UTC()
	fill := func(t *testing.T, s SessionStore) Snapshot {
		t.Helper()
		require.NoError(t, s.PutOutbound(queuedOutbound(1, 1, at)))
		require.NoError(t, s.PutOutbound(outbound(2, 2, message.QoS2, false))) // no queued time
		require.NoError(t, s.PutSession(Session{Interval: 5, At: at}))
		require.NoError(t, s.PutSession(testSession(at.Add(time.Second))))
		snap, err := s.Load()
		require.NoError(t, err)
		return snap
	}
	mem := fill(t, NewMemoryStore())
	require.Len(t, mem.Outbound, 2)
	assert.Equal(t, at, mem.Outbound[0].Queued)
	assert.True(t, mem.Outbound[1].Queued.IsZero())
	assert.Equal(t, testSession(at.Add(time.Second)), mem.Session, "the last session put")

	path := filepath.Join(t.TempDir(), "session.log")
	s, err := OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	assert.Equal(t, mem, fill(t, s), "file store before reopening")
	require.NoError(t, s.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, byte(3), data[2], "written in version 3")

	s, err = OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	assert.Nil(t, s.Damage())
	got, err := s.Load()
	require.NoError(t, err)
	assert.Equal(t, mem, got, "reopened file store")

	// Compaction keeps the session record.
	s.wmu.Lock()
	require.NoError(t, s.compact())
	s.wmu.Unlock()
	require.NoError(t, s.Close())
	s, err = OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	got, err = s.Load()
	require.NoError(t, err)
	assert.Equal(t, mem, got, "after compaction")
	assert.Equal(t, 4, s.records, "seq, two outbound puts, the session")

	// The zero Session says there is none: compaction drops it.
	require.NoError(t, s.PutSession(Session{}))
	s.wmu.Lock()
	require.NoError(t, s.compact())
	s.wmu.Unlock()
	require.NoError(t, s.Close())
	s, err = OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	defer s.Close()
	got, err = s.Load()
	require.NoError(t, err)
	assert.True(t, got.Session.IsZero())
	assert.Equal(t, 3, s.records)
}

// v2Log is a log of version 2 records, field by field, with what it
// replays to.
func v2Log() ([]byte, Snapshot) {
	put := []byte{opPutOut,
		0, 0, 0, 0, 0, 0, 0, 4, // seq 4
		0,    // not released
		0, 7, // packet id 7
		1,              // QoS 1
		0, 2, 'v', '2', // topic
		0, 0, 0, 1, recEscape, // payload: an escaped byte
		0, 0, 0, 5, 0x02, 0, 0, 0, 60} // properties: message expiry 60 s
	in := []byte{opPutIn,
		0, 9, // id 9
		1, 0, // held, received
		0, 9, // packet id 9
		2,         // QoS 2
		0, 1, 'i', // topic
		0, 0, 0, 0, // no payload
		0, 0, 0, 0, // no properties
		0, 0, 0, 0, 0, 0, 0, 42} // received at 42 ns
	var b []byte
	b = append(b, recordOfVersion(2, []byte{opSeq, 0, 0, 0, 0, 0, 0, 0, 2})...)
	b = append(b, recordOfVersion(2, put)...)
	b = append(b, recordOfVersion(2, in)...)
	want := Snapshot{
		Outbound: []Outbound{{Seq: 4, Message: message.Message{Topic: "v2", Payload: []byte{recEscape}, QoS: message.QoS1, PacketID: 7},
			Properties: []byte{0x02, 0, 0, 0, 60}}},
		Inbound: []Inbound{{ID: 9, Message: &message.Message{Topic: "i", QoS: message.QoS2, PacketID: 9},
			Received: time.Unix(0, 42).UTC()}},
		LastSeq: 4,
	}
	return b, want
}

// TestFileStoreReadsVersion2: a version 2 log opens as it is, without a
// rewrite; what is appended to it is version 3, and both read back.
func TestFileStoreReadsVersion2(t *testing.T) {
	data, want := v2Log()
	path := filepath.Join(t.TempDir(), "session.log")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	s, err := OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	assert.Nil(t, s.Damage())
	snap, err := s.Load()
	require.NoError(t, err)
	assert.Equal(t, want, snap)

	at := time.Unix(1_800_000_000, 5).UTC()
	require.NoError(t, s.PutOutbound(queuedOutbound(5, 8, at)))
	require.NoError(t, s.PutSession(testSession(at)))
	require.NoError(t, s.Close())
	now, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(now, data), "the version 2 records stay as they were")
	assert.Equal(t, byte(3), now[len(data)+2], "appended in version 3")

	s, err = OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	defer s.Close()
	assert.Nil(t, s.Damage())
	snap, err = s.Load()
	require.NoError(t, err)
	want.Outbound = append(want.Outbound, queuedOutbound(5, 8, at))
	want.LastSeq = 5
	want.Session = testSession(at)
	assert.Equal(t, want, snap)
}

// TestFileStoreVersion3Records: the new fields are decoded by the rules
// of the record's version, and a malformed session record is damage that
// costs only itself.
func TestFileStoreVersion3Records(t *testing.T) {
	at := time.Unix(1_750_000_000, 0).UTC()
	sess := appendSession(nil, &Session{Interval: 10, At: at, Period: time.Minute})
	good := appendOutbound(nil, &Outbound{Seq: 1, Message: message.Message{Topic: "a", QoS: message.QoS1, PacketID: 1}})
	tests := []struct {
		name string
		rec  []byte
	}{
		{"session record in version 2", recordOfVersion(2, sess)},
		{"session record cut short", recordOfVersion(3, sess[:len(sess)-1])},
		{"session record with a byte more", recordOfVersion(3, append(bytes.Clone(sess), 0))},
		{"session record with ended 2", recordOfVersion(3, func() []byte { b := bytes.Clone(sess); b[13] = 2; return b }())},
		{"session record without a time but ended", recordOfVersion(3, appendSession(nil, &Session{Ended: true}))},
		{"version 3 outbound put without its queued time", recordOfVersion(3, good[:len(good)-8])},
		{"version 2 outbound put with a queued time", recordOfVersion(2, good)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session.log")
			data := writeStore(t, path, 2)
			data = append(data, tt.rec...)
			data = append(data, recordOfVersion(3, appendOutbound(nil, &Outbound{Seq: 3, Message: message.Message{Topic: "c", QoS: message.QoS1, PacketID: 3}}))...)
			require.NoError(t, os.WriteFile(path, data, 0o600))
			_, err := OpenFileStore(path, FileStoreOptions{})
			var d *StoreDamage
			require.ErrorAs(t, err, &d)
			assert.Equal(t, 1, d.Records)
			assert.Equal(t, int64(len(tt.rec)), d.Bytes, "the damage is that record")

			s, err := OpenFileStore(path, FileStoreOptions{AllowDamage: true})
			require.NoError(t, err)
			defer s.Close()
			snap, err := s.Load()
			require.NoError(t, err)
			assert.Len(t, snap.Outbound, 3, "the records around it survive")
			assert.True(t, snap.Session.IsZero())
		})
	}
}

// TestFileStoreSessionRecordDamage: a flipped byte in the session record
// is reported like other damage and costs the session record only.
func TestFileStoreSessionRecordDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	data := writeStore(t, path, 2)
	s, err := OpenFileStore(path, FileStoreOptions{})
	require.NoError(t, err)
	require.NoError(t, s.PutSession(testSession(time.Unix(1_700_000_000, 0).UTC())))
	require.NoError(t, s.PutOutbound(outbound(3, 3, message.QoS1, false)))
	require.NoError(t, s.Close())
	all, err := os.ReadFile(path)
	require.NoError(t, err)
	all[len(data)+recHeader+3] ^= 0x40 // inside the session record's interval
	require.NoError(t, os.WriteFile(path, all, 0o600))

	_, err = OpenFileStore(path, FileStoreOptions{})
	require.ErrorIs(t, err, ErrStoreCorrupt)
	s, err = OpenFileStore(path, FileStoreOptions{AllowDamage: true})
	require.NoError(t, err)
	defer s.Close()
	require.NotNil(t, s.Damage())
	assert.Equal(t, 1, s.Damage().Records)
	assert.Equal(t, []int64{int64(len(data))}, s.Damage().Offsets)
	snap, err := s.Load()
	require.NoError(t, err)
	assert.Len(t, snap.Outbound, 3)
	assert.True(t, snap.Session.IsZero(), "the damaged record is lost")
}

// TestSessionExpiredRule checks the rule a restarted client applies to
// the stored session.
func TestSessionExpiredRule(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	tests := []struct {
		name    string
		s       Session
		expired bool
	}{
		{"nothing recorded", Session{}, false},
		{"interval 0, connection recorded", Session{At: ago(time.Second)}, true},
		{"interval 0, ended", Session{At: ago(time.Second), Ended: true}, true},
		{"never expires", Session{Interval: SessionNever, At: ago(1000 * time.Hour), Ended: true}, false},
		{"ended, within the interval", Session{Interval: 60, At: ago(59 * time.Second), Ended: true}, false},
		{"ended, past the interval", Session{Interval: 60, At: ago(61 * time.Second), Ended: true}, true},
		{"no end, within period and interval", Session{Interval: 60, At: ago(150 * time.Second), Period: 2 * time.Minute}, false},
		{"no end, past period and interval", Session{Interval: 60, At: ago(181 * time.Second), Period: 2 * time.Minute}, true},
		{"no end, no period", Session{Interval: 60, At: ago(1000 * time.Hour)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.expired, tt.s.expired(now))
		})
	}
	assert.Equal(t, 2*time.Minute, livenessPeriod(1), "at most every minute")
	assert.Equal(t, 2*time.Hour, livenessPeriod(7200), "every half interval")
	assert.Zero(t, livenessPeriod(0))
	assert.Zero(t, livenessPeriod(SessionNever))
}
