package client

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/onmqtt/onmqtt/message"
)

// BenchmarkFileStoreOpen opens a full store: 65,535 live outbound flows
// (every packet identifier in use), with payloads of several sizes.
func BenchmarkFileStoreOpen(b *testing.B) {
	for _, size := range []int{64, 256, 1024} {
		b.Run(fmt.Sprintf("flows=65535/payload=%d", size), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "session.log")
			s, err := OpenFileStore(path, FileStoreOptions{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			payload := make([]byte, size)
			for id := 1; id <= 65535; id++ {
				m := message.Message{Topic: fmt.Sprintf("bench/%d", id), Payload: payload, QoS: message.QoS1, PacketID: uint16(id)}
				if err := s.PutOutbound(Outbound{Seq: uint64(id), Message: m}); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s, err := OpenFileStore(path, FileStoreOptions{})
				if err != nil {
					b.Fatal(err)
				}
				snap, err := s.Load()
				if err != nil || len(snap.Outbound) != 65535 {
					b.Fatalf("got %d flows, %v; want 65535", len(snap.Outbound), err)
				}
				s.Close()
			}
		})
	}
}
