package message

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchCases are the packets the codec benchmarks measure: a 5.0 PUBLISH
// with Content Type, Message Expiry Interval and two User Properties, a
// 5.0 PUBACK with a reason code, and the same packets in 3.1.1 (without
// what 3.1.1 cannot carry) as the reference.
var benchCases = []struct {
	name    string
	version Version
	packet  Packet
}{
	{"v5/PUBLISH-props-64B", V5, &Publish{Message: Message{
		Topic: "sensors/building-1/floor-2/room-3/temperature", Payload: bytes.Repeat([]byte{'x'}, 64),
		QoS: QoS1, PacketID: 4242, Properties: &Properties{
			ContentType: "application/json", MessageExpiry: Some[uint32](3600),
			UserProperties: []UserProperty{{"trace-id", "4bf92f3577b34da6"}, {"unit", "celsius"}}}}}},
	{"v5/PUBACK-reason", V5, &Puback{PacketID: 4242, ReasonCode: NoMatchingSubscribers}},
	{"v311/PUBLISH-64B", V311, &Publish{Message: Message{
		Topic: "sensors/building-1/floor-2/room-3/temperature", Payload: bytes.Repeat([]byte{'x'}, 64),
		QoS: QoS1, PacketID: 4242}}},
	{"v311/PUBACK", V311, &Puback{PacketID: 4242}},
}

// replay is an endless stream repeating one packet.
type replay struct {
	packet []byte
	off    int
}

func (s *replay) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], s.packet[s.off:])
		n += k
		s.off = (s.off + k) % len(s.packet)
	}
	return n, nil
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			buf, err := c.packet.Append(nil, c.version)
			require.NoError(b, err)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				if buf, err = c.packet.Append(buf[:0], c.version); err != nil {
					require.NoError(b, err) // only on failure: the loop is measured
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			raw, err := c.packet.Append(nil, c.version)
			require.NoError(b, err)
			r := NewReader(bufio.NewReaderSize(&replay{packet: raw}, 64<<10), c.version, 0)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				p, err := r.ReadPacket()
				if err != nil || p.Type() != c.packet.Type() { // the loop is measured: check only on failure
					require.NoError(b, err)
					require.Equal(b, c.packet.Type(), p.Type())
				}
			}
		})
	}
}

// TestV5Allocs pins the allocations the benchmarks report: encoding into
// a buffer with room allocates nothing; a Reader decodes the 5.0 PUBLISH
// with at most two (the Properties and the User Property slice; strings,
// topic and payload are carved from a shared block) and the PUBACK with
// none.
func TestV5Allocs(t *testing.T) {
	for _, c := range benchCases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := c.packet.Append(nil, c.version)
			require.NoError(t, err)
			buf := make([]byte, 0, len(raw))
			assert.Zero(t, testing.AllocsPerRun(100, func() { buf, _ = c.packet.Append(buf[:0], c.version) }))

			r := NewReader(bufio.NewReaderSize(&replay{packet: raw}, 64<<10), c.version, 0)
			var got Packet
			allocs := testing.AllocsPerRun(200, func() {
				got, err = r.ReadPacket()
				require.NoError(t, err)
			})
			assert.Equal(t, c.packet, got)
			want := 0.0
			if _, ok := c.packet.(*Publish); ok && c.version == V5 {
				want = 2
			}
			assert.LessOrEqual(t, allocs, want, "allocations per decoded packet")
		})
	}
}
