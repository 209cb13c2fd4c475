package bench

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/onmqtt/onmqtt/message"
)

// The codec benchmarks encode into one reused buffer and decode through a
// message.Reader over a stream that replays one packet without end, so
// that each operation costs the encoding or the decoding alone.

// replayStream is an endless stream repeating one packet.
type replayStream struct {
	packet []byte
	off    int
}

func (s *replayStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], s.packet[s.off:])
		n += k
		s.off = (s.off + k) % len(s.packet)
	}
	return n, nil
}

// codecCases are the packets measured, all encoded for MQTT 3.1.1.
var codecCases = []struct {
	name   string
	packet message.Packet
}{
	{"PUBLISH-64B", &message.Publish{Message: message.Message{
		Topic: "sensors/building-1/floor-2/room-3/temperature", Payload: bytes.Repeat([]byte{'x'}, 64),
		QoS: message.QoS1, PacketID: 4242}}},
	{"PUBLISH-4KiB", &message.Publish{Message: message.Message{
		Topic: "sensors/building-1/floor-2/room-3/temperature", Payload: bytes.Repeat([]byte{'x'}, 4096),
		QoS: message.QoS1, PacketID: 4242}}},
	{"CONNECT", &message.Connect{Version: message.V311, ClientID: "onmqtt-bench-0123456789",
		CleanSession: true, KeepAlive: 60,
		Will:         &message.Will{Topic: "clients/onmqtt-bench/status", Payload: []byte("offline"), QoS: message.QoS1, Retain: true},
		UsernameFlag: true, Username: "bench", PasswordFlag: true, Password: []byte("secret")}},
	{"PUBACK", &message.Puback{PacketID: 4242}},
}

func BenchmarkCodecEncode(b *testing.B) {
	for _, c := range codecCases {
		b.Run(c.name, func(b *testing.B) {
			buf, err := c.packet.Append(nil, message.V311)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, err = c.packet.Append(buf[:0], message.V311)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCodecDecode(b *testing.B) {
	for _, c := range codecCases {
		b.Run(c.name, func(b *testing.B) {
			raw, err := c.packet.Append(nil, message.V311)
			if err != nil {
				b.Fatal(err)
			}
			r := message.NewReader(bufio.NewReaderSize(&replayStream{packet: raw}, 64<<10), message.V311, 0)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				p, err := r.ReadPacket()
				if err != nil {
					b.Fatal(err)
				}
				if p.Type() != c.packet.Type() {
					b.Fatalf("got %v, want %v", p.Type(), c.packet.Type())
				}
			}
		})
	}
}

// BenchmarkCodecDecodeBytes measures message.Decode, which allocates a new
// packet each time, for input that arrives as whole messages.
func BenchmarkCodecDecodeBytes(b *testing.B) {
	for _, c := range codecCases {
		b.Run(c.name, func(b *testing.B) {
			raw, err := c.packet.Append(nil, message.V311)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := message.Decode(raw, message.V311, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
