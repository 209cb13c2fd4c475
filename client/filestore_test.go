package client

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/onmqtt/onmqtt/message"
)

func outbound(seq uint64, id uint16, qos message.QoS, released bool) Outbound {
	return Outbound{Seq: seq, Released: released, Message: message.Message{
		Topic: "t/" + string(rune('a'+id%26)), Payload: []byte{byte(id), 1, 2}, QoS: qos, PacketID: id, Retain: id%2 == 0,
	}}
}

// fill writes a known set of entries and returns the snapshot a reopened
// store must show.
func fill(t *testing.T, s *FileStore) Snapshot {
	t.Helper()
	for i := uint16(1); i <= 5; i++ {
		if err := s.PutOutbound(outbound(uint64(i), i, message.QoS(1+i%2), false)); err != nil {
			t.Fatal(err)
		}
	}
	must(t, s.PutOutbound(outbound(2, 2, message.QoS2, true)))
	must(t, s.DeleteOutbound(3))
	must(t, s.PutInbound(Inbound{ID: 9}))
	held := message.Message{Topic: "in/x", Payload: []byte("held"), QoS: message.QoS2, PacketID: 10}
	must(t, s.PutInbound(Inbound{ID: 10, Message: &held}))
	must(t, s.PutInbound(Inbound{ID: 11}))
	must(t, s.DeleteInbound(11))
	snap, err := s.Load()
	must(t, err)
	return snap
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestFileStoreReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s", "session.log")
	s, err := OpenFileStore(path, FileStoreOptions{})
	must(t, err)
	want := fill(t, s)
	if got := len(want.Outbound); got != 4 {
		t.Fatalf("got %d outbound entries, want 4", got)
	}
	if want.LastSeq != 5 {
		t.Fatalf("got LastSeq %d, want 5", want.LastSeq)
	}
	must(t, s.Close())

	s2, err := OpenFileStore(path, FileStoreOptions{})
	must(t, err)
	defer s2.Close()
	got, err := s2.Load()
	must(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reopened store:\ngot  %+v\nwant %+v", got, want)
	}
	// Deleting everything keeps LastSeq across another reopen.
	for _, e := range got.Outbound {
		must(t, s2.DeleteOutbound(e.Message.PacketID))
	}
	must(t, s2.Close())
	s3, err := OpenFileStore(path, FileStoreOptions{})
	must(t, err)
	defer s3.Close()
	got, _ = s3.Load()
	if len(got.Outbound) != 0 || got.LastSeq != 5 {
		t.Fatalf("got %d outbound and LastSeq %d, want 0 and 5", len(got.Outbound), got.LastSeq)
	}
}

func TestFileStoreDamage(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(b []byte) []byte
		wantErr error
		skipped int
		// lost is how many of the entries written after the first
		// record may be missing.
		check func(t *testing.T, snap Snapshot)
	}{
		{
			name:    "torn last record",
			damage:  func(b []byte) []byte { return b[:len(b)-3] },
			skipped: 1,
			check: func(t *testing.T, snap Snapshot) {
				if len(snap.Outbound) != 2 {
					t.Errorf("got %d outbound entries, want 2", len(snap.Outbound))
				}
			},
		},
		{
			name:    "torn header",
			damage:  func(b []byte) []byte { return append(b, 0, 0, 1) },
			skipped: 1,
			check: func(t *testing.T, snap Snapshot) {
				if len(snap.Outbound) != 3 {
					t.Errorf("got %d outbound entries, want 3", len(snap.Outbound))
				}
			},
		},
		{
			name: "flipped payload byte in the middle",
			damage: func(b []byte) []byte {
				b[len(b)/2] ^= 0xff
				return b
			},
			skipped: 1,
			check: func(t *testing.T, snap Snapshot) {
				if len(snap.Outbound) != 2 {
					t.Errorf("got %d outbound entries, want 2 (the damaged one skipped, the others kept)", len(snap.Outbound))
				}
			},
		},
		{
			name: "impossible length",
			damage: func(b []byte) []byte {
				return append(b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1)
			},
			wantErr: ErrStoreCorrupt,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session.log")
			s, err := OpenFileStore(path, FileStoreOptions{NoSync: true})
			must(t, err)
			for i := uint16(1); i <= 3; i++ {
				must(t, s.PutOutbound(outbound(uint64(i), i, message.QoS1, false)))
			}
			must(t, s.Close())
			b, err := os.ReadFile(path)
			must(t, err)
			must(t, os.WriteFile(path, tt.damage(b), 0o644))

			s2, err := OpenFileStore(path, FileStoreOptions{})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			must(t, err)
			defer s2.Close()
			if s2.Skipped() != tt.skipped {
				t.Errorf("got %d skipped records, want %d", s2.Skipped(), tt.skipped)
			}
			snap, _ := s2.Load()
			tt.check(t, snap)
			// The store is usable and clean after the damage.
			must(t, s2.PutOutbound(outbound(9, 9, message.QoS2, false)))
			must(t, s2.Close())
			s3, err := OpenFileStore(path, FileStoreOptions{})
			must(t, err)
			defer s3.Close()
			if s3.Skipped() != 0 {
				t.Errorf("got %d skipped records after rewrite, want 0", s3.Skipped())
			}
		})
	}
}

func TestFileStoreCompacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.log")
	s, err := OpenFileStore(path, FileStoreOptions{NoSync: true})
	must(t, err)
	defer s.Close()
	for i := 1; i <= 3*compactMin; i++ {
		id := uint16(i%100 + 1)
		must(t, s.PutOutbound(outbound(uint64(i), id, message.QoS1, false)))
		must(t, s.DeleteOutbound(id))
	}
	if s.records >= compactMin+1 {
		t.Fatalf("got %d records in the log, want fewer than %d after compaction", s.records, compactMin+1)
	}
	info, err := os.Stat(path)
	must(t, err)
	if info.Size() != s.size {
		t.Fatalf("got file size %d, want %d", info.Size(), s.size)
	}
	snap, _ := s.Load()
	if snap.LastSeq != 3*compactMin {
		t.Fatalf("got LastSeq %d, want %d", snap.LastSeq, 3*compactMin)
	}
}
